"""The model bar: pick a model from the catalog (or open one), choose device and dtype,
watch the load, cancel it; the loaded model, its device and memory always in view.

The picker's list is a tree: the catalog's models, then a collapsible "Trained here" group with
one row per training run (newest first) whose own rows are its final model and checkpoints.
Typing searches the models at the top level."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QObject, QSize, Qt, Signal
from PySide6.QtGui import QStandardItem
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTreeView,
    QWidget,
)
from superqt import QElidingLabel, QSearchableComboBox

from workbench.core.catalog import FOLDER, GGUF, HUB, PACKAGED, TRAINED, Catalog, ModelEntry, TrainedRun, TrainedVariant
from workbench.core.errors import WorkbenchError
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.loading import FOLDER_LOAD_STAGES, LoadedModel, LoadProgress, LoadSettings
from workbench.core.settings_fields import described_field
from workbench.qt.common.device_combo import DeviceComboBox
from workbench.qt.common.eliding_combo import ElidedWhileIdle
from workbench.qt.common.language import error_text, translated, translated_stage
from workbench.qt.common.tooltips import literal

_SOURCES = {  # where a model comes from, as the combo box says it
    PACKAGED: QT_TRANSLATE_NOOP("ModelPicker", "packaged"),
    FOLDER: QT_TRANSLATE_NOOP("ModelPicker", "folder"),
    GGUF: QT_TRANSLATE_NOOP("ModelPicker", "GGUF"),
    HUB: QT_TRANSLATE_NOOP("ModelPicker", "hub"),
    TRAINED: QT_TRANSLATE_NOOP("ModelPicker", "trained here"),
}
_INSTALLED = {True: QT_TRANSLATE_NOOP("ModelPicker", "installed"),
              False: QT_TRANSLATE_NOOP("ModelPicker", "not installed")}


def _size_text(parameters: int | None) -> str:
    if parameters is None:
        return QCoreApplication.translate("ModelPicker", "size unknown")
    if parameters >= 1e9:
        return QCoreApplication.translate("ModelPicker", "{0:.1f}B params").format(parameters / 1e9)
    if parameters >= 1e6:
        return QCoreApplication.translate("ModelPicker", "{0:.0f}M params").format(parameters / 1e6)
    return QCoreApplication.translate("ModelPicker", "{0:.0f}K params").format(parameters / 1e3)


def entry_label(entry: ModelEntry) -> str:
    translate = QCoreApplication.translate
    installed = translate("ModelPicker", _INSTALLED[entry.installed])
    generates = "" if entry.can_generate else translate("ModelPicker", " · encoder only")
    source = translate("ModelPicker", _SOURCES[entry.source]) if entry.source in _SOURCES else entry.source
    where = translate("ModelPicker", "{0}, {1}").format(source, installed)  # Chinese joins them with "，"
    return f"{translated(entry.name)} — {entry.architecture} · {_size_text(entry.parameters)} · {where}{generates}"


def loaded_label(loaded: LoadedModel | None) -> str:
    if loaded is None:
        return QCoreApplication.translate("ModelPicker", "No model loaded")
    dtype = str(loaded.dtype).removeprefix("torch.")
    return QCoreApplication.translate("ModelPicker", "{0} on {1} · {2} · {3} MiB").format(
        translated(loaded.entry.name), loaded.device.type, dtype, _mebibytes_text(loaded.memory_bytes()))


def _mebibytes_text(size: int) -> str:
    """Whole MiB for a real model; a tenth for one trained here (a 111k-parameter GPT is 0.4 MiB, not 0)."""
    mebibytes = size / 2**20
    if mebibytes >= 10:
        return f"{mebibytes:.0f}"
    return f"{mebibytes:.1f}" if mebibytes >= 0.05 else "<0.1"


class _WholeTextLabel(QElidingLabel):
    """Asks the row for its whole text's width (superqt's label asks for the width it has), so it elides
    only when the row cannot give that."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        return QSize(max(self.minimumWidth(), self.fontMetrics().horizontalAdvance(self.text()) + 4), hint.height())

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.updateGeometry()  # a new width to ask for


class _StageLabel(QElidingLabel):
    """Asks the row for the width of the longest stage of a folder's load, whatever it shows: the row keeps
    one width through a load (nothing slides under the mouse as the stages change), and a packaged model's
    stages are read whole. A longer one (a GGUF file's conversion, a model's name) is elided, whole in
    the tooltip."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        widest = max(self.fontMetrics().horizontalAdvance(translated(stage)) for stage in FOLDER_LOAD_STAGES)
        return QSize(max(self.minimumWidth(), widest + 4), super().sizeHint().height())


class _LoadBar(QProgressBar):
    """150 pixels where the row has room (its percentage and time left read whole), down to 80 on a 1024 px
    screen."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(150, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(80, super().minimumSizeHint().height())


