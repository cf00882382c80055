"""Load a catalog entry onto a device and dtype; GGUF files are converted once and cached."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import torch

from workbench.core.catalog import ModelEntry


@dataclass(frozen=True)
class LoadSettings:
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    # Eager attention so the attention panel can read the weights (SDPA returns none).
    attn_implementation: str = "eager"


@dataclass(frozen=True)
class LoadProgress:
    stage: str  # a short sentence for the status line, e.g. "Converting GGUF weights"
    fraction: float | None = None  # 0..1 when known


@dataclass
class LoadedModel:
    """A model ready to use. Jobs on it (generation, attention capture) hold ``lock``
    so that they run one after the other, never at once."""

    entry: ModelEntry
    model: torch.nn.Module
    tokenizer: object
    device: torch.device
    dtype: torch.dtype
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
