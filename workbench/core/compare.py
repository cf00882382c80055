"""One text scored by several models (teacher forcing): per-token log-probabilities, their mean, bits
per byte (comparable across tokenizers), and, for models sharing the first one's tokenizer, the
per-position KL divergence between the first model's next-token distribution and theirs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generator, Sequence

import numpy as np
import torch

from workbench.core.attention_tokens import token_bytes
from workbench.core.divergence import kl_divergence
from workbench.core.errors import InvalidInputError
from workbench.core.generation_data import require_scoring_model
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken
from workbench.core.loading import LoadedModel
from workbench.core.reading import next_token_logits
from workbench.core.transformers_helpers import fused_attention, unknown_token_count

_KL_CHUNK = 128  # positions whose two full distributions are held at once


@dataclass(frozen=True, eq=False)
class TextScore:
    """The text under one model. ``logprobs[i]`` is log p(token i+1 | tokens 0..i), in nats."""

    model: str
    token_ids: tuple[int, ...]
    logprobs: np.ndarray  # (T-1,) float64
    covered_bytes: int  # UTF-8 bytes of the text after the first token: what the log-probs pay for
    kl_to_first: np.ndarray | None  # (T-1,) float64 KL(first || this) per position; None: other tokenizer
    offsets: tuple[tuple[int, int], ...] = ()  # (T,) each token's characters in the text, [start, end)
    # With ``score_text(top=k)``: the k likeliest next tokens at each position and their log-probabilities.
    top_ids: np.ndarray | None = None  # (T-1, k) int64
    top_logprobs: np.ndarray | None = None  # (T-1, k) float64
    # Tokens of text the tokenizer has no token for (its <unk>): the model is scored on <unk>, not on that text.
    unknown_tokens: int = 0

    @property
    def mean_logprob(self) -> float:
        return float(self.logprobs.mean()) if self.logprobs.size else math.nan

    @property
    def bits_per_byte(self) -> float:
        return float(-self.logprobs.sum() / math.log(2) / self.covered_bytes) if self.covered_bytes else math.nan

    def to_json(self) -> dict:
        report = {
            "model": self.model,
            "token_ids": list(self.token_ids),
            "logprobs": self.logprobs.tolist(),
            "mean_logprob": self.mean_logprob,
            "bits_per_byte": self.bits_per_byte,
            "unknown_tokens": self.unknown_tokens,
        }
        if self.kl_to_first is not None:
            report["kl_to_first"] = self.kl_to_first.tolist()
        return report


@dataclass(frozen=True)
class CompareProgress:
    models_done: int
    models_total: int


# Read by both tokenizers to see that they add the same special tokens around a text (one appends an end of text).
_PROBE_TEXT = "Models compare: 床前明月光, 2 + 2 = 4."


def same_token_space(first: LoadedModel, other: LoadedModel) -> bool:
    """Whether positions and distributions line up: the same token-to-id map and special tokens, the same special
    tokens added around a text, and as many scores per position (a padded vocabulary, as two sizes of one family
    often have, makes the other's distribution longer)."""
    a, b = first.tokenizer, other.tokenizer
    return (
        a.get_vocab() == b.get_vocab()
        and a.special_tokens_map == b.special_tokens_map
        and a(_PROBE_TEXT)["input_ids"] == b(_PROBE_TEXT)["input_ids"]
        and _scores_per_position(first) == _scores_per_position(other)
    )


def _scores_per_position(loaded: LoadedModel) -> int | None:
    return getattr(loaded.model.config.get_text_config(), "vocab_size", None)


def _encode(loaded: LoadedModel, text: str) -> tuple[list[int], int, list[tuple[int, int]]]:
    """The text's ids as the tokenizer makes them (its own special tokens, no chat template), the
    UTF-8 length of the text the tokens after the first stand for, and each token's character span."""
    encoded = loaded.tokenizer(text, return_offsets_mapping=True)
    ids, offsets = list(encoded["input_ids"]), encoded["offset_mapping"]
    if len(ids) < 2:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The text is {count} token long for {model}: scoring needs two.").fill(
                count=len(ids), model=loaded.entry.name
            )
        )
    limit = getattr(loaded.model.config.get_text_config(), "max_position_embeddings", None)
    if limit is not None and len(ids) > limit and not loaded.slides_past_context:  # those read their last window
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "The text is {count} tokens for {model}, which reads at most {limit}: shorten it."
            ).fill(count=len(ids), model=loaded.entry.name, limit=limit)
        )
    (first_start, first_end), next_start = offsets[0], offsets[1][0]
    if next_start < first_end:  # the first token is part of a character (床 split in bytes): count the rest's
        covered = len(text[first_start:].encode("utf-8")) - len(token_bytes(loaded.tokenizer, ids[0]))
    else:
        covered = len(text[first_end:].encode("utf-8"))
    return ids, covered, [(int(start), int(end)) for start, end in offsets]


