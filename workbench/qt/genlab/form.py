"""The lab's settings form, built from GenLabSettings' field descriptions: model, sizes, optimiser,
VAE/GAN knobs, seed, device, images."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget
from superqt.utils import signals_blocked

from workbench.core.genlab.data import image_folder_problem
from workbench.core.genlab.settings import GenLabSettings, uses_digits
from workbench.core.settings_fields import described_fields
from workbench.qt.common.settings_form import SettingsForm


class GenLabForm(QWidget):
    changed = Signal()  # any setting was edited

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings_form = SettingsForm(GenLabSettings, [field.name for field in described_fields(GenLabSettings)])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.settings_form)
        # The controls the panel and its tests reach directly.
        self.model_combo = self.settings_form.control("model")
        self.epochs = self.settings_form.control("epochs")
        self.hidden_dim = self.settings_form.control("hidden_dim")
        self.beta = self.settings_form.control("beta")
        self.label_smoothing = self.settings_form.control("label_smoothing")
        self.seed = self.settings_form.control("seed")
        self.device = self.settings_form.control("device")

        self.set_settings(GenLabSettings.for_model("vae"))
        self.model_combo.currentIndexChanged.connect(self._model_chosen)
        self.settings_form.changed.connect(self._on_changed)

    @property
    def model(self) -> str:
        return self.model_combo.currentData()

    def settings(self) -> GenLabSettings:
        return GenLabSettings(**self.settings_form.values())

    def set_settings(self, settings: GenLabSettings) -> None:
        with signals_blocked(self.settings_form):
            self.settings_form.set_values(dataclasses.asdict(settings))
        self._on_changed()

    def problems(self) -> list[str]:
        settings = self.settings()
        found: list[str] = list(settings.problems())
        if not uses_digits(settings.images):  # a folder: listed, not read, on every edit
            problem = image_folder_problem(settings.images)
            if problem is not None:
                found.append(problem)
        return found

    def _model_chosen(self) -> None:
        # Each model has its own tuned epochs, latent size and learning rate; the rest stays as typed.
        self.set_settings(self.settings().switched_to(self.model))

    def _on_changed(self) -> None:
        self.settings_form.hide_unused(self.settings().unused_settings())
        self.changed.emit()
