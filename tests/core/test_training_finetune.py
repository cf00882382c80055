"""Fine-tuning a pretrained causal LM in full or through LoRA; the result loads as a plain folder; the drift
from the base (KL(base || now) per probe position) equals a direct computation, and is zero against itself."""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.conftest import make_tiny_loaded
from workbench.core.jobs import CancelToken, RunControl, drain
from workbench.core.loading import load_model_blocking
from workbench.core.training.drift import DriftReader
from workbench.core.training.events import EvalEvent, StepEvent
from workbench.core.training.modeling import ADAPTER_FOLDER
from workbench.core.training.probes import PROBES_FILE, probe_log_probs, probe_records, probe_token_ids, read_probes
from workbench.core.training.settings import TrainSettings
from workbench.core.training.snapshots import snapshot_steps
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


def test_lora_resume_continues_the_same_curve_after_a_stop_inside_a_step(settings, tmp_path, monkeypatch):
    """Stop pressed in step 4's backward pass gives the step up at the next decoder block of the adapted model."""
    from workbench.core.training import trainer as trainer_module

    lora = replace(settings, lora=True, lora_rank=4, max_iters=6, eval_interval=3, dropout=0.1)
    run(replace(lora, out_dir=str(tmp_path / "straight")))
    control = RunControl()
    next_token_loss, steps = trainer_module._next_token_loss, []

    def loss_pressing_stop(model, inputs, targets):
        loss = next_token_loss(model, inputs, targets)
        steps.extend([None] if model.training else [])
        if len(steps) == 4:
            loss.register_hook(lambda grad: control.cancel())
        return loss

    monkeypatch.setattr(trainer_module, "_next_token_loss", loss_pressing_stop)
    stepped, stopped = run(lora, control)
    assert stopped.stopped and stopped.step == 3 and stepped[-1].step == 3
    monkeypatch.setattr(trainer_module, "_next_token_loss", next_token_loss)
    run(lora, resume=True)

    def losses(folder):
        with open(folder / "metrics.csv", encoding="utf-8") as handle:
            return [(r["step"], r["train_loss"], r["val_loss"]) for r in csv.DictReader(handle)]

    assert losses(tmp_path / "out") == losses(tmp_path / "straight")


# --- drift: per probe position, KL(base || now) of the next-token distributions ---------------------

PROBE = "The capital of France is"


def evaluations(settings, resume=False):
    events = []
    drain(train(settings, RunControl(), resume), events.append)
    return [event for event in events if isinstance(event, EvalEvent)]


def kl_per_position(base, current, ids) -> torch.Tensor:
    with torch.no_grad():
        p = base.model(input_ids=ids).logits[0].log_softmax(-1)  # (T, V)
        q = current.model(input_ids=ids).logits[0].log_softmax(-1)  # (T, V)
    return (p.exp() * (p - q)).sum(-1)  # (T,)


@pytest.mark.parametrize("lora", [False, True], ids=["full", "lora"])
def test_the_drift_equals_kl_of_the_base_to_the_kept_model(settings, base_folder, lora):
    evals = evaluations(replace(settings, probes=(PROBE,), lora=lora))
    record = evals[0].probes[0]
    base = load_model_blocking(str(base_folder))
    kept = load_model_blocking(str(snapshot_steps(settings.out_dir)[record.step]))
    ids = torch.tensor([probe_token_ids(base.tokenizer, PROBE, settings.block_size)])  # (1, T)
    expected = kl_per_position(base, kept, ids)
    assert len(record.drift) == ids.shape[1]
    torch.testing.assert_close(torch.tensor(record.drift), expected.clamp_min(0), atol=1e-5, rtol=1e-4)
    assert max(record.drift) > 0  # it trained: the distributions moved
    assert read_probes(settings.out_dir + "/" + PROBES_FILE)[0].drift == record.drift


def test_the_drift_of_a_model_against_itself_is_zero(tiny_loaded):
    model, tokenizer = tiny_loaded.model, tiny_loaded.tokenizer
    base = probe_log_probs(model, tokenizer, (PROBE,), block_size=32)
    with torch.no_grad():
        (record,) = probe_records(model, tokenizer, (PROBE,), step=0, block_size=32, continuation_tokens=0,
                                  base_log_probs=base)
    assert len(record.drift) == len(probe_token_ids(tokenizer, PROBE, 32)) and max(record.drift) < 1e-6


