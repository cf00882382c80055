"""Three scores per attention head, read from the model's own attention on one fixed probe.

The probe is ``n`` random tokens repeated twice (after the BOS token when the tokenizer has
one), so that anyone can recompute the scores:

- ``o`` = 1 when the tokenizer defines a BOS token, else 0; ``n`` = min(50, (context - o) // 2);
- ``R`` = ``n`` ids from ``torch.randint(low, high, (n,), generator=Generator().manual_seed(0))``,
  with ``low, high`` = 1000, 10000 for vocabularies of at least 10,000 tokens; smaller
  vocabularies draw indices into their non-special token ids, in id order.

For a head with attention ``A`` (query x key) on that sequence:

- previous-token score: mean over queries ``t >= o + 1`` of ``A[t, t - 1]``;
- induction score: mean over the ``n`` queries ``t`` of the second repeat of ``A[t, t - n + 1]``
  (the token that followed this one the first time: what an induction head copies, Olsson et al. 2022);
- sink score: mean over queries ``t >= 1`` of ``A[t, 0]``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import astuple, dataclass
from typing import Any

import numpy as np

from workbench.core.attention import capture_attention
from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken

MAX_REPEAT = 50
LARGE_VOCABULARY = 10_000
LARGE_VOCABULARY_RANGE = (1000, 10_000)
SCORE_NAMES = ("previous_token", "induction", "sink")


@dataclass(frozen=True)
class RepeatedProbe:
    token_ids: tuple[int, ...]  # [BOS] + R + R
    offset: int  # o: 1 when the sequence starts with BOS
    repeat: int  # n: the length of R


@dataclass(frozen=True)
class HeadScores:
    previous_token: np.ndarray  # (L, H)
    induction: np.ndarray  # (L, H)
    sink: np.ndarray  # (L, H)

    @property
    def layers(self) -> int:
        return self.induction.shape[0]

    @property
    def heads(self) -> int:
        return self.induction.shape[1]

    def to_json(self) -> dict[str, Any]:
        """The format of ``workbench heads --json``: per score, a list of H values per layer."""
        return {
            "layers": self.layers,
            "heads": self.heads,
            "scores": {name: getattr(self, name).round(6).tolist() for name in SCORE_NAMES},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeadScores:
        """Read back what ``to_json`` wrote (a line of a run's heads.jsonl)."""
        return cls(*(np.asarray(data["scores"][name], dtype=np.float32) for name in SCORE_NAMES))


def repeated_probe(tokenizer, context_length: int | None) -> RepeatedProbe:
    """The probe sequence for this tokenizer and context length (see the module's docstring)."""
    import torch

    bos = getattr(tokenizer, "bos_token_id", None)
    offset = 1 if bos is not None else 0
    limit = context_length if context_length else 2 * MAX_REPEAT + offset
    repeat = min(MAX_REPEAT, (limit - offset) // 2)
    if repeat < 2:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "The model reads at most {limit} tokens: too few to repeat a sequence in."
            ).fill(limit=limit)
        )
    generator = torch.Generator().manual_seed(0)
    vocabulary = len(tokenizer)
    if vocabulary >= LARGE_VOCABULARY:
        drawn = torch.randint(*LARGE_VOCABULARY_RANGE, (repeat,), generator=generator).tolist()
    else:
        special = set(getattr(tokenizer, "all_special_ids", None) or [])
        ordinary = [token_id for token_id in range(vocabulary) if token_id not in special]
        if not ordinary:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP("Errors", "The tokenizer has no ordinary tokens to build the probe from.")
            )
        drawn = [ordinary[i] for i in torch.randint(0, len(ordinary), (repeat,), generator=generator).tolist()]
    return RepeatedProbe(tuple([bos] * offset + drawn + drawn), offset, repeat)


def scores_from_attention(weights: np.ndarray, offset: int, repeat: int) -> HeadScores:
    """The three scores from attention ``weights`` (L, H, T, T) on a repeated probe."""
    weights = np.asarray(weights, dtype=np.float32)
    length = weights.shape[-1]
    if length != offset + 2 * repeat:
        raise ValueError(f"attention over {length} tokens, but the probe has {offset + 2 * repeat}")
    queries = np.arange(offset + 1, length)
    previous = weights[:, :, queries, queries - 1].mean(axis=-1)  # (L, H)
    second = np.arange(offset + repeat, length)
    induction = weights[:, :, second, second - repeat + 1].mean(axis=-1)  # (L, H)
    sink = weights[:, :, 1:, 0].mean(axis=-1)  # (L, H)
    return HeadScores(previous, induction, sink)


def head_scores(source, context_length: int | None, cancel: CancelToken | None = None) -> HeadScores:
    """The scores of every head of a LoadedModel or a (model, tokenizer) pair: one forward pass over
    the probe with eager attention (``context_length``: the longest sequence the model reads)."""
    tokenizer = source[1] if isinstance(source, tuple) else source.tokenizer
    probe = repeated_probe(tokenizer, context_length)
    capture = capture_attention(source, probe.token_ids, cancel=cancel)
    scores = scores_from_attention(capture.main.weights, probe.offset, probe.repeat)
    # A loaded model's NaN is said as such; a diverging training run's scores keep it, as its loss does.
    if not isinstance(source, tuple) and not all(np.isfinite(part).all() for part in astuple(scores)):
        raise source.not_finite()
    return scores


def head_scores_job(source, context_length: int | None, cancel: CancelToken) -> Generator[str, None, HeadScores]:
    """``head_scores`` as a job for a window: says what it does, then returns the scores."""
    yield QT_TRANSLATE_NOOP("StatusEvent", "Scoring every head on a repeated random sequence")
    return head_scores(source, context_length, cancel)
