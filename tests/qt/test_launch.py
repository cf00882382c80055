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


def test_a_second_window_on_the_same_session_says_the_first_is_open_and_opens_nothing(qapp, monkeypatch):
    """Two windows would each autosave over the other's runs and prompt."""
    from PySide6.QtCore import QLockFile
    from PySide6.QtWidgets import QMessageBox

    from workbench.core import paths
    from workbench.qt import main_window

    first = QLockFile(str(paths.data_dir() / workbench.qt.launch.WINDOW_LOCK))  # what the open window holds
    assert first.tryLock(0)
    said, built = [], []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: said.append(title))
    monkeypatch.setattr(main_window, "MainWindow", lambda *args: built.append(args))
    try:
        assert workbench.qt.launch.launch_gui([]) == 0
    finally:
        first.unlock()
    assert said == ["Generation Workbench is already open"] and built == []
