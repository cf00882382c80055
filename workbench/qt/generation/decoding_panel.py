"""Decoding controls: every DecodingSettings field as a labelled slider or box (built from the
field descriptions), presets, and the settings' own validation messages shown in place."""

from __future__ import annotations

import dataclasses
import json

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from workbench.core.decoding import MODE_DEFAULTS, PRESETS, DecodingSettings
from workbench.core.sessions import settings_from_dict, settings_to_dict
from workbench.core.settings_fields import described_fields, field_problems
from workbench.qt.common.language import translated
from workbench.qt.common.settings_form import SettingsForm, whole_number_box
from workbench.qt.common.settings_store import written
from workbench.qt.common.theme import warning_color
from workbench.qt.common.wheel_guard import scroll_past
from workbench.qt.generation.decoding_mode import DecodingModeRules

_USER_PRESETS_KEY = "decoding/user_presets"


class DecodingPanel(QWidget):
    """Shows one DecodingSettings and edits it. ``settings()`` reads the controls back;
    ``problems()`` says what is wrong with them (empty when they can be used)."""

    settings_changed = Signal()

    def __init__(self, store: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store

        self.preset_combo = QComboBox()
        self.preset_combo.setToolTip(
            self.tr("Ready-made settings. Your own presets are listed after the built-in ones; right-click to delete "
                    "the one shown.")
        )
        self.preset_combo.activated.connect(self._apply_chosen_preset)
        self.preset_combo.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.preset_combo.customContextMenuRequested.connect(self._offer_preset_deletion)
        self.save_preset_button = QPushButton(self.tr("Save…"))
        self.save_preset_button.setToolTip(self.tr("Save the current settings as a preset of your own."))
        self.save_preset_button.clicked.connect(self._ask_and_save_preset)
        self.reset_button = QPushButton(self.tr("Reset"))
        self.reset_button.setToolTip(self.tr("Put every setting back to its default."))
        self.reset_button.clicked.connect(lambda: self.set_settings(MODE_DEFAULTS["sample"]))
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel(self.tr("Preset")))
        preset_row.addWidget(self.preset_combo, 1)
        preset_row.addWidget(self.save_preset_button)
        preset_row.addWidget(self.reset_button)

        self.seed_spin = whole_number_box(DecodingSettings, "seed")
        self.seed_lock = QCheckBox(self.tr("Lock"))
        self.seed_lock.setToolTip(self.tr("Locked: every run uses this seed. Unlocked: each run draws a new seed "
                                          "(shown here afterwards, so you can lock it to repeat a run)."))
        self.seed_spin.valueChanged.connect(self._on_changed)
        self.seed_lock.toggled.connect(self._on_changed)
        seed_row = QWidget()
        seed_layout = QHBoxLayout(seed_row)
        seed_layout.setContentsMargins(0, 0, 0, 0)
        seed_layout.addWidget(self.seed_spin, 1)
        seed_layout.addWidget(self.seed_lock)

        self.form = SettingsForm(
            DecodingSettings, [field.name for field in described_fields(DecodingSettings)],
            custom={"seed": seed_row}, sliders=True, collapsible=True, collapsed=("Sampler order",),
        )
        self.form.changed.connect(self._on_changed)
        self.mode_rules = DecodingModeRules(
            self.form, self.settings, lambda settings: self.set_settings(settings, seed_locked=self.seed_locked),
            outside_form={"seed": seed_row})
        self.mode_combo = self.mode_rules.mode_combo

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(preset_row)
        layout.addWidget(self.form)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
        layout.addWidget(self.problems_label)
        layout.addStretch(1)
        scroll_past(self)  # the preset and the seed too, not only the form's controls

        self._reload_presets()
        self.set_settings(MODE_DEFAULTS["sample"])  # what `workbench generate` samples with

    # --- reading and writing ----------------------------------------------------------

    def settings(self) -> DecodingSettings:
        seed = self.seed_spin.value() if self.seed_lock.isChecked() else None
        return DecodingSettings(seed=seed, **self.form.values())

    def set_settings(self, settings: DecodingSettings, seed_locked: bool | None = None) -> None:
        self.mode_rules.shown(settings)
        with signals_blocked(self.form):
            self.form.set_values(dataclasses.asdict(settings))
        if settings.seed is not None:
            self._show_seed(settings.seed)
        with signals_blocked(self.seed_lock):
            self.seed_lock.setChecked(settings.seed is not None if seed_locked is None else seed_locked)
        self._on_changed()

    def show_used_seed(self, seed: int | None) -> None:
        """After an unlocked run, show the seed it drew so it can be locked to repeat the run."""
        if seed is not None and not self.seed_lock.isChecked():
            self._show_seed(seed)

    def _show_seed(self, seed: int) -> None:
        # Its line edit's signals too: superqt's spin box answers its own text change by taking the focus, so a
        # seed shown after each run would pull the focus into the seed box (and the next keystroke or notch).
        with signals_blocked(self.seed_spin), signals_blocked(self.seed_spin.lineEdit()):
            self.seed_spin.setValue(seed)

    @property
    def seed_locked(self) -> bool:
        return self.seed_lock.isChecked()

    def problems(self) -> list[str]:
        return self.settings().problems()

    def _on_changed(self, *_args) -> None:
        settings = self.settings()
        self.mode_rules.enable_knobs(settings)  # greedy and beam search draw nothing: no seed to set either
        found = settings.problems()
        self.problems_label.setText("\n".join(f"⚠ {translated(problem)}" for problem in found))
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
                settings = settings_from_dict(data)
            except (TypeError, AttributeError):  # from an incompatible version, or hand-edited into another shape
                continue
            if isinstance(name, str) and not field_problems(settings):  # a value out of its bounds: skipped too
                presets[name] = settings
        return presets

    def _reload_presets(self) -> None:
        with signals_blocked(self.preset_combo):
            self.preset_combo.clear()
            self.preset_combo.addItem(self.tr("Custom"), None)
            for name in self._all_presets():
                self.preset_combo.addItem(translated(name), name)  # a built-in name is a Text, a person's is not

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

    def save_preset(self, name: str) -> bool:
        """Keep the current settings as preset ``name``; False when the settings file cannot be written."""
        presets = self._user_presets()
        presets[name] = settings_to_dict(dataclasses.replace(self.settings(), seed=None))
        self._store.setValue(_USER_PRESETS_KEY, json.dumps(presets))
        self._reload_presets()
        self._show_matching_preset(self.settings())
        return written(self._store)

    def _ask_and_save_preset(self) -> None:
        name, accepted = QInputDialog.getText(self, self.tr("Save preset"), self.tr("Name of the preset:"))
        name = name.strip()
        if not (accepted and name):
            return
        if name in PRESETS or name in {translated(built_in) for built_in in PRESETS}:  # "贪心" is Greedy too
            QMessageBox.information(self, self.tr("Save preset"), self.tr(
                "“{0}” is a built-in preset's name: choose another.").format(name))
            return
        if name in self._user_presets() and QMessageBox.question(
                self, self.tr("Save preset"), self.tr("Replace your preset “{0}” with these settings?").format(name),
        ) != QMessageBox.StandardButton.Yes:
            return
        if not self.save_preset(name):
            QMessageBox.warning(self, self.tr("Preset not kept"), self.tr(
                "{0} cannot be written: the preset lasts until the window closes. Make the file writable, or move "
                "the settings with WORKBENCH_CONFIG_DIR.").format(self._store.fileName()))

    def delete_preset(self, name: str) -> None:
        presets = self._user_presets()
        presets.pop(name, None)
        self._store.setValue(_USER_PRESETS_KEY, json.dumps(presets))
        written(self._store)
        self._reload_presets()
        self._show_matching_preset(self.settings())

    def _offer_preset_deletion(self, position) -> None:
        name = self.preset_combo.currentData()
        if name is None or name in PRESETS:  # Custom, or a built-in one: nothing of the person's to delete
            return
        menu = QMenu(self)
        menu.addAction(self.tr("Delete preset “{0}”").format(name), lambda: self.delete_preset(name))
        menu.exec(self.preset_combo.mapToGlobal(position))
