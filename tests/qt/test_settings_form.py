"""Forms built from the settings' field descriptions: a control per field, its help as tooltip,
values read back unchanged, and the decoding panel's mode switch."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QSettings, Qt

from workbench.core.decoding import MODE_DEFAULTS, PRESETS, DecodingSettings
from workbench.core.genlab.settings import GenLabSettings
from workbench.core.settings_fields import described_fields
from workbench.core.training.settings import TrainSettings
from workbench.qt.common.settings_form import SettingsForm
from workbench.qt.compare.column import DecodingDialog
from workbench.qt.generation.decoding_panel import DecodingPanel


@pytest.fixture
def decoding_panel(qtbot, tmp_path):
    panel = DecodingPanel(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(panel)
    return panel


@pytest.mark.parametrize("settings_class", [DecodingSettings, TrainSettings, GenLabSettings], ids=lambda c: c.__name__)
def test_every_field_gets_a_control_with_its_help_and_default(qtbot, settings_class):
    names = [field.name for field in described_fields(settings_class)]
    form = SettingsForm(settings_class, names, sliders=settings_class is DecodingSettings)
    qtbot.addWidget(form)
    for field in described_fields(settings_class):
        control = form.control(field.name)
        tooltip = control.toolTip() or control.parentWidget().toolTip()
        assert tooltip.startswith(field.info.help), field.name  # an order list adds how to move its rows
        # None with no special text to show it (the decoding seed) needs a panel's own control: the seed lock.
        shows_default = field.default is not None or field.info.special or field.value_type is str
        if field.default is not dataclasses.MISSING and shows_default:
            assert form.values()[field.name] == field.default, field.name


def test_decoding_panel_reads_back_what_it_shows(decoding_panel):
    for settings in (*PRESETS.values(), DecodingSettings(seed=7, stop_strings=("END", "###"))):
        decoding_panel.set_settings(settings)
        assert decoding_panel.settings() == settings


def test_switching_to_greedy_leaves_the_sampling_repetition_penalty_behind(decoding_panel):
    decoding_panel.set_settings(PRESETS["Balanced"])
    decoding_panel.mode_combo.setCurrentIndex(decoding_panel.mode_combo.findData("greedy"))
    assert decoding_panel.settings() == PRESETS["Greedy"]
    assert decoding_panel.preset_combo.currentData() == "Greedy"

    decoding_panel.set_settings(dataclasses.replace(PRESETS["Balanced"], repetition_penalty=1.3))
    decoding_panel.mode_combo.setCurrentIndex(decoding_panel.mode_combo.findData("beam"))
    assert decoding_panel.settings().mode == "beam"
    assert decoding_panel.settings().repetition_penalty == 1.3  # chosen by the person: it stays


@pytest.fixture(params=["Generate page", "Compare column"])
def decoding_form(request, qtbot, decoding_panel):
    """The Generate page's panel, or a Compare column's dialog: both follow the mode the same way."""
    if request.param == "Generate page":
        return decoding_panel
    dialog = DecodingDialog(PRESETS["Balanced"])
    qtbot.addWidget(dialog)
    return dialog


def test_a_mode_switch_leaves_the_presets_filters_behind_and_disables_unused_knobs(decoding_form):
    decoding_form.set_settings(dataclasses.replace(PRESETS["Beam search"], max_new_tokens=30))
    mode = decoding_form.mode_rules.mode_combo
    mode.setCurrentIndex(mode.findData("greedy"))
    assert decoding_form.settings() == dataclasses.replace(PRESETS["Greedy"], max_new_tokens=30)
    knobs = decoding_form.form
    assert not any(knobs.control(name).isEnabled() for name in ("temperature", "top_k", "top_p", "num_beams"))
    mode.setCurrentIndex(mode.findData("beam"))
    assert decoding_form.settings() == dataclasses.replace(PRESETS["Beam search"], max_new_tokens=30)
    assert knobs.control("num_beams").isEnabled() and not knobs.control("temperature").isEnabled()
    mode.setCurrentIndex(mode.findData("sample"))
    assert knobs.control("temperature").isEnabled() and not knobs.control("num_beams").isEnabled()


def test_the_seed_can_be_set_only_where_something_is_drawn(decoding_panel):
    for mode, drawn in (("greedy", False), ("beam", False), ("sample", True)):
        decoding_panel.mode_combo.setCurrentIndex(decoding_panel.mode_combo.findData(mode))
        assert decoding_panel.seed_spin.isEnabled() == decoding_panel.seed_lock.isEnabled() == drawn, mode
    # Its range and tooltip are the seed setting's own, as a Compare column's are.
    from workbench.core.decoding import MAX_SEED
    from workbench.core.settings_fields import described_field

    help_text = described_field(DecodingSettings, "seed").info.help
    assert (decoding_panel.seed_spin.minimum(), decoding_panel.seed_spin.maximum()) == (0, MAX_SEED)
    assert decoding_panel.seed_spin.toolTip() == help_text


def test_the_panel_starts_on_what_the_cli_samples_with_and_a_mode_round_trip_changes_nothing(decoding_panel):
    assert decoding_panel.settings() == MODE_DEFAULTS["sample"]
    assert decoding_panel.preset_combo.currentData() == "Balanced"  # not "Custom"
    mine = dataclasses.replace(MODE_DEFAULTS["sample"], repetition_penalty=1.0, top_k=20)
    decoding_panel.set_settings(mine)
    for mode in ("greedy", "sample", "beam", "sample"):
        decoding_panel.mode_combo.setCurrentIndex(decoding_panel.mode_combo.findData(mode))
    assert decoding_panel.settings() == mine
    decoding_panel.set_settings(PRESETS["Creative"])
    decoding_panel.reset_button.click()
    assert decoding_panel.settings() == MODE_DEFAULTS["sample"]


def test_problems_are_shown_as_the_settings_word_them(decoding_panel):
    decoding_panel.set_settings(DecodingSettings(mode="beam", num_beams=1))
    assert decoding_panel.problems_label.text() == "⚠ Beam search needs at least 2 beams."


def test_training_form_words_the_missing_base_model_for_the_panel(qtbot, tmp_path):
    from workbench.qt.training.form import TrainingForm

    form = TrainingForm()
    qtbot.addWidget(form)
    corpus = tmp_path / "c.txt"
    corpus.write_text("some text to learn from\n" * 20, encoding="utf-8")
    form.set_values(corpus=str(corpus), arch="finetune")
    problems = form.problems()
    assert problems == ["Load a model first: fine-tuning continues training the loaded model."]
    form.set_base_model("tiny", "Tiny")
    assert form.problems() == [] and form.settings().base_model == "tiny"


def test_training_form_says_before_start_that_a_context_is_longer_than_the_validation_text(qtbot):
    """Context length 4096 on the Tang poems let Start through; the run then refused with words that blamed both
    parts of the corpus."""
    from workbench.core.resources import sample_corpus
    from workbench.qt.training.form import TrainingForm

    form = TrainingForm()
    qtbot.addWidget(form)
    form.use_sample_corpus()
    characters = len(sample_corpus().read_text(encoding="utf-8"))
    val_tokens = characters - int(characters * (1 - form.settings().val_fraction))
    assert form.problems() == []
    form.set_values(block_size=4096)
    assert form.problems() == [
        f"The validation part of the corpus is too short: {val_tokens} of its {characters} tokens, and it needs more "
        "than block size + 1 = 4097. Use more text, a smaller block size or a larger validation fraction."]
    form.set_values(tokenizer="bpe")  # tokens unknown until the tokenizer is learnt: the run says it
    assert form.problems() == []


def test_training_form_says_before_start_what_is_wrong_with_the_tensorboard_folder(qtbot, tmp_path):
    """A TensorBoard "folder" that was a file let Start through, and the run then said "File exists"."""
    from workbench.qt.training.form import TrainingForm

    form = TrainingForm()
    qtbot.addWidget(form)
    form.use_sample_corpus()
    out = tmp_path / "run"
    form.set_values(out_dir=str(out))
    (tmp_path / "events").write_text("", encoding="utf-8")
    form.set_values(tensorboard=str(tmp_path / "events"))
    assert form.problems() == [f"{tmp_path / 'events'} is a file, not a folder: choose a folder for the results."]
    form.set_values(tensorboard=str(out / "checkpoint"))
    assert form.problems() == [f"The TensorBoard folder {out / 'checkpoint'} is inside the run's checkpoint folder, "
                               "which the run replaces as it saves: choose a folder outside it (the run's own folder "
                               "will do)."]
    form.set_values(tensorboard=str(out))
    assert form.problems() == []


def test_an_output_folder_typed_as_a_name_alone_is_made_among_the_trained_models(qtbot, monkeypatch, tmp_path):
    """It was made in the folder the window was started from (the home folder, or / from a desktop launcher)."""
    from workbench.core import paths
    from workbench.qt.training.form import TrainingForm

    monkeypatch.chdir(tmp_path)
    form = TrainingForm()
    qtbot.addWidget(form)
    form.use_sample_corpus()
    form.out_dir_edit.setText("poems-2")
    assert form.settings().out_dir == str(paths.trained_models_dir() / "poems-2")
    form.out_dir_edit.setText(str(tmp_path / "poems-3"))  # a whole path stays as typed
    assert form.settings().out_dir == str(tmp_path / "poems-3")
    assert str(paths.trained_models_dir()) in form.out_dir_edit.toolTip()


def test_the_sampler_order_is_a_list_to_drag_and_reads_back_in_its_new_order(qtbot):
    from PySide6.QtWidgets import QListWidget

    from workbench.core.decoding import SAMPLER_STAGES

    form = SettingsForm(DecodingSettings, ["sampler_order"])
    qtbot.addWidget(form)
    listing = form.control("sampler_order")
    assert isinstance(listing, QListWidget) and listing.count() == len(SAMPLER_STAGES)
    assert listing.item(3).text() == "Temperature"
    # Drag temperature to the end, as a person would: the model moves the row.
    with qtbot.waitSignal(form.changed):
        listing.model().moveRow(listing.model().index(3, 0).parent(), 3, listing.model().index(3, 0).parent(), 8)
    order = form.values()["sampler_order"]
    assert order[-1] == "temperature" and sorted(order) == sorted(SAMPLER_STAGES)
    assert DecodingSettings(sampler_order=order).problems() == []
    form.set_values({"sampler_order": tuple(reversed(SAMPLER_STAGES))})
    assert form.values()["sampler_order"] == tuple(reversed(SAMPLER_STAGES))


def _wheel_down(widget) -> bool:
    """A wheel notch over ``widget``; whether the widget took it (an ignored one goes on to the parents when it
    comes from the mouse, so the scroll area scrolls; one sent by a program goes no further)."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_the_wheel_passes_over_the_decoding_controls_until_one_is_clicked_into(qtbot, decoding_panel):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QComboBox

    decoding_panel.show()
    qtbot.waitExposed(decoding_panel)
    before = decoding_panel.settings()
    slider = decoding_panel.form.control("top_k").findChild(QAbstractSlider)
    decimal = decoding_panel.form.control("temperature").findChild(QAbstractSlider)
    for widget in (slider, decimal, decoding_panel.preset_combo, decoding_panel.form.control("mode"),
                   decoding_panel.seed_spin):
        assert isinstance(widget, (QAbstractSlider, QAbstractSpinBox, QComboBox))
        assert not _wheel_down(widget), type(widget)  # left to the scroll area
        assert decoding_panel.settings() == before, type(widget)
    # The focus alone does not arm a control: Tab gives it, and so does a run button that is disabled while it
    # had the focus (Regenerate hands it to the seed), without the person choosing that control.
    seed = decoding_panel.seed_spin
    seed.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(seed.hasFocus)
    assert not _wheel_down(seed) and decoding_panel.settings() == before
    qtbot.mouseClick(seed.lineEdit(), Qt.MouseButton.LeftButton)  # clicked into: the wheel is the seed's
    assert _wheel_down(seed)
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(2, slider.height() // 2))
    qtbot.waitUntil(slider.hasFocus)
    assert _wheel_down(slider)
    assert decoding_panel.settings().top_k != before.top_k
    assert not _wheel_down(seed)  # it lost the focus: clicked into again before the wheel moves it
    # The wheel over the panel elsewhere scrolls it: the slider it brings under the pointer lets the wheel pass.
    _wheel_down(decoding_panel)
    top_k = decoding_panel.settings().top_k
    assert slider.hasFocus() and not _wheel_down(slider) and decoding_panel.settings().top_k == top_k


def test_the_training_form_names_each_group_once(qtbot):
    from PySide6.QtWidgets import QGroupBox
    from superqt import QCollapsible

    from workbench.qt.training.form import TrainingForm

    form = TrainingForm()
    qtbot.addWidget(form)
    titles = [box.title() for box in form.findChildren(QGroupBox)] + [
        section.text() for section in form.findChildren(QCollapsible)]
    assert "Output folder" in titles and "Logging" in titles
    assert len(titles) == len(set(titles)), titles


def test_hand_edited_user_presets_that_cannot_be_read_are_skipped_and_the_panel_opens(qtbot):
    """workbench.ini edited by hand: a preset that is not settings, or has a value out of its bounds, is left out."""
    import json

    from workbench.qt.common.settings_store import app_settings
    from workbench.qt.generation.decoding_panel import _USER_PRESETS_KEY, DecodingPanel

    store = app_settings()
    store.setValue(_USER_PRESETS_KEY, json.dumps(
        {"number": 5, "hot": {"temperature": "hot"}, "cold": {"mode": "sample", "temperature": 0.2}}))
    panel = DecodingPanel(store)
    qtbot.addWidget(panel)
    names = [panel.preset_combo.itemData(index) for index in range(panel.preset_combo.count())]
    assert "cold" in names and "number" not in names and "hot" not in names


def test_a_preset_named_like_a_built_in_one_is_refused_an_own_one_replaced_on_yes_and_deleted(qtbot, monkeypatch):
    """Saving as "Greedy" did nothing without a word, an own name was replaced unasked, and none could be deleted."""
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from workbench.qt.common.settings_store import app_settings
    from workbench.qt.generation.decoding_panel import DecodingPanel

    panel = DecodingPanel(app_settings())
    qtbot.addWidget(panel)
    said, answers = [], []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: said.append(args[2]))
    monkeypatch.setattr(QMessageBox, "question", lambda *args: answers.pop(0))
    names = iter(["Greedy", "mine", "mine"])
    monkeypatch.setattr(QInputDialog, "getText", lambda *args: (next(names), True))

    def listed() -> list:
        return [panel.preset_combo.itemData(index) for index in range(panel.preset_combo.count())]

    panel.save_preset_button.click()
    assert said == ["“Greedy” is a built-in preset's name: choose another."] and listed().count("Greedy") == 1
    panel.save_preset_button.click()
    assert "mine" in listed()
    kept = panel._user_presets()["mine"]
    panel.form.control("temperature").setValue(1.3)
    answers.append(QMessageBox.StandardButton.No)
    panel.save_preset_button.click()  # "mine" again: asked, and No keeps the old one
    assert panel._user_presets()["mine"] == kept
    panel.delete_preset("mine")
    assert "mine" not in listed() and "mine" not in panel._user_presets()


