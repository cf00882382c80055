"""The Attention panel: capture on a worker, then heatmap, token view and model overview.

It follows generation: when a generation finishes (or is stopped) it captures prompt plus
generated tokens by itself. The Capture button captures the text in its field instead,
which is how encoders like minilm-l6, which do not generate, are inspected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel
from superqt.utils import qthrottled, signals_blocked

from workbench.core.attention import (
    CROSS,
    DECODER,
    ENCODER,
    SELF,
    AttentionCapture,
    AttentionMap,
    CaptureEstimate,
    CaptureProgress,
    HeadView,
    capture_job,
    save_matrix_csv,
    save_npz,
    text_token_ids,
)
from workbench.core.attention_tokens import token_sequence
from workbench.core.decoding import DecodingSettings
from workbench.core.errors import WorkbenchError
from workbench.core.generation import GenerationRequest, prompt_token_ids
from workbench.core.generation_data import AttentionRows, TokenEvent, uses_chat
from workbench.core.jobs import CancelToken
from workbench.core.loading import LoadedModel
from workbench.core.sessions import Run
from workbench.qt.attention.head_colouring import HeadColouring
from workbench.qt.attention.heatmap import COLOR_MAPS, AttentionHeatmap, DisplayOptions
from workbench.qt.attention.overview import OverviewGrid
from workbench.qt.attention.token_view import TokenView
from workbench.qt.common.app_state import AppState, LiveGeneration
from workbench.qt.common.export import ask_and_save, save_image
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import error_text, translated
from workbench.qt.common.sliders import LabeledSlider
from workbench.qt.common.text_line import model_text_line
from workbench.qt.common.tooltips import literal

_REDRAW_MS = 33  # the heatmap redraws at most ~30 times a second while a slider is dragged
_TOKEN_VIEW_MS = 100  # the token view follows at 10 Hz, so it never slows the heatmap down
_LIVE_MS = 300  # while tokens stream, the heatmap grows ~3 times a second: a redraw costs the generation ~15 ms
_ONE_HEAD = "head"


@dataclass(frozen=True)
class CaptureRequest:
    loaded: LoadedModel
    input_ids: tuple[int, ...]
    decoder_input_ids: tuple[int, ...] | None = None
    first_position: int = 0  # the generation's position of row 0 (its last window, for a model that reads less)


def generation_capture(loaded: LoadedModel, token_ids: tuple[int, ...]) -> CaptureRequest:
    """A generation's prompt and answer; for a model trained here that generated past its context (it reads its
    last tokens only), the last window of them, as it read them."""
    first = loaded.window_start(len(token_ids))
    return CaptureRequest(loaded, token_ids[first:], first_position=first)


class LiveAttention:
    """The attention of the running generation's first sequence, gathered row by row from its
    ``AttentionRows`` into one (layers, heads, T, T) float16 array sized for the whole run: the
    zeros are only committed to memory as rows are written, L*H*T values per step."""

    def __init__(self, loaded: LoadedModel, prompt_ids: Sequence[int], max_new_tokens: int) -> None:
        self.tokenizer = loaded.tokenizer
        self.model_name = loaded.entry.name
        self.token_ids = list(prompt_ids)
        self.capacity = len(prompt_ids) + max_new_tokens
        self.weights: np.ndarray | None = None
        self.rows = 0  # query rows received: positions 0..rows-1
        self._tokens = token_sequence(self.tokenizer, [])

    def add_token(self, token_id: int) -> None:
        self.token_ids.append(token_id)

    def append(self, rows: AttentionRows) -> None:
        weights = rows.weights  # (L, H, Q, K)
        layers, heads, queries, keys = weights.shape
        if self.weights is None:
            self.weights = np.zeros((layers, heads, self.capacity, self.capacity), dtype=np.float16)
        end = rows.first_query + queries
        self.weights[:, :, rows.first_query:end, :keys] = weights
        self.rows = max(self.rows, end)

    def capture(self) -> AttentionCapture | None:
        """What has streamed so far, as a capture of the tokens that have their rows (None before the first)."""
        shown = min(self.rows, len(self.token_ids))  # a row whose token has not streamed yet waits for it
        if self.weights is None or shown == 0:
            return None
        if len(self._tokens) != shown:
            self._tokens = token_sequence(self.tokenizer, self.token_ids[:shown])
        weights = self.weights[:, :, :shown, :shown]
        return AttentionCapture(self.model_name, (AttentionMap(SELF, weights, self._tokens, self._tokens),),
                                "float16", 0.0)


class AttentionPanel(QWidget):
    # Progress reported by the capture from its worker thread; Qt queues it to this thread.
    _capture_progress = Signal(object, object)  # the run's cancel token, a CaptureProgress

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.capture: AttentionCapture | None = None
        self.live: LiveAttention | None = None  # the generation streaming now, while its rows come in
        self._capture_model: LoadedModel | None = None  # whose attention is shown or being captured
        # True when rows and columns are positions of the generation (prompt + output), which the
        # one token selection shares; text captured from the field is the panel's own.
        self.follows_generation = False
        self.first_position = 0  # the generation's position of row 0 (see CaptureRequest)
        self._capturing_first = 0
        self.query = -1
        self._capture_job = Job(state.jobs, parent=self)
        self._capture_job.event.connect(self._on_estimate)
        self._capture_job.finished.connect(self._on_captured)
        self._capture_job.failed.connect(lambda message: self._show_status(message, error=True))
        self._capture_job.cancelled.connect(lambda: self._show_status(self.tr("Capture cancelled.")))
        self._capture_job.ended.connect(self._on_capture_ended)
        self._schedule_redraw = qthrottled(self._redraw, timeout=_REDRAW_MS, leading=True, parent=self)
        self._schedule_token_view = qthrottled(self._show_query_row, timeout=_TOKEN_VIEW_MS, leading=False, parent=self)
        self._schedule_live = qthrottled(self._show_live, timeout=_LIVE_MS, leading=False, parent=self)
        self._build()
        self._capture_progress.connect(self._on_progress)
        state.generation_started.connect(self._on_generation_started)
        state.token_streamed.connect(self._on_token_streamed)
        state.attention_rows.connect(self._on_attention_rows)
        state.token_selected.connect(self._on_token_selected)
        state.generation_finished.connect(self._on_generation_finished)
        state.model_changed.connect(self._on_model_changed)
        state.run_restored.connect(self._on_run_restored)
        self._on_model_changed(state.loaded_model)

    # --- layout -------------------------------------------------------------------

    def _build(self) -> None:
        self.text_edit = model_text_line()
        self.state.keep_page_text("attention", self.text_edit)
        self.text_edit.setPlaceholderText(self.tr("Text to capture (after a generation its prompt appears here)"))
        self.text_edit.setToolTip(self.tr("The text whose attention is captured: Enter or Capture records it. "
                                          "After a generation, its prompt and answer are captured by themselves."))
        self.text_edit.returnPressed.connect(self.capture_text)
        self.chat_check = QCheckBox(self.tr("Chat template"))
        self.chat_check.setToolTip(self.tr("Wrap the text in the model's chat template, as a user message."))
        self.capture_button = QPushButton(self.tr("Capture"))
        self.capture_button.setToolTip(self.tr("Record the attention of every layer and head for this text."))
        self.capture_button.clicked.connect(self.capture_text)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop capturing this text's attention."))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_capture)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(140)
        self.progress.setVisible(False)
        self.status = QElidingLabel()
        source_row = QHBoxLayout()
        for widget in (self.text_edit, self.chat_check, self.capture_button, self.cancel_button, self.progress):
            source_row.addWidget(widget)
        source_row.setStretch(0, 1)

        self.set_combo = QComboBox()
        self.set_combo.setToolTip(self.tr("Which attention of an encoder-decoder model to show."))
        self.set_combo.currentIndexChanged.connect(self._on_set_changed)
        # Only encoder-decoder captures have more than one attention to choose from.
        self.set_label = QLabel(self.tr("Attention"))
        self.set_label.setBuddy(self.set_combo)
        for widget in (self.set_label, self.set_combo):
            widget.setVisible(False)
        self.layer_slider = LabeledSlider(Qt.Orientation.Horizontal)
        self.layer_slider.setToolTip(self.tr("The layer to show (0 is the one nearest the input)."))
        self.layer_slider.setMinimumWidth(160)
        self.layer_slider.valueChanged.connect(self._schedule_redraw)
        self.aggregation_combo = QComboBox()
        for label, data in ((self.tr("One head"), _ONE_HEAD), (self.tr("Mean over heads"), "mean"),
                            (self.tr("Max over heads"), "max"), (self.tr("Rollout up to this layer"), "rollout")):
            self.aggregation_combo.addItem(label, data)
        self.aggregation_combo.setToolTip(self.tr(
            "One head; the mean or the max over this layer's heads; or rollout, which follows attention "
            "through all layers up to this one (Abnar & Zuidema)."))
        self.aggregation_combo.currentIndexChanged.connect(self._on_aggregation_changed)
        self.head_spin = QSpinBox()
        self.head_spin.setPrefix(self.tr("head "))
        self.head_spin.setToolTip(self.tr("Which head of the layer to show."))
        self.head_spin.valueChanged.connect(self._schedule_redraw)
        self.color_combo = QComboBox()
        self.color_combo.addItems(COLOR_MAPS)
        self.color_combo.setToolTip(self.tr("Colour map of the heatmap."))
        self.color_combo.currentTextChanged.connect(self._on_color_map)
        self.log_check = QCheckBox(self.tr("Log scale"))
        self.log_check.setToolTip(self.tr("Colour by the logarithm of the weight, so small weights show too."))
        self.log_check.toggled.connect(self._schedule_redraw)
        self.sink_check = QCheckBox(self.tr("Hide first token"))
        self.sink_check.setToolTip(self.tr(
            "Leave out the first token's column: many heads park most of their attention there "
            "(an 'attention sink'), which washes out the colours of everything else."))
        self.sink_check.toggled.connect(self._on_sink_toggled)
        self.fit_button = QPushButton(self.tr("Fit"))
        self.fit_button.setToolTip(self.tr("Show the whole matrix again after zooming or panning (mouse wheel, drag)."))
        self.export_buttons = []
        view_row = QHBoxLayout()
        view_row.addWidget(self.set_label)
        view_row.addWidget(self.set_combo)
        view_row.addWidget(QLabel(self.tr("Layer")))
        view_row.addWidget(self.layer_slider, 1)
        for widget in (self.aggregation_combo, self.head_spin, self.color_combo, self.log_check, self.sink_check,
                       self.fit_button):
            view_row.addWidget(widget)
        exports = (
            (self.tr("PNG…"), self.tr("Save the current view as an image."), self._ask_png),
            (self.tr("NPZ…"), self.tr("Save every layer and head with the tokens (NumPy)."), self._ask_npz),
            (self.tr("CSV…"), self.tr("Save the matrix shown as a table."), self._ask_csv),
        )
        for label, tip, action in exports:
            button = QPushButton(label)
            button.setToolTip(tip)
            button.clicked.connect(action)
            view_row.addWidget(button)
            self.export_buttons.append(button)

        self.heatmap = AttentionHeatmap()
        self.heatmap.hovered.connect(self._on_hover)
        self.heatmap.query_clicked.connect(self._on_token_clicked)
        self.heatmap.key_clicked.connect(self._on_key_clicked)
        self.fit_button.clicked.connect(self.heatmap.fit)
        self.token_view = TokenView()
        self.token_view.token_clicked.connect(self._on_token_clicked)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.heatmap)
        splitter.addWidget(self.token_view)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.overview = OverviewGrid()
        self.overview.head_chosen.connect(self.open_head)
        overview_scroll = QScrollArea()
        overview_scroll.setWidget(self.overview)
        self.overview.follow_width_of(overview_scroll.viewport())
        self.head_colouring = HeadColouring(self.state, self.overview)
        overview_page = QWidget()
        overview_layout = QVBoxLayout(overview_page)
        overview_layout.setContentsMargins(0, 4, 0, 0)
        overview_layout.addWidget(self.head_colouring)
        overview_layout.addWidget(overview_scroll, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, self.tr("Heatmap"))
        self.tabs.addTab(overview_page, self.tr("Model overview"))
        self.hover_label = QElidingLabel(self._hover_hint())

        layout = QVBoxLayout(self)
        layout.addLayout(source_row)
        layout.addWidget(self.status)
        layout.addLayout(view_row)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.hover_label)
        self._set_view_enabled(False)

    def _hover_hint(self) -> str:
        return self.tr("Hover over the heatmap to read a weight; click a row or a label to select its token.")

    def _clear_hover(self) -> None:
        """A readout of another model's (or run's) weights must not stay on screen."""
        self.hover_label.setText(self._hover_hint())
        self.heatmap.setToolTip("")

    def _set_view_enabled(self, enabled: bool) -> None:
        for widget in (self.set_combo, self.layer_slider, self.aggregation_combo, self.head_spin,
                       self.color_combo, self.log_check, self.sink_check, self.fit_button, *self.export_buttons):
            widget.setEnabled(enabled)
        if enabled:
            self.head_spin.setEnabled(self.aggregation_combo.currentData() == _ONE_HEAD)

    # --- capture --------------------------------------------------------------------

    def capture_text(self) -> None:
        """Capture the text in the field on the loaded model (the Capture button)."""
        loaded = self.state.loaded_model
        if loaded is None:
            self._show_status(self.tr("Load a model first."), error=True)
            return
        try:
            ids = text_token_ids(loaded, self.text_edit.text(), chat=self.chat_check.isChecked())
        except WorkbenchError as error:
            self._show_status(error_text(error), error=True)
            return
        self.follows_generation = False
        self.start_capture(CaptureRequest(loaded, tuple(ids)))

    def start_capture(self, request: CaptureRequest) -> None:
        """Capture on a worker thread; a capture already running is cancelled and abandoned for this one."""

        def job(cancel):
            def report(progress: CaptureProgress) -> None:
                # Called inside the forward pass, on the job's thread: the token travels with the progress, so the
                # layers an abandoned capture still reports cannot move the bar of the capture that replaced it.
                self._capture_progress.emit(cancel, progress)

            return capture_job(request.loaded, request.input_ids, decoder_input_ids=request.decoder_input_ids,
                               cancel=cancel, on_progress=report)

        if not self._capture_job.start(job):
            return  # the window is closing
        self._capture_model = request.loaded
        self._capturing_first = request.first_position
        self.capture_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self._show_status(self.tr("Estimating the size of the capture…"))

    def cancel_capture(self) -> None:
        self._capture_job.cancel()

    def is_capturing(self) -> bool:
        return self._capture_job.is_running

    def _on_estimate(self, estimate: CaptureEstimate) -> None:
        self._show_status(self.tr("Capturing {0}…").format(translated(estimate.describe())))

    def _on_progress(self, cancel: CancelToken, progress: CaptureProgress) -> None:
        if cancel.cancelled:
            return
        self.progress.setRange(0, progress.layers_total)
        self.progress.setValue(progress.layers_done)

    def _on_capture_ended(self) -> None:
        self.capture_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)

    def _on_captured(self, capture: AttentionCapture) -> None:
        self._stop_live()  # the capture has the last token's row too, which no step computed
        tokens = len(capture.main.queries)
        status = self.tr("{0}: {1} tokens captured in {2:.1f} s, {3:.1f} MB kept as {4}.").format(
            translated(capture.model_name), tokens, capture.elapsed_s, capture.nbytes() / 2**20, capture.stored_dtype)
        self.first_position = self._capturing_first
        if self.first_position:
            status += " " + self.tr("It reads at most {0} tokens: these are the last {0} of the {1}.").format(
                tokens, self.first_position + tokens)
        self._show_status(status)
        self.show_capture(capture)

    def _on_generation_finished(self, record) -> None:
        """Capture prompt plus generated tokens of the finished (or stopped) generation."""
        loaded: LoadedModel = record.loaded
        prompt_ids = tuple(record.result.prompt_token_ids)
        generated = tuple(record.result.sequences[0].token_ids) if record.result.sequences else ()
        self._show_text(record.request.prompt, uses_chat(loaded, record.request))
        self.follows_generation = not loaded.is_encoder_decoder
        if loaded.is_encoder_decoder:
            self.start_capture(CaptureRequest(loaded, prompt_ids, generated))
        else:
            self.start_capture(generation_capture(loaded, prompt_ids + generated))

    def _on_run_restored(self, run: Run) -> None:
        """Show the restored run's attention: captured again on the loaded model when the run
        was made with it, else the views clear and say which model the run needs."""
        loaded = self.state.loaded_model
        if loaded is None or loaded.entry.id != run.model_id:
            self.clear_capture(self.tr("This run was made with {0}: load it to see the run's attention.").format(
                translated(run.model_name)))
            return
        try:
            request = GenerationRequest(run.prompt, DecodingSettings(max_new_tokens=1), run.system_prompt, run.chat)
            prompt_ids = tuple(prompt_token_ids(loaded, request))
        except WorkbenchError as error:
            self.clear_capture(error_text(error))
            return
        output = run.sequences[0].text if run.sequences else ""
        generated = tuple(loaded.tokenizer(output, add_special_tokens=False)["input_ids"]) if output else ()
        self._show_text(run.prompt, uses_chat(loaded, request))
        self.follows_generation = not loaded.is_encoder_decoder
        if loaded.is_encoder_decoder:
            self.start_capture(CaptureRequest(loaded, prompt_ids, generated))
        else:
            self.start_capture(generation_capture(loaded, prompt_ids + generated))

    def _show_text(self, prompt: str, chat: bool) -> None:
        """The text box and the chat switch as the captured tokens were made: Capture again gives the same."""
        with signals_blocked(self.text_edit), signals_blocked(self.chat_check):
            self.text_edit.setText(prompt)
            self.chat_check.setChecked(chat)

    def clear_capture(self, message: str) -> None:
        """Show nothing, and ``message`` saying why."""
        self._stop_live()
        self._capture_job.abandon()
        self._on_capture_ended()
        self.capture = None
        self.query = -1
        self.heatmap.clear_matrix()
        self.token_view.set_tokens([], [], [])
        self.overview.set_map(None)
        self._set_view_enabled(False)
        self._clear_hover()
        self._show_status(message)

    # --- live attention ----------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.state.want_live_attention(self, True)  # generations started from now on stream their rows here

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        self.state.want_live_attention(self, False)

    def _on_generation_started(self, live: LiveGeneration) -> None:
        self._stop_live()
        if not live.request.live_attention or live.loaded.is_encoder_decoder:
            return
        # The previous run's capture would replace this run's rows when it lands.
        self._capture_job.abandon()
        self._on_capture_ended()
        self.live = LiveAttention(live.loaded, live.prompt_token_ids, live.request.settings.max_new_tokens)
        self._capture_model = live.loaded

    def _on_token_streamed(self, event: TokenEvent) -> None:
        if self.live is not None and event.sequence == 0:
            self.live.add_token(event.token_id)

    def _on_attention_rows(self, rows: AttentionRows) -> None:
        if self.live is not None:
            self.live.append(rows)
            self._schedule_live()

    def _show_live(self) -> None:
        """The rows streamed so far: only the layer and head shown are drawn (no overview, no rollout)."""
        capture = self.live.capture() if self.live is not None else None
        if capture is None:
            return
        self._show_status(self.tr("Following the generation: {0} tokens, one more row per token as it streams.").format(
            len(capture.main.queries)))
        self.follows_generation = True
        self.first_position = 0
        self.show_capture(capture)
        self._show_query_row()  # now, not after the token view's throttle: the row outline must not blink as it grows

    def _stop_live(self) -> None:
        self._schedule_live.cancel()
        self.live = None

    def flush_live(self) -> None:
        """Draw the streamed rows held back now (tests and benchmarks)."""
        self._schedule_live.flush(restart_timer=False)

    # --- the one token selection ----------------------------------------------------------

    def _selected_row(self, rows: int) -> int:
        """The selected token's row in what is shown, or -1 when it is not there."""
        selected = self.state.selected_token
        if self.follows_generation and selected is not None and selected[0] == 0:
            row = selected[1] - self.first_position
            return row if 0 <= row < rows else -1
        return -1

    def _on_token_clicked(self, position: int) -> None:
        self.select_query(position)
        if self.follows_generation:  # rows are positions of the generation's first sequence
            self.state.select_token(0, position + self.first_position)

    def _on_key_clicked(self, column: int) -> None:
        if self.attention_map is not None and self.attention_map.name != CROSS:  # a key is a query token too
            self._on_token_clicked(column)

    def _on_token_selected(self, sequence: int, position: int) -> None:
        if self.follows_generation and sequence == 0:
            self.select_query(position - self.first_position)  # (a token before the window has no row)

    def _on_model_changed(self, loaded: LoadedModel | None) -> None:
        self._clear_hover()
        # What is shown (or coming) is another model's: the head scores, the lens and the token page would
        # otherwise sit beside weights no longer loaded.
        if (self.capture is not None or self.is_capturing()) and loaded is not self._capture_model:
            self.clear_capture(self.tr("The model changed: capture again."))
        self.capture_button.setEnabled(loaded is not None and not self.is_capturing())
        has_template = loaded is not None and loaded.has_chat_template
        self.chat_check.setEnabled(has_template)
        self.chat_check.setChecked(has_template and self.chat_check.isChecked())

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020;" if error else "")
        self.status.setText(text)

    # --- views ------------------------------------------------------------------------

    def show_capture(self, capture: AttentionCapture) -> None:
        self.capture = capture
        names = {SELF: self.tr("Self-attention"), ENCODER: self.tr("Encoder self-attention"),
                 DECODER: self.tr("Decoder self-attention"), CROSS: self.tr("Cross-attention")}
        with signals_blocked(self.set_combo):
            self.set_combo.clear()
            for attention_map in capture.maps:
                self.set_combo.addItem(names[attention_map.name], attention_map.name)
        for widget in (self.set_label, self.set_combo):
            widget.setVisible(len(capture.maps) > 1)
        self._set_view_enabled(True)
        self._on_set_changed()

    @property
    def attention_map(self) -> AttentionMap | None:
        if self.capture is None:
            return None
        return self.capture.map(self.set_combo.currentData() or self.capture.main.name)

    def head_view(self) -> HeadView:
        data = self.aggregation_combo.currentData()
        return self.head_spin.value() if data == _ONE_HEAD else data

    def _on_set_changed(self, *_) -> None:
        attention_map = self.attention_map
        if attention_map is None:
            return
        with signals_blocked(self.layer_slider), signals_blocked(self.head_spin):
            self.layer_slider.setRange(0, attention_map.layers - 1)
            self.layer_slider.setValue(min(self.layer_slider.value(), attention_map.layers - 1))
            self.head_spin.setRange(0, attention_map.heads - 1)
        # Rollout multiplies square self-attention matrices: not defined for cross-attention.
        # Live rows are drawn one layer and head at a time: rollout and the overview need all of them, after the run.
        rollout = attention_map.name != CROSS and self.live is None
        rollout_item = self.aggregation_combo.model().item(self.aggregation_combo.findData("rollout"))
        rollout_item.setEnabled(rollout)
        if not rollout and self.aggregation_combo.currentData() == "rollout":
            self.aggregation_combo.setCurrentIndex(self.aggregation_combo.findData("mean"))
        self.heatmap.set_tokens(attention_map.queries.labels, attention_map.keys.labels)
        self.token_view.set_tokens(attention_map.queries.labels, attention_map.keys.labels, attention_map.keys.special)
        self.overview.set_map(attention_map if self.live is None else None)
        rows = len(attention_map.queries)
        selected = self._selected_row(rows)
        # The selected token, else the last one: what the next token is predicted from.
        self.query = selected if selected >= 0 else rows - 1
        self._redraw()

    def _on_aggregation_changed(self, *_) -> None:
        self.head_spin.setEnabled(self.aggregation_combo.currentData() == _ONE_HEAD)
        self._schedule_redraw()

    def _on_sink_toggled(self, hide: bool) -> None:
        self.overview.set_hide_sink(hide)
        self._schedule_redraw()

    def _on_color_map(self, name: str) -> None:
        self.heatmap.set_color_map(name)
        self.overview.set_color_map(name)

    def display_options(self) -> DisplayOptions:
        attention_map = self.attention_map
        return DisplayOptions(causal=attention_map is not None and attention_map.causal,
                              hide_sink=self.sink_check.isChecked(), log_scale=self.log_check.isChecked())

    def _redraw(self) -> None:
        attention_map = self.attention_map
        if attention_map is None:
            return
        matrix = attention_map.matrix(self.layer_slider.value(), self.head_view())
        self.heatmap.set_matrix(matrix, self.display_options())
        self._schedule_token_view()

    def flush_redraw(self, token_view: bool = True) -> None:
        """Run the redraws that the throttles are holding back now (benchmarks and tests)."""
        self._schedule_redraw.flush()
        if token_view:
            self._schedule_token_view.flush()

    def select_query(self, row: int) -> None:
        """Show where query token ``row`` looks (a click on a heatmap row or a token in the text)."""
        if 0 <= row < self.heatmap.matrix.shape[0]:
            self.query = row
            self._show_query_row()

    def _show_query_row(self) -> None:
        if not 0 <= self.query < self.heatmap.matrix.shape[0]:
            return
        row = self.heatmap.matrix[self.query].astype(np.float32)  # (Tk,)
        self.token_view.show_query(self.query, row, hide_first=self.sink_check.isChecked())
        # In self-attention the token is also a key: its column shows who looks at it.
        self.heatmap.select_token(self.query, self.query if self.attention_map.name != CROSS else -1)

    def open_head(self, layer: int, head: int) -> None:
        """Open one head from the overview in the main heatmap."""
        with (
            signals_blocked(self.aggregation_combo),
            signals_blocked(self.head_spin),
            signals_blocked(self.layer_slider),
        ):
            self.aggregation_combo.setCurrentIndex(self.aggregation_combo.findData(_ONE_HEAD))
            self.head_spin.setValue(head)
            self.layer_slider.setValue(layer)
        self.head_spin.setEnabled(True)
        self.tabs.setCurrentIndex(0)
        self._redraw()

    def _on_hover(self, row: int, column: int) -> None:
        if row >= 0:
            text = self.heatmap.hover_text(row, column)
            self.hover_label.setText(text)
            self.heatmap.setToolTip(literal(text))

    # --- export -------------------------------------------------------------------------

    def export_png(self, path: Path) -> None:
        """The current tab (heatmap with token view, or the overview) as an image."""
        save_image(self.tabs.currentWidget().grab(), path)

    def export_npz(self, path: Path) -> None:
        if self.capture is not None:
            save_npz(self.capture, path)

    def export_csv(self, path: Path) -> None:
        attention_map = self.attention_map
        if attention_map is not None:
            save_matrix_csv(self.heatmap.matrix, attention_map.queries.labels, attention_map.keys.labels, path)

    def _ask_and_save(self, title: str, file_filter: str, suffix: str, save) -> None:
        ask_and_save(self, title, f"attention{suffix}", file_filter, save, self._show_status)

    def _ask_png(self) -> None:
        self._ask_and_save(self.tr("Save view as PNG"), self.tr("PNG image (*.png)"), ".png", self.export_png)

    def _ask_npz(self) -> None:
        self._ask_and_save(self.tr("Save attention as NPZ"), self.tr("NumPy archive (*.npz)"), ".npz", self.export_npz)

    def _ask_csv(self) -> None:
        self._ask_and_save(self.tr("Save matrix as CSV"), self.tr("CSV table (*.csv)"), ".csv", self.export_csv)

    # --- lifecycle ----------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop a running capture and wait for its thread (the window calls this on close)."""
        self._schedule_redraw.cancel()
        self._schedule_token_view.cancel()
        self._stop_live()
        self._capture_job.shutdown()
        self.head_colouring.shutdown()
