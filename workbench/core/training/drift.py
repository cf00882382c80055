"""Where a fine-tune moved its model, at one token of a probe: the base model's and the kept model's
five likeliest next tokens side by side, the KL divergence between their next-token distributions
(the drift the trainer records), and how each head's attention row changed.

Both models are loaded once on the CPU, beside a run that may still be training, and kept for the
next click; a ``DriftReader`` is used from one job thread at a time.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.attention import capture_attention
from workbench.core.attention_tokens import single_token_labels, token_sequence
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken
from workbench.core.training.probes import TOP, probe_token_ids
from workbench.core.training.scrub import LOADING_STEP


@dataclass(frozen=True)
class DriftDetail:
    step: int
    probe: str
    position: int  # the token whose next-token distribution and attention row are compared
    tokens: tuple[str, ...]  # the probe's tokens up to ``position``, as a person reads them
    kl: float  # KL(base || kept) of the next-token distribution at ``position``, nats
    base_top: tuple[tuple[str, float], ...]
    kept_top: tuple[tuple[str, float], ...]
    base_attention: np.ndarray  # (L, H, position + 1): each head's attention row at ``position``
    kept_attention: np.ndarray  # (L, H, position + 1)

    @property
    def attention_change(self) -> np.ndarray:
        return self.kept_attention - self.base_attention  # (L, H, position + 1)


class DriftReader:
    def __init__(self, base_model: str) -> None:
        self.base_model = base_model
        self._base = None
        self._kept: tuple[Path | None, object] = (None, None)

    def read(self, folder: str | Path, step: int, probe: str, block_size: int, position: int,
             cancel: CancelToken) -> Generator[str, None, DriftDetail]:
        """Compare the base with the model kept at ``step`` (in ``folder``) at token ``position`` of ``probe``."""
        import torch

        from workbench.core.divergence import kl_divergence
        from workbench.core.loading import LoadSettings, load_model_blocking

        on_cpu = LoadSettings(device="cpu", dtype="float32")
        if self._base is None:
            yield QT_TRANSLATE_NOOP("StatusEvent", "Loading the base model {model} on the CPU").fill(
                model=self.base_model)
            self._base = load_model_blocking(self.base_model, on_cpu)
        if self._kept[0] != Path(folder):
            yield LOADING_STEP.fill(step=step)
            self._kept = (None, None)  # the previous one goes before the next one loads
            self._kept = (Path(folder), load_model_blocking(str(folder), on_cpu))
        cancel.raise_if_cancelled()
        base, kept = self._base, self._kept[1]
        ids = probe_token_ids(base.tokenizer, probe, block_size)
        if not 0 <= position < len(ids):
            raise IndexError(f"The probe has {len(ids)} tokens; there is no token {position}.")
        prefix = ids[: position + 1]  # causal: the row and the next token at ``position`` see no further
        yield QT_TRANSLATE_NOOP("StatusEvent", "Reading token {position} of the probe with both models").fill(
            position=position)
        base_log_probs, base_rows = _read(base, prefix, cancel)
        kept_log_probs, kept_rows = _read(kept, prefix, cancel)
        kl = float(kl_divergence(torch.from_numpy(base_log_probs), torch.from_numpy(kept_log_probs)))
        return DriftDetail(step, probe, position, token_sequence(base.tokenizer, prefix).labels, kl,
                           _top(base, base_log_probs), _top(kept, kept_log_probs), base_rows, kept_rows)


def _read(loaded, prefix: list[int], cancel: CancelToken) -> tuple[np.ndarray, np.ndarray]:
    """The next-token log-probabilities after ``prefix`` (V,) and every head's attention row at its
    last token (L, H, T)."""
    import torch

    with loaded.lock, torch.no_grad():
        logits = loaded.model(input_ids=torch.tensor([prefix])).logits[0, -1].float()  # (V,)
    weights = capture_attention(loaded, prefix, cancel=cancel).main.weights  # (L, H, T, T)
    return logits.log_softmax(-1).numpy(), np.asarray(weights[:, :, -1, :], dtype=np.float32)


def _top(loaded, log_probs: np.ndarray) -> tuple[tuple[str, float], ...]:
    order = np.argsort(-log_probs)[:TOP]
    labels = single_token_labels(loaded.tokenizer, order.tolist())
    return tuple((label, float(np.exp(log_probs[i]))) for label, i in zip(labels, order))
