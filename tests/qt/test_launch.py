"""``python -m workbench`` with no command and a display opens the window, never the CLI."""

from __future__ import annotations

import os

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
    safe = []  # Enter and Esc must close: "Open it here anyway" would let two windows save over each other

    def close(box):
        said.append(box.text())
        safe.append((box.standardButton(box.defaultButton()), box.standardButton(box.escapeButton())))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", close)
    monkeypatch.setattr(main_window, "MainWindow", lambda *args: built.append(args))
    try:
        assert workbench.qt.launch.launch_gui([]) == 0
    finally:
        first.unlock()
    assert len(said) == 1 and said[0].startswith(f"The workbench is already open (process {os.getpid()} on ")
    assert safe == [(QMessageBox.StandardButton.Close, QMessageBox.StandardButton.Close)]
    assert built == []


def test_a_window_lock_whose_window_is_gone_can_be_taken_over(qapp, monkeypatch, tmp_path):
    """A lock another machine left in a shared data folder: Qt cannot tell it is stale, the person can."""
    from PySide6.QtWidgets import QMessageBox

    from workbench.core import paths
    from workbench.qt import main_window

    lock = paths.data_dir() / workbench.qt.launch.WINDOW_LOCK
    lock.write_text("4242\npython3.11\nother-machine\n\n\n")

    def open_anyway(box):
        box.buttons()[-1].click()  # "Open it here anyway"
        return 0

    held_while_shown = []
    monkeypatch.setattr(QMessageBox, "exec", open_anyway)
    monkeypatch.setattr(main_window, "MainWindow", lambda *args: _Shown(lambda: held_while_shown.append(
        lock.read_text())))
    monkeypatch.setattr(qapp, "exec", lambda: 0)
    assert workbench.qt.launch.launch_gui([]) == 0
    [held] = held_while_shown
    assert held.startswith(f"{os.getpid()}\n")  # taken over by this process while its window is open


class _Shown:
    def __init__(self, on_show) -> None:
        self._on_show = on_show

    def show(self) -> None:
        self._on_show()

    def start_default_load(self) -> None:
        pass
