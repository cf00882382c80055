"""Decoding controls: every DecodingSettings field as a labelled slider or box, presets,
and the settings' own validation messages shown in place."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible, QLabeledDoubleSlider, QLabeledSlider, QLargeIntSpinBox
from superqt.utils import signals_blocked

from workbench.core.decoding import MAX_SEED, MODES, PRESETS, DecodingSettings
from workbench.core.sessions import settings_from_dict, settings_to_dict
from workbench.qt.common.theme import warning_color

_USER_PRESETS_KEY = "decoding/user_presets"


@dataclass(frozen=True)
class _Knob:
    """One numeric setting: its slider range and what it does, in plain words."""

    field: str
    label: str
    minimum: float
    maximum: float
    decimals: int  # 0: a whole-number slider
    tooltip: str
    section: str


_KNOBS = (
    _Knob("temperature", "Temperature", 0.05, 2.0, 2, "Divides the scores before they become probabilities. "
          "Below 1 the likeliest tokens get even likelier (safer text); above 1 the distribution flattens "
          "and unlikely tokens are picked more often (wilder text).", "Sampling"),
    _Knob("top_k", "Top-k", 0, 200, 0, "Keep only the k likeliest next tokens and share the probability "
          "among them. 0 turns this filter off.", "Sampling"),
    _Knob("top_p", "Top-p", 0.01, 1.0, 2, "Nucleus sampling: keep the smallest set of likeliest tokens whose "
          "probabilities add up to p, drop the long tail. 1 turns it off.", "Sampling"),
    _Knob("min_p", "Min-p", 0.0, 1.0, 2, "Drop every token less likely than this fraction of the top token's "
          "probability: strict when the model is sure, loose when it is not. 0 turns it off.", "Sampling"),
    _Knob("typical_p", "Typical-p", 0.01, 1.0, 2, "Keep tokens whose surprise is close to the average surprise "
          "of the distribution, up to this much probability. 1 turns it off.", "Sampling"),
    _Knob("repetition_penalty", "Repetition penalty", 0.5, 2.0, 2, "Makes every token already in the text "
          "less likely (above 1) or more likely (below 1). 1 turns it off.", "Repetition"),
    _Knob("no_repeat_ngram_size", "No-repeat n-gram", 0, 10, 0, "Forbids any run of this many tokens from "
          "appearing twice. 0 turns it off.", "Repetition"),
    _Knob("max_new_tokens", "Max new tokens", 1, 2048, 0, "Generation stops after this many new tokens.", "Length"),
    _Knob("min_new_tokens", "Min new tokens", 0, 2048, 0, "The end-of-text token is forbidden until this many "
          "new tokens have been generated.", "Length"),
    _Knob("num_return_sequences", "Return sequences", 1, 8, 0, "How many separate answers to produce from the "
          "same prompt; each gets its own tab.", "Beams and answers"),
    _Knob("num_beams", "Beams", 1, 16, 0, "Beam search keeps this many candidate continuations at every step "
          "and returns the ones with the best total probability.", "Beams and answers"),
)
_SAMPLING_ONLY = {"temperature", "top_k", "top_p", "min_p", "typical_p"}
_MODE_TIPS = {
    "greedy": "Greedy: always take the single likeliest token. Same prompt, same answer.",
    "sample": "Sample: draw the next token at random from the filtered distribution below.",
    "beam": "Beam search: follow several candidate texts at once and keep the likeliest whole sequences.",
}


class DecodingPanel(QWidget):
    """Shows one DecodingSettings and edits it. ``settings()`` reads the controls back;
    ``problems()`` says what is wrong with them (empty when they can be used)."""

    settings_changed = Signal()

    def __init__(self, store: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._knobs: dict[str, QLabeledSlider | QLabeledDoubleSlider] = {}

        self.preset_combo = QComboBox()
        self.preset_combo.setToolTip(self.tr("Ready-made settings. Your own presets are listed after the built-in ones."))
        self.preset_combo.activated.connect(self._apply_chosen_preset)
        self.save_preset_button = QPushButton(self.tr("Save…"))
        self.save_preset_button.setToolTip(self.tr("Save the current settings as a preset of your own."))
        self.save_preset_button.clicked.connect(self._ask_and_save_preset)
        self.reset_button = QPushButton(self.tr("Reset"))
        self.reset_button.setToolTip(self.tr("Put every setting back to its default."))
        self.reset_button.clicked.connect(lambda: self.set_settings(DecodingSettings()))
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel(self.tr("Preset")))
        preset_row.addWidget(self.preset_combo, 1)
        preset_row.addWidget(self.save_preset_button)
        preset_row.addWidget(self.reset_button)

        self.mode_combo = QComboBox()
        for mode in MODES:
            self.mode_combo.addItem({"greedy": self.tr("Greedy"), "sample": self.tr("Sample"),
                                     "beam": self.tr("Beam search")}[mode], mode)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, self.tr(_MODE_TIPS[mode]), Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.setToolTip(self.tr("How the next token is chosen from the model's probabilities."))
        self.mode_combo.currentIndexChanged.connect(self._on_changed)
        mode_row = QFormLayout()
        mode_row.addRow(self.tr("Mode"), self.mode_combo)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(preset_row)
        layout.addLayout(mode_row)
        sections: dict[str, QFormLayout] = {}
        for knob in _KNOBS:
            if knob.section not in sections:
                sections[knob.section] = self._add_section(layout, self.tr(knob.section))
            sections[knob.section].addRow(self._make_knob(knob))

        seed_form = self._add_section(layout, self.tr("Seed and stop strings"))
        self.seed_spin = QLargeIntSpinBox()  # seeds go up to 2**32 - 1, past a QSpinBox's C int
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setToolTip(self.tr("Where the random number generator starts. With the seed locked, "
                                          "the same prompt and settings sample the same text again."))
        self.seed_lock = QCheckBox(self.tr("Lock"))
        self.seed_lock.setToolTip(self.tr("Locked: every run uses this seed. Unlocked: each run draws a new seed "
                                          "(shown here afterwards, so you can lock it to repeat a run)."))
        self.seed_spin.valueChanged.connect(self._on_changed)
        self.seed_lock.toggled.connect(self._on_changed)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.seed_lock)
        seed_form.addRow(self.tr("Seed"), seed_row)
        self.stop_edit = QPlainTextEdit()
        self.stop_edit.setPlaceholderText(self.tr("one per line"))
        self.stop_edit.setToolTip(self.tr("Generation stops as soon as the output contains one of these strings "
                                          "(one per line); the stop string itself is cut off."))
        self.stop_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.stop_edit.textChanged.connect(self._on_changed)
        seed_form.addRow(self.tr("Stop strings"), self.stop_edit)

        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
        layout.addWidget(self.problems_label)
        layout.addStretch(1)

        self._reload_presets()
        self.set_settings(DecodingSettings())

    # --- building ------------------------------------------------------------------

    def _add_section(self, layout: QVBoxLayout, title: str) -> QFormLayout:
        section = QCollapsible(title)
        body = QWidget()
        form = QFormLayout(body)
        form.setContentsMargins(4, 0, 0, 0)
        section.addWidget(body)
        section.expand(animate=False)
        layout.addWidget(section)
        return form

    def _make_knob(self, knob: _Knob) -> QWidget:
        if knob.decimals:
            slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
            slider.setDecimals(knob.decimals)
            slider.setSingleStep(10 ** -knob.decimals)
        else:
            slider = QLabeledSlider(Qt.Orientation.Horizontal)
        slider.setRange(knob.minimum, knob.maximum)
        slider.setToolTip(self.tr(knob.tooltip))
        slider.valueChanged.connect(self._on_changed)
        self._knobs[knob.field] = slider
        row = QWidget()
        row_layout = QVBoxLayout(row)
        row_layout.setContentsMargins(0, 2, 0, 2)
        row_layout.setSpacing(0)
        label = QLabel(self.tr(knob.label))
        label.setToolTip(self.tr(knob.tooltip))
        row_layout.addWidget(label)
        row_layout.addWidget(slider)
        return row

    # --- reading and writing ----------------------------------------------------------

    def settings(self) -> DecodingSettings:
        values = {
            name: (round(slider.value(), 4) if isinstance(slider, QLabeledDoubleSlider) else int(slider.value()))
            for name, slider in self._knobs.items()
        }
        stops = tuple(line for line in self.stop_edit.toPlainText().split("\n") if line)
        return DecodingSettings(
            mode=self.mode_combo.currentData(),
            seed=self.seed_spin.value() if self.seed_lock.isChecked() else None,
            stop_strings=stops,
            **values,
        )

    def set_settings(self, settings: DecodingSettings, seed_locked: bool | None = None) -> None:
        with signals_blocked(self.mode_combo):
            self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(settings.mode)))
        for name, slider in self._knobs.items():
            with signals_blocked(slider):
                slider.setValue(getattr(settings, name))
        with signals_blocked(self.seed_spin), signals_blocked(self.seed_lock):
            if settings.seed is not None:
                self.seed_spin.setValue(settings.seed)
            self.seed_lock.setChecked(settings.seed is not None if seed_locked is None else seed_locked)
        with signals_blocked(self.stop_edit):
            self.stop_edit.setPlainText("\n".join(settings.stop_strings))
        self._on_changed()

    def show_used_seed(self, seed: int | None) -> None:
        """After an unlocked run, show the seed it drew so it can be locked to repeat the run."""
        if seed is not None and not self.seed_lock.isChecked():
            with signals_blocked(self.seed_spin):
                self.seed_spin.setValue(seed)

    @property
    def seed_locked(self) -> bool:
        return self.seed_lock.isChecked()

    def problems(self) -> list[str]:
        return self.settings().problems()

    def _on_changed(self, *_args) -> None:
        settings = self.settings()
        sampling = settings.mode == "sample"
        for name in _SAMPLING_ONLY:
            self._knobs[name].setEnabled(sampling)
        self._knobs["num_beams"].setEnabled(settings.mode == "beam")
        found = settings.problems()
        self.problems_label.setText("\n".join(f"⚠ {problem[0].upper()}{problem[1:]}." for problem in found))
        self.problems_label.setVisible(bool(found))
        self._show_matching_preset(settings)
        self.settings_changed.emit()

    # --- presets --------------------------------------------------------------------

    def _user_presets(self) -> dict[str, dict]:
        try:
            stored = json.loads(self._store.value(_USER_PRESETS_KEY, "{}"))
        except (TypeError, ValueError):
            return {}
        return stored if isinstance(stored, dict) else {}

    def _all_presets(self) -> dict[str, DecodingSettings]:
        presets = dict(PRESETS)
        for name, data in self._user_presets().items():
            try:
                presets[name] = settings_from_dict(data)
            except TypeError:
                continue  # a preset from an incompatible version is skipped, not fatal
        return presets

    def _reload_presets(self) -> None:
        with signals_blocked(self.preset_combo):
            self.preset_combo.clear()
            self.preset_combo.addItem(self.tr("Custom"), None)
            for name in self._all_presets():
                self.preset_combo.addItem(self.tr(name) if name in PRESETS else name, name)

    def _show_matching_preset(self, settings: DecodingSettings) -> None:
        comparable = dataclasses.replace(settings, seed=None)
        match = next((name for name, preset in self._all_presets().items() if preset == comparable), None)
        with signals_blocked(self.preset_combo):
            self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(match)) if match else 0)

    def _apply_chosen_preset(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name is not None:
            preset = self._all_presets()[name]
            self.set_settings(preset, seed_locked=self.seed_locked)

    def save_preset(self, name: str) -> None:
        presets = self._user_presets()
        presets[name] = settings_to_dict(dataclasses.replace(self.settings(), seed=None))
        self._store.setValue(_USER_PRESETS_KEY, json.dumps(presets))
        self._reload_presets()
        self._show_matching_preset(self.settings())

    def _ask_and_save_preset(self) -> None:
        name, accepted = QInputDialog.getText(self, self.tr("Save preset"), self.tr("Name of the preset:"))
        name = name.strip()
        if accepted and name and name not in PRESETS:
            self.save_preset(name)
