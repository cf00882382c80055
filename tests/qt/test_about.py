"""Help → About says what the workbench runs on and where its files are."""

from __future__ import annotations

from importlib.metadata import version

import PySide6
from PySide6.QtCore import QUrl

from workbench import __version__
from workbench.core.paths import cache_dir, config_dir, data_dir
from workbench.qt.about import show_about


def test_about_gives_the_versions_devices_and_the_folders(qtbot, make_window):
    window = make_window()
    box = show_about(window)
    qtbot.addWidget(box)
    text = box.text()
    assert f"Generation Workbench {__version__}</h3>" in text
    for library in ("torch", "transformers", "tokenizers", "pyqtgraph"):
        assert f"{library} {version(library)}" in text
    assert f"PySide6 {PySide6.__version__}" in text
    assert "cpu" in text
    for folder in (data_dir(), config_dir(), cache_dir()):  # the tests' private folders: the ones in use
        assert QUrl.fromLocalFile(str(folder)).toString() in text
    assert not box.isModal() and box.isVisible()
