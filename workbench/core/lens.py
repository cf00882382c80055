"""The logit lens: what each layer would predict if the model stopped there.

One forward pass keeps the residual stream with hooks: the input of the first block (after the
embeddings) and the output of every block. Each of these is then passed through the model's own
final norm and output head, a chunk of positions at a time, so memory holds (chunk, vocab) logits
and never (layers, tokens, vocab). The final norm is found in that same pass: the norm module that
runs on the last block's output; the last layer's projection is checked against the model's own
logits, so the last row of the lens is the model's output distribution.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generator, Sequence

import numpy as np

from workbench.core.errors import InvalidInputError, InvalidSettingsError
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken
from workbench.core.model_parts import decoder_blocks
from workbench.core.transformers_helpers import fused_attention

if TYPE_CHECKING:
    import torch

    from workbench.core.loading import LoadedModel

TOP_K = 5  # likeliest tokens kept per layer and position


@dataclass(frozen=True)
class LensProgress:
    layers_done: int
    layers_total: int


@dataclass(frozen=True, eq=False)
class LogitLens:
    """Each layer's next-token prediction at every position. Position i predicts token i + 1,
    so the last position has no next token: NaN probability and rank -1 there. What it predicts is the
    model's own guess (``guess_id``, its likeliest token there): each layer's probability and rank of that
    token are ``guess_prob`` and ``guess_rank``, so the answer to a prompt can be watched forming."""

    # ("embed", "0", ..., str(L - 1)): the embeddings, then the output of each block, numbered as the Attention
    # page and `workbench attention --layer` number the blocks (row "3" is what block 3's attention fed into)
    layers: tuple[str, ...]
    token_ids: tuple[int, ...]  # prompt + generated
    next_token_prob: np.ndarray  # (L+1, T) float32
    next_token_rank: np.ndarray  # (L+1, T) int32, 0 = the layer's likeliest token
    top_ids: np.ndarray  # (L+1, T, 5) int64
    top_probs: np.ndarray  # (L+1, T, 5) float32
    guess_id: int  # the model's likeliest token after the last position (its last layer's top guess there)
    guess_prob: np.ndarray  # (L+1,) float32
    guess_rank: np.ndarray  # (L+1,) int32

    def to_json(self) -> dict:
        """Plain data for JSON; null where the last position has no next token."""
        probs = self.next_token_prob.tolist()  # (L+1, T)
        ranks = self.next_token_rank.tolist()  # (L+1, T)
        for layer_probs, layer_ranks in zip(probs, ranks):
            layer_probs[-1] = None
            layer_ranks[-1] = None
        top = [
            [
                [[token_id, prob] for token_id, prob in zip(position_ids, position_probs)]
                for position_ids, position_probs in zip(layer_ids, layer_probs)
            ]
            for layer_ids, layer_probs in zip(self.top_ids.tolist(), self.top_probs.tolist())
        ]
        return {
            "layers": list(self.layers),
            "token_ids": list(self.token_ids),
            "next_token_prob": probs,
            "next_token_rank": ranks,
            "top": top,
            "guess": {"token_id": self.guess_id, "prob": self.guess_prob.tolist(), "rank": self.guess_rank.tolist()},
        }


class _ResidualStream:
    """Forward hooks that keep batch row 0 of the residual stream, (T, C) per layer, and every
    norm outside the blocks that runs after the last block, with its input and output."""

    def __init__(self, model, blocks: list, cancel: CancelToken) -> None:
        self.residuals: list[torch.Tensor] = []  # L+1 tensors, each (T, C)
        self.norms_after_blocks: list[tuple[object, torch.Tensor, torch.Tensor]] = []
        self._layers = len(blocks) + 1
        self._cancel = cancel
        in_blocks = {id(module) for block in blocks for module in block.modules()}
        norms = [
            module
            for module in model.modules()
            if id(module) not in in_blocks and "norm" in type(module).__name__.lower()
        ]
        self._handles = [blocks[0].register_forward_pre_hook(self._keep_embeddings, with_kwargs=True)]
        self._handles += [block.register_forward_hook(self._keep_block_output) for block in blocks]
        self._handles += [norm.register_forward_hook(self._keep_norm) for norm in norms]

    def _keep_embeddings(self, module, args, kwargs) -> None:
        hidden = args[0] if args else kwargs["hidden_states"]  # (1, T, C)
        self.residuals.append(hidden[0])

    def _keep_block_output(self, module, args, output) -> None:
        self._cancel.raise_if_cancelled()  # a cancel stops the forward pass between blocks
        hidden = output[0] if isinstance(output, tuple) else output  # (1, T, C)
        self.residuals.append(hidden[0])

    def _keep_norm(self, module, args, output) -> None:
        if len(self.residuals) == self._layers and args:
            self.norms_after_blocks.append((module, args[0], output))

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def _refuse_unless_lens_applies(loaded: LoadedModel, token_ids: list[int], chunk_positions: int) -> None:
    name = loaded.entry.name
    if chunk_positions < 1:
        raise InvalidSettingsError(
            QT_TRANSLATE_NOOP("Errors", "Chunk size must be at least 1 position (it is {chunk}).").fill(
                chunk=chunk_positions
            )
        )
    check_lens_applies(loaded)
    if not token_ids:
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "There is nothing to read: the text is empty."))
    limit = loaded.context_length
    if limit is not None and len(token_ids) > limit:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The text is {count} tokens long; {name} reads at most {limit}.").fill(
                count=len(token_ids), name=name, limit=limit
            )
        )


def check_lens_applies(loaded: LoadedModel) -> None:
    """Raise InvalidInputError when ``loaded`` has no layers to read a logit lens between: known from the model
    alone, before any slow work. (Whether its head does more than a norm shows only in a forward pass.)"""
    name = loaded.entry.name
    if not loaded.can_generate or loaded.is_encoder_decoder or loaded.model.get_output_embeddings() is None:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "{name} does not predict the next token with one stack of layers: no logit lens."
            ).fill(name=name)
        )
    if not decoder_blocks(loaded.model):
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "{name} has no stack of transformer blocks to read between: it has no logit lens."
            ).fill(name=name)
        )


def _matches(ours: torch.Tensor, theirs: torch.Tensor) -> bool:
    """The same logits up to the rounding of a differently shaped matmul in this dtype."""
    import torch

    tolerance = 1e-4 if theirs.dtype == torch.float32 else 2e-2
    return bool((ours.float() - theirs.float()).abs().max() <= tolerance * (1 + theirs.float().abs().max()))


def _final_norm(stream: _ResidualStream, head, model_logits: torch.Tensor, name: str):
    """The norm between the last block and the head (identity when there is none), the one whose
    projection of the last block's output gives the model's own logits at the last position."""
    import torch

    last = stream.residuals[-1]  # (T, C)
    candidates = [norm for norm, norm_input, _ in stream.norms_after_blocks if torch.equal(norm_input[0], last)]
    for norm in [*candidates, torch.nn.Identity()]:
        if _matches(head(norm(last[None, -1:]))[0, 0], model_logits):
            return norm
    raise InvalidInputError(
        QT_TRANSLATE_NOOP(
            "Errors",
            "{name} does more between its last layer and its output than a norm: the logit lens cannot repeat it.",
        ).fill(name=name)
    )


def _model_inputs(model, ids: torch.Tensor) -> dict:
    # Only the last position's logits are needed (to check the lens), not (T, vocab) of them.
    keeps_last = "logits_to_keep" in inspect.signature(model.forward).parameters
    return {"input_ids": ids, "use_cache": False, **({"logits_to_keep": 1} if keeps_last else {})}


def logit_lens(
    loaded: LoadedModel, token_ids: Sequence[int], cancel: CancelToken | None = None, chunk_positions: int = 64
) -> Generator[LensProgress, None, LogitLens]:
    """Each layer's next-token distribution at every position of ``token_ids`` (prompt and
    generation): yields progress after each layer, returns the lens. Holds ``loaded.lock``;
    a cancel raises ``CancelledError`` between blocks of the forward pass and between chunks."""
    import torch

    cancel = cancel or CancelToken()
    token_ids = [int(token_id) for token_id in token_ids]
    _refuse_unless_lens_applies(loaded, token_ids, chunk_positions)
    model = loaded.model
    blocks = decoder_blocks(model)
    head = model.get_output_embeddings()
    count = len(token_ids)
    layers_total = len(blocks) + 1

    with loaded.lock:
        ids = torch.tensor([token_ids], device=loaded.device)  # (1, T)
        next_ids = ids[0, 1:, None]  # (T-1, 1): the token each position predicts
        stream = _ResidualStream(model, blocks, cancel)
        try:
            # The residual stream needs no attention weights: the fused kernel, no (T, T) scores per head.
            with torch.inference_mode(), fused_attention(model):
                model_logits = model(**_model_inputs(model, ids)).logits[0, -1]  # (V,)
        finally:
            stream.remove()
        if len(stream.residuals) != layers_total:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP(
                    "Errors",
                    "{name} did not run through its layers one after the other: "
                    "the logit lens cannot read between them.",
                ).fill(name=loaded.entry.name)
            )
        with torch.inference_mode():
            norm = _final_norm(stream, head, model_logits, loaded.entry.name)
        next_token_prob = np.full((layers_total, count), np.nan, dtype=np.float32)  # (L+1, T)
        next_token_rank = np.full((layers_total, count), -1, dtype=np.int32)  # (L+1, T)
        top_k = min(TOP_K, model_logits.shape[-1])
        top_ids = np.zeros((layers_total, count, top_k), dtype=np.int64)  # (L+1, T, k)
        top_probs = np.zeros((layers_total, count, top_k), dtype=np.float32)  # (L+1, T, k)
        guess_id = int(model_logits.argmax())  # what the model would put after the last position
        guess_prob = np.zeros(layers_total, dtype=np.float32)  # (L+1,)
        guess_rank = np.zeros(layers_total, dtype=np.int32)  # (L+1,)
        for layer, residual in enumerate(stream.residuals):
            for start in range(0, count, chunk_positions):
                cancel.raise_if_cancelled()
                stop = min(start + chunk_positions, count)
                predicting = max(0, min(stop, count - 1) - start)  # positions of the chunk that have a next token
                with torch.inference_mode():
                    logits = head(norm(residual[None, start:stop]))[0].float()  # (c, V)
                    # softmax, as the model's output distribution is read everywhere else (same rounding); ranks
                    # come from the logits, where probabilities rounded to 0 would tie
                    probs = logits.softmax(dim=-1)  # (c, V)
                    chunk_top = logits.topk(top_k, dim=-1).indices  # (c, k)
                    top_ids[layer, start:stop] = chunk_top.cpu().numpy()
                    top_probs[layer, start:stop] = probs.gather(1, chunk_top).cpu().numpy()
                    if predicting:
                        wanted = next_ids[start : start + predicting]  # (p, 1)
                        predicted = logits[:predicting]  # (p, V)
                        ranks = (predicted > predicted.gather(1, wanted)).sum(dim=-1)  # (p,): tokens found likelier
                        next_token_prob[layer, start : start + predicting] = probs[:predicting].gather(1, wanted)[
                            :, 0].cpu().numpy()
                        next_token_rank[layer, start : start + predicting] = ranks.cpu().numpy()
                    if stop == count:  # the chunk ends at the last position: the layer's view of the guess
                        last = logits[-1]  # (V,)
                        guess_prob[layer] = float(probs[-1, guess_id])
                        guess_rank[layer] = int((last > last[guess_id]).sum())
            yield LensProgress(layer + 1, layers_total)

    layer_names = (QT_TRANSLATE_NOOP("Lens", "embed"), *(str(block) for block in range(layers_total - 1)))
    return LogitLens(layer_names, tuple(token_ids), next_token_prob, next_token_rank, top_ids, top_probs,
                     guess_id, guess_prob, guess_rank)