def _check_not_empty(text: str) -> None:
    if not text.strip():
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "The text is empty: give some text to score."))


def scoring_problem(loaded: LoadedModel, text: str) -> InvalidInputError | None:
    """Why ``loaded`` cannot score ``text`` (empty; an encoder; one token, or more than its context), or None."""
    try:
        _check_not_empty(text)
        require_scoring_model(loaded.entry.name, loaded.can_generate)
        _encode(loaded, text)
    except InvalidInputError as problem:
        return problem
    return None


def _next_token_logits(loaded: LoadedModel, ids: Sequence[int]) -> torch.Tensor:
    """(T-1, V) scores of every next token, on the model's device, read as generation reads them."""
    # Scores read no attention weights: the fused kernel (SDPA), as a model loaded without the workbench runs.
    with torch.inference_mode(), fused_attention(loaded.model):
        return next_token_logits(loaded, ids)  # (T-1, V)


def _token_log_probs(logits: torch.Tensor, ids: Sequence[int]) -> np.ndarray:
    """log p of each actual next token: its score minus the log-sum-exp (no (T, V) softmax kept)."""
    with torch.inference_mode():
        targets = torch.tensor(ids[1:], device=logits.device)[:, None]  # (T-1, 1)
        picked = logits.gather(1, targets)[:, 0].float() - logits.float().logsumexp(dim=-1)  # (T-1,)
    return picked.double().cpu().numpy()


def _top(logits: torch.Tensor, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` likeliest next tokens at every position and their log-probabilities."""
    with torch.inference_mode():
        values, ids = logits.float().topk(count, dim=-1)  # (T-1, k)
        values = values - logits.float().logsumexp(dim=-1, keepdim=True)
    return ids.cpu().numpy(), values.double().cpu().numpy()


def _kl(reference: torch.Tensor, other: torch.Tensor) -> np.ndarray:
    """KL(reference || other) per position, a chunk of positions at a time. Both (T-1, V) logits."""
    parts = []
    with torch.inference_mode():
        for start in range(0, reference.shape[0], _KL_CHUNK):
            p_log = reference[start : start + _KL_CHUNK].float().log_softmax(dim=-1)  # (C, V)
            q_log = other[start : start + _KL_CHUNK].to(p_log.device).float().log_softmax(dim=-1)  # (C, V)
            parts.append(kl_divergence(p_log, q_log))  # (C,)
    return torch.cat(parts).double().cpu().numpy()


def score_text(
    models: Sequence[LoadedModel], text: str, cancel: CancelToken | None = None, top: int = 0
) -> Generator[CompareProgress, None, list[TextScore]]:
    """Score ``text`` under every model in order; a model at a time, each under its lock.
    ``top``: also keep each position's ``top`` likeliest next tokens (for a reader comparing them)."""
    _check_not_empty(text)
    for loaded in models:
        require_scoring_model(loaded.entry.name, loaded.can_generate)
    cancel = cancel or CancelToken()
    scores: list[TextScore] = []
    first_logits: torch.Tensor | None = None  # (T-1, V) kept while a later model shares the tokenizer
    sharing = [same_token_space(models[0], loaded) for loaded in models]
    for index, loaded in enumerate(models):
        if cancel.cancelled:
            return scores
        ids, covered, offsets = _encode(loaded, text)
        with loaded.lock:
            logits = _next_token_logits(loaded, ids)  # (T-1, V)
        kl = None
        if index == 0:
            kl = np.zeros(len(ids) - 1)  # a model against itself
            first_logits = logits if any(sharing[1:]) else None
        elif sharing[index] and tuple(ids) == scores[0].token_ids:  # (a text the two could still split apart)
            kl = _kl(first_logits, logits)
        top_ids, top_logprobs = _top(logits, min(top, logits.shape[-1])) if top else (None, None)
        log_probs = _token_log_probs(logits, ids)  # (T-1,)
        if np.isnan(log_probs).any():  # -inf is a true answer: the model ruled a token of the text out
            raise loaded.not_finite()
        scores.append(
            TextScore(
                loaded.entry.id,
                tuple(ids),
                log_probs,
                covered,
                kl,
                tuple(offsets),
                top_ids,
                top_logprobs,
                unknown_token_count(loaded.tokenizer, ids),
            )
        )
        del logits
        yield CompareProgress(index + 1, len(models))
    return scores