_ENTRY_ID = Qt.ItemDataRole.UserRole  # where QComboBox.addItem keeps an item's data: the entry id


def variant_label(variant: TrainedVariant) -> str:
    """A run's final model or checkpoint, as a person tells them apart."""
    if not variant.checkpoint:
        return QCoreApplication.translate("ModelPicker", "final model")
    if variant.step is None:
        return QCoreApplication.translate("ModelPicker", "checkpoint")
    if variant.snapshot and not variant.pinned:  # kept from an evaluation; the checkpoint is where Continue resumes
        return QCoreApplication.translate("ModelPicker", "evaluation at step {0}").format(variant.step)
    return QCoreApplication.translate("ModelPicker", "checkpoint, step {0}").format(variant.step)


def trained_model_names(catalog: Catalog) -> dict[str, str]:
    """Each trained run's final model and kept steps by entry id, named as the picker's field names them, in the
    window's language ("poems — checkpoint, step 300"): the name saved with a step is the English one."""
    return {variant.entry.id: f"{run.name} — {variant_label(variant)}"
            for run in catalog.trained.runs() for variant in run.variants}


class _TreeItem(QStandardItem):
    """A row whose text in the list differs from the text the combo's field shows once it is chosen:
    under its run, "checkpoint, step 300" is enough; in the field, the run's name must come first."""

    def __init__(self, text: str, field_text: str) -> None:
        super().__init__(text)
        self._field_text = field_text

    def data(self, role: int = Qt.ItemDataRole.UserRole + 1):
        if role == Qt.ItemDataRole.EditRole:  # what an editable combo puts in its field
            return self._field_text
        return super().data(role)


