"""``workbench`` with no arguments: the main window (``workbench.__main__`` decides when there is no display)."""

from __future__ import annotations

import sys


def launch_gui(argv: list[str] | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.qt.common.language import install_language
    from workbench.qt.common.theme import apply_palette
    from workbench.qt.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("Generation Workbench")
    install_language(app)
    apply_palette(app)
    window = MainWindow()
    window.show()
    # Load after the first paint, so the window is on screen at once.
    QTimer.singleShot(0, window.start_default_load)
    return app.exec()
