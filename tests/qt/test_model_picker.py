"""The model picker's "Trained here" group: one collapsible row per training run, newest first,
whose rows are the run's final model and checkpoints; choosing any of them loads that folder."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from PySide6.QtCore import QCoreApplication, QPoint, Qt
from PySide6.QtTest import QTest

from workbench.core.catalog import Catalog, TrainedVariant
from workbench.qt.common.app_state import AppState
from workbench.qt.common.language import CHINESE, install_language
from workbench.qt.generation.model_picker import entry_label, loaded_label, variant_label
from workbench.qt.main_window import MainWindow


def _run(tiny_folder, run, final: bool, step: int, modified: float):
    """A training run's folder: a checkpoint at ``step``, and the final model when it finished."""
    shutil.copytree(tiny_folder, run / "checkpoint")
    (run / "checkpoint" / "trainer_state.json").write_text(json.dumps({"step": step}))
    Catalog().register_trained(run / "checkpoint")
    if final:
        for item in tiny_folder.iterdir():
            shutil.copy(item, run / item.name)
        Catalog().register_trained(run)
    for folder in (run, run / "checkpoint"):
        os.utime(folder, (modified, modified))
    return run


def _click(tree, index, on_arrow: bool = False) -> None:
    rect = tree.visualRect(index)
    point = QPoint(rect.x() - tree.indentation() // 2, rect.center().y()) if on_arrow else rect.center()
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)


def test_a_run_that_trains_now_is_not_called_stopped(qtbot, tiny_folder, tmp_path):
    from workbench.core.outputs import RunFolderLock

    folder = _run(tiny_folder, tmp_path / "going", final=False, step=50, modified=2_000)
    lock = RunFolderLock(folder)  # as the trainer holds it while it trains, here or in another process
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    model = window.model_picker.combo.model()
    label = model.index(0, 0, model.index(model.rowCount() - 1, 0)).data()
    assert "training, checkpoint, step 50" in label, label
    lock.release()
    window.state.catalog_changed.emit()  # as the panel says when a run ends
    label = model.index(0, 0, model.index(model.rowCount() - 1, 0)).data()
    assert "stopped, checkpoint, step 50" in label, label


def test_two_runs_are_two_collapsible_rows_newest_first_and_a_checkpoint_can_be_loaded(qtbot, tiny_folder, tmp_path):
    older = _run(tiny_folder, tmp_path / "older", final=True, step=200, modified=1_000)
    newer = _run(tiny_folder, tmp_path / "newer", final=False, step=50, modified=2_000)  # stopped at step 50
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    window.show()
    picker, tree = window.model_picker, window.model_picker.tree
    model = picker.combo.model()

    group = model.index(model.rowCount() - 1, 0)
    assert group.data() == "Trained here (2)" and tree.isExpanded(group)
    runs = [model.index(row, 0, group) for row in range(model.rowCount(group))]
    assert [run.data(Qt.ItemDataRole.UserRole) for run in runs] == [
        str((newer / "checkpoint").resolve()),  # a stopped run loads its latest checkpoint
        str(older.resolve()),  # a finished run its final model
    ]
    assert runs[0].data().startswith("newer — ") and "stopped, checkpoint, step 50" in runs[0].data()
    assert [model.index(row, 0, runs[1]).data() for row in range(model.rowCount(runs[1]))] == [
        "final model", "checkpoint, step 200"
    ]
    assert not any(tree.isExpanded(run) for run in runs)  # collapsed until opened

    picker.combo.showPopup()
    qtbot.waitUntil(tree.isVisible)
    _click(tree, group)  # the heading closes and opens; it loads nothing
    assert not tree.isExpanded(group) and tree.isVisible()
    _click(tree, group)
    older_run = model.index(1, 0, group)
    _click(tree, older_run, on_arrow=True)  # the arrow opens the run without choosing it
    assert tree.isExpanded(older_run) and tree.isVisible()

    checkpoint = model.index(1, 0, older_run)
    tree.setCurrentIndex(checkpoint)  # where the pointer rests, as a hover does
    with qtbot.waitSignal(window.state.model_changed, timeout=20_000) as changed:
        _click(tree, checkpoint)
    # Loaded as the step it is pinned to: the run rewrites its checkpoint when it goes on.
    assert changed.args[0].entry.location == str((older / "step-0000200").resolve())
    assert picker.combo.currentText() == "older — checkpoint, step 200"
    older_run = model.index(1, 0, model.index(model.rowCount() - 1, 0))
    assert [model.index(row, 0, older_run).data() for row in range(model.rowCount(older_run))] == [
        "final model", "checkpoint, step 200"  # listed once, as its pin
    ]
    window.close()


