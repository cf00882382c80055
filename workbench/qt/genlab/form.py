"""The lab's settings form: model, sizes, optimiser, VAE/GAN knobs, seed, device, images."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from superqt.utils import signals_blocked

from workbench.core.devices import available_devices
from workbench.core.genlab.settings import GenLabSettings


class GenLabForm(QWidget):
    changed = Signal()  # any setting was edited

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_combo = QComboBox()
        self.model_combo.addItem(self.tr("VAE (variational autoencoder)"), "vae")
        self.model_combo.addItem(self.tr("GAN (generative adversarial network)"), "gan")
        self.model_combo.setToolTip(
            self.tr(
                "VAE: squeezes each image into a few numbers and learns to rebuild it.\n"
                "GAN: a generator learns to fool a discriminator that tells real images from made-up ones."
            )
        )
        self.epochs = self._int_box(1, 100_000, self.tr("Passes over all training images."))
        self.latent_dim = self._int_box(
            1, 1024, self.tr("How many numbers describe one image inside the model (the latent vector).")
        )
        self.hidden_dim = self._int_box(8, 8192, self.tr("Width of the hidden layers: bigger learns more, runs slower."))
        self.lr = self._float_box(0.00001, 1.0, 5, 0.0001, self.tr("Adam learning rate: the size of each update step."))
        self.batch_size = self._int_box(1, 4096, self.tr("Images per update step."))
        self.beta = self._float_box(
            0.0, 100.0, 2, 0.1,
            self.tr("Weight of the KL term. 1 is the textbook VAE; lower gives sharper reconstructions, "
                    "higher a smoother, more regular latent space."),
        )
        self.label_smoothing = self._float_box(
            0.0, 0.49, 2, 0.05,
            self.tr("The discriminator learns to call real images 1 minus this (0.1 -> 0.9), "
                    "which keeps it from getting overconfident. 0 turns it off."),
        )
        self.seed = self._int_box(0, 2**31 - 1, self.tr("Same seed and settings, same run: weights, batches and noise."))
        self.device = QComboBox()
        self.device.addItems(available_devices())
        self.device.setToolTip(self.tr("Where to train: auto picks a GPU when there is one."))
        self.images = QLineEdit()
        self.images.setPlaceholderText(self.tr("scikit-learn digits (8x8)"))
        self.images.setToolTip(
            self.tr("Leave empty for the handwritten digits, or pick a folder of images (turned gray and resized).")
        )
        browse = QPushButton(self.tr("Folder…"))
        browse.setToolTip(self.tr("Train on a folder of your own images instead of the digits."))
        browse.clicked.connect(self._choose_folder)
        self.image_size = self._int_box(4, 64, self.tr("Side in pixels that folder images are resized to."))
        images_row = QHBoxLayout()
        images_row.setContentsMargins(0, 0, 0, 0)
        images_row.addWidget(self.images, 1)
        images_row.addWidget(browse)

        self.layout_ = QFormLayout(self)
        self.layout_.addRow(self.tr("Model"), self.model_combo)
        self.layout_.addRow(self.tr("Epochs"), self.epochs)
        self.layout_.addRow(self.tr("Latent size"), self.latent_dim)
        self.layout_.addRow(self.tr("Hidden size"), self.hidden_dim)
        self.layout_.addRow(self.tr("Learning rate"), self.lr)
        self.layout_.addRow(self.tr("Batch size"), self.batch_size)
        self.layout_.addRow(self.tr("Beta (KL weight)"), self.beta)
        self.layout_.addRow(self.tr("Label smoothing"), self.label_smoothing)
        self.layout_.addRow(self.tr("Seed"), self.seed)
        self.layout_.addRow(self.tr("Device"), self.device)
        self.layout_.addRow(self.tr("Images"), images_row)
        self.layout_.addRow(self.tr("Image size"), self.image_size)

        self.set_settings(GenLabSettings.for_model("vae"))
        self.model_combo.currentIndexChanged.connect(self._model_chosen)
        for box in (self.epochs, self.latent_dim, self.hidden_dim, self.batch_size, self.seed, self.image_size):
            box.valueChanged.connect(self.changed)
        for box in (self.lr, self.beta, self.label_smoothing):
            box.valueChanged.connect(self.changed)
        self.device.currentIndexChanged.connect(self.changed)
        self.images.textChanged.connect(self._images_changed)

    def _int_box(self, low: int, high: int, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setToolTip(tip)
        return box

    def _float_box(self, low: float, high: float, decimals: int, step: float, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setDecimals(decimals)
        box.setSingleStep(step)
        box.setToolTip(tip)
        return box

    @property
    def model(self) -> str:
        return self.model_combo.currentData()

    def settings(self) -> GenLabSettings:
        return GenLabSettings(
            model=self.model,
            epochs=self.epochs.value(),
            latent_dim=self.latent_dim.value(),
            hidden_dim=self.hidden_dim.value(),
            lr=self.lr.value(),
            batch_size=self.batch_size.value(),
            beta=self.beta.value(),
            label_smoothing=self.label_smoothing.value(),
            seed=self.seed.value(),
            device=self.device.currentText(),
            images=self.images.text().strip() or None,
            image_size=self.image_size.value(),
        )

    def set_settings(self, settings: GenLabSettings) -> None:
        with signals_blocked(self):
            self.model_combo.setCurrentIndex(self.model_combo.findData(settings.model))
            self.epochs.setValue(settings.epochs)
            self.latent_dim.setValue(settings.latent_dim)
            self.hidden_dim.setValue(settings.hidden_dim)
            self.lr.setValue(settings.lr)
            self.batch_size.setValue(settings.batch_size)
            self.beta.setValue(settings.beta)
            self.label_smoothing.setValue(settings.label_smoothing)
            self.seed.setValue(settings.seed)
            self.device.setCurrentText(settings.device)
            self.images.setText(settings.images or "")
            self.image_size.setValue(settings.image_size)
        self._show_relevant_rows()
        self.changed.emit()

    def problems(self) -> list[str]:
        return self.settings().problems()

    def _model_chosen(self) -> None:
        # Each model has its own tuned epochs, latent size and learning rate; the rest stays as typed.
        self.set_settings(self.settings().switched_to(self.model))

    def _show_relevant_rows(self) -> None:
        self.layout_.setRowVisible(self.beta, self.model == "vae")
        self.layout_.setRowVisible(self.label_smoothing, self.model == "gan")
        self.layout_.setRowVisible(self.image_size, bool(self.images.text().strip()))

    def _images_changed(self) -> None:
        self._show_relevant_rows()
        self.changed.emit()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder of images"))
        if folder:
            self.images.setText(folder)
