"""One kept step of a run, read on one probe text: what the checkpoint scrubber shows.

The model kept at that evaluation (``snapshots.py``) is loaded on the CPU, beside a run that may still
be training on the same device, and reads the probe: its attention (every layer and head), its
logit lens, its next-token distribution at the probe's end and its heads' scores.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from workbench.core.attention import AttentionMap, capture_attention
from workbench.core.attention_tokens import single_token_labels
from workbench.core.head_scores import HeadScores, head_scores
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken, drain
from workbench.core.lens import LogitLens, logit_lens
from workbench.core.training.probes import probe_token_ids

LOADING_STEP = QT_TRANSLATE_NOOP("StatusEvent", "Loading the model of step {step} on the CPU")


@dataclass(frozen=True)
class StepReading:
    step: int
    probe: str
    attention: AttentionMap  # (L, H, T, T) with the probe's token labels
    lens: LogitLens
    next_tokens: tuple[tuple[str, float], ...]  # the likeliest tokens after the probe, with probabilities
    head_scores: HeadScores


def read_step(folder: str | Path, step: int, probe: str, block_size: int,
              cancel: CancelToken) -> Generator[str, None, StepReading]:
    """Load the model kept at ``step`` (in ``folder``) on the CPU and read ``probe`` with it; yields
    what it is doing, for a status line."""
    from workbench.core.loading import LoadSettings, load_model_blocking

    yield LOADING_STEP.fill(step=step)
    loaded = load_model_blocking(str(folder), LoadSettings(device="cpu", dtype="float32"))
    ids = probe_token_ids(loaded.tokenizer, probe, block_size)
    cancel.raise_if_cancelled()
    yield QT_TRANSLATE_NOOP("StatusEvent", "Reading the probe with the model of step {step}").fill(step=step)
    attention = capture_attention(loaded, ids, cancel=cancel).main
    lens = drain(logit_lens(loaded, ids, cancel=cancel))
    # The lens's last layer is the model's own output: its top 5 at the last position are the next tokens.
    top_ids, top_probs = lens.top_ids[-1, -1], lens.top_probs[-1, -1]  # (5,) each
    labels = single_token_labels(loaded.tokenizer, top_ids.tolist())  # readable: a newline shows as ⏎
    next_tokens = tuple((label, float(p)) for label, p in zip(labels, top_probs.tolist()))
    scores = head_scores(loaded, loaded.context_length, cancel)  # as the run and `workbench heads` score them
    return StepReading(step, probe, attention, lens, next_tokens, scores)