def test_a_loaded_step_the_run_has_since_deleted_stays_the_boxs_choice(qtbot, tiny_folder, tmp_path):
    """A run prunes its kept steps as it goes: the box fell back to the first model listed while the step
    loaded from there was still the model in use (and Load would have loaded the other one)."""
    run = _run(tiny_folder, tmp_path / "going", final=False, step=50, modified=2_000)
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    picker = window.model_picker
    with qtbot.waitSignal(window.state.model_changed, timeout=20_000) as changed:
        window.load_model(picker._entries[str((run / "checkpoint").resolve())], picker.load_settings())
    entry = changed.args[0].entry  # the checkpoint's step, pinned
    shown = picker.combo.currentText()
    shutil.rmtree(entry.location)
    window.state.catalog_changed.emit()  # as a run says when it kept or dropped a step
    assert picker.combo.currentData() == entry.id and picker.combo.currentText() == entry_label(entry) != ""
    assert shown.endswith("checkpoint, step 50")
    window.close()


def test_a_kept_evaluation_reads_apart_from_the_checkpoint_a_run_resumes_from(tiny_loaded):
    entry = tiny_loaded.entry
    assert variant_label(TrainedVariant(entry, checkpoint=True, step=600, snapshot=True)) == "evaluation at step 600"
    assert variant_label(TrainedVariant(entry, checkpoint=True, step=612)) == "checkpoint, step 612"
    pinned = TrainedVariant(entry, checkpoint=True, step=612, snapshot=True, pinned=True)
    assert variant_label(pinned) == "checkpoint, step 612"  # kept once opened: no evaluation made it



def test_the_chosen_models_name_stays_in_view_and_its_place_reads_in_chinese(qtbot, qapp):
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    picker = window.model_picker
    assert picker.combo.lineEdit().cursorPosition() == 0  # as the window opens, before any load
    picker.combo.setCurrentIndex(picker.combo.count() - 1)
    picker.combo.setCurrentIndex(0)
    assert picker.combo.lineEdit().cursorPosition() == 0  # the start, the model's name, is in view
    installed = install_language(qapp, CHINESE)
    try:
        label = entry_label(Catalog().default_entry())
        assert "随包附带，已安装" in label and ", " not in label
    finally:
        for translator in installed:
            QCoreApplication.removeTranslator(translator)
    window.close()


def test_a_small_model_trained_here_weighs_more_than_nothing(tiny_loaded, monkeypatch):
    """A 111k-parameter GPT read "0 MiB": below 10 MiB the line gives a tenth."""
    weights = tiny_loaded.memory_bytes()
    assert loaded_label(tiny_loaded).endswith(f" · float32 · {weights / 2**20:.1f} MiB") and weights < 10 * 2**20
    for size, shown in ((440_000, "0.4 MiB"), (20_000, "<0.1 MiB"), (538_000_000, "513 MiB")):
        monkeypatch.setattr(type(tiny_loaded), "memory_bytes", lambda self, size=size: size)
        assert loaded_label(tiny_loaded).endswith(f" · {shown}")


def _on_a_laptop_screen(qtbot) -> MainWindow:
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    window.setWindowState(Qt.WindowState.WindowNoState)  # sized by the test, not by the offscreen screen
    window.show()
    qtbot.waitExposed(window)
    window.resize(1366, 768)
    return window


def test_the_loaded_models_line_shows_whole_on_a_laptop_screen(qtbot):
    """The line naming the model in use asks for its whole width: the model list gives way, not the line."""
    window = _on_a_laptop_screen(qtbot)
    label = window.model_picker.loaded_label
    text = "SmolLM2-135M-Instruct，运行于 cpu · float32 · 513 MiB"  # the Chinese line, the longest
    label.setText(text)
    qtbot.waitUntil(lambda: label.width() >= label.fontMetrics().horizontalAdvance(text))
    window.close()


def test_the_window_fits_a_1024_pixel_screen_with_the_whole_model_bar(qtbot):
    """The model bar's row made the window at least 1,158 pixels wide: on a 1024-pixel screen it overflowed."""
    from workbench.core.loading import LoadProgress

    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    assert window.minimumSizeHint().width() <= 1024
    window.resize(1024, 700)
    window.show()
    picker = window.model_picker
    picker.set_loading(LoadProgress("Loading weights", 0.42, 12.0))
    qtbot.waitUntil(lambda: picker.progress_bar.width() >= 80)
    for widget in (picker.load_button, picker.cancel_button, picker.progress_bar):
        right = widget.mapTo(window, widget.rect().topRight()).x()
        assert widget.isVisible() and right < window.width(), widget
    assert picker.progress_bar.width() >= 80 and "Loading weights" in picker.stage_label.toolTip()
    window.close()


