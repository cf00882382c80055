"""The run's scalars as TensorBoard events (``--tensorboard DIR``), so existing dashboards read our runs.

Tags: ``loss/train`` and ``lr`` and ``speed/tokens_per_s`` at every step, ``loss/val`` and
``loss/train_mean`` (the mean training loss since the previous evaluation) at every evaluation; the
x axis is the step. A resumed run asks TensorBoard to hide what the first run wrote after its
checkpoint, as the curves in the window do.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.errors import InvalidSettingsError
from workbench.core.i18n import QT_TRANSLATE_NOOP


class TensorBoardLog:
    def __init__(self, folder: str | Path, resumed_step: int | None = None) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as error:
            needs = QT_TRANSLATE_NOOP(
                "Errors", "TensorBoard events need the tensorboard package: pip install tensorboard"
            )
            raise InvalidSettingsError(needs) from error
        purge_step = None if resumed_step is None else resumed_step + 1
        folder = Path(folder).expanduser()
        before = set(folder.iterdir()) if folder.is_dir() else set()
        self._writer = SummaryWriter(log_dir=str(folder), purge_step=purge_step)
        self.created = sorted(set(folder.iterdir()) - before)  # this writer's event file (the folder may be shared)

    def step(self, step: int, train_loss: float, lr: float, tokens_per_s: float) -> None:
        self._writer.add_scalar("loss/train", train_loss, step)
        self._writer.add_scalar("lr", lr, step)
        self._writer.add_scalar("speed/tokens_per_s", tokens_per_s, step)

    def evaluation(self, step: int, val_loss: float, train_mean: float) -> None:
        self._writer.add_scalar("loss/val", val_loss, step)
        self._writer.add_scalar("loss/train_mean", train_mean, step)
        self._writer.flush()  # evaluations are rare: a dashboard sees each at once

    def close(self) -> None:
        self._writer.close()