def test_a_lora_runs_kept_model_is_the_base_with_the_adapter_folded_in(settings):
    evaluations(replace(settings, lora=True))
    kept = load_model_blocking(str(snapshot_steps(settings.out_dir)[settings.max_iters])).model
    final = load_model_blocking(settings.out_dir).model  # merged by peft's merge_and_unload at the end
    merged = final.state_dict()
    assert kept.state_dict().keys() == merged.keys()
    for name, weight in kept.state_dict().items():
        torch.testing.assert_close(weight, merged[name], msg=name)


def test_a_drift_detail_is_both_models_own_computation(settings, base_folder):
    settings = replace(settings, lora=True, probes=(PROBE,))
    record = evaluations(settings)[-1].probes[0]
    folder = snapshot_steps(settings.out_dir)[record.step]
    position = 3
    reader = DriftReader(str(base_folder))
    detail = drain(reader.read(folder, record.step, PROBE, settings.block_size, position, CancelToken()))
    assert detail.kl == pytest.approx(record.drift[position], abs=1e-5, rel=1e-4)
    assert detail.tokens == record.tokens[: position + 1]
    for model_folder, top, rows in ((base_folder, detail.base_top, detail.base_attention),
                                    (folder, detail.kept_top, detail.kept_attention)):
        model = AutoModelForCausalLM.from_pretrained(model_folder, dtype=torch.float32, attn_implementation="eager")
        ids = torch.tensor([probe_token_ids(AutoTokenizer.from_pretrained(model_folder), PROBE, settings.block_size)])
        with torch.no_grad():
            out = model(input_ids=ids, output_attentions=True)
        probs = out.logits[0, position].softmax(-1)  # (V,)
        expected = probs.topk(5)
        np.testing.assert_allclose([p for _, p in top], expected.values.numpy(), atol=1e-5)
        expected_rows = torch.stack(out.attentions)[:, 0, :, position, : position + 1]  # (L, H, position + 1)
        np.testing.assert_allclose(rows, expected_rows.numpy(), atol=1e-5)
    assert np.abs(detail.attention_change).max() > 0  # LoRA on every linear layer moved the attention


def test_a_block_longer_than_the_base_model_reads_is_refused_before_training(settings):
    from workbench.core.errors import InvalidSettingsError

    context = make_tiny_loaded(chat=False).model.config.max_position_embeddings
    with pytest.raises(InvalidSettingsError, match=f"Block size {context + 1} is longer than .* reads "
                                                   f"\\({context} tokens\\): use at most {context}"):
        run(replace(settings, block_size=context + 1))


@pytest.fixture
def bos_base_folder(tmp_path):
    """A base model whose tokenizer starts every text with a token, as Gemma's and Llama's <bos>."""
    from tokenizers.processors import TemplateProcessing

    loaded = make_tiny_loaded(chat=False)
    tokenizer = loaded.tokenizer
    bos = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    tokenizer.backend_tokenizer.post_processor = TemplateProcessing(
        single="<|endoftext|> $A", special_tokens=[("<|endoftext|>", bos)])
    tokenizer.bos_token = "<|endoftext|>"
    folder = tmp_path / "bos-base"
    loaded.model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_a_bos_models_blocks_and_probes_start_with_its_bos_as_it_always_read_them(settings, bos_base_folder):
    """Every training and validation block reads <bos> first and predicts nothing from it (the text before a
    block is unseen); a probe is read as a text's start: its loss is transformers' own on the encoded text."""
    from workbench.core.training.trainer import TokenBatches, _next_token_loss

    base = load_model_blocking(str(bos_base_folder))
    model, tokenizer = base.model, base.tokenizer
    bos = tokenizer.bos_token_id
    ids = np.array(tokenizer(TEXT, add_special_tokens=False)["input_ids"])
    batches = TokenBatches(ids, block_size=16, batch_size=3, device=torch.device("cpu"), prefix=[bos])
    inputs, targets = batches.evenly_spread(1)[0]
    assert inputs.shape == targets.shape == (3, 17) and (inputs[:, 0] == bos).all() and (targets[:, 0] == -100).all()
    blocks = torch.stack([torch.from_numpy(ids[start : start + 17]) for start in np.linspace(0, len(ids) - 17, 3)
                          .astype(int)])  # (B, T+1) the same blocks, cut by hand
    with torch.no_grad():
        logits = model(input_ids=torch.cat([torch.full((3, 1), bos), blocks[:, :-1]], dim=1)).logits  # (B, 1+T, V)
        expected = F.cross_entropy(logits[:, 1:].reshape(-1, logits.size(-1)), blocks[:, 1:].reshape(-1))
        assert _next_token_loss(model, inputs, targets).item() == pytest.approx(expected.item(), rel=1e-5)

        (record,) = probe_records(model, tokenizer, (PROBE,), step=0, block_size=32, continuation_tokens=0)
        encoded = torch.tensor([tokenizer(PROBE)["input_ids"]])  # <bos> first
        assert encoded[0, 0] == bos and probe_token_ids(tokenizer, PROBE, 32) == encoded[0].tolist()
        assert record.loss == pytest.approx(model(input_ids=encoded, labels=encoded).loss.item(), rel=1e-5)


