"""The window opens fast: nothing it imports at start-up pulls in torch or transformers, the
inspector panels are built once the window is on screen or a model is loaded, and the model
bar shows a load's real progress."""

from __future__ import annotations

import subprocess
import sys

from workbench.core.catalog import Catalog, gguf_entry
from workbench.core.loading import LoadProgress, LoadSettings
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
    assert picker.stage_label.text() == "Converting GGUF weights"
    assert picker.progress_bar.text() == "42% · 25 s left"
    picker.set_loading(LoadProgress("Converting GGUF weights", 0.1, 300.0))
    assert picker.progress_bar.text() == "10% · 5 min left"
    picker.set_loading(LoadProgress("Locating"))
    assert picker.progress_bar.maximum() == 0 and not picker.progress_bar.isTextVisible()
    assert picker.stage_label.text() == "Locating"
    # A stage's start can last (a GGUF file's check, seconds): a bar that moves, not a 0% that looks stuck.
    picker.set_loading(LoadProgress("Checking the GGUF file", 0.0, None))
    assert picker.progress_bar.maximum() == 0 and not picker.progress_bar.isTextVisible()
    window.close()


# Records which thread first imports each heavy module, then opens every inspector page right after start.
_OPEN_EVERY_PAGE = """
import sys, tempfile, threading, time
from pathlib import Path
HEAVY = {heavy!r}
imported_on_gui_thread = []

class Recorder:
    def find_spec(self, name, path=None, target=None):
        if name in HEAVY and threading.current_thread() is threading.main_thread():
            imported_on_gui_thread.append(name)
        return None

sys.meta_path.insert(0, Recorder())
from PySide6.QtWidgets import QApplication
from workbench.core.catalog import Catalog, folder_entry
from workbench.core.loading import LoadSettings
from workbench.qt.common.app_state import AppState
from workbench.qt.main_window import MainWindow

app = QApplication([])
window = MainWindow(AppState(Catalog()))
window.show()
# A load imports transformers on its thread meanwhile (an empty folder: it fails once the imports are done).
window.load_model(folder_entry(Path(tempfile.mkdtemp())), LoadSettings())
tabs = [tab for _title, tab in window.panels]
for page in range(1, window.pages.count()):
    window.pages.setCurrentIndex(page)  # Ctrl+2, Ctrl+3...: as fast as a person can press them
    app.processEvents()
deadline = time.monotonic() + 120
while any(tab.panel is None for tab in tabs) and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
print(imported_on_gui_thread, [type(tab.panel).__name__ for tab in tabs])
window.close()
"""


def test_opening_the_inspector_pages_before_a_model_is_loaded_imports_torch_off_the_gui_thread():
    """Each page shows "Loading the panel…" while its module imports on a job's thread (a model load
    could be importing transformers at the same time); the panels are built once the imports are done."""
    code = _OPEN_EVERY_PAGE.format(heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True)
    panels = ["AttentionPanel", "TokenPanel", "LensPanel", "ComparePanel", "TrainingPanel", "GenLabPanel"]
    assert result.stdout.strip() == f"[] {panels}", result.stderr


def test_the_model_bar_shows_a_real_loads_percentage_as_it_goes(qtbot, tiny_gguf):
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    picker = window.model_picker
    shown = []  # what the bar showed as each report arrived (the picker has handled it already)
    window.loader.progress.connect(lambda progress: shown.append(
        (progress.fraction, picker.progress_bar.maximum(), picker.progress_bar.value(),
         picker.progress_bar.isTextVisible())
    ))
    with qtbot.waitSignal(window.state.model_changed, timeout=60_000):
        window.load_model(gguf_entry(tiny_gguf), LoadSettings())  # a first load: the conversion's stages
    determinate = [row for row in shown if row[0] is not None and 0 < row[0] < 1]
    assert len(determinate) > 20
    assert all(maximum == 100 and value == round(fraction * 100) and text
               for fraction, maximum, value, text in determinate)
    assert [row[2] for row in determinate] == sorted(row[2] for row in determinate)
    window.close()
