"""Closing the window (with its real inspector panels) while each kind of job runs: every thread
is cancelled and waited for, no job starts once closing has begun, a stopped generation still
reaches the Runs list and the session, and training runs stop with a checkpoint."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import TINY_TEXT
from tests.qt.test_main_window import set_prompt
from tests.qt.test_training_panel import TINY_GPT
from workbench.core.catalog import Catalog
from workbench.core.errors import CancelledError
from workbench.core.sessions import open_session
from workbench.core.training import trainer
from workbench.qt.attention import panel as attention_panel_module
from workbench.qt.attention.panel import AttentionPanel, CaptureRequest
from workbench.qt.common.app_state import AppState
from workbench.qt.genlab.panel import GenLabPanel
from workbench.qt.main_window import MainWindow
from workbench.qt.training.panel import TrainingPanel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot, tiny_loaded):
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    window.use_loaded_model(tiny_loaded)
    return window


def panel_of(window: MainWindow, kind: type):
    return next(tab.panel for _title, tab in window.panels if isinstance(tab.panel, kind))


def assert_closed_cleanly(window: MainWindow) -> None:
    assert not window.state.jobs.live(), "a job thread outlived the window"
    assert not any(thread.name == "workbench-generate" for thread in threading.enumerate())
    assert not window.generation.is_running and not window.loader.is_loading
    assert not panel_of(window, AttentionPanel).is_capturing()


def slow_capture_job(seconds_after_cancel: float = 0.0):
    """Stands in for the capture: runs until cancelled, then takes ``seconds_after_cancel`` to stop."""

    def job(source, input_ids, *, cancel, **_):
        yield from ()  # a job is a generator, even one with nothing to report
        while not cancel.cancelled:
            time.sleep(0.01)
        time.sleep(seconds_after_cancel)
        raise CancelledError("Cancelled.")

    return job


def test_closing_during_generation_records_the_partial_run_and_starts_no_capture(qtbot, window):
    set_prompt(window, "The", mode="sample", max_new_tokens=120, min_new_tokens=120)
    window.generate()
    qtbot.waitUntil(lambda: window.generation.streamed_tokens >= 2, timeout=15_000)
    window.close()
    assert_closed_cleanly(window)
    runs = window.runs_panel.runs()
    # Its tokens, not its text: a few random bytes of the tiny model may decode to no text yet.
    assert len(runs) == 1 and runs[0].stopped and runs[0].sequences[0].tokens
    saved = open_session().session
    assert len(saved.runs) == 1 and saved.runs[0].stopped
    assert panel_of(window, AttentionPanel).capture is None  # the automatic capture never started


def test_closing_during_the_automatic_capture_cancels_it(qtbot, window, monkeypatch):
    monkeypatch.setattr(attention_panel_module, "capture_job", slow_capture_job())
    attention = panel_of(window, AttentionPanel)
    set_prompt(window, "The quick", mode="greedy", max_new_tokens=4)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.generate()
    assert attention.is_capturing()
    window.close()
    assert_closed_cleanly(window)
    assert "cancelled" in attention.status.text()
    assert len(open_session().session.runs) == 1


def test_a_slow_stop_says_stopping_in_the_status_bar(qtbot, window, tiny_loaded, monkeypatch):
    monkeypatch.setattr(attention_panel_module, "capture_job", slow_capture_job(seconds_after_cancel=0.8))
    panel_of(window, AttentionPanel).start_capture(CaptureRequest(tiny_loaded, (5, 6, 7)))
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.close()
    assert_closed_cleanly(window)
    assert "Stopping…" in messages


def test_closing_during_a_model_load_abandons_it(qtbot, window, tiny_loaded, tiny_folder):
    entry = window.state.catalog.resolve(str(tiny_folder))
    window.load_model(entry, window.model_picker.load_settings())
    assert window.loader.is_loading
    window.close()
    assert_closed_cleanly(window)
    assert window.state.loaded_model is tiny_loaded


def test_closing_during_training_stops_it_with_a_checkpoint(qtbot, window, tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TINY_TEXT * 20, encoding="utf-8")
    out_dir = tmp_path / "run"
    training = panel_of(window, TrainingPanel)
    training.form.set_values(corpus=str(corpus), out_dir=str(out_dir), max_iters=5000, eval_interval=25, **TINY_GPT)
    training.start_button.click()
    qtbot.waitUntil(lambda: len(training.curves.curves.points(training.curves.train_name)) >= 3, timeout=30_000)
    window.close()
    assert_closed_cleanly(window)
    assert training.last_result is not None and training.last_result.stopped
    listed = {entry.location for entry in window.state.catalog.entries()}
    assert str((out_dir / trainer.CHECKPOINT_FOLDER).resolve()) in listed


def test_closing_during_a_genlab_run_stops_it_with_a_checkpoint(qtbot, window):
    genlab = panel_of(window, GenLabPanel)
    form = genlab.form
    form.model_combo.setCurrentIndex(form.model_combo.findData("gan"))
    form.epochs.setValue(10_000)
    form.hidden_dim.setValue(32)
    form.device.setCurrentText("cpu")
    genlab.start()
    qtbot.waitUntil(lambda: len(genlab.curves["gan"].points("D loss")) > 0, timeout=60_000)
    window.close()
    assert_closed_cleanly(window)
    assert genlab.last_result is not None and genlab.last_result.stopped
    assert genlab.last_result.checkpoint and Path(genlab.last_result.checkpoint).is_dir()


CLOSE_WHILE_GENERATING = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from tests.conftest import make_tiny_loaded
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import GenerationRequest
from workbench.qt.main_window import MainWindow

app = QApplication(sys.argv)
window = MainWindow()
window.show()
window.use_loaded_model(make_tiny_loaded())
window.generation.token_streamed.connect(lambda event: QTimer.singleShot(0, window.close))
settings = DecodingSettings(mode="sample", max_new_tokens=120, min_new_tokens=120)
window.generate(GenerationRequest("The", settings, chat=False))
sys.exit(app.exec())
"""


