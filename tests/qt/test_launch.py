"""``python -m workbench`` with no command and a display opens the window, never the CLI."""

from __future__ import annotations

import workbench.cli
import workbench.qt.launch
from workbench import __main__ as entry


def test_with_a_display_no_command_opens_the_window(monkeypatch):
    cli_calls = []
    monkeypatch.setattr(workbench.cli, "main", lambda argv: cli_calls.append(argv) or 0)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(workbench.qt.launch, "launch_gui", lambda: 7)
    assert entry.has_display()
    assert entry.main([]) == 7
    assert cli_calls == []
