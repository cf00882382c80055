"""The window opens fast: nothing it imports at start-up pulls in torch or transformers, the
inspector panels are built once the window is on screen or a model is loaded, and the model
bar shows a load's real progress."""

from __future__ import annotations

import subprocess
import sys

from workbench.core.catalog import Catalog
from workbench.core.loading import LoadProgress
from workbench.qt.attention.panel import AttentionPanel
from workbench.qt.common.app_state import AppState
from workbench.qt.compare.panel import ComparePanel
from workbench.qt.genlab.panel import GenLabPanel
from workbench.qt.lens.panel import LensPanel
from workbench.qt.main_window import MainWindow
from workbench.qt.panels import LazyPanel
from workbench.qt.token.panel import TokenPanel
from workbench.qt.training.panel import TrainingPanel

HEAVY = ("torch", "transformers")


def test_the_window_module_imports_neither_torch_nor_transformers():
    code = f"import sys, workbench.qt.main_window; print([m for m in {HEAVY!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_the_inspector_panels_are_built_once_a_model_is_loaded(qtbot, tiny_loaded):
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    tabs = [tab for _title, tab in window.panels]
    assert all(isinstance(tab, LazyPanel) and tab.panel is None for tab in tabs)
    window.use_loaded_model(tiny_loaded)
    assert [type(tab.panel) for tab in tabs] == [AttentionPanel, TokenPanel, LensPanel, ComparePanel, TrainingPanel,
                                                GenLabPanel]
    window.close()


def test_the_visible_inspector_tab_is_built_after_the_window_is_painted(qtbot):
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    attention, _token, _lens, _compare, training, _genlab = (tab for _title, tab in window.panels)
    assert attention.panel is None  # the Generate page is shown first: nothing built yet
    window.pages.setCurrentIndex(1)  # Ctrl+2: the Attention page
    qtbot.waitUntil(lambda: attention.panel is not None, timeout=10_000)
    assert isinstance(attention.panel, AttentionPanel)
    assert training.panel is None  # its tab has not been shown yet
    window.close()


def test_the_model_bar_shows_the_percentage_and_the_time_left(qtbot):
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    picker = window.model_picker
    picker.set_loading(LoadProgress("Converting GGUF weights", 0.42, 25.4))
    assert picker.progress_bar.value() == 42 and picker.progress_bar.isTextVisible()
    assert picker.stage_label.text() == "Converting GGUF weights · about 25 s left"
    picker.set_loading(LoadProgress("Converting GGUF weights", 0.1, 300.0))
    assert picker.stage_label.text().endswith("about 5 min left")
    picker.set_loading(LoadProgress("Locating"))
    assert picker.progress_bar.maximum() == 0 and not picker.progress_bar.isTextVisible()
    assert picker.stage_label.text() == "Locating"
    window.close()
