"""Save and load lab models and checkpoints: safetensors weights plus JSON, written atomically.

A checkpoint folder is a saved-model folder with the training state added, so
"load model" accepts either."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from workbench.core.atomic import atomic_directory, write_json_atomic
from workbench.core.errors import InvalidInputError
from workbench.core.genlab.models import GenerativeModel, ModelConfig, build_model

FORMAT = "workbench-genlab"
FORMAT_VERSION = 1
MODEL_FILE = "model.safetensors"
CONFIG_FILE = "genlab.json"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "training_state.json"


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
        raise InvalidInputError(f"'{folder}' is not a saved lab model: it has no {CONFIG_FILE}.")
    try:
        description = json.loads(config_path.read_text(encoding="utf-8"))
        if description.get("format") != FORMAT:
            raise ValueError("not a lab model description")
        config = ModelConfig.from_dict(description["config"])
        model = build_model(config)
        model.load_state_dict(load_file(str(folder / MODEL_FILE)))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as error:
        raise InvalidInputError(f"Cannot load the lab model in '{folder}': {error}".splitlines()[0]) from error
    return model.to(device).eval()


def _flatten_optimizer(prefix: str, state_dict: dict) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimizer state_dict into tensors (for safetensors) and the json-able rest."""
    tensors, plain = {}, {}
    for index, slots in state_dict["state"].items():
        for slot, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}.{index}.{slot}"] = value.detach().to("cpu").contiguous()
            else:
                plain[f"{index}.{slot}"] = value
    return tensors, {"param_groups": state_dict["param_groups"], "plain_state": plain}


def _unflatten_optimizer(prefix: str, tensors: dict[str, torch.Tensor], description: dict) -> dict:
    state: dict[int, dict] = {}
    for key, tensor in tensors.items():
        if key.startswith(f"{prefix}."):
            index, slot = key[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(index), {})[slot] = tensor
    for key, value in description["plain_state"].items():
        index, slot = key.split(".", 1)
        state.setdefault(int(index), {})[slot] = value
    return {"state": state, "param_groups": description["param_groups"]}


def save_checkpoint(
    folder: str | Path,
    model: GenerativeModel,
    optimizers: dict[str, torch.optim.Optimizer],
    generator: torch.Generator,
    state: dict,
) -> Path:
    """Replace ``folder`` with everything needed to continue the run exactly where it is."""
    folder = Path(folder).expanduser()
    tensors: dict[str, torch.Tensor] = {"generator_state": generator.get_state()}
    optimizer_descriptions = {}
    for name, optimizer in optimizers.items():
        flat, description = _flatten_optimizer(name, optimizer.state_dict())
        tensors.update(flat)
        optimizer_descriptions[name] = description
    with atomic_directory(folder) as staging:
        _write_model(staging, model)
        save_file(tensors, str(staging / OPTIMIZER_FILE))
        write_json_atomic(staging / STATE_FILE, {**state, "optimizers": optimizer_descriptions})
    return folder


def load_checkpoint(folder: str | Path, device: torch.device | str = "cpu") -> Checkpoint:
    folder = Path(folder).expanduser()
    model = load_model(folder, device)
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / OPTIMIZER_FILE))
    except (OSError, ValueError, SafetensorError) as error:
        raise InvalidInputError(f"'{folder}' holds a model but no usable training state: {error}".splitlines()[0]) from error
    optimizer_states = {
        name: _unflatten_optimizer(name, tensors, description) for name, description in state.pop("optimizers").items()
    }
    return Checkpoint(model.train(), optimizer_states, tensors["generator_state"], state)
