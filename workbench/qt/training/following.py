"""Following a run that another process writes: a few looks a second at its folder (``RunFollower``),
what it gained handed to the Training panel as the trainer's own events would be."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.core.outputs import training_in
from workbench.core.training.run_follower import RunFollower, RunUpdate
from workbench.core.training.run_history import RunHistory

POLL_INTERVAL_MS = 250  # a point shows well within a second of its write; a look costs a stat and a read


class RunFollowing(QObject):
    updated = Signal(object)  # RunUpdate
    gone = Signal(str)  # the followed folder, deleted or moved away: following has stopped
    trainer_ended = Signal()  # the process that trained there let go of the folder (stopped, or killed)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._follower: RunFollower | None = None
        self._trained_in: bool | None = None  # whether a process held the folder's lock at the last look
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_INTERVAL_MS)
        self._timer.timeout.connect(self._look)

    @property
    def folder(self) -> Path | None:
        return self._follower.folder if self._follower else None

    def prepare(self, folder: str | Path) -> RunFollower:
        """Call before reading the run, then ``start(what was shown)``: nothing written in between is lost."""
        self.stop()
        self._follower = RunFollower(folder)
        return self._follower

    def start(self, shown: RunHistory) -> None:
        self._follower.shown(shown)
        self._trained_in = training_in(self._follower.folder)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._follower = None

    def _look(self) -> None:
        folder = self._follower.folder
        if not folder.is_dir():  # deleted, moved, or its share unmounted: what is on screen stays
            self.stop()
            self.gone.emit(str(folder))
            return
        update: RunUpdate = self._follower.poll()
        if update:
            self.updated.emit(update)
        if self._follower is None:  # the update opened the run again, and following with it
            return
        trained_in, self._trained_in = self._trained_in, training_in(folder)
        if trained_in and self._trained_in is False:
            self.trainer_ended.emit()
