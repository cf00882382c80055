"""``workbench`` with no arguments: the main window (``workbench.__main__`` decides when there is no display)."""

from __future__ import annotations

import sys

WINDOW_LOCK = "window.lock"  # in the data folder: held while a window has the session open


def launch_gui(argv: list[str] | None = None) -> int:
    from PySide6.QtCore import QCoreApplication, QLockFile, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from workbench.core import paths
    from workbench.qt.common.language import install_language
    from workbench.qt.common.theme import apply_palette
    from workbench.qt.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("Generation Workbench")
    install_language(app)
    apply_palette(app)
    # Two windows on one session would each autosave over the other's runs and prompt. A lock whose process
    # has ended (a crash, a kill) is taken over; a data folder that cannot hold one locks nothing.
    lock = QLockFile(str(paths.data_dir() / WINDOW_LOCK))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however long the window has been open
    if not lock.tryLock(200) and lock.error() == QLockFile.LockError.LockFailedError:
        QMessageBox.information(None, QCoreApplication.translate("Launch", "Generation Workbench is already open"),
                                QCoreApplication.translate(
                                    "Launch", "The workbench is already open: switch to its window. A second window "
                                    "would save over the first one's runs and prompt."))
        return 0
    window = MainWindow()
    window.show()
    # Load after the first paint, so the window is on screen at once.
    QTimer.singleShot(0, window.start_default_load)
    return app.exec()