def test_the_sampler_order_moves_with_alt_and_the_arrow_keys(qtbot, decoding_panel):
    """It could only be dragged, and the tooltip saying so was hidden under the setting's help."""
    from PySide6.QtCore import Qt

    listing = decoding_panel.form.control("sampler_order")
    first, second = decoding_panel.settings().sampler_order[:2]
    listing.setCurrentRow(0)
    qtbot.keyClick(listing, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert decoding_panel.settings().sampler_order[:2] == (second, first)
    assert listing.currentRow() == 1 and "Alt+Up and Alt+Down" in listing.toolTip()


def test_a_decimal_slider_moves_with_the_keys_and_is_one_tab_stop(qtbot, decoding_panel):
    """superqt's float slider ignored the keys: Temperature and Top-p could not be changed without a mouse. And its
    labelled box took the focus before the slider, a Tab stop where the keys did nothing."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractSlider

    decoding_panel.show()
    qtbot.waitExposed(decoding_panel)
    temperature = decoding_panel.form.control("temperature")
    slider = temperature.findChild(QAbstractSlider)
    assert temperature.focusPolicy() == Qt.FocusPolicy.NoFocus and slider.focusPolicy() & Qt.FocusPolicy.TabFocus
    before = decoding_panel.settings().temperature
    slider.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(slider.hasFocus)
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert decoding_panel.settings().temperature == pytest.approx(before + 0.01)
    qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    assert decoding_panel.settings().temperature == pytest.approx(before + 0.01 - slider.pageStep())
    qtbot.keyClick(slider, Qt.Key.Key_End)
    assert decoding_panel.settings().temperature == pytest.approx(slider.maximum())


def test_the_slider_the_keyboard_is_on_is_ringed(qtbot):
    """Fusion only tints a focused slider's handle: among a panel of sliders, Tab's place was lost."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette

    from workbench.qt.common.sliders import LabeledDoubleSlider, LabeledSlider

    def ringed(slider) -> bool:
        image = slider.grab().toImage()
        middle = image.height() // 2 - 1  # the left edge, halfway down: away from the groove's ends and the handle
        return image.pixelColor(1, middle).rgb() == slider.palette().color(QPalette.ColorRole.Highlight).rgb()

    for kind in (LabeledDoubleSlider, LabeledSlider):
        labelled = kind(Qt.Orientation.Horizontal)
        qtbot.addWidget(labelled)
        labelled.show()
        slider = labelled._slider
        slider.clearFocus()
        assert not ringed(slider)
        slider.setFocus()
        qtbot.waitUntil(slider.hasFocus)
        assert ringed(slider), kind


def test_a_runs_own_values_read_back_as_they_were(qtbot):
    """Opening a run wrote its settings into the form, which changed them without a word: a learning rate of 3e-6
    rounded to 0.00000 read as "auto" (1e-3: the next Start trained 333 times faster), a final learning rate of 0
    read as "auto" too, and a context of 8192 past the suggested 4096 was clamped to it."""
    names = ["lr", "min_lr", "block_size", "max_iters", "batch_size", "n_embd"]
    form = SettingsForm(TrainSettings, names)
    qtbot.addWidget(form)
    runs_own = {"lr": 3e-6, "min_lr": 0.0, "block_size": 8192, "max_iters": 2_000_000, "batch_size": 2048,
                "n_embd": 4096}
    form.set_values(runs_own)
    assert form.values() == runs_own
    form.set_values({"lr": None, "min_lr": None})
    assert form.values()["lr"] is None and form.values()["min_lr"] is None
    assert form.control("min_lr").text() == "auto (lr ÷ 10)"
    form.set_value("min_lr", 0.0)
    assert form.values()["min_lr"] == 0.0 and form.control("min_lr").text() != "auto (lr ÷ 10)"
    # One step from 0 down is "auto", and one step up from "auto" is 0 again: no negative rates between.
    box = form.control("min_lr")
    box.stepDown()
    assert form.values()["min_lr"] is None
    box.stepUp()
    assert form.values()["min_lr"] == 0.0
    box.stepUp()
    assert form.values()["min_lr"] > 0


def test_a_small_learning_rate_typed_is_kept_and_shown_with_the_decimals_it_needs(qtbot):
    """With 5 decimals a typed 0.000002 was rounded to the box's minimum, 0, which reads as "auto": the run trained
    at 0.001, 500 times the rate typed, without a word."""
    form = SettingsForm(TrainSettings, ["lr", "min_lr", "dropout"])
    qtbot.addWidget(form)
    for name, typed, value in [("lr", "0.000002", 2e-6), ("lr", "0.0003", 3e-4), ("min_lr", "0.0000001", 1e-7)]:
        box = form.control(name)
        box.selectAll()
        qtbot.keyClicks(box, typed)
        qtbot.keyClick(box, Qt.Key.Key_Return)
        assert form.values()[name] == value, (name, typed)
    assert form.control("lr").text() == "0.00030"  # its 5 decimals where they are enough
    assert form.control("min_lr").text() == "0.0000001"
    form.set_value("dropout", 0.1)
    assert form.control("dropout").text() == "0.10"
    # The arrows step at the decimals shown (kept to 12, one step up from "auto" was a learning rate of 1e-12).
    form.set_values({"lr": None, "dropout": 0.0})
    form.control("lr").stepBy(1)
    form.control("dropout").stepBy(1)
    assert (form.values()["lr"], form.values()["dropout"]) == (0.00001, 0.01)


def test_stop_strings_can_be_a_new_line_or_a_space_written_with_escapes(qtbot):
    """The commonest stop string, a new line, could not be entered, and a typed space vanished: each line is now
    read with escapes (\\n, \\t, \\\\) and only empty lines are dropped."""
    form = SettingsForm(DecodingSettings, ["stop_strings"])
    qtbot.addWidget(form)
    edit = form.control("stop_strings")
    edit.setPlainText("\\n\\n\n \nEND\n\nC:\\\\temp\\tx\n\\section\n")
    assert form.values()["stop_strings"] == ("\n\n", " ", "END", "C:\\temp\tx", "\\section")  # \s is no escape
    stops = ("\n", "User:", " ", "a\\b", "\r\n")
    form.set_value("stop_strings", stops)
    assert edit.toPlainText() == "\\n\nUser:\n \na\\\\b\n\\r\\n"
    assert form.values()["stop_strings"] == stops
    assert "\\n" in edit.placeholderText()
