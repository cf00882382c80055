"""``workbench`` with no arguments: the main window (``workbench.__main__`` decides when there is no display)."""

from __future__ import annotations

import sys

WINDOW_LOCK = "window.lock"  # in the data folder: held while a window has the session open


def launch_gui(argv: list[str] | None = None) -> int:
    from PySide6.QtCore import QCoreApplication, QLockFile, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from workbench.core import paths
    from workbench.qt.common.language import install_language
    from workbench.qt.common.plain_labels import show_labels_as_plain_text
    from workbench.qt.common.theme import apply_palette
    from workbench.qt.common.tooltips import wrap_long_tooltips
    from workbench.qt.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("Generation Workbench")
    install_language(app)
    apply_palette(app)
    wrap_long_tooltips(app)
    show_labels_as_plain_text(app)
    # Two windows on one session would each autosave over the other's runs and prompt. A lock whose process
    # has ended (a crash, a kill) is taken over; a data folder that cannot hold one locks nothing.
    lock = QLockFile(str(paths.data_dir() / WINDOW_LOCK))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however long the window has been open
    if not lock.tryLock(200) and lock.error() == QLockFile.LockError.LockFailedError:
        # Qt can tell a live window only on this machine: a data folder shared with another one (a network
        # home, a reused container volume) may hold the lock of a window long gone. The person can tell.
        pid, host, _ = lock.getLockInfo()
        box = QMessageBox(QMessageBox.Icon.Information,
                          QCoreApplication.translate("Launch", "Generation Workbench is already open"),
                          QCoreApplication.translate(
                              "Launch", "The workbench is already open (process {0} on {1}): switch to its window. A "
                              "second window would save over the first one's runs and prompt.").format(pid, host))
        close = box.addButton(QMessageBox.StandardButton.Close)
        anyway = box.addButton(QCoreApplication.translate("Launch", "Open it here anyway"),
                               QMessageBox.ButtonRole.DestructiveRole)
        anyway.setAutoDefault(False)
        box.setDefaultButton(close)  # Enter and Esc take the safe way; opening anyway needs a deliberate click
        box.setEscapeButton(close)
        anyway.setToolTip(QCoreApplication.translate(
            "Launch", "Only if that window is gone (a crash on another machine sharing this data folder)."))
        box.exec()
        if box.clickedButton() is not anyway:
            return 0
        lock.removeStaleLockFile()
        lock.tryLock(0)
    window = MainWindow()
    window.show()
    # Load after the first paint, so the window is on screen at once.
    QTimer.singleShot(0, window.start_default_load)
    return app.exec()
