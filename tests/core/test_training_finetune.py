"""Fine-tuning a pretrained causal LM in full or through LoRA; the result loads as a plain folder."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest
import torch

from tests.conftest import make_tiny_loaded
from workbench.core.jobs import RunControl, drain
from workbench.core.loading import load_model_blocking
from workbench.core.training.events import StepEvent
from workbench.core.training.modeling import ADAPTER_FOLDER
from workbench.core.training.settings import TrainSettings
from workbench.core.training.trainer import train

TEXT = "The capital of France is Paris. The quick brown fox jumps over the lazy dog.\n" * 40


@pytest.fixture
def base_folder(tmp_path):
    loaded = make_tiny_loaded(chat=False)
    folder = tmp_path / "base"
    loaded.model.save_pretrained(folder)
    loaded.tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def settings(tmp_path, base_folder):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    return TrainSettings(
        corpus=str(corpus), out_dir=str(tmp_path / "out"), arch="finetune", tokenizer="pretrained",
        base_model=str(base_folder), block_size=16, batch_size=4, lr=1e-2, warmup_iters=0, max_iters=20,
        eval_interval=10, eval_iters=2, checkpoint_interval=0, sample_tokens=4, device="cpu",
    )


def run(settings, control=None, resume=False):
    events = []
    result = drain(train(settings, control or RunControl(), resume), events.append)
    return [e for e in events if isinstance(e, StepEvent)], result


def test_full_finetune_lowers_the_loss_and_saves_a_loadable_model(settings):
    steps, result = run(settings)
    assert steps[-1].train_loss < steps[0].train_loss - 0.5
    loaded = load_model_blocking(settings.out_dir)
    assert type(loaded.model).__name__ == "LlamaForCausalLM"
    assert "fine-tuned on corpus.txt" in loaded.model.config.workbench_description


def test_lora_trains_only_adapters_and_saves_merged_model_plus_adapter(settings, base_folder, tmp_path):
    lora = replace(settings, lora=True, lora_rank=4, max_iters=8)
    steps, result = run(lora)
    assert not result.stopped
    out = tmp_path / "out"
    assert (out / ADAPTER_FOLDER / "adapter_config.json").is_file()
    merged = load_model_blocking(str(out)).model
    base = load_model_blocking(str(base_folder)).model
    assert type(merged).__name__ == "LlamaForCausalLM"  # a plain model: no peft needed to load it
    changed = [
        name for name, weight in merged.state_dict().items()
        if not torch.equal(weight, base.state_dict()[name])
    ]
    assert changed and all("proj" in name for name in changed)  # only the LoRA-wrapped linears moved


def test_lora_resume_continues_the_same_curve(settings, tmp_path):
    lora = replace(settings, lora=True, lora_rank=4, max_iters=6, eval_interval=3, dropout=0.1)
    run(replace(lora, out_dir=str(tmp_path / "straight")))
    control = RunControl()
    job = train(lora, control)
    for event in job:
        if isinstance(event, StepEvent) and event.step == 3:
            control.cancel()
    run(lora, resume=True)

    def losses(folder):
        with open(folder / "metrics.csv", encoding="utf-8") as handle:
            return [(r["step"], r["train_loss"], r["val_loss"]) for r in csv.DictReader(handle)]

    assert losses(tmp_path / "out") == losses(tmp_path / "straight")
