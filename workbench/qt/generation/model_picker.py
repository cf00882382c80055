"""The model bar: pick a model from the catalog (or open one), choose device and dtype,
watch the load, cancel it; the loaded model, its device and memory always in view."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)
from superqt import QElidingLabel, QSearchableComboBox

from workbench.core.catalog import Catalog, ModelEntry
from workbench.core.devices import DTYPES
from workbench.core.errors import WorkbenchError
from workbench.core.loading import LoadedModel, LoadProgress, LoadSettings
from workbench.qt.common.device_combo import DeviceComboBox


def _size_text(parameters: int | None) -> str:
    if parameters is None:
        return "size unknown"
    if parameters >= 1e9:
        return f"{parameters / 1e9:.1f}B params"
    if parameters >= 1e6:
        return f"{parameters / 1e6:.0f}M params"
    return f"{parameters / 1e3:.0f}K params"


def entry_label(entry: ModelEntry) -> str:
    installed = "installed" if entry.installed else "not installed"
    generates = "" if entry.can_generate else " · encoder only"
    return (
        f"{entry.name} — {entry.architecture} · {_size_text(entry.parameters)} · {entry.source}, "
        f"{installed}{generates}"
    )


def loaded_label(loaded: LoadedModel | None) -> str:
    if loaded is None:
        return "No model loaded"
    dtype = str(loaded.dtype).removeprefix("torch.")
    return f"{loaded.entry.name} on {loaded.device.type} · {dtype} · {loaded.memory_bytes() / 2**20:.0f} MiB"




class ModelPicker(QWidget):
    load_requested = Signal(object, object)  # ModelEntry, LoadSettings
    cancel_requested = Signal()
    message = Signal(str)  # a problem with what was opened, for the status line

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._entries: dict[str, ModelEntry] = {}

        self.combo = QSearchableComboBox()
        self.combo.setMinimumContentsLength(34)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setToolTip(self.tr("Models you can load: type to search. Choosing one loads it."))
        self.combo.activated.connect(lambda _index: self.request_load())

        self.open_button = QToolButton()
        self.open_button.setText(self.tr("Open"))
        self.open_button.setToolTip(self.tr("Load a model from a folder, a GGUF file or a Hugging Face hub id."))
        self.open_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        open_menu = QMenu(self.open_button)
        open_menu.addAction(self.tr("Open folder…"), self.open_folder)
        open_menu.addAction(self.tr("Open GGUF…"), self.open_gguf)
        open_menu.addAction(self.tr("Hub id…"), self.open_hub_id)
        self.open_button.setMenu(open_menu)

        self.device_combo = DeviceComboBox()
        self.device_combo.setToolTip(self.tr("Where the model runs. Auto picks a GPU when there is one."))
        self.dtype_combo = QComboBox()
        self.dtype_combo.addItems(["auto", *DTYPES])
        self.dtype_combo.setToolTip(self.tr(
            "Number format of the weights. float32 is exact and safe on a CPU; bfloat16/float16 halve the memory "
            "on a GPU. Auto picks for the device."))
        self.load_button = QPushButton(self.tr("Load"))
        self.load_button.setToolTip(self.tr("Load the chosen model with this device and number format."))
        self.load_button.clicked.connect(self.request_load)

        self.stage_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(120)
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop loading and keep the model you had."))
        self.cancel_button.clicked.connect(self.cancel_requested)

        self.loaded_label = QElidingLabel(self.tr("No model loaded"))
        self.loaded_label.setToolTip(self.tr("The model in use, where it runs, and the memory its weights take."))
        self.loaded_label.setMinimumWidth(200)
        self.loaded_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel(self.tr("Model")))
        layout.addWidget(self.combo, 2)
        layout.addWidget(self.open_button)
        layout.addWidget(QLabel(self.tr("Device")))
        layout.addWidget(self.device_combo)
        layout.addWidget(QLabel(self.tr("Dtype")))
        layout.addWidget(self.dtype_combo)
        layout.addWidget(self.load_button)
        layout.addWidget(self.stage_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.loaded_label, 1)
        self.set_idle()
        self.refresh()

    def refresh(self) -> None:
        """List the catalog again (a model was trained or registered), keeping the choice."""
        chosen = self.combo.currentData()
        listed = {e.id for e in self._catalog.entries()}
        extra = {key: entry for key, entry in self._entries.items() if key not in listed}
        self._entries = {entry.id: entry for entry in self._catalog.entries()}
        self._entries.update(extra)
        self.combo.clear()
        for entry in self._entries.values():
            self.combo.addItem(entry_label(entry), entry.id)
            self.combo.setItemData(self.combo.count() - 1, entry.description, Qt.ItemDataRole.ToolTipRole)
        self.select(chosen or next((e.id for e in self._entries.values() if e.default), ""))

    def select(self, entry_id: str) -> None:
        index = self.combo.findData(entry_id)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def load_settings(self) -> LoadSettings:
        return LoadSettings(device=self.device_combo.currentText(), dtype=self.dtype_combo.currentText())

    def set_load_settings(self, settings: LoadSettings) -> None:
        self.device_combo.set_device(settings.device)
        self.dtype_combo.setCurrentText(settings.dtype)

    def request_load(self) -> None:
        entry = self._entries.get(self.combo.currentData())
        if entry is not None:
            self.load_requested.emit(entry, self.load_settings())

    def open_reference(self, reference: str) -> None:
        """Resolve what the person opened (path or hub id) and load it."""
        try:
            entry = self._catalog.resolve(reference)
        except WorkbenchError as error:
            self.message.emit(str(error))
            return
        if entry.id not in self._entries:
            self._entries[entry.id] = entry
            self.combo.addItem(entry_label(entry), entry.id)
        self.select(entry.id)
        self.request_load()

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a model folder (Hugging Face format)"))
        if folder:
            self.open_reference(folder)

    def open_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open a GGUF file"), "", self.tr("GGUF models (*.gguf)"))
        if path:
            self.open_reference(path)

    def open_hub_id(self) -> None:
        hub_id, accepted = QInputDialog.getText(
            self, self.tr("Hugging Face hub id"), self.tr("Model id, for example HuggingFaceTB/SmolLM2-135M-Instruct:"))
        if accepted and hub_id.strip():
            self.open_reference(hub_id.strip())

    # --- load state -------------------------------------------------------------------

    def set_loading(self, progress: LoadProgress) -> None:
        stage = progress.stage
        if progress.seconds_left is not None:
            stage = self.tr("{0} · about {1} left").format(stage, self._duration_text(progress.seconds_left))
        self.stage_label.setText(stage)
        if progress.fraction is None:
            self.progress_bar.setRange(0, 0)  # busy: the stage gives no fraction
        else:
            self.progress_bar.setRange(0, 100)
            self.progress_bar.setValue(round(progress.fraction * 100))
        self.progress_bar.setTextVisible(progress.fraction is not None)  # the percentage
        for widget in (self.stage_label, self.progress_bar, self.cancel_button):
            widget.setVisible(True)

    def _duration_text(self, seconds: float) -> str:
        if seconds < 90:
            return self.tr("{0} s").format(max(1, round(seconds)))
        return self.tr("{0} min").format(round(seconds / 60))

    def set_idle(self) -> None:
        for widget in (self.stage_label, self.progress_bar, self.cancel_button):
            widget.setVisible(False)

    def show_loaded(self, loaded: LoadedModel | None) -> None:
        self.set_idle()
        self.loaded_label.setText(loaded_label(loaded))
        if loaded is not None:
            self.select(loaded.entry.id)
