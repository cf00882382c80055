"""Save and load lab models (safetensors weights + JSON, written atomically) and checkpoints.

Checkpoints go through the helpers shared with language-model training (``workbench.core.checkpoints``)
with the model files written into them, so "load model" accepts a checkpoint folder too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Generator

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from workbench.core import checkpoints as shared_checkpoints
from workbench.core import paths
from workbench.core.atomic import atomic_directory, write_json_atomic
from workbench.core.errors import InvalidInputError
from workbench.core.genlab.data import ImageSet, load_digits_set
from workbench.core.genlab.models import GenerativeModel, ModelConfig, build_model
from workbench.core.genlab.settings import MODEL_KINDS
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text

FORMAT = "workbench-genlab"
FORMAT_VERSION = 1
MODEL_FILE = "model.safetensors"
CONFIG_FILE = "genlab.json"


@dataclass
class Checkpoint:
    model: GenerativeModel
    optimizer_states: dict[str, dict]  # optimizer name -> torch state_dict
    generator_state: torch.Tensor  # the trainer's random generator (shuffling and noise)
    state: dict  # json: epoch, step, settings, history


def _write_model(folder: Path, model: GenerativeModel) -> None:
    weights = {name: tensor.detach().to("cpu").contiguous() for name, tensor in model.state_dict().items()}
    save_file(weights, str(folder / MODEL_FILE))
    description = {"format": FORMAT, "version": FORMAT_VERSION, "config": model.config.to_dict()}
    write_json_atomic(folder / CONFIG_FILE, description)


def save_model(folder: str | Path, model: GenerativeModel) -> Path:
    """Replace ``folder`` with the model's weights and configuration."""
    folder = Path(folder).expanduser()
    with atomic_directory(folder) as staging:
        _write_model(staging, model)
    return folder


def load_model(folder: str | Path, device: torch.device | str = "cpu") -> GenerativeModel:
    folder = Path(folder).expanduser()
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "'{folder}' is not a saved lab model: it has no {file}.").fill(
                folder=folder, file=CONFIG_FILE
            )
        )
    try:
        description = json.loads(config_path.read_text(encoding="utf-8"))
        if description.get("format") != FORMAT:
            raise ValueError("not a lab model description")
        config = ModelConfig.from_dict(description["config"])
        model = build_model(config)
        model.load_state_dict(load_file(str(folder / MODEL_FILE)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError, SafetensorError) as error:
        reason = (str(error).splitlines() or [""])[0]  # the first line of a long library message
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Cannot load the lab model in '{folder}': {reason}").fill(
                folder=folder, reason=reason
            )
        ) from error
    return model.to(device).eval()


def save_checkpoint(
    folder: str | Path,
    model: GenerativeModel,
    optimizers: dict[str, torch.optim.Optimizer],
    generator: torch.Generator,
    state: dict,
) -> Path:
    """Replace ``folder`` with everything needed to continue the run exactly where it is."""
    tensors = {
        "optimizers": {name: optimizer.state_dict() for name, optimizer in optimizers.items()},
        "generator_state": generator.get_state(),
    }
    return shared_checkpoints.save_checkpoint(
        Path(folder).expanduser(),
        state=state,
        tensors=tensors,
        write_files=lambda staging: _write_model(staging, model),
    )


def window_checkpoint_dir(kind: str) -> Path:
    """Where the window's lab runs of ``kind`` are checkpointed, as they go and as they end (the CLI's go to
    ``--out``): the next run of that kind replaces it."""
    return paths.data_dir() / "genlab" / f"{kind}-checkpoint"


def last_window_run() -> tuple[Path, dict] | None:
    """The folder to read the newest of the window's lab checkpoints from, and its state; None when there is
    none readable."""
    found = []
    for kind in MODEL_KINDS:
        folder = shared_checkpoints.readable_place(window_checkpoint_dir(kind))
        state = shared_checkpoints.read_state(folder)
        if isinstance(state, dict):
            found.append(((folder / shared_checkpoints.STATE_FILE).stat().st_mtime, folder, state))
    if not found:
        return None
    _, folder, state = max(found, key=lambda saved: saved[0])
    return folder, state


def read_model_and_digits(folder: str | Path) -> Generator[Text, None, tuple[GenerativeModel, ImageSet | None]]:
    """The lab model in ``folder``, and the digits to reconstruct and interpolate with when it was made for their
    size (None otherwise), as a job: reading the digits imports scikit-learn, about a second."""
    yield QT_TRANSLATE_NOOP("StatusEvent", "Reading the lab model in {folder}").fill(folder=folder)
    model = load_model(folder)
    digits = load_digits_set()
    return model, digits if model.config.image_shape == digits.image_shape else None


def load_checkpoint(folder: str | Path, device: torch.device | str = "cpu") -> Checkpoint:
    saved = shared_checkpoints.load_checkpoint(
        Path(folder).expanduser(),
        required=("epoch", "step", "history"),
        required_tensors=("optimizers", "generator_state"),
    )
    state = _checked_state(saved.state, saved.folder)
    model = load_model(saved.folder, device)
    return Checkpoint(model.train(), saved.tensors["optimizers"], saved.tensors["generator_state"], state)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _checked_state(state: dict, folder: Path) -> dict:
    """``state`` when every entry the trainer reads holds what a lab run saves there, else one clear
    InvalidInputError naming the first that does not (a hand-edited or damaged file). Its ``inside_epoch`` always
    has its batch size: checkpoints saved before it was recorded there began that epoch in the run's own."""
    inside = state.get("inside_epoch")
    if isinstance(inside, dict) and "batch_size" not in inside:
        settings = state.get("settings")
        inside = {**inside, "batch_size": settings.get("batch_size") if isinstance(settings, dict) else None}
        state = {**state, "inside_epoch": inside}
    history = state["history"]
    checks = {
        "epoch": _is_count(state["epoch"]),
        "step": _is_count(state["step"]),
        "history": isinstance(history, list) and all(
            isinstance(row, dict) and _is_number(row.get("elapsed_s")) and all(map(_is_number, row.values()))
            for row in history
        ),
        "inside_epoch": inside is None or (
            isinstance(inside, dict)
            and isinstance(inside.get("order"), list) and all(map(_is_count, inside["order"]))
            and _is_count(inside.get("batches_done"))
            and _is_count(inside.get("batch_size")) and inside["batch_size"] > 0
            and isinstance(inside.get("sums"), dict) and all(map(_is_number, inside["sums"].values()))
        ),
    }
    for key, valid in checks.items():
        if not valid:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP(
                    "Errors", "The checkpoint in {folder} cannot be resumed: {name} is damaged (its {key} entry is "
                    "not valid). Start a new run in another folder."
                ).fill(folder=folder, name=shared_checkpoints.STATE_FILE, key=key)
            )
    return state
