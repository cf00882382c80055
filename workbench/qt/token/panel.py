"""The Token page: why the selected token came out.

It follows the one selection (``AppState.token_selected``) over the window's last generation:
the streamed events as they come, then the finished record's. For a generated token it shows
the sampler chain (raw, then each stage, the last being what the token was drawn from), and
for any token after the first its logit-lens column and its attention row, both read at the
position before it: the one whose output predicted it. The lens comes from the Lens page
(``AppState.lens_ready``); the attention row from a capture of the whole generation, made
here in the background while this page is shown, once per sequence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel

from workbench.core.atomic import write_text_atomic
from workbench.core.attention import CaptureEstimate, capture_job
from workbench.core.attention_tokens import single_token_labels, token_sequence, visible_text
from workbench.core.decoding import SAMPLER_STAGES, DecodingSettings
from workbench.core.errors import WorkbenchError
from workbench.core.generation_data import (
    GenerationRecord,
    GenerationRequest,
    TokenEvent,
    TokenTrace,
    prefill_token_ids,
)
from workbench.core.inspection import token_json
from workbench.core.loading import LoadedModel
from workbench.qt.common.app_state import AppState, LensResult, LiveGeneration
from workbench.qt.common.export import ask_and_save, save_image
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import translated
from workbench.qt.common.probabilities import format_prob
from workbench.qt.token.attention_row import AttentionRowChart
from workbench.qt.token.bars import Bar, BarChart
from workbench.qt.token.chain import ChainRow, chain_rows

# The settings field that holds each stage's strength, where it is not named like the stage.
_STAGE_FIELDS = {"no_repeat_ngram": "no_repeat_ngram_size"}


@dataclass
class _Generation:
    """The window's last generation as far as it has come: events per sequence, in step order."""

    loaded: LoadedModel
    settings: DecodingSettings
    prompt_ids: tuple[int, ...]  # the answer's given start (a prefill, a fork's path) included
    given: int  # how many of prompt_ids are the answer's given start
    events: dict[int, list[TokenEvent]] = field(default_factory=dict)
    finished: bool = False

    @classmethod
    def starting(cls, loaded: LoadedModel, request: GenerationRequest, prompt_ids: tuple[int, ...],
                 events: dict[int, list[TokenEvent]] | None = None, finished: bool = False) -> _Generation:
        return cls(loaded, request.settings, prompt_ids, len(prefill_token_ids(loaded, request)), events or {},
                   finished)

    def is_given(self, position: int) -> bool:
        """Whether ``position`` holds a token the answer was made to start with: given, not chosen."""
        return len(self.prompt_ids) - self.given <= position < len(self.prompt_ids)

    def token_ids(self, sequence: int) -> tuple[int, ...]:
        return self.prompt_ids + tuple(event.token_id for event in self.events.get(sequence, ()))

    def event_at(self, sequence: int, position: int) -> TokenEvent | None:
        """The generated token at ``position`` (None for a prompt token)."""
        step = position - len(self.prompt_ids)
        events = self.events.get(sequence, [])
        return events[step] if 0 <= step < len(events) else None


@dataclass(frozen=True)
class _Selected:
    """The selected token, resolved against the generation."""

    sequence: int
    position: int
    token_ids: tuple[int, ...]  # the whole sequence: prompt + generated so far
    labels: tuple[str, ...]  # readable, one per token
    event: TokenEvent | None  # None for a prompt token
    given: bool  # a token the answer was made to start with (a prefill, a fork's path): read, not chosen

    @property
    def predictor(self) -> int:
        """The position whose output predicted this token (-1 for the first token)."""
        return self.position - 1


