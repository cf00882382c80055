"""Mean next-token loss and perplexity of a model over a text."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generator

import torch
import torch.nn.functional as F

from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken
from workbench.core.training.tokenization import encode_corpus

DEFAULT_BLOCK_SIZE = 512
# Tokens read in one forward pass: 8 blocks of the default size, fewer of longer ones (the logits and, with
# eager attention, the (T, T) scores grow with it: 3 blocks of 8192 took 11.6 GB), one block at the least.
BATCH_TOKENS = 8 * DEFAULT_BLOCK_SIZE


@dataclass(frozen=True)
class PerplexityProgress:
    blocks_done: int
    blocks: int


@dataclass(frozen=True)
class PerplexityResult:
    mean_loss: float  # nats per predicted token
    perplexity: float  # exp(mean_loss)
    predicted_tokens: int
    blocks: int
    block_size: int


def require_next_token_model(name: str, can_generate: bool) -> None:
    """Perplexity is a next-token measure: an encoder (BERT, MiniLM) has none."""
    if not can_generate:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "{name} is an encoder: it does not predict the next token, so it has no perplexity. "
                "Pick a generative model.",
            ).fill(name=name)
        )


def perplexity(
    loaded, text: str, block_size: int | None = None, cancel: CancelToken | None = None
) -> Generator[PerplexityProgress, None, PerplexityResult]:
    """Split the tokens into consecutive blocks of ``block_size`` inputs; each block's targets
    are its inputs shifted by one, so blocks share one token and every token after the
    first is predicted exactly once."""
    cancel = cancel or CancelToken()
    require_next_token_model(loaded.entry.name, loaded.can_generate)
    limit = loaded.context_length
    if block_size is None:
        block_size = min(DEFAULT_BLOCK_SIZE, limit) if limit else DEFAULT_BLOCK_SIZE
    if block_size < 1:
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "Block size must be at least 1."))
    if limit and block_size > limit:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "Block size {block_size} is longer than {model}'s context of {limit} tokens."
            ).fill(block_size=block_size, model=loaded.entry.name, limit=limit)
        )
    ids = torch.from_numpy(encode_corpus(loaded.tokenizer, text).astype("int64"))  # (N,)
    if len(ids) < 2:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The text is too short: perplexity needs at least two tokens.")
        )
    starts = list(range(0, len(ids) - 1, block_size))
    windows = [ids[start : start + block_size + 1] for start in starts]  # each (<= T+1,)
    total_loss, predicted = 0.0, 0
    batch_size = max(1, BATCH_TOKENS // block_size)
    with loaded.lock, torch.no_grad():
        for first in range(0, len(windows), batch_size):
            cancel.raise_if_cancelled()
            # Windows of one length share a batch; only the last window can be shorter.
            for group in _same_length_groups(windows[first : first + batch_size]):
                chunk = torch.stack(group).to(loaded.device)  # (B, T+1)
                logits = loaded.model(input_ids=chunk[:, :-1]).logits.float()  # (B, T, V)
                targets = chunk[:, 1:]  # (B, T)
                total_loss += F.cross_entropy(
                    logits.reshape(-1, logits.size(-1)), targets.reshape(-1), reduction="sum"
                ).item()
                predicted += targets.numel()
            yield PerplexityProgress(min(first + batch_size, len(windows)), len(windows))
    mean_loss = total_loss / predicted
    return PerplexityResult(mean_loss, math.exp(mean_loss), predicted, len(windows), block_size)


def _same_length_groups(windows: list[torch.Tensor]) -> list[list[torch.Tensor]]:
    groups: dict[int, list[torch.Tensor]] = {}
    for window in windows:
        groups.setdefault(len(window), []).append(window)
    return list(groups.values())