def test_a_bos_model_fine_tunes_and_its_samples_show_no_bos(settings, bos_base_folder):
    steps, result = run(replace(settings, base_model=str(bos_base_folder), probes=(PROBE,)))
    assert steps[-1].train_loss < steps[0].train_loss
    samples = [event.sample for event in evaluations(replace(settings, base_model=str(bos_base_folder),
                                                             out_dir=settings.out_dir + "-again"))]
    assert samples and not any("<|endoftext|>" in sample for sample in samples)


def test_a_sample_never_starts_with_half_a_character(settings, tmp_path):
    """The validation text starts where the split fell: inside 床 when the tokenizer spells it in bytes."""
    from workbench.core.training.tokenization import encode_corpus

    tokenizer = make_tiny_loaded(chat=False).tokenizer
    poem = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。\n" * 40
    ids = encode_corpus(tokenizer, poem).tolist()  # as the trainer cuts it
    fraction = next(f for f in (0.1, 0.11, 0.12, 0.13)  # the validation text starts with a continuation byte
                    if tokenizer.decode(ids[int(len(ids) * (1 - f)):][:4]).startswith("\ufffd"))
    corpus = tmp_path / "poem.txt"
    corpus.write_text(poem, encoding="utf-8")
    samples = [event.sample for event in evaluations(replace(settings, corpus=str(corpus), val_fraction=fraction))]
    assert samples and not any(sample.startswith("\ufffd") for sample in samples)


def test_a_finetunes_head_scores_are_its_models_own_as_workbench_heads_gives_them(settings, capsys):
    """The scores at an evaluation read the probe at the model's own context, not the run's block size: the
    final model's line of heads.jsonl equals `workbench heads` on it and a direct computation from
    transformers' attentions."""
    import json

    from workbench.cli import main
    from workbench.core.head_scores import repeated_probe
    from workbench.core.training.run_folder import HEADS_FILE
    from workbench.core.training.step_log import read_step_log

    _, result = run(settings)
    last = read_step_log(f"{result.out_dir}/{HEADS_FILE}")[-1]
    assert last["step"] == settings.max_iters
    assert main(["heads", "--model", result.out_dir, "--device", "cpu", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)

    model = AutoModelForCausalLM.from_pretrained(result.out_dir, attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(result.out_dir)
    probe = repeated_probe(tokenizer, model.config.max_position_embeddings)
    assert probe.repeat > settings.block_size  # a longer probe than the blocks the run trained on
    with torch.no_grad():
        attentions = model(torch.tensor([probe.token_ids]), output_attentions=True).attentions
    weights = torch.stack(attentions)[:, 0]  # (L, H, T, T)
    start, n = probe.offset, probe.repeat
    second = torch.arange(start + n, start + 2 * n)
    queries = torch.arange(start + 1, start + 2 * n)
    expected = {"previous_token": weights[:, :, queries, queries - 1].mean(-1),
                "induction": weights[:, :, second, second - n + 1].mean(-1),
                "sink": weights[:, :, 1:, 0].mean(-1)}
    for name, values in expected.items():
        np.testing.assert_allclose(last["scores"][name], values.numpy(), atol=1e-5)
        np.testing.assert_allclose(printed["scores"][name], values.numpy(), atol=1e-5)
