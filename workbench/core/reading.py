"""A text read by a model token after token, as generation reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import torch

if TYPE_CHECKING:
    from workbench.core.loading import LoadedModel

_WINDOWS_AT_ONCE = 16  # windows in one forward pass: a model trained here is small, and so is each window


def next_token_logits(loaded: LoadedModel, ids: Sequence[int], first: int = 1) -> torch.Tensor:
    """(N, V) scores predicting ``ids[first:]``, each read as generation reads it: past its context, a model
    trained here reads only its last ``context_length`` tokens, so a token further on is predicted from that
    window (one pass over the whole text would refuse it, or read an LSTM differently); other models in one pass."""
    sequence = torch.tensor(list(ids), device=loaded.device)  # (T,)
    limit = loaded.context_length if loaded.slides_past_context else None
    if limit is None or len(sequence) - 1 <= limit:  # the last token predicts nothing: it is not read
        return loaded.model(input_ids=sequence[None, :-1]).logits[0, first - 1 :]  # (N, V)
    # The tokens up to position ``limit`` see all that comes before them: one pass over the first window.
    rows = [loaded.model(input_ids=sequence[None, :limit]).logits[0, first - 1 :]] if first <= limit else []
    windows = sequence.unfold(0, limit, 1)[max(first, limit + 1) - limit : len(sequence) - limit]  # (W, limit)
    for chunk in windows.split(_WINDOWS_AT_ONCE):  # window w ends just before token w + limit
        rows.append(loaded.model(input_ids=chunk).logits[:, -1])  # (w, V)
    return torch.cat(rows)
