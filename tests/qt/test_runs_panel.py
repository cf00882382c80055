"""The Runs list's export buttons: the file the person names, with its suffix added when left out, one line said."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QFileDialog

from tests.core.test_sessions import make_run
from workbench.core.sessions import run_to_json, run_to_markdown
from workbench.qt.generation.runs_panel import RunsPanel


def test_the_selected_run_is_exported_as_json_or_markdown(qtbot, tmp_path, monkeypatch):
    panel = RunsPanel()
    qtbot.addWidget(panel)
    run = make_run()
    panel.add_run(run)
    panel.list.setCurrentRow(0)
    named = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(named[-1]), ""))
    said = []
    panel.message.connect(said.append)
    named.append(tmp_path / "answer")  # typed without a suffix
    panel.export_json_button.click()
    assert json.loads((tmp_path / "answer.json").read_text(encoding="utf-8")) == json.loads(run_to_json(run))
    named.append(tmp_path / "answer.md")
    panel.export_md_button.click()
    assert (tmp_path / "answer.md").read_text(encoding="utf-8") == run_to_markdown(run)
    named.append(tmp_path / "no-such-folder" / "answer.json")
    panel.export_json_button.click()
    assert said[:2] == [f"Saved {tmp_path / 'answer.json'}", f"Saved {tmp_path / 'answer.md'}"]
    assert len(said) == 3 and "answer.json" in said[2] and "\n" not in said[2]  # the failure, in one line
