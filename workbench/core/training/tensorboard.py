"""The run's scalars as TensorBoard events (``--tensorboard DIR``), so existing dashboards read our runs.

Tags: ``loss/train`` and ``lr`` and ``speed/tokens_per_s`` at every step, ``loss/val`` and
``loss/train_mean`` (the mean training loss since the previous evaluation) at every evaluation; the
x axis is the step. A resumed run asks TensorBoard to hide what the first run wrote after its
checkpoint, as the curves in the window do.

The events are a copy for dashboards: a write that fails (the folder removed, a full disk) stops the events,
never the run, whose ``metrics.csv`` holds every step.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from workbench.core.errors import InvalidSettingsError
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text


class TensorBoardLog:
    def __init__(self, folder: str | Path, resumed_step: int | None = None) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as error:
            needs = QT_TRANSLATE_NOOP(
                "Errors", "TensorBoard events need the tensorboard package: pip install tensorboard"
            )
            raise InvalidSettingsError(needs) from error
        _leave_writer_thread_errors_to_the_log()
        purge_step = None if resumed_step is None else resumed_step + 1
        self.folder = folder = Path(folder).expanduser()
        before = set(folder.iterdir()) if folder.is_dir() else set()
        self._writer = SummaryWriter(log_dir=str(folder), purge_step=purge_step)
        self.created = sorted(set(folder.iterdir()) - before)  # this writer's event file (the folder may be shared)
        self.problem: Text | None = None  # why the events stopped, once a write failed

    def step(self, step: int, train_loss: float, lr: float, tokens_per_s: float) -> None:
        self._write(step, lambda writer: (
            writer.add_scalar("loss/train", train_loss, step),
            writer.add_scalar("lr", lr, step),
            writer.add_scalar("speed/tokens_per_s", tokens_per_s, step),
        ))

    def evaluation(self, step: int, val_loss: float, train_mean: float) -> None:
        self._write(step, lambda writer: (
            writer.add_scalar("loss/val", val_loss, step),
            writer.add_scalar("loss/train_mean", train_mean, step),
            writer.flush(),  # evaluations are rare: a dashboard sees each at once
        ))

    def close(self) -> None:
        self._write(None, lambda writer: writer.close())

    def _write(self, step: int | None, write: Callable[[Any], object]) -> None:
        if self.problem is not None:
            return
        try:
            write(self._writer)
        except Exception as error:  # the writer's thread hands on whatever stopped it: any of them ends the events
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            self.problem = QT_TRANSLATE_NOOP(
                "StatusEvent", "TensorBoard events in {folder} stopped at step {step} ({reason}): the run goes on, "
                "and its metrics.csv holds every step."
            ).fill(folder=self.folder, step=step, reason=reason)
            try:
                self._writer.close()
            except Exception:  # the same error again, from the same dead thread
                pass


def _leave_writer_thread_errors_to_the_log() -> None:
    """TensorBoard's writer thread dies on a failed write with a traceback on stderr, then its writer raises the
    same error on the next call, where ``TensorBoardLog`` says it in one line: the thread's traceback is left
    unprinted. Other threads' errors are printed as before."""
    try:
        from tensorboard.summary.writer.event_file_writer import _AsyncWriterThread
    except ImportError:  # another layout of the package: its tracebacks stay
        return
    printing = threading.excepthook
    if getattr(printing, "leaves_writer_errors_to_the_log", False):
        return

    def excepthook(args: threading.ExceptHookArgs) -> None:
        if not isinstance(args.thread, _AsyncWriterThread):
            printing(args)

    excepthook.leaves_writer_errors_to_the_log = True
    threading.excepthook = excepthook
