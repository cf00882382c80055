"""Loads models on worker threads for the window.

Cancel gives control back at once: the running load is marked abandoned, and when it
finishes anyway (loading cannot stop in the middle of reading a file) its model is
freed instead of being used.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from workbench.core.catalog import ModelEntry
from workbench.core.loading import LoadedModel, LoadSettings, load_model
from workbench.qt.common.jobs import JobRunner


class ModelLoader(QObject):
    progress = Signal(object)  # LoadProgress of the current load
    loaded = Signal(object)  # LoadedModel
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: JobRunner | None = None
        self._alive: set[JobRunner] = set()  # every runner whose thread has not ended, abandoned ones too

    @property
    def is_loading(self) -> bool:
        return self._current is not None

    def load(self, entry: ModelEntry, settings: LoadSettings) -> None:
        self.cancel()
        runner = JobRunner(lambda cancel: load_model(entry, settings, cancel), self)
        runner.event.connect(lambda progress: self._if_current(runner, self.progress.emit, progress))
        runner.finished.connect(lambda model: self._on_finished(runner, model))
        runner.failed.connect(lambda message: self._if_current(runner, self._fail, message))
        runner.cancelled.connect(lambda: None)  # cancel() already told the window
        runner.thread_ended.connect(lambda: self._forget(runner))
        self._current = runner
        self._alive.add(runner)
        runner.start()

    def cancel(self) -> None:
        """Abandon the current load; the window keeps the model it had."""
        runner, self._current = self._current, None
        if runner is not None:
            runner.cancel()
            self.cancelled.emit()

    def shutdown(self) -> None:
        """Cancel everything and wait for the threads (the window is closing)."""
        self.cancel()
        for runner in list(self._alive):
            runner.cancel()
            runner.wait()
        self._alive.clear()

    def _forget(self, runner: JobRunner) -> None:
        self._alive.discard(runner)
        runner.deleteLater()

    def _if_current(self, runner: JobRunner, slot, value) -> None:
        if runner is self._current:
            slot(value)

    def _fail(self, message: str) -> None:
        self._current = None
        self.failed.emit(message)

    def _on_finished(self, runner: JobRunner, model: LoadedModel) -> None:
        if runner is self._current:
            self._current = None
            self.loaded.emit(model)
        else:
            model.unload()  # an abandoned load: nobody else holds this model
