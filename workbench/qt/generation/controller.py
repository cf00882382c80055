"""Generation for the window: one job streams a request's tokens; the controller keeps the
live stats and turns the result into a ``GenerationRecord`` and the ``Run`` the Runs list keeps.

The window builds requests from its editor and wires its widgets to the signals here;
the controller never touches a widget.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.core.decoding import DecodingSettings
from workbench.core.errors import WorkbenchError
from workbench.core.generation_data import (
    AttentionRows,
    BeamProgress,
    GenerationRecord,
    GenerationRequest,
    GenerationResult,
    TokenEvent,
    prompt_token_ids,
)
from workbench.core.loading import LoadedModel
from workbench.core.sessions import run_from_record
from workbench.qt.common.app_state import AppState, LiveGeneration
from workbench.qt.common.jobs import Job

LIVE_STATS_INTERVAL_MS = 250


class GenerationController(QObject):
    token_streamed = Signal(object)  # each TokenEvent, in order
    live_stats = Signal(str)  # how far the run is, a few times a second
    finished = Signal(object, object)  # GenerationRecord and its Run, of a finished or stopped run
    failed = Signal(str)  # a one-line message for the person
    running_changed = Signal(bool)

    def __init__(self, state: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.last_request: GenerationRequest | None = None  # what Regenerate and Continue start from
        self.streamed_tokens = 0
        self._running: tuple[LoadedModel, GenerationRequest] | None = None
        self._beam_progress: BeamProgress | None = None
        self._job = Job(state.jobs, parent=self)
        self._job.event.connect(self._on_event)
        self._job.finished.connect(self._on_finished)
        self._job.failed.connect(self._on_failed)
        self._job.cancelled.connect(self._end)
        self._live_stats_timer = QTimer(self)
        self._live_stats_timer.setInterval(LIVE_STATS_INTERVAL_MS)
        self._live_stats_timer.timeout.connect(self._report_live_stats)

    @property
    def is_running(self) -> bool:
        return self._job.is_running

    # --- commands ----------------------------------------------------------------------

    def generate(self, request: GenerationRequest) -> bool:
        """Start ``request`` on the loaded model; False when a run is on, nothing is loaded,
        or the window is closing. The window always records the trace (the Token panel shows
        it), and attention rows while a panel shows them live."""
        loaded = self.state.loaded_model
        if self.is_running or loaded is None:
            return False
        # torch: imported by the model load, not at start-up
        from workbench.core.generation import generate, prefill_text

        request = dataclasses.replace(request, trace=True, live_attention=self.state.live_attention)
        try:
            prompt_ids = tuple(prompt_token_ids(loaded, request))
            answer_start = prefill_text(loaded, request, list(prompt_ids))
        except WorkbenchError:
            prompt_ids, answer_start = (), ""  # the run itself reports the problem, as a failed run

        if not self._job.start(lambda cancel: generate(loaded, request, cancel)):
            return False
        self._running = (loaded, request)
        self.last_request = request
        self.streamed_tokens = 0
        self._live_stats_timer.start()
        self.state.generation_started.emit(LiveGeneration(loaded, request, prompt_ids, answer_start))
        self.running_changed.emit(True)
        return True

    def stop(self) -> bool:
        """Ask the run to stop; it ends as a stopped run that keeps its partial output."""
        if not self.is_running:
            return False
        self._job.cancel()
        return True

    def regenerate(self, settings: DecodingSettings) -> None:
        """The last request again with ``settings``."""
        if self.last_request is not None:
            self.generate(dataclasses.replace(self.last_request, settings=settings))

    def shutdown(self) -> None:
        """Stop the run and wait for it; a stopped run's partial result is reported before this returns."""
        self._job.shutdown()

    # --- the running job ------------------------------------------------------------------

    def _on_event(self, event: TokenEvent | BeamProgress | AttentionRows) -> None:
        if isinstance(event, TokenEvent):
            self.streamed_tokens += 1
            self.token_streamed.emit(event)
            self.state.token_streamed.emit(event)
        elif isinstance(event, AttentionRows):
            self.state.attention_rows.emit(event)
        else:
            self._beam_progress = event

    def _report_live_stats(self) -> None:
        progress = self._beam_progress
        if progress is not None:
            self.live_stats.emit(self.tr("beam search: step {0} of at most {1}").format(
                progress.step, progress.max_steps))
        else:
            self.live_stats.emit(self.tr("{0} tokens so far").format(self.streamed_tokens))

    def _on_finished(self, result: GenerationResult) -> None:
        loaded, request = self._running
        self._end()
        record = GenerationRecord(loaded=loaded, request=request, result=result)
        self.finished.emit(record, run_from_record(record))
        # A model loaded meanwhile: the answer is kept (runs, tree), but the inspector pages read the model loaded
        # now, not the one it replaced (freed once this run has let go of it).
        if loaded is self.state.loaded_model:
            self.state.generation_finished.emit(record)

    def _on_failed(self, message: str) -> None:
        self._end()
        self.failed.emit(message)

    def _end(self) -> None:
        self._running = None
        self._beam_progress = None
        self._live_stats_timer.stop()
        self.running_changed.emit(False)