def test_a_search_that_matches_nothing_loads_nothing_and_says_so(qtbot):
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    picker = window.model_picker
    chosen = picker.combo.currentText()
    requested = []
    picker.load_requested.connect(lambda entry, settings: requested.append(entry))
    picker.combo.lineEdit().setText("zzz-not-a-model")
    with qtbot.waitSignal(picker.message) as said:
        picker.load_button.click()
    assert requested == [] and "No model in the list matches “zzz-not-a-model”" in said.args[0]
    picker.combo.lineEdit().setText(chosen)  # the choice's own name loads it
    picker.load_button.click()
    assert len(requested) == 1


def test_a_hub_id_that_fails_to_load_leaves_the_list(qtbot):
    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    picker = window.model_picker
    listed = set(picker._entries)
    with qtbot.waitSignal(window.loader.failed, timeout=20_000) as failed:
        picker.open_reference("nobody-here/no-such-model-xyz")
    assert "nobody-here/no-such-model-xyz" in failed.args[0]
    assert set(picker._entries) == listed  # it would only fail again
    assert window.banner.isVisibleTo(window) and "no-such-model-xyz" in window.banner.label.text()


def test_the_model_box_keeps_the_name_in_view_while_it_narrows_for_a_load(qtbot):
    from workbench.core.loading import LoadProgress

    window = MainWindow(AppState(Catalog()))
    qtbot.addWidget(window)
    line = window.model_picker.combo.lineEdit()
    line.setCursorPosition(len(line.text()))  # where typing or Qt leaves it: the end of the label in view
    window.model_picker.set_loading(LoadProgress("Checking the GGUF file", 0.0))
    assert line.cursorPosition() == 0  # the start, the model's name, is what says which model it is
    window.close()


def test_load_stays_under_the_mouse_when_a_load_begins(qtbot):
    """The progress used to be inserted beside the loaded model's name: the list narrowed and Load jumped ~400 px,
    so a second click landed on the Dtype box."""
    from workbench.core.loading import LoadProgress

    window = _on_a_laptop_screen(qtbot)
    picker = window.model_picker
    qtbot.wait(50)
    before = (picker.load_button.x(), picker.combo.width())
    picker.set_loading(LoadProgress("Reading the weights", 0.4, 12.0))
    qtbot.wait(50)
    assert (picker.load_button.x(), picker.combo.width()) == before and picker.progress_bar.isVisibleTo(window)
    picker.set_idle()
    qtbot.wait(50)
    assert (picker.load_button.x(), picker.combo.width()) == before and picker.loaded_label.isVisibleTo(window)
    window.close()


@pytest.mark.parametrize("language", ["en", CHINESE])
def test_every_stage_of_a_packaged_models_load_reads_whole_on_a_laptop_screen(qtbot, qapp, language):
    """The stage had 120 px ("Reading the confi…") while the model list took 530 at 1366 and 1084 at 1920."""
    from workbench.core.loading import FOLDER_LOAD_STAGES, LoadProgress
    from workbench.qt.common.language import translated

    installed = install_language(qapp, language) if language == CHINESE else []
    window = _on_a_laptop_screen(qtbot)
    picker = window.model_picker
    try:
        widths = set()
        for stage in FOLDER_LOAD_STAGES:
            picker.set_loading(LoadProgress(stage, 0.5, 3.0))
            qtbot.wait(50)
            text = translated(stage)
            assert picker.stage_label.width() >= picker.stage_label.fontMetrics().horizontalAdvance(text), text
            widths.add((picker.stage_label.width(), picker.load_button.x()))
        assert len(widths) == 1  # one width through the load: nothing slides as the stages change
    finally:
        window.close()
        for translator in installed:
            QCoreApplication.removeTranslator(translator)


def test_the_model_boxs_text_ends_in_an_ellipsis_while_it_is_not_typed_into(qtbot):
    """The chosen model's whole label ("… · packaged, installed") was cut mid-word at the box's edge."""
    from PySide6.QtGui import QPaintEvent
    from PySide6.QtWidgets import QLineEdit

    from workbench.qt.common.eliding_combo import ElidedWhileIdle

    elider = ElidedWhileIdle()

    def drawn(text: str, elided: bool):
        field = QLineEdit(text)
        qtbot.addWidget(field)
        field.setFrame(False)  # as in an editable combo box
        field.resize(120, 24)
        field.setCursorPosition(0)
        if elided:
            field.installEventFilter(elider)
        return field, field.grab().toImage()

    long_text = "SmolLM2-135M-Instruct — llama · 135M params · packaged, installed"
    assert drawn(long_text, True)[1] != drawn(long_text, False)[1]  # "…" at the end instead of a cut word
    assert drawn("Gemma 3", True)[1] == drawn("Gemma 3", False)[1]  # a text that fits is QLineEdit's own
    field, _ = drawn(long_text, True)
    field.show()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)  # typed into: QLineEdit draws the whole text, to search or edit
    assert not elider.eventFilter(field, QPaintEvent(field.rect()))
    field.clearFocus()
    assert elider.eventFilter(field, QPaintEvent(field.rect()))
