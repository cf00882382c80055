"""Atomic checkpoints that let a run continue exactly where it stopped.

A checkpoint is a folder written in one piece (``atomic_directory``): whatever the caller's
``write_files`` puts there (for language models, a loadable transformers folder: config,
safetensors weights, tokenizer), plus ``training_state.pt`` (optimizer state, random
number generator states: tensors) and ``trainer_state.json`` (step, metrics, settings:
plain data). Language-model training and the VAE/GAN lab each pass their own ``write_files``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from workbench.core.atomic import atomic_directory
from workbench.core.errors import InvalidInputError

STATE_FILE = "trainer_state.json"
TENSORS_FILE = "training_state.pt"


@dataclass(frozen=True)
class Checkpoint:
    folder: Path
    state: dict[str, Any]  # JSON data: step, elapsed time, settings...
    tensors: dict[str, Any]  # optimizer state dicts, RNG states...


def has_checkpoint(folder: str | Path) -> bool:
    return (Path(folder) / STATE_FILE).is_file()


def save_checkpoint(
    folder: str | Path,
    *,
    state: dict[str, Any],
    tensors: dict[str, Any],
    write_files: Callable[[Path], None] | None = None,
) -> Path:
    """Write the checkpoint into a staging folder and swap it in whole: a crash midway leaves the previous one."""
    folder = Path(folder)
    with atomic_directory(folder) as staging:
        if write_files is not None:
            write_files(staging)
        torch.save(tensors, staging / TENSORS_FILE)
        (staging / STATE_FILE).write_text(json.dumps(state, indent=2, ensure_ascii=False), encoding="utf-8")
    return folder


def load_checkpoint(folder: str | Path) -> Checkpoint:
    folder = Path(folder)
    if not has_checkpoint(folder):
        raise InvalidInputError(f"No checkpoint to resume in {folder}.")
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        # weights_only: a checkpoint is data, never code to run.
        tensors = torch.load(folder / TENSORS_FILE, map_location="cpu", weights_only=True)
    except (OSError, ValueError, RuntimeError) as error:
        raise InvalidInputError(f"The checkpoint in {folder} is damaged and cannot be resumed ({error}).") from error
    return Checkpoint(folder=folder, state=state, tensors=tensors)