class TokenPanel(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.generation: _Generation | None = None
        self.lens_result: LensResult | None = None
        self.selected: _Selected | None = None
        self.head_means: dict[int, np.ndarray] = {}  # per sequence: (layers, T, T) attention, mean over heads
        # per sequence: the position of the capture's first token (a long generation's last window, as read)
        self.head_firsts: dict[int, int] = {}
        self._capturing_sequence: int | None = None
        self._capturing_first = 0
        self._build()
        self._attention_job = Job(state.jobs, parent=self)
        self._attention_job.event.connect(self._on_capture_estimate)
        self._attention_job.finished.connect(self._on_captured)
        self._attention_job.failed.connect(self.attention_row.clear)
        self._attention_job.cancelled.connect(
            lambda: self.attention_row.clear(self.tr("The attention capture was cancelled.")))
        state.generation_started.connect(self._on_generation_started)
        state.token_streamed.connect(self._on_token_streamed)
        state.generation_finished.connect(self._on_generation_finished)
        state.token_selected.connect(self.refresh)
        state.lens_ready.connect(self._on_lens_ready)
        state.model_changed.connect(self._on_model_changed)
        state.run_restored.connect(self._on_run_restored)
        self.refresh()

    # --- layout -------------------------------------------------------------------------

    def _build(self) -> None:
        # No label here wraps: a wrapping label makes the page ask its scroll area for its preferred
        # height, not its minimum, and the page would scroll at 1366x768.
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        font = self.header.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.header.setFont(font)
        self.png_button = QPushButton(self.tr("PNG…"))
        self.png_button.setToolTip(self.tr("Save this page as an image."))
        self.png_button.clicked.connect(self._ask_png)
        self.json_button = QPushButton(self.tr("JSON…"))
        self.json_button.setToolTip(self.tr("Save this token's numbers: every sampler stage, "
                                            "its lens column and its attention row."))
        self.json_button.clicked.connect(self._ask_json)
        header_row = QHBoxLayout()
        header_row.addWidget(self.header, 1)
        header_row.addWidget(self.png_button, 0, Qt.AlignmentFlag.AlignTop)
        header_row.addWidget(self.json_button, 0, Qt.AlignmentFlag.AlignTop)
        self.status = QElidingLabel()
        self.status.setVisible(False)

        self.chain_note = QElidingLabel()
        self.chain_row = QHBoxLayout()
        self.chain_row.setContentsMargins(0, 0, 0, 0)
        self.chain_row.addStretch(1)
        chain_widget = QWidget()
        chain_widget.setLayout(self.chain_row)
        self.chain_scroll = QScrollArea()
        self.chain_scroll.setWidgetResizable(True)
        self.chain_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chain_scroll.setWidget(chain_widget)
        self.stage_charts: list[BarChart] = []

        self.lens_hint = QLabel()  # shown instead of the chart, which leaves it the height to wrap
        self.lens_hint.setWordWrap(True)
        self.lens_hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.lens_chart = BarChart(label_width=44, bar_width=70, note_width=280)
        self.lens_scroll = QScrollArea()
        self.lens_scroll.setWidget(self.lens_chart)
        # As wide as the chart: the attention row takes the rest of the width.
        self.lens_scroll.setMaximumWidth(self.lens_chart.sizeHint().width()
                                         + self.lens_scroll.verticalScrollBar().sizeHint().width()
                                         + 2 * self.lens_scroll.frameWidth() + 2)
        lens_box = QWidget()
        lens_layout = QVBoxLayout(lens_box)
        lens_layout.setContentsMargins(0, 0, 0, 0)
        # The column's title stays above its rows, which scroll when the layers outnumber the room.
        self.lens_title = QElidingLabel()
        bold = self.lens_title.font()
        bold.setBold(True)
        self.lens_title.setFont(bold)
        self.lens_columns = QElidingLabel()
        lens_layout.addWidget(self.lens_hint)
        lens_layout.addWidget(self.lens_title)
        lens_layout.addWidget(self.lens_columns)
        lens_layout.addWidget(self.lens_scroll, 1)
        self.attention_row = AttentionRowChart()
        self.attention_row.layer_changed.connect(self._show_attention_row)
        # The lens column keeps its chart's width: empty at the first layout, it was squeezed to ~70 pixels.
        lens_box.setMinimumWidth(self.lens_scroll.maximumWidth())
        self.below = below = QSplitter(Qt.Orientation.Horizontal)
        below.setChildrenCollapsible(False)
        below.addWidget(lens_box)
        below.addWidget(self.attention_row)
        below.setStretchFactor(0, 0)
        below.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(header_row)
        layout.addWidget(self.status)
        layout.addWidget(self.chain_note)
        layout.addWidget(self.chain_scroll)
        layout.addWidget(below, 1)
        layout.addStretch(0)  # takes the room while nothing is shown (``below`` hidden)

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020;" if error else "")
        self.status.setText(text)
        self.status.setVisible(bool(text))  # an empty line would push the charts down

    # --- following the generation -------------------------------------------------------

    def _on_generation_started(self, live: LiveGeneration) -> None:
        self._forget_generation()
        self.generation = _Generation.starting(live.loaded, live.request, live.prompt_token_ids)
        self.refresh()

    def _on_token_streamed(self, event: TokenEvent) -> None:
        generation = self.generation
        if generation is None:
            return
        generation.events.setdefault(event.sequence, []).append(event)
        if self.state.selected_token == (event.sequence, len(generation.prompt_ids) + event.step):
            self.refresh()  # the selected token just arrived

    def _on_generation_finished(self, record: GenerationRecord) -> None:
        self._forget_generation()
        result = record.result
        events = {index: list(sequence.tokens) for index, sequence in enumerate(result.sequences)}
        self.generation = _Generation.starting(record.loaded, record.request, tuple(result.prompt_token_ids),
                                               events, finished=True)
        self.refresh()

    def _on_lens_ready(self, result: LensResult) -> None:
        self.lens_result = result
        self._show_lens_column()

    def _on_model_changed(self, loaded: LoadedModel | None) -> None:
        if self.generation is not None and self.generation.loaded is not loaded:
            self._forget_generation()
            self.generation = None
            self.refresh()
        if self.lens_result is not None and self.lens_result.loaded is not loaded:
            self.lens_result = None
            self._show_lens_column()

    def _on_run_restored(self, _run) -> None:
        self._forget_generation()
        self.generation = None
        self.refresh(message=self.tr("A run from the list keeps no trace: generate again to see why each "
                                     "token came out."))

    def _forget_generation(self) -> None:
        self._attention_job.abandon()
        self._capturing_sequence = None
        self.head_means, self.head_firsts = {}, {}

    # --- showing the selected token ---------------------------------------------------------

    def _resolve(self) -> _Selected | None:
        generation, selection = self.generation, self.state.selected_token
        if generation is None or selection is None:
            return None
        sequence, position = selection
        ids = generation.token_ids(sequence)
        if not 0 <= position < len(ids):
            return None
        labels = token_sequence(generation.loaded.tokenizer, ids).labels
        return _Selected(sequence, position, ids, labels, generation.event_at(sequence, position),
                         generation.is_given(position))

    def refresh(self, *_, message: str | None = None) -> None:
        """Show the selected token (the slot of ``token_selected``)."""
        self.selected = selected = self._resolve()
        self._show_status("")  # "Saved …" spoke of the token shown before
        for button in (self.png_button, self.json_button):
            button.setEnabled(selected is not None)
        if selected is None:
            if message is None and self.generation is None:
                message = self.tr("Generate some text, then click a token (in the output, a heatmap or the "
                                  "lens) to see why it came out.")
            elif message is None and self.state.selected_token is None:
                message = self.tr("Click a token of the answer (in the output, a heatmap or the lens) to see why it "
                                  "came out.")
            elif message is None:
                message = self.tr("The selected token is not there (yet): click a token of this generation.")
            self.header.setText(message)
            self._show_chain(None)
            self.lens_chart.set_content([], [])
            self.lens_scroll.setVisible(False)
            self.lens_hint.setText("")
            self.attention_row.clear("")
            self.below.setVisible(False)  # an empty layer box and splitter handle floated mid-page
            return
        self.below.setVisible(True)
        self.header.setText(self._header_text(selected))
        self._show_chain(selected)
        self._show_lens_column()
        self._show_attention_row()

    def _header_text(self, selected: _Selected) -> str:
        label = selected.labels[selected.position]
        event = selected.event
        if event is None and selected.given:
            return self.tr("“{0}” · position {1} · given as the start of the answer (a prefill or a fork), "
                           "not chosen").format(label, selected.position)
        if event is None:
            return self.tr("“{0}” · position {1} · a prompt token").format(label, selected.position)
        rank = str(event.trace.chosen_rank + 1) if event.trace is not None else "?"
        return self.tr(
            "“{0}” · position {1} · generated token {2} of sequence {3}\n"
            "raw probability {4} · rank {5} · entropy {6:.3f} nats · surprisal {7:.3f} nats"
        ).format(label, selected.position, event.step + 1, selected.sequence + 1, format_prob(event.prob), rank,
                 event.entropy, event.surprisal)

    # --- the sampler chain ----------------------------------------------------------------------

    def _show_chain(self, selected: _Selected | None) -> None:
        for chart in self.stage_charts:
            chart.setParent(None)
            chart.deleteLater()
        self.stage_charts = []
        trace = selected.event.trace if selected is not None and selected.event is not None else None
        self.chain_scroll.setVisible(trace is not None)
        if selected is None:
            self.chain_note.setText("")
            return
        if selected.event is None:
            self.chain_note.setText(
                self.tr("The sampler chain exists only for generated tokens: this one was given as the start of "
                        "the answer, read, not chosen. Its lens column and attention row are below.")
                if selected.given else
                self.tr("The sampler chain exists only for generated tokens: a prompt token was read, not chosen. "
                        "Its lens column and attention row are below."))
            return
        if trace is None:
            self.chain_note.setText(self.tr("This token was generated without a trace."))
            return
        self.chain_note.setText(self._chain_note(trace))
        rows = chain_rows(trace.stages, selected.event.token_id)
        scale = max(row.prob for stage in rows for row in stage) or 1.0  # one scale: bars compare across stages
        for index, stage_rows in enumerate(rows):
            chart = BarChart(label_width=88, bar_width=78, note_width=50)
            chart.set_content(self._stage_title(trace, index),
                              [self._chain_bar(row, trace, selected, scale) for row in stage_rows])
            self.chain_row.insertWidget(index, chart, 0, Qt.AlignmentFlag.AlignTop)
            self.stage_charts.append(chart)
        self.chain_scroll.setFixedHeight(max(chart.sizeHint().height() for chart in self.stage_charts)
                                         + self.chain_scroll.horizontalScrollBar().sizeHint().height() + 4)

    def _chain_note(self, trace: TokenTrace) -> str:
        if trace.beam:
            return self.tr("Beam search: only the raw distribution is recorded. The sampler chain does not "
                           "apply: beams keep the sequences likeliest per token.")
        return self.tr("The sampler chain, in the order applied. Bars share one scale; the chosen token is "
                       "orange; struck-out grey tokens were cut by that stage (shown at their probability "
                       "before it).")

    def _stage_title(self, trace: TokenTrace, index: int) -> list[str]:
        stage = trace.stages[index]
        if stage.name == "raw":
            lines = [self.tr("Raw model"), self.tr("{0} tokens").format(stage.survivors)]
        else:
            name = QCoreApplication.translate("DecodingSettings", SAMPLER_STAGES[stage.name])
            value = getattr(self.generation.settings, _STAGE_FIELDS.get(stage.name, stage.name))
            left = self.tr("1 token left") if stage.survivors == 1 else self.tr("{0} tokens left").format(
                stage.survivors)
            lines = [f"{name} ({value})", left]
        if index == len(trace.stages) - 1 and not trace.beam:
            sampled = self.generation.settings.mode == "sample"
            lines.append(self.tr("→ drawn from this") if sampled else self.tr("→ the likeliest of this"))
        return lines

    def _chain_bar(self, row: ChainRow, trace: TokenTrace, selected: _Selected, scale: float) -> Bar:
        if row.token_id in trace.token_texts:
            label = visible_text(trace.token_texts[row.token_id])
        else:  # the chosen token ranked below every listed one
            label = selected.labels[selected.position]
        tip = self.tr("“{0}” (id {1}): probability {2}").format(label, row.token_id, format_prob(row.prob))
        if row.cut:
            tip = self.tr("“{0}” (id {1}): cut by this stage; its probability before it was {2}").format(
                label, row.token_id, format_prob(row.prob))
        return Bar(label, row.prob / scale, format_prob(row.prob), chosen=row.chosen, cut=row.cut, tip=tip)

    # --- the lens column ----------------------------------------------------------------------

    def _lens_column(self) -> int | None:
        """The selected token's predictor's column in the lens, when the lens was computed by this model on a text
        that matches the selected token's up to and including it (a long generation's lens reads its last window:
        from that window's first position), so what the layers saw before it is this generation's; else None."""
        selected, result, generation = self.selected, self.lens_result, self.generation
        if selected is None or result is None or generation is None or selected.predictor < 0:
            return None
        first, end = result.first_position, selected.position + 1
        column = selected.predictor - first
        matches = tuple(result.lens.token_ids[: end - first]) == selected.token_ids[first:end]
        return column if result.loaded is generation.loaded and column >= 0 and matches else None

    def _show_lens_column(self) -> None:
        selected = self.selected
        if selected is None:
            return
        column = self._lens_column()
        applies = column is not None
        for shown_when_it_applies in (self.lens_title, self.lens_columns, self.lens_scroll):
            shown_when_it_applies.setVisible(applies)
        self.lens_hint.setVisible(not applies)
        if not applies:
            self.lens_chart.set_content([], [])
            if selected.predictor < 0:
                self.lens_hint.setText(self.tr("Logit lens: the first token has no position before it, "
                                               "so nothing predicted it."))
            elif selected.sequence > 0 and self.lens_result is not None:
                self.lens_hint.setText(self.tr("Logit lens: the Lens page reads a generation's first answer only; "
                                               "this token is in answer {0}.").format(selected.sequence + 1))
            else:
                self.lens_hint.setText(self.tr("Logit lens: open the Lens page to compute it for this generation "
                                               "(a forward pass); this token's column then shows here."))
            return
        lens = self.lens_result.lens
        token_label = selected.labels[selected.position]
        top_ids = lens.top_ids[:, column, 0]  # (layers,)
        top_labels = single_token_labels(self.generation.loaded.tokenizer, top_ids.tolist())
        bars = []
        for layer, name in enumerate(lens.layers):
            prob, rank = float(lens.next_token_prob[layer, column]), int(lens.next_token_rank[layer, column])
            note = self.tr("{0} · rank {1} · top “{2}” {3}").format(
                format_prob(prob), rank + 1, top_labels[layer], format_prob(float(lens.top_probs[layer, column, 0])))
            bars.append(Bar(translated(name), prob, note, chosen=rank == 0, tip=note))  # "embed": 嵌入
        self.lens_title.setText(
            self.tr("Logit lens at position {0}, which predicted “{1}”").format(column, token_label))
        self.lens_columns.setText(
            self.tr("layer · its probability of “{0}” · rank · its top guess").format(token_label))
        self.lens_chart.set_content([], bars)
        self._reveal_forming_layer()

    def _reveal_forming_layer(self) -> None:
        """Where the rows outnumber the room, scroll to the layer from which the token stays the top guess
        (where the answer formed) and the layers after it: the early layers of a deep model guess little."""
        bars = self.lens_chart.bars
        if not bars or not self.lens_scroll.isVisible():
            return
        forming = len(bars) - 1
        while bars[-1].chosen and forming > 0 and bars[forming - 1].chosen:
            forming -= 1
        self.lens_scroll.ensureVisible(0, self.lens_chart.row_rect(len(bars) - 1).bottom(), 0, 0)
        self.lens_scroll.ensureVisible(0, self.lens_chart.row_rect(forming).top(), 0, 0)

    # --- the attention row --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        QTimer.singleShot(0, self._reveal_forming_layer)  # once the page is laid out and its room is known
        self._show_attention_row()  # a capture waits until the page is seen: it costs a forward pass

    def _show_attention_row(self, *_) -> None:
        selected, generation = self.selected, self.generation
        if selected is None or generation is None:
            return
        if selected.predictor < 0:
            self.attention_row.clear(self.tr("Attention: the first token has no position before it to look "
                                             "from."))
        elif generation.loaded.is_encoder_decoder:
            self.attention_row.clear(self.tr("Attention rows are shown for decoder-only models."))
        elif not generation.finished:
            self.attention_row.clear(self.tr("Attention: captured once the generation finishes."))
        elif selected.sequence in self.head_means:
            means, first = self.head_means[selected.sequence], self.head_firsts[selected.sequence]  # (layers, T, T)
            query = selected.predictor - first  # its row in what was captured
            if query < 0:
                self.attention_row.clear(self.tr("Attention: the model read this generation's last {0} tokens only; "
                                                 "this token was predicted before them.").format(means.shape[1]))
                return
            self.attention_row.set_layers(means.shape[0])
            layer = self.attention_row.layer_spin.value()
            title = self.tr("Where position {0} looked as it predicted the next token, here “{1}” (layer {2}, "
                            "mean over heads)").format(
                selected.predictor, selected.labels[selected.position], layer)
            weights = means[layer, query, : query + 1]  # (keys,): a token sees itself and the ones before
            self.attention_row.show_row(title, selected.labels[first: first + query + 1], weights)
        elif self.isVisible() and self._capturing_sequence != selected.sequence:
            self._start_capture(selected.sequence, generation)

    def _start_capture(self, sequence: int, generation: _Generation) -> None:
        loaded, ids = generation.loaded, generation.token_ids(sequence)
        first = loaded.window_start(len(ids))
        ids = ids[first:]

        def job(cancel):
            capture = yield from capture_job(loaded, ids, cancel=cancel)
            return capture.main.weights.mean(axis=1, dtype=np.float32)  # (L, H, T, T) -> (L, T, T)

        if self._attention_job.start(job):
            self._capturing_sequence, self._capturing_first = sequence, first
            self.attention_row.clear(self.tr("Attention: capturing…"))

    def _on_capture_estimate(self, estimate: CaptureEstimate) -> None:
        self.attention_row.clear(self.tr("Attention: capturing {0}…").format(translated(estimate.describe())))

    def _on_captured(self, means: np.ndarray) -> None:
        self.head_means[self._capturing_sequence] = means
        self.head_firsts[self._capturing_sequence] = self._capturing_first
        self._capturing_sequence = None
        self._show_attention_row()

    def is_capturing(self) -> bool:
        return self._attention_job.is_running

    # --- export ---------------------------------------------------------------------------------

    def token_report(self) -> dict[str, Any]:
        """The selected token's numbers: its trace (as ``workbench inspect`` writes it), lens column and
        attention row (null where not computed)."""
        selected = self.selected
        if selected is None:
            raise WorkbenchError(self.tr("No token is selected: click a token first."))
        token = token_json(selected.event) if selected.event is not None else {
            "token_id": selected.token_ids[selected.position], "text": selected.labels[selected.position]}
        report: dict[str, Any] = {"sequence": selected.sequence, "position": selected.position, "token": token,
                                  "given": selected.given, "lens": None, "attention": None}
        column = self._lens_column()
        if column is not None:
            lens = self.lens_result.lens
            report["lens"] = {
                "position": selected.predictor,
                "layers": list(lens.layers),
                "token_prob": lens.next_token_prob[:, column].tolist(),
                "token_rank": lens.next_token_rank[:, column].tolist(),
                "top": [[[int(i), float(p)] for i, p in zip(ids, probs)]
                        for ids, probs in zip(lens.top_ids[:, column], lens.top_probs[:, column])],
            }
        if self.attention_row.weights.size and selected.sequence in self.head_means:
            first = self.head_firsts[selected.sequence]
            report["attention"] = {
                "query": selected.predictor,
                "layer": self.attention_row.layer_spin.value(),
                "heads": "mean",
                "key_token_ids": list(selected.token_ids[first: selected.predictor + 1]),
                "weights": self.attention_row.weights.tolist(),
            }
        return report

    def export_json(self, path: Path) -> None:
        write_text_atomic(Path(path), json.dumps(self.token_report(), ensure_ascii=False, indent=1))

    def export_png(self, path: Path) -> None:
        """The page as it reads, without its own buttons and status line."""
        chrome = [widget for widget in (self.png_button, self.json_button, self.status) if widget.isVisible()]
        for widget in chrome:
            widget.setVisible(False)
        try:
            image = self.grab()
        finally:
            for widget in chrome:
                widget.setVisible(True)
        save_image(image, path)

    def _default_name(self, suffix: str) -> str:
        selected = self.selected
        return f"token-{selected.sequence}-{selected.position}{suffix}" if selected is not None else f"token{suffix}"

    def _ask_png(self) -> None:
        ask_and_save(self, self.tr("Save the Token page as PNG"), self._default_name(".png"),
                     self.tr("PNG image (*.png)"), self.export_png, self._show_status)

    def _ask_json(self) -> None:
        ask_and_save(self, self.tr("Save this token's numbers as JSON"), self._default_name(".json"),
                     self.tr("JSON (*.json)"), self.export_json, self._show_status)

    # --- lifecycle ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop a running attention capture and wait for its thread (the window calls this on close)."""
        self._attention_job.shutdown()
