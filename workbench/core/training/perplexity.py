"""Mean next-token loss and perplexity of a model over a text."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generator

import torch
import torch.nn.functional as F

from workbench.core.errors import InvalidInputError
from workbench.core.generation_data import require_next_token_model
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken
from workbench.core.training.events import perplexity_of
from workbench.core.training.tokenization import IGNORED_LABEL, encode_corpus
from workbench.core.transformers_helpers import fused_attention, leading_special_ids, unknown_token_count

DEFAULT_BLOCK_SIZE = 512
# Tokens read in one forward pass: 8 blocks of the default size, fewer of longer ones (the logits grow with it,
# and the (T, T) scores of a model without a fused kernel: 3 blocks of 8192 took 11.6 GB eager), one at the least.
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
    unknown_tokens: int = 0  # text the tokenizer has no token for: scored as its <unk>, not as that text


def perplexity(
    loaded, text: str, block_size: int | None = None, cancel: CancelToken | None = None
) -> Generator[PerplexityProgress, None, PerplexityResult]:
    """Split the tokens into consecutive blocks of ``block_size`` inputs; each block's targets
    are its inputs shifted by one, so blocks share one token and every token after the
    first is predicted exactly once. A model whose tokenizer starts every text with a token
    (Gemma's and Llama's ``<bos>``) reads it at the start of every block, as it always has in
    training, and the first block predicts the text's first token from it too, as
    ``model(input_ids, labels=input_ids)`` on the encoded text does."""
    cancel = cancel or CancelToken()
    require_next_token_model(loaded.entry.name, loaded.can_generate)
    prefix = torch.tensor(leading_special_ids(loaded.tokenizer), dtype=torch.int64)  # (P,)
    limit = loaded.context_length - len(prefix) if loaded.context_length else None  # tokens after the prefix
    if block_size is None:
        block_size = min(DEFAULT_BLOCK_SIZE, limit) if limit else DEFAULT_BLOCK_SIZE
    if block_size < 1:
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "Block size must be at least 1."))
    if limit and block_size > limit:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "Block size {block_size} is longer than {model}'s context of {limit} tokens."
            ).fill(block_size=block_size, model=loaded.entry.name, limit=limit)
            if not len(prefix)
            else QT_TRANSLATE_NOOP(
                "Errors", "Block size {block_size} is longer than the {limit} tokens {model} reads after its "
                "start-of-text token."
            ).fill(block_size=block_size, model=loaded.entry.name, limit=limit)
        )
    ids = torch.from_numpy(encode_corpus(loaded.tokenizer, text).astype("int64"))  # (N,)
    if len(ids) < 2:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The text is too short: perplexity needs at least two tokens.")
        )
    starts = list(range(0, len(ids) - 1, block_size))
    windows = [_labelled(prefix, ids[start : start + block_size + 1], first=start == 0) for start in starts]
    total_loss, predicted = 0.0, 0
    batch_size = max(1, BATCH_TOKENS // block_size)
    with loaded.lock, torch.no_grad(), fused_attention(loaded.model):
        for first in range(0, len(windows), batch_size):
            cancel.raise_if_cancelled()
            # Windows of one length share a batch; only the last window can be shorter.
            for group in _same_length_groups(windows[first : first + batch_size]):
                inputs = torch.stack([tokens for tokens, _ in group]).to(loaded.device)  # (B, P+T)
                labels = torch.stack([labels for _, labels in group]).to(loaded.device)  # (B, P+T)
                logits = loaded.model(input_ids=inputs).logits.float()  # (B, P+T, V)
                total_loss += F.cross_entropy(
                    logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORED_LABEL, reduction="sum"
                ).item()
                predicted += int((labels != IGNORED_LABEL).sum())
            yield PerplexityProgress(min(first + batch_size, len(windows)), len(windows))
    mean_loss = total_loss / predicted
    if math.isnan(mean_loss):  # inf is a true answer: the model ruled a token of the text out
        raise loaded.not_finite()
    return PerplexityResult(mean_loss, perplexity_of(mean_loss), predicted, len(windows), block_size,
                            unknown_token_count(loaded.tokenizer, ids.numpy()))


Labelled = tuple[torch.Tensor, torch.Tensor]  # a block's inputs and labels, as _labelled makes them


def _labelled(prefix: torch.Tensor, window: torch.Tensor, first: bool) -> Labelled:
    """A block's inputs (the prefix, then the window less its last token) and what each position predicts:
    the next token, none while still inside the prefix, and the window's first token only in the first
    block (the block before predicted it)."""
    tokens = torch.cat([prefix, window])  # (P+T+1,)
    labels = tokens[1:].clone()  # (P+T,): position i predicts token i+1
    labels[: max(len(prefix) - 1, 0)] = IGNORED_LABEL
    if len(prefix) and not first:
        labels[len(prefix) - 1] = IGNORED_LABEL
    return tokens[:-1], labels


def _same_length_groups(windows: list[Labelled]) -> list[list[Labelled]]:
    groups: dict[int, list[Labelled]] = {}
    for window in windows:
        groups.setdefault(len(window[0]), []).append(window)
    return list(groups.values())