def test_closing_the_app_while_it_generates_exits_cleanly():
    """The real thing, in its own process: a thread still running when Python exits aborts it."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    process = subprocess.run([sys.executable, "-c", CLOSE_WHILE_GENERATING], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    assert "QThread: Destroyed" not in process.stderr
    runs = open_session().session.runs
    assert len(runs) == 1 and runs[0].stopped


def test_closing_during_training_says_it_saves_a_checkpoint(qtbot, window, tmp_path, monkeypatch):
    slow_checkpoint = trainer._Run.checkpoint

    def checkpoint(run):
        time.sleep(1.0)  # a large model's checkpoint: closing must say what it waits for
        return slow_checkpoint(run)

    monkeypatch.setattr(trainer._Run, "checkpoint", checkpoint)
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TINY_TEXT * 20, encoding="utf-8")
    training = panel_of(window, TrainingPanel)
    training.form.set_values(corpus=str(corpus), out_dir=str(tmp_path / "run"), max_iters=5000, **TINY_GPT)
    training.start_button.click()
    qtbot.waitUntil(lambda: len(training.curves.curves.points(training.curves.train_name)) >= 3, timeout=30_000)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.close()
    assert_closed_cleanly(window)
    assert "Saving checkpoint…" in messages
    assert training.last_result is not None and training.last_result.stopped


def test_closing_while_a_panel_imports_does_not_build_it_after_the_panels_were_shut_down(qtbot, monkeypatch):
    from workbench.qt import panels as panels_module

    real_import = panels_module._import_module

    def slow_import(name, cancel):
        time.sleep(1.0)  # torch's first import on a slow machine
        return (yield from real_import(name, cancel))

    monkeypatch.setattr(panels_module, "_import_module", slow_import)
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    lazy = next(panel for _title, panel in window.panels if panel._class_name == "TrainingPanel")
    lazy._start_import()  # the person opened the tab...
    window.close()  # ...and closed the window at once
    assert lazy.panel is None
