"""Whatever goes wrong in a command reaches the person as one `error:` line and exit 2."""

from __future__ import annotations

from workbench import cli
from workbench.cli import models


def test_a_refused_file_is_one_line(monkeypatch, capsys):
    def refuse(args):
        raise PermissionError(13, "Permission denied", "/etc/shadow")

    monkeypatch.setattr(models, "run", refuse)
    assert cli.main(["models"]) == 2
    assert capsys.readouterr().err == "error: Permission denied: /etc/shadow\n"
