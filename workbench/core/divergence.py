"""How far one next-token distribution is from another: the KL divergence the workbench shows (Compare's per-token
divergence, a fine-tune's drift on its probes)."""

from __future__ import annotations

import torch


def kl_divergence(reference_log_probs: torch.Tensor, other_log_probs: torch.Tensor) -> torch.Tensor:
    """KL(reference || other) over the last dimension, in nats, from log-probabilities: (..., V) -> (...).
    Never below 0, where rounding would take it."""
    pointwise = torch.nn.functional.kl_div(other_log_probs, reference_log_probs, reduction="none", log_target=True)
    return pointwise.sum(dim=-1).clamp_min(0)
