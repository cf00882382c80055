"""What a training run reports: small frozen records, safe to send across threads."""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.core.checkpoints import SavingProgress
from workbench.core.head_scores import HeadScores
from workbench.core.jobs import StatusEvent  # noqa: F401  (part of what a run reports)
from workbench.core.training.probes import ProbeRecord
from workbench.core.training.snapshots import SnapshotEvent  # noqa: F401  (part of what a run reports)


def perplexity_of(loss: float) -> float:
    """exp(loss), infinite past what a float holds (a loss over ~709.8 nats: a diverged model) rather than an
    OverflowError or a number made up by clamping the loss."""
    try:
        return math.exp(loss)
    except OverflowError:
        return math.inf


@dataclass(frozen=True)
class CorpusStats:
    characters: int
    tokens: int
    vocabulary: int
    train_tokens: int
    val_tokens: int
    unknown: int = 0  # tokens read as the unknown token: characters a resumed run's vocabulary never had
    special_tokens: tuple[str, ...] = ()  # counted in the vocabulary beside the text's own (<|endoftext|>, <unk>)


@dataclass(frozen=True)
class BatchLayout:
    """How many blocks one step learns from: ``batch_size`` per process x ``grad_accum`` micro-batches x
    ``processes`` (torchrun's world size)."""

    batch_size: int
    grad_accum: int
    processes: int
    device: str

    @property
    def effective_batch(self) -> int:
        return self.batch_size * self.grad_accum * self.processes


@dataclass(frozen=True)
class StepEvent:
    step: int
    train_loss: float
    lr: float
    tokens_per_s: float
    tokens_seen: int
    elapsed_s: float


@dataclass(frozen=True)
class EvalEvent:
    step: int
    val_loss: float
    perplexity: float
    train_loss: float | None
    sample: str | None  # None when a Stop cut it short: none is kept
    tokens_seen: int
    elapsed_s: float
    head_scores: HeadScores | None = None  # (L, H) each; None when off or the model has no attention
    probes: tuple[ProbeRecord, ...] = ()


@dataclass(frozen=True)
class CheckpointEvent:
    step: int
    path: str


@dataclass(frozen=True)
class RunWarning:
    """Something gone wrong beside the run that does not stop it (its TensorBoard events stopped)."""

    message: str


@dataclass(frozen=True)
class TrainResult:
    out_dir: str
    step: int
    final_val_loss: float | None
    stopped: bool
    message: str
    diverged: bool = False  # stopped because the loss stopped being a number


TrainEvent = (
    StatusEvent | CorpusStats | BatchLayout | StepEvent | EvalEvent | SavingProgress | CheckpointEvent | SnapshotEvent
    | RunWarning
)