class ModelPicker(QWidget):
    load_requested = Signal(object, object)  # ModelEntry, LoadSettings
    cancel_requested = Signal()
    message = Signal(str)  # a problem with what was opened, for the status line

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._entries: dict[str, ModelEntry] = {}  # every entry the list can load, by id
        self._opened: dict[str, ModelEntry] = {}  # opened by path or hub id: listed, though not in the catalog
        self._opening: str | None = None  # the id of an opened entry on its first load: unlisted again if it fails
        self._loaded: ModelEntry | None = None  # the model in use: listed while loaded, even once its folder is gone
        self._chosen_text = ""  # what the search box said when an entry was chosen: anything else is a search

        self.combo = QSearchableComboBox()
        self.tree = QTreeView()
        self.tree.setHeaderHidden(True)
        self.combo.setView(self.tree)
        # After setView, so this filter sees the popup's clicks before the combo's own (which would close it).
        self.tree.viewport().installEventFilter(self)
        self.tree.expanded.connect(self._fit_popup)
        self.tree.collapsed.connect(self._fit_popup)
        self.combo.setMinimumContentsLength(22)  # wider wherever there is room (its stretch): 1024 px screens fit
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setToolTip(self.tr("Models you can load: type to search. Choosing one loads it."))
        self.combo.activated.connect(lambda _index: self.request_load())
        self.combo.currentIndexChanged.connect(self._show_name_first)
        self._elider = ElidedWhileIdle(self)
        self.combo.lineEdit().installEventFilter(self._elider)

        self.open_button = QPushButton(self.tr("Open"))  # its menu arrow beside the label, not on it
        self.open_button.setToolTip(self.tr("Load a model from a folder, a GGUF file or a Hugging Face hub id."))
        open_menu = QMenu(self.open_button)
        open_menu.addAction(self.tr("Open folder…"), self.open_folder)
        open_menu.addAction(self.tr("Open GGUF…"), self.open_gguf)
        open_menu.addAction(self.tr("Hub id…"), self.open_hub_id)
        self.open_button.setMenu(open_menu)

        device, dtype = (described_field(LoadSettings, name).info for name in ("device", "dtype"))
        self.device_combo = DeviceComboBox()
        self.device_combo.setToolTip(translated(device.help))
        self.dtype_combo = QComboBox()
        self.dtype_combo.addItems(list(dtype.choice_values))
        self.dtype_combo.setToolTip(translated(dtype.help))
        self.load_button = QPushButton(self.tr("Load"))
        self.load_button.setToolTip(self.tr("Load the chosen model with this device and number format."))
        self.load_button.clicked.connect(self.request_load)

        # Elided, never wider than the bar allows: a long stage name must not widen the window.
        self.stage_label = _StageLabel()
        self.stage_label.setMinimumWidth(60)
        self.progress_bar = _LoadBar()
        self.progress_bar.setMaximumWidth(150)
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop loading and keep the model you had."))
        self.cancel_button.clicked.connect(self.cancel_requested)

        self.loaded_label = _WholeTextLabel(self.tr("No model loaded"))
        self.loaded_label.setToolTip(self.tr("The model in use, where it runs, and the memory its weights take."))
        self.loaded_label.setMinimumWidth(200)
        self.loaded_label.setElideMode(Qt.TextElideMode.ElideMiddle)  # the name and the memory stay in view
        self.loaded_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel(self.tr("Model")))
        layout.addWidget(self.combo, 2)
        layout.addWidget(self.open_button)
        for name, combo in (("device", self.device_combo), ("dtype", self.dtype_combo)):
            label = QLabel(translated(described_field(LoadSettings, name).info.label))
            label.setBuddy(combo)
            layout.addWidget(label)
            layout.addWidget(combo)
        layout.addWidget(self.load_button)
        # The load's progress takes the place of the loaded model's name, in a stack as wide as the wider of the
        # two: inserted beside it, it narrowed the model list and moved Load under the mouse as a load began.
        loading = QWidget()
        loading_layout = QHBoxLayout(loading)
        loading_layout.setContentsMargins(0, 0, 0, 0)
        loading_layout.addWidget(self.stage_label, 1)
        loading_layout.addWidget(self.progress_bar)
        loading_layout.addWidget(self.cancel_button)
        self.status_stack = QStackedWidget()
        self.status_stack.addWidget(self.loaded_label)
        self.status_stack.addWidget(loading)
        layout.addWidget(self.status_stack)  # no stretch: its whole text first, the model list the rest
        self.set_idle()
        self.refresh()

    def refresh(self) -> None:
        """List the catalog again (a model was trained or registered), keeping the choice."""
        chosen = self.combo.currentData()
        runs = self._catalog.trained.runs()
        listed = [entry for entry in self._catalog.entries() if entry.source != TRAINED]
        listed_ids = {entry.id for entry in listed}
        listed_ids.update(variant.entry.id for run in runs for variant in run.variants)
        listed += [entry for entry in self._opened.values() if entry.id not in listed_ids]
        # A kept step the run has since pruned: still the model in use, so the box goes on naming it.
        if self._loaded is not None and self._loaded.id not in listed_ids | {entry.id for entry in listed}:
            listed.append(self._loaded)
        self._entries = {entry.id: entry for entry in listed}
        self.combo.clear()
        for entry in listed:
            self.combo.addItem(entry_label(entry), entry.id)
            self.combo.setItemData(self.combo.count() - 1, translated(entry.description), Qt.ItemDataRole.ToolTipRole)
        if runs:
            self._add_trained_group(runs)
        self.select(chosen or next((e.id for e in self._entries.values() if e.default), ""))

    def _add_trained_group(self, runs: list[TrainedRun]) -> None:
        group = QStandardItem(self.tr("Trained here ({0})").format(len(runs)))
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: a click opens or closes it, loads nothing
        group.setToolTip(self.tr("Models trained in the workbench, newest run first. Open a run to load "
                                 "one of its checkpoints."))
        for run in runs:
            run_item = _TreeItem(self._run_label(run), self._run_label(run))
            run_item.setData(run.entry.id, _ENTRY_ID)
            run_item.setToolTip(f"{translated(run.entry.description)}\n{run.folder}")
            for variant in run.variants:
                text = self._variant_label(variant)
                variant_item = _TreeItem(text, f"{run.name} — {text}")
                variant_item.setData(variant.entry.id, _ENTRY_ID)
                variant_item.setToolTip(literal(variant.entry.location))
                run_item.appendRow(variant_item)
                self._entries[variant.entry.id] = variant.entry
            group.appendRow(run_item)
        self.combo.model().appendRow(group)
        self.tree.expand(group.index())

    def _run_label(self, run: TrainedRun) -> str:
        entry, latest = run.entry, run.variants[0]
        if not latest.checkpoint:
            state = ""
        elif run.training:
            state = self.tr("training, {0}").format(self._variant_label(latest))
        else:
            state = self.tr("stopped, {0}").format(self._variant_label(latest))
        details = " · ".join(part for part in (entry.architecture, _size_text(entry.parameters), state) if part)
        return f"{run.name} — {details}"

    def _variant_label(self, variant: TrainedVariant) -> str:
        return variant_label(variant)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """In the list, a click on a heading or on a run's arrow opens or closes it instead of choosing."""
        if watched is self.tree.viewport() and event.type() in (
            QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick
        ):
            position = event.position().toPoint()
            index = self.tree.indexAt(position)
            on_arrow = position.x() < self.tree.visualRect(index).x()
            is_heading = not index.flags() & Qt.ItemFlag.ItemIsSelectable
            if index.isValid() and self.tree.model().hasChildren(index) and (on_arrow or is_heading):
                if event.type() == QEvent.Type.MouseButtonRelease:
                    self.tree.setExpanded(index, not self.tree.isExpanded(index))
                return True
        return super().eventFilter(watched, event)

    def _fit_popup(self) -> None:
        if self.tree.isVisible():
            self.combo.showPopup()  # shown again, it takes the height of the rows now open

    def _show_name_first(self) -> None:
        # The search box holds the whole label with its cursor at the end, which scrolls the model's name out of
        # a narrow box: the start is what says which model it is.
        if self.combo.lineEdit() is not None:
            self.combo.lineEdit().setCursorPosition(0)
            self._chosen_text = self.combo.lineEdit().text()

    def select(self, entry_id: str) -> None:
        model = self.combo.model()
        found = model.match(
            model.index(0, 0), _ENTRY_ID, entry_id, 1, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive
        )
        if found:
            # QComboBox chooses rows under its root index: for a run's variant, the run is the root a moment.
            self.combo.setRootModelIndex(found[0].parent())
            self.combo.setCurrentIndex(found[0].row())
            self.combo.setRootModelIndex(QModelIndex())  # sets the search box's text again, cursor at the end
            self._show_name_first()

    def load_settings(self) -> LoadSettings:
        return LoadSettings(device=self.device_combo.currentText(), dtype=self.dtype_combo.currentText())

    def set_load_settings(self, settings: LoadSettings) -> None:
        self.device_combo.set_device(settings.device)
        self.dtype_combo.setCurrentText(settings.dtype)

    def request_load(self) -> None:
        typed = self.combo.lineEdit().text().strip() if self.combo.lineEdit() is not None else ""
        if typed and typed != self._chosen_text.strip():  # Load on a search that matched nothing: not the last choice
            self.message.emit(self.tr("No model in the list matches “{0}”: choose one from the list, or Open a "
                                      "folder, a GGUF file or a hub id.").format(typed))
            return
        entry = self._entries.get(self.combo.currentData())
        if entry is not None:
            self.load_requested.emit(entry, self.load_settings())

    def open_reference(self, reference: str) -> None:
        """Resolve what the person opened (path or hub id) and load it."""
        try:
            entry = self._catalog.resolve(reference)
        except WorkbenchError as error:
            self.message.emit(error_text(error))
            return
        if entry.id not in self._entries:
            self._opened[entry.id] = entry
            self._opening = entry.id
            self.refresh()
        self.select(entry.id)
        self.request_load()

    def load_failed(self, loaded: LoadedModel | None) -> None:
        """The load asked for failed: a folder, file or hub id opened for it leaves the list again (it would
        only fail again), and the list shows the model still in use."""
        opening, self._opening = self._opening, None
        if opening is not None and (loaded is None or loaded.entry.id != opening):
            self._opened.pop(opening, None)
            self.refresh()
        self.show_loaded(loaded)

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
        stage = translated_stage(progress)
        self.stage_label.setText(stage)
        self.stage_label.setToolTip(literal(stage))
        measured = bool(progress.fraction)  # a stage's start, 0%, can last (a GGUF file's check): it moves meanwhile
        if not measured:
            self.progress_bar.setRange(0, 0)  # busy: nothing measured yet, or the stage gives no fraction
        else:
            self.progress_bar.setRange(0, 100)
            self.progress_bar.setValue(round(progress.fraction * 100))
            # In the bar, not after the stage: a long stage name is elided, the time left never is.
            left = "" if progress.seconds_left is None else self.tr(" · {0} left").format(
                self._duration_text(progress.seconds_left))
            self.progress_bar.setFormat("%p%" + left)
        self.progress_bar.setTextVisible(measured)
        self.status_stack.setCurrentIndex(1)
        line = self.combo.lineEdit()
        if line is not None and not line.hasFocus():  # a long entry's start (the model's name) stays in view
            line.setCursorPosition(0)

    def _duration_text(self, seconds: float) -> str:
        if seconds < 90:
            return self.tr("{0} s").format(max(1, round(seconds)))
        return self.tr("{0} min").format(round(seconds / 60))

    def set_idle(self) -> None:
        self.status_stack.setCurrentIndex(0)

    def show_loaded(self, loaded: LoadedModel | None) -> None:
        self.set_idle()
        self.loaded_label.setText(loaded_label(loaded))
        self.loaded_label.setToolTip(loaded_label(loaded) + "\n" + self.tr(
            "The model in use, where it runs, and the memory its weights take."))
        self._loaded = loaded.entry if loaded is not None else None
        if loaded is not None:
            if loaded.entry.id not in self._entries:  # a run's checkpoint loads as the step it was pinned to
                self.refresh()
            if loaded.entry.id == self._opening:
                self._opening = None  # loaded once: it stays listed
            self.select(loaded.entry.id)
