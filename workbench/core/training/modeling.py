"""Building the model a run trains, and writing it as a folder every command can load.

From scratch: ``WorkbenchGPT`` or ``WorkbenchRecurrent`` sized by the settings. Fine-tuning:
a pretrained model loaded by ``workbench.core.loading``, trained whole or through LoRA
adapters (``peft``); the saved final model has LoRA merged in, so it loads anywhere as a
plain folder, and the adapter is kept beside it in ``adapter/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from workbench.core.architectures import (
    WorkbenchGPTConfig,
    WorkbenchGPTForCausalLM,
    WorkbenchRecurrentConfig,
    WorkbenchRecurrentForCausalLM,
    register_architectures,
)
from workbench.core.errors import InvalidSettingsError
from workbench.core.i18n import QT_TRANSLATE_NOOP, text_to_data
from workbench.core.training.settings import RECURRENT_ARCHITECTURES, TrainSettings
from workbench.core.transformers_helpers import leading_special_ids, models_built_in_turn

ADAPTER_FOLDER = "adapter"


@dataclass
class TrainableModel:
    model: nn.Module  # what the optimizer trains (a peft wrapper for LoRA)
    tokenizer: object
    lora: bool


def new_model(settings: TrainSettings, vocab_size: int) -> nn.Module:
    if settings.arch == "gpt":
        config = WorkbenchGPTConfig(
            vocab_size=vocab_size,
            block_size=settings.block_size,
            n_layer=settings.n_layer,
            n_head=settings.n_head,
            n_embd=settings.n_embd,
            dropout=settings.dropout,
        )
        with models_built_in_turn():
            return WorkbenchGPTForCausalLM(config)
    if settings.arch in RECURRENT_ARCHITECTURES:
        config = WorkbenchRecurrentConfig(
            vocab_size=vocab_size,
            cell=settings.arch,
            n_layer=settings.n_layer,
            n_embd=settings.n_embd,
            dropout=settings.dropout,
            block_size=settings.block_size,
        )
        with models_built_in_turn():
            return WorkbenchRecurrentForCausalLM(config)
    raise InvalidSettingsError(
        QT_TRANSLATE_NOOP("Errors", "'{arch}' is not an architecture trained from scratch.").fill(arch=settings.arch)
    )


def load_base_model(settings: TrainSettings, device: str | None = None):
    """The pretrained model to fine-tune, in float32 so the optimizer's small updates are not lost; on
    ``device`` (the settings' device when None)."""
    from workbench.core.loading import LoadSettings, load_model_blocking

    loaded = load_model_blocking(settings.base_model, LoadSettings(device=device or settings.device, dtype="float32"))
    if not loaded.can_generate:
        raise InvalidSettingsError(
            QT_TRANSLATE_NOOP(
                "Errors", "{model} cannot generate text, so it cannot be fine-tuned as a language model."
            ).fill(model=loaded.entry.name)
        )
    limit = loaded.context_length
    if limit is not None:  # a block reads the tokenizer's start-of-text token first (trainer.TokenBatches)
        limit -= len(leading_special_ids(loaded.tokenizer))
    if limit is not None and settings.block_size > limit:  # past it, learnt positions run out (or RoPE's are untrained)
        raise InvalidSettingsError(
            QT_TRANSLATE_NOOP(
                "Errors", "Block size {block} is longer than {model} reads ({limit} tokens): use at most {limit}."
            ).fill(block=settings.block_size, model=loaded.entry.name, limit=limit)
        )
    return loaded.model, loaded.tokenizer


def is_recurrent(model: nn.Module) -> bool:
    """An LSTM, GRU or RNN built here, also as a fine-tune's base: it has no attention to score, and none of the
    linear layers LoRA adapts."""
    return isinstance(getattr(model, "config", None), WorkbenchRecurrentConfig)


def with_lora(model: nn.Module, settings: TrainSettings) -> nn.Module:
    from peft import LoraConfig, get_peft_model

    if is_recurrent(model):  # peft would fail to find a layer to adapt, deep in the run's start
        raise InvalidSettingsError(QT_TRANSLATE_NOOP(
            "Errors", "LoRA cannot adapt {model}: a recurrent network trained here has none of the linear layers it "
            "adapts. Fine-tune it whole (without LoRA).").fill(model=settings.base_model))

    config = LoraConfig(
        r=settings.lora_rank,
        lora_alpha=2 * settings.lora_rank,
        lora_dropout=settings.dropout,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    with models_built_in_turn():
        return get_peft_model(model, config)


def resume_lora(base: nn.Module, checkpoint_folder: Path) -> nn.Module:
    from peft import PeftModel

    with models_built_in_turn():
        return PeftModel.from_pretrained(base, checkpoint_folder / ADAPTER_FOLDER, is_trainable=True)


def load_checkpointed_model(folder: Path) -> nn.Module:
    from transformers import AutoModelForCausalLM

    register_architectures()
    with models_built_in_turn():
        return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")


def model_from_state(model_class: type, config, state: dict[str, torch.Tensor]) -> nn.Module:
    """A plain model of ``model_class`` holding ``state`` (the weights gathered from FSDP's shards), to write."""
    with models_built_in_turn(), torch.device("meta"):
        model = model_class(config)
    model.load_state_dict(state, assign=True)
    model.tie_weights()
    return model


def describe(model: nn.Module, name: str, description: str) -> None:
    """Friendly metadata that the model picker shows (read by ``catalog.folder_entry``): in English, and as
    marked texts that a window translates into its own language."""
    config = model.config
    config.workbench_name = str(name)
    config.workbench_description = str(description)
    config.workbench_name_text = text_to_data(name)
    config.workbench_description_text = text_to_data(description)
    config.workbench_parameters = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def write_model_files(trainable: TrainableModel, folder: Path) -> None:
    """A loadable transformers folder; for LoRA only the adapter (merging would end training)."""
    if trainable.lora:
        trainable.model.save_pretrained(folder / ADAPTER_FOLDER)
    else:
        trainable.model.save_pretrained(folder)
    trainable.tokenizer.save_pretrained(folder)


def merged_state_dict(peft_model: nn.Module) -> dict[str, torch.Tensor]:
    """The weights of a LoRA model with its adapter folded in (W + B A x scale per adapted layer), under
    the base model's own names, computed beside the training weights rather than merged into them."""
    from peft.tuners.lora import LoraLayer

    base = peft_model.get_base_model()
    deltas = {
        f"{name}.base_layer.weight": module.get_delta_weight(module.active_adapters[0])
        for name, module in base.named_modules()
        if isinstance(module, LoraLayer)
    }
    with torch.no_grad():
        return {
            key.replace(".base_layer.", "."): (tensor + deltas[key] if key in deltas else tensor).detach()
            for key, tensor in base.state_dict().items()
            if "lora_" not in key
        }


def write_snapshot_files(trainable: TrainableModel, folder: Path) -> None:
    """The model as it is at an evaluation, as a plain folder any command loads; a LoRA model is
    written with its adapter folded in, while the run goes on training the adapter."""
    if trainable.lora:
        trainable.model.get_base_model().save_pretrained(folder, state_dict=merged_state_dict(trainable.model))
        trainable.tokenizer.save_pretrained(folder)
    else:
        write_model_files(trainable, folder)


def publish_final_model(trainable: TrainableModel, out_dir: Path, name: str, description: str) -> None:
    """Write the final model into ``out_dir`` file by file through a staging folder, so a
    crash never leaves a half-written weights file (``out_dir`` also holds metrics and checkpoints)."""
    model = trainable.model
    staging = Path(tempfile.mkdtemp(prefix=".final.", dir=out_dir))
    try:
        if trainable.lora:
            model.save_pretrained(staging / ADAPTER_FOLDER)
            model = model.merge_and_unload()  # the run is over: fold the adapter into the weights
        describe(model, name, description)
        model.save_pretrained(staging)
        trainable.tokenizer.save_pretrained(staging)
        for item in staging.iterdir():
            target = out_dir / item.name
            if item.is_dir() and target.exists():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
