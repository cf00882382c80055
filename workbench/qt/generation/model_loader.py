"""Loads models on worker threads for the window.

Cancel gives control back at once: the running load is abandoned, and when it
finishes anyway (loading cannot stop in the middle of reading a file) its model is
freed instead of being used.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from workbench.core.catalog import ModelEntry
from workbench.core.errors import RemoteCodeRefusedError
from workbench.core.loading import LoadedModel, LoadSettings, open_model
from workbench.qt.common.jobs import Job, JobRegistry
from workbench.qt.common.language import error_text


@dataclass(frozen=True)
class RemoteCodeRequest:
    """A load that stopped because the model ships its own code: the window asks the person."""

    entry: ModelEntry
    settings: LoadSettings
    files: tuple[str, ...]
    message: str


def _load_or_ask(entry: ModelEntry, settings: LoadSettings, cancel):
    try:
        return (yield from open_model(entry, settings, cancel))
    except RemoteCodeRefusedError as refused:
        return RemoteCodeRequest(entry, settings, tuple(refused.files), error_text(refused))  # the window's language


def _free(result) -> None:
    if isinstance(result, LoadedModel):
        result.unload()


class ModelLoader(QObject):
    progress = Signal(object)  # LoadProgress of the current load
    loaded = Signal(object)  # LoadedModel
    remote_code_requested = Signal(object)  # RemoteCodeRequest: load again only if the person agrees
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, jobs: JobRegistry, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # An abandoned load that finishes anyway: nobody else holds its model.
        self._job = Job(jobs, discard=_free, parent=self)
        self._job.event.connect(self.progress)
        self._job.finished.connect(self._on_finished)
        self._job.failed.connect(self.failed)

    @property
    def is_loading(self) -> bool:
        return self._job.is_running

    def load(self, entry: ModelEntry, settings: LoadSettings) -> None:
        # A load still running is replaced, not cancelled: saying so would put the old model back in the box
        # ("still using the previous model") while this one loads.
        self._job.abandon()
        self._job.start(lambda cancel: _load_or_ask(entry, settings, cancel))

    def _on_finished(self, result) -> None:
        if isinstance(result, RemoteCodeRequest):
            self.remote_code_requested.emit(result)
        else:
            self.loaded.emit(result)

    def cancel(self) -> None:
        """Abandon the current load; the window keeps the model it had."""
        if self._job.is_running:
            self._job.abandon()
            self.cancelled.emit()

    def shutdown(self) -> None:
        """Abandon every load and wait for the threads (the window is closing)."""
        self._job.abandon()
        self._job.shutdown()
