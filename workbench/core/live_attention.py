"""Attention rows while ``model.generate`` runs, from each step's own forward pass.

With eager attention every attention module returns its weights (N, H, Q, K) whether or not
``output_attentions`` was asked for (transformers' ``eager_attention_forward`` always computes
them), so a forward hook on the modules that ``output_attentions`` reads sees them without a
second pass. With the KV cache the prefill has Q = prompt length and each later step Q = 1. Each
hook keeps sequence row 0 as CPU float16 at once, so no device tensor outlives its layer; a
StoppingCriteria (called once per step) takes the step's rows of all layers as one AttentionRows.
"""

from __future__ import annotations

import numpy as np

from workbench.core.errors import InvalidInputError
from workbench.core.generation_data import AttentionRows
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.model_parts import attention_targets


class LiveAttentionRecorder:
    """Forward hooks on the self-attention modules; ``take`` after each generation step.
    Use as a context manager, or ``attach`` before ``model.generate`` and ``detach`` after."""

    def __init__(self, model) -> None:
        if getattr(model.config, "_attn_implementation", "eager") != "eager":
            raise InvalidInputError(
                QT_TRANSLATE_NOOP(
                    "Errors", "Live attention needs eager attention: the fused kernels return no weights."
                )
            )
        encoder = {id(module) for module in model.get_encoder().modules()} if model.config.is_encoder_decoder else set()
        self._targets = [
            (module, index)
            for key, module, index in attention_targets(model)
            if key == "attentions" and id(module) not in encoder
        ]
        if not self._targets:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP("Errors", "{model} does not hand out its attention weights during generation.").fill(
                    model=type(model).__name__
                )
            )
        self._handles: list = []
        self._layer_rows: list[np.ndarray] = []  # each (H, Q, K) float16, in layer order
        self._positions_seen = 0  # query positions handed out so far: the next step's first_query

    def attach(self) -> None:
        self.detach()
        self._layer_rows.clear()
        self._positions_seen = 0
        self._handles = [module.register_forward_hook(self._hook_for(index)) for module, index in self._targets]

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> LiveAttentionRecorder:
        self.attach()
        return self

    def __exit__(self, *exc) -> None:
        self.detach()

    def _hook_for(self, index: int):
        import torch

        def keep_first_sequence(module, args, output) -> None:
            weights = output[index] if isinstance(output, tuple) else None  # (N, H, Q, K)
            if weights is not None:
                self._layer_rows.append(weights[0].detach().to("cpu", torch.float16).numpy())  # (H, Q, K)

        return keep_first_sequence

    def take(self, step: int) -> AttentionRows | None:
        """The rows of every layer gathered since the last take (the step's forward pass), or
        None when no forward pass ran since."""
        if not self._layer_rows:
            return None
        weights = np.stack(self._layer_rows)  # (L, H, Q, K)
        self._layer_rows.clear()
        rows = AttentionRows(step=step, first_query=self._positions_seen, weights=weights)
        self._positions_seen += weights.shape[2]
        return rows
