"""The Lens page: the logit lens of a generation (prompt + first sequence) or of typed text.

Each layer's residual stream, through the model's own final norm and unembedding, is a guess at
the next token; the grid colours each (layer, position) by how likely that guess made the token
that really came next. It costs a forward pass, so generations are only read once this page has
been opened; the result goes to ``AppState.lens_ready`` for the Token page's lens column.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel

from workbench.core.attention import text_token_ids
from workbench.core.attention_tokens import labels_after, token_sequence
from workbench.core.errors import WorkbenchError
from workbench.core.generation_data import GenerationRecord
from workbench.core.lens import LensProgress, LogitLens, logit_lens
from workbench.core.loading import LoadedModel
from workbench.qt.common.app_state import AppState, LensResult
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import error_text, translated
from workbench.qt.common.probabilities import format_prob
from workbench.qt.common.text_line import model_text_line
from workbench.qt.common.tooltips import literal
from workbench.qt.lens.grid import LensGrid

_PROBABILITY, _RANK = "probability", "rank"


@dataclass(frozen=True)
class LensRequest:
    loaded: LoadedModel
    token_ids: tuple[int, ...]
    from_generation: bool  # positions are the generation's: a click selects that token everywhere
    first_position: int = 0  # the generation's position of column 0 (its last window, for a model that reads less)


class LensPanel(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.lens: LogitLens | None = None
        self.request: LensRequest | None = None  # what ``lens`` was computed for
        self._running: LensRequest | None = None
        self._waiting_record: GenerationRecord | None = None  # a generation finished before the page was opened
        self._opened = False
        self._top_labels: dict[int, dict[int, str]] = {}  # position -> token id -> its text there (the hover)
        self.next_labels: tuple[str, ...] = ()  # column i: the token at position i + 1, readable
        self.guess_label = ""  # the last column's: the model's own guess after the text
        self.lens_job = Job(state.jobs, parent=self)
        self.lens_job.event.connect(self._on_progress)
        self.lens_job.finished.connect(self._on_lens)
        self.lens_job.failed.connect(lambda message: self._show_status(message, error=True))
        self.lens_job.cancelled.connect(lambda: self._show_status(self.tr("Logit lens cancelled.")))
        self.lens_job.ended.connect(self._on_ended)
        self._build()
        state.generation_finished.connect(self._on_generation_finished)
        state.model_changed.connect(self._on_model_changed)
        state.token_selected.connect(self._on_token_selected)
        self._on_model_changed(state.loaded_model)

    def _build(self) -> None:
        self.text_edit = model_text_line()
        self.state.keep_page_text("lens", self.text_edit)
        self.text_edit.setPlaceholderText(self.tr("Text to read through the layers (after a generation, its "
                                                  "prompt and answer are read by themselves)"))
        self.text_edit.setToolTip(self.tr("The text read through the layers: Enter or Compute reads it, each "
                                          "layer's guess at every next token."))
        self.text_edit.returnPressed.connect(self.compute_text)
        self.compute_button = QPushButton(self.tr("Compute"))
        self.compute_button.setToolTip(self.tr("Read every layer's guess at the next token for this text "
                                               "(one forward pass)."))
        self.compute_button.clicked.connect(self.compute_text)
        self.text_edit.textChanged.connect(self._refresh_compute)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop reading this text through the layers."))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.lens_job.cancel)
        self.progress = QProgressBar()
        self.progress.setFormat(self.tr("%v of %m layers"))
        # Wide enough for its text beside the bar (some styles draw it outside): "27 of 31 layers" ran past it.
        widest = self.progress.format().replace("%v", "888").replace("%m", "888")
        self.progress.setFixedWidth(max(160, self.progress.fontMetrics().horizontalAdvance(widest) + 60))
        self.progress.setVisible(False)
        source_row = QHBoxLayout()
        for widget in (self.text_edit, self.compute_button, self.cancel_button, self.progress):
            source_row.addWidget(widget)
        source_row.setStretch(0, 1)
        self.status = QElidingLabel()
        self.colour_combo = QComboBox()
        self.colour_combo.addItem(self.tr("Probability of the real next token"), _PROBABILITY)
        self.colour_combo.addItem(self.tr("Rank of the real next token (log scale)"), _RANK)
        self.colour_combo.setToolTip(self.tr("Colour each cell by the probability the layer gives the token that "
                                             "really came next, or by its rank among all tokens (1 = top guess). "
                                             "After the last token, the token is the model's own guess."))
        self.colour_combo.currentIndexChanged.connect(self._draw)
        options_row = QHBoxLayout()
        options_row.addWidget(QLabel(self.tr("Colour by")))
        options_row.addWidget(self.colour_combo)
        options_row.addStretch(1)
        self.grid = LensGrid()
        self.grid.set_axis_titles(self.tr("layer (the embeddings on top)"),
                                  self.tr("the token each position predicts (the one that came next; last, marked ?, "
                                          "the model's own guess after the text)"))
        self.grid.hovered.connect(self._on_hover)
        self.grid.column_clicked.connect(self._on_column_clicked)
        self.hover_label = QElidingLabel(self._hover_hint())
        layout = QVBoxLayout(self)
        layout.addLayout(source_row)
        layout.addWidget(self.status)
        layout.addLayout(options_row)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.hover_label)

    def _hover_hint(self) -> str:
        return self.tr("Hover over a cell for that layer's top 5; click a column to select the token it predicts.")

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020;" if error else "")
        self.status.setText(text)

    # --- computing ------------------------------------------------------------------------

    def compute_text(self) -> None:
        """The lens of the text in the field, on the loaded model (the Compute button)."""
        loaded = self.state.loaded_model
        if loaded is None:
            self._show_status(self.tr("Load a model first."), error=True)
            return
        try:
            ids = text_token_ids(loaded, self.text_edit.text())
        except WorkbenchError as error:
            self._show_status(error_text(error), error=True)
            return
        self.start(LensRequest(loaded, tuple(ids), from_generation=False))

    def start(self, request: LensRequest) -> None:
        """Compute on a worker thread; the grid empties now, so a cancel never leaves half a grid."""
        if not self.lens_job.start(lambda cancel: logit_lens(request.loaded, request.token_ids, cancel=cancel)):
            return  # the window is closing
        self._running = request
        self._clear()
        self._refresh_compute()
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self._show_status(self.tr("Reading {0} tokens through every layer…").format(len(request.token_ids)))

    def cancel(self) -> None:
        self.lens_job.cancel()

    def is_computing(self) -> bool:
        return self.lens_job.is_running

    def _on_progress(self, progress: LensProgress) -> None:
        self.progress.setRange(0, progress.layers_total)
        self.progress.setValue(progress.layers_done)

    def _refresh_compute(self) -> None:
        """Compute reads the field's text: it waits for a model, for the lens under way and for some text."""
        self.compute_button.setEnabled(self.state.loaded_model is not None and not self.is_computing()
                                       and bool(self.text_edit.text().strip()))

    def _on_ended(self) -> None:
        self._refresh_compute()
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
        self._running = None

    def _on_lens(self, lens: LogitLens) -> None:
        self.lens, self.request = lens, self._running
        tokenizer = self.request.loaded.tokenizer
        self._top_labels = {}  # by position, as the hover asks for them
        # Column i is position i, which predicts token i + 1: labelled with that token. The last position
        # predicts the model's own guess, the answer a prompt is waiting for: its column is marked "?" (after an
        # answer that ends within a character, the guess names the character it would make).
        self.next_labels = token_sequence(tokenizer, lens.token_ids).labels[1:]
        self.guess_label = labels_after(tokenizer, lens.token_ids, [lens.guess_id])[0]
        self.grid.set_labels([translated(layer) for layer in lens.layers],
                             (*self.next_labels, self.tr("{0}?").format(self.guess_label)))
        self._draw()
        self._on_token_selected(*(self.state.selected_token or (-1, -1)))
        # The first row is the embeddings, the others the model's layers: "12 layers" is what the model has.
        read = (self.tr("{0}: the embeddings and {1} layers × {2} positions of the last generation (prompt and "
                        "answer).") if self.request.from_generation else
                self.tr("{0}: the embeddings and {1} layers × {2} positions of the text above."))
        name = translated(self.request.loaded.entry.name)
        status = read.format(name, len(lens.layers) - 1, len(lens.token_ids))
        if self.request.first_position:
            status += " " + self.tr("It reads at most {0} tokens: these are the last {0} of the {1}.").format(
                len(lens.token_ids), self.request.first_position + len(lens.token_ids))
        self._show_status(status)
        self.state.lens_ready.emit(LensResult(self.request.loaded, lens, self.request.first_position))

    def _clear(self) -> None:
        self.lens = self.request = None
        self.grid.clear_grid()
        self.hover_label.setText(self._hover_hint())
        self.grid.setToolTip("")

    # --- following the window ----------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self._opened = True
        record, self._waiting_record = self._waiting_record, None
        if record is not None:
            self._on_generation_finished(record)

    def _on_generation_finished(self, record: GenerationRecord) -> None:
        """Read prompt + first sequence, once this page has been opened (until then, remember it)."""
        if not self._opened:
            self._waiting_record = record
            return
        generated = record.result.sequences[0].token_ids if record.result.sequences else ()
        token_ids = tuple(record.result.prompt_token_ids) + tuple(generated)
        first = record.loaded.window_start(len(token_ids))  # past its context, a model trained here reads its last
        self.start(LensRequest(record.loaded, token_ids[first:], from_generation=True, first_position=first))

    def _on_model_changed(self, loaded: LoadedModel | None) -> None:
        if self.request is not None and self.request.loaded is not loaded:
            self._show_status(self.tr("The model changed: compute the lens again."))
            self._clear()
        if self._running is not None and self._running.loaded is not loaded:
            self.lens_job.abandon()
            self._on_ended()
        self._waiting_record = None
        self._refresh_compute()

    def _on_token_selected(self, sequence: int, position: int) -> None:
        following = self.request is not None and self.request.from_generation and sequence == 0
        column = position - 1 - self.request.first_position if following else -1
        self.grid.select_column(column if column >= 0 else -1)  # (a token before the window: none)

    def _on_column_clicked(self, column: int) -> None:
        if column >= len(self.next_labels):  # the model's guess after the text: no token of it to select
            return
        if self.request is not None and self.request.from_generation:
            self.state.select_token(0, column + 1 + self.request.first_position)
        else:  # typed text: its positions are not the generation's, so only this grid marks it
            self.grid.select_column(column)

    # --- drawing ----------------------------------------------------------------------------------

    def _draw(self, *_) -> None:
        lens = self.lens
        if lens is None:
            return
        if self.colour_combo.currentData() == _RANK:
            # (layers, T): each position's next token, the last one's the model's own guess
            ranks = np.column_stack([lens.next_token_rank[:, :-1], lens.guess_rank])
            vocabulary = max(len(self.request.loaded.tokenizer), 2)
            # A copy: pyqtgraph caches its maps (even with skipCache) and reverse() works in place,
            # which would turn every other viridis in the window upside down.
            color_map = copy.deepcopy(pg.colormap.get("viridis"))
            color_map.reverse()  # rank 1 (the top guess) bright, as probability 1 is
            self.grid.set_values(np.log10(ranks + 1.0).astype(np.float32), (0.0, math.log10(vocabulary)), color_map,
                                 self.tr("log₁₀ rank"))
        else:
            probs = np.column_stack([lens.next_token_prob[:, :-1], lens.guess_prob])  # (layers, T)
            self.grid.set_values(probs, (0.0, 1.0), pg.colormap.get("viridis"),
                                 self.tr("probability of the next token"))

    def _labels_at(self, column: int, token_ids: list[int]) -> dict[int, str]:
        """``token_ids`` as they would read after position ``column`` (a completed character named), cached."""
        labels = self._top_labels.setdefault(column, {})
        missing = [token_id for token_id in token_ids if token_id not in labels]
        if missing:
            context = self.lens.token_ids[: column + 1]
            labels.update(zip(missing, labels_after(self.request.loaded.tokenizer, context, missing)))
        return labels

    def hover_text(self, layer: int, column: int) -> str:
        lens = self.lens
        labels = self._labels_at(column, [int(token_id) for token_id in lens.top_ids[layer, column]])
        top = " · ".join(
            f"“{labels[int(token_id)]}” {format_prob(float(prob))}"
            for token_id, prob in zip(lens.top_ids[layer, column], lens.top_probs[layer, column])
        )
        if column == len(self.next_labels):  # after the last token
            return self.tr("Layer {0}, after the last token → the model's own guess “{1}”: p {2}, rank {3}. "
                           "Top 5: {4}").format(
                translated(lens.layers[layer]), self.guess_label, format_prob(float(lens.guess_prob[layer])),
                int(lens.guess_rank[layer]) + 1, top)
        return self.tr("Layer {0}, position {1} → next “{2}”: p {3}, rank {4}. Top 5: {5}").format(
            translated(lens.layers[layer]), column, self.next_labels[column],
            format_prob(float(lens.next_token_prob[layer, column])), int(lens.next_token_rank[layer, column]) + 1, top)

    def _on_hover(self, layer: int, column: int) -> None:
        if layer >= 0 and self.lens is not None:
            text = self.hover_text(layer, column)
            self.hover_label.setText(text)
            self.grid.setToolTip(literal(text))

    # --- lifecycle ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop a running lens and wait for its thread (the window calls this on close)."""
        self.lens_job.shutdown()
