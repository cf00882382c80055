"""The session's runs: one line per generation; a click restores it, buttons export it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.sessions import Run, export_run
from workbench.qt.common.empty_hint import HintedListWidget
from workbench.qt.common.export import ask_and_save
from workbench.qt.common.language import translated
from workbench.qt.common.tooltips import literal


def _shortened(text: str, length: int, keep_end: bool = False) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    return "…" + text[-(length - 1):] if keep_end else text[: length - 1] + "…"


def run_title(run: Run) -> str:
    """Its time, model and length, then its prompt; an answer made to start with a text (a fork, Continue) ends
    the line with that start's last words, so it is told from the answer it grew from."""
    if run.prefill_text.strip():
        prompt = f"{_shortened(run.prompt, 28)} ⟶ {_shortened(run.prefill_text, 20, keep_end=True)}"
    else:
        prompt = _shortened(run.prompt, 48)
    stopped = " ■" if run.stopped else ""
    lengths = [len(sequence.tokens) for sequence in run.sequences]
    if len(lengths) > 1:  # each answer's length, as the tabs and the tree count them, not their sum
        tokens = QCoreApplication.translate("RunsPanel", "{0} answers: {1} tok").format(
            len(lengths), " + ".join(str(length) for length in lengths))
    else:
        tokens = QCoreApplication.translate("RunsPanel", "{0} tok").format(run.new_tokens)
    return f"{run.created[11:16]}  {translated(run.model_name)}  · {tokens}{stopped}\n{prompt}"


class RunsPanel(QWidget):
    run_chosen = Signal(object)  # Run
    runs_edited = Signal()  # a run was removed or the list cleared
    message = Signal(str)  # one line for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = HintedListWidget()
        self.list.set_empty_hint(self.tr("Every generation is kept here, a stopped one too: click one to put its "
                                         "prompt, settings and output back."))
        self.list.setToolTip(self.tr("Click a run to put its prompt, settings and output back. ■: the run was "
                                     "stopped before it ended."))
        self.list.setWordWrap(True)
        self.list.itemClicked.connect(self._choose)
        self.list.itemActivated.connect(self._choose)
        self.export_json_button = QPushButton(self.tr("JSON…"))
        self.export_json_button.setToolTip(self.tr("Save the selected run as a JSON file."))
        self.export_json_button.clicked.connect(lambda: self._export_selected(".json"))
        self.export_md_button = QPushButton(self.tr("Markdown…"))
        self.export_md_button.setToolTip(self.tr("Save the selected run as a Markdown document."))
        self.export_md_button.clicked.connect(lambda: self._export_selected(".md"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Remove the selected run from the session."))
        self.remove_button.clicked.connect(self._remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_json_button)
        buttons.addWidget(self.export_md_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.currentItemChanged.connect(self._update_buttons)
        self._update_buttons()

    def runs(self) -> list[Run]:
        """Oldest first, as they are saved."""
        return [self.list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.list.count() - 1, -1, -1)]

    def set_runs(self, runs: list[Run]) -> None:
        self.list.clear()
        for run in runs:
            self.add_run(run)

    def add_run(self, run: Run) -> None:
        item = QListWidgetItem(run_title(run))
        item.setData(Qt.ItemDataRole.UserRole, run)
        starts = self.tr("\nThe answer starts with: {0}").format(run.prefill_text) if run.prefill_text.strip() else ""
        item.setToolTip(literal(run.prompt + starts))
        self.list.insertItem(0, item)  # newest on top
        self.list.setCurrentItem(item)  # the run on screen is the one the export buttons take

    def _row_of(self, run_id: str) -> int:
        """The row of the run with ``run_id``; -1 when it is not listed."""
        runs = (self.list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.list.count()))
        return next((row for row, run in enumerate(runs) if run.id == run_id), -1)

    def run_with_id(self, run_id: str) -> Run | None:
        row = self._row_of(run_id)
        return self.list.item(row).data(Qt.ItemDataRole.UserRole) if row >= 0 else None

    def select_run(self, run_id: str) -> None:
        """Highlight the run with ``run_id`` (the one on screen), without putting it back; none for an id
        that is not listed (a branch from the Tree on screen)."""
        row = self._row_of(run_id)
        if row >= 0:
            self.list.setCurrentRow(row)
        else:
            self.list.setCurrentRow(-1)
            self.list.clearSelection()

    def selected_run(self) -> Run | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _choose(self, item: QListWidgetItem) -> None:
        self.run_chosen.emit(item.data(Qt.ItemDataRole.UserRole))

    def _update_buttons(self, *_args) -> None:
        has_selection = self.list.currentItem() is not None
        for button in (self.export_json_button, self.export_md_button, self.remove_button):
            button.setEnabled(has_selection)

    def _remove_selected(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        # One click must not lose a run for good: there is no undo.
        asked = QMessageBox.question(self, self.tr("Remove run"), self.tr(
            "Remove the selected run from the session? It cannot be brought back (export it first to keep it)."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if asked == QMessageBox.StandardButton.Yes:
            self.list.takeItem(row)
            self.runs_edited.emit()

    def _export_selected(self, suffix: str) -> None:
        run = self.selected_run()
        if run is None:
            return
        kind = self.tr("JSON (*.json)") if suffix == ".json" else self.tr("Markdown (*.md)")
        default = str(Path.home() / f"run-{run.created.replace(':', '')}{suffix}")
        ask_and_save(self, self.tr("Export run"), default, kind, lambda path: export_run(run, path),
                     lambda text, _failed: self.message.emit(text))
