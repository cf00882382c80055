"""``workbench`` with no arguments: the window, or a short command-line demo where there is no display."""

from __future__ import annotations

import os
import sys

DEMO_ARGS = ["generate", "--model", "smollm2-135m-instruct", "--prompt", "What is the capital of France?",
             "--greedy", "--max-new-tokens", "24"]


def has_display() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def launch_gui(argv: list[str] | None = None) -> int:
    if not has_display():
        print("No display found: running a short command-line demo instead.")
        from workbench.cli import main as cli_main

        return cli_main(DEMO_ARGS)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.qt.main_window import MainWindow
    from workbench.qt.common.theme import apply_palette

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("Generation Workbench")
    apply_palette(app)
    window = MainWindow()
    window.show()
    # Load after the first paint, so the window is on screen at once.
    QTimer.singleShot(0, window.start_default_load)
    return app.exec()
