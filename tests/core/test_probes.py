"""Probe texts: recorded at every evaluation, written to probes.jsonl, equal to a fresh reading of the
model kept at that step, and cut back to the resumed step when a run continues."""

from __future__ import annotations

from types import MethodType, SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from tests.core.conftest import TEXT
from tests.core.test_training import run, tiny_settings
from workbench.cli import build_parser
from workbench.cli.train import settings_from_args
from workbench.core.attention_tokens import single_token_labels
from workbench.core.jobs import RunControl
from workbench.core.loading import load_model_blocking
from workbench.core.text_stream import complete_text
from workbench.core.training.events import EvalEvent, StepEvent
from workbench.core.training.probes import PROBES_FILE, default_probes, probe_records, probe_token_ids, read_probes
from workbench.core.training.snapshots import snapshot_steps
from workbench.core.training.trainer import _Run

PROBES = ("the cat sat on the mat.", "a dog and a cat")


def test_each_evaluation_records_every_probe_as_the_kept_model_reads_it(corpus, tmp_path):
    events, result = run(tiny_settings(corpus, tmp_path / "run", probes=PROBES))
    evals = [event for event in events if isinstance(event, EvalEvent)]
    assert [[(record.step, record.probe) for record in event.probes] for event in evals] == \
        [[(15, 0), (15, 1)], [(30, 0), (30, 1)]]
    written = read_probes(tmp_path / "run" / PROBES_FILE)
    assert written == [record for event in evals for record in event.probes]

    # The step-15 record against a fresh forward pass of the model kept at step 15.
    loaded = load_model_blocking(str(snapshot_steps(tmp_path / "run")[15]))
    record = evals[0].probes[0]
    ids = torch.tensor([probe_token_ids(loaded.tokenizer, PROBES[0], 16)])  # (1, T)
    with torch.no_grad():
        logits = loaded.model(input_ids=ids).logits[0]  # (T, V)
    assert record.loss == pytest.approx(F.cross_entropy(logits[:-1], ids[0, 1:]).item(), rel=1e-5)
    probs = logits[-1].softmax(-1)
    assert [text for text, _ in record.top] == single_token_labels(loaded.tokenizer, probs.topk(5).indices.tolist())
    assert record.top[0][1] == pytest.approx(probs.max().item(), rel=1e-4)
    assert record.continuation  # greedy, up to the context's room
    assert record.drift == ()  # trained from scratch: no base to drift from


def with_filters_of_its_own(model) -> None:
    """A base model's generation_config.json as Qwen2.5-Instruct ships one: transformers' generate fills every
    setting its own config leaves unset from there."""
    model.generation_config.update(repetition_penalty=1.5, no_repeat_ngram_size=2, temperature=0.7, top_p=0.8,
                                   top_k=20)


def next_tokens(model, ids: list[int], count: int, choose) -> list[int]:
    """``count`` tokens after ``ids``, each chosen by ``choose`` from a fresh whole-text pass's last logits."""
    ids = list(ids)
    with torch.no_grad():
        for _ in range(count):
            ids.append(choose(model(input_ids=torch.tensor([ids])).logits[:, -1].float()))  # (1, V)
            if ids[-1] == model.generation_config.eos_token_id:
                break
    return ids


def test_a_probes_continuation_is_the_models_greedy_one_whatever_its_base_config_says(tiny_loaded):
    model, tokenizer = tiny_loaded.model, tiny_loaded.tokenizer
    with_filters_of_its_own(model)
    text = "the cat sat on the mat. the cat sat"
    record, = probe_records(model, tokenizer, [text], step=1, block_size=64, continuation_tokens=16)
    prompt = probe_token_ids(tokenizer, text, 64)
    greedy = next_tokens(model, prompt, 16, lambda logits: int(logits.argmax()))
    assert record.continuation == complete_text(tokenizer, greedy[len(prompt):], context_ids=prompt)
    assert model.generation_config.repetition_penalty == 1.5  # the model's own config is left as it was


def test_a_training_sample_is_drawn_from_the_models_whole_distribution(tiny_loaded):
    model, tokenizer = tiny_loaded.model, tiny_loaded.tokenizer
    with_filters_of_its_own(model)
    prompt = tokenizer("the cat", add_special_tokens=False)["input_ids"]
    trainer = SimpleNamespace(trainable=SimpleNamespace(model=model, tokenizer=tokenizer), device=torch.device("cpu"),
                              settings=SimpleNamespace(sample_tokens=24, seed=3, max_iters=100), step=7, sharded=False,
                              sample_prompt=torch.tensor(prompt), control=RunControl(), stopped_mid_evaluation=False)
    trainer._sampled_ids = MethodType(_Run._sampled_ids, trainer)
    sample = _Run.sample_text(trainer)  # the method alone, on what it reads of a run
    torch.manual_seed(3 + 7)  # the run's seed plus its step, as every evaluation's sample
    drawn = next_tokens(model, prompt, 24, lambda logits: int(torch.multinomial(logits.softmax(-1), 1)))
    assert sample == complete_text(tokenizer, drawn).lstrip("\ufffd")


def test_a_top_token_that_is_part_of_a_character_shows_its_bytes():
    """Decoded alone, the pieces of a split character all read "\ufffd": three different tokens of a Tang-poem
    fine-tune's top five looked the same. They are labelled as in every other top-k list."""
    from tests.conftest import make_tiny_tokenizer

    tokenizer = make_tiny_tokenizer()
    pieces = tokenizer("春", add_special_tokens=False)["input_ids"]
    assert len(pieces) > 1 and tokenizer.decode(pieces[:1]) == "\ufffd"

    class Likes:  # a model whose next-token scores favour the pieces of 春, in order
        def parameters(self):
            yield torch.zeros(1)

        def __call__(self, input_ids):
            logits = torch.zeros(input_ids.shape[1], len(tokenizer))  # (T, V)
            for rank, token in enumerate(pieces):
                logits[:, token] = 10.0 - rank
            return type("Output", (), {"logits": logits[None]})()

    record, = probe_records(Likes(), tokenizer, ["a cat"], step=1, block_size=16, continuation_tokens=0)
    labels = [label for label, _ in record.top[:len(pieces)]]
    assert labels == single_token_labels(tokenizer, pieces) and all(label.startswith("⟨") for label in labels)
    assert "\ufffd" not in "".join(label for label, _ in record.top)


def test_without_probes_a_run_reads_the_first_lines_of_its_validation_text(corpus, tmp_path):
    events, _ = run(tiny_settings(corpus, tmp_path / "run"))
    records = next(event for event in events if isinstance(event, EvalEvent)).probes
    assert records and all(record.text in TEXT for record in records)
    assert default_probes("\n a line \n\nx\nsecond line\nthird\nfourth") == ("a line", "second line", "third")


def test_default_probes_leave_out_a_character_the_split_cut():
    from tests.conftest import make_tiny_tokenizer

    tokenizer = make_tiny_tokenizer()
    ids = tokenizer("春眠不覺曉，處處聞啼鳥。\n夜來風雨聲，花落知多少。", add_special_tokens=False)["input_ids"]
    cut = tokenizer.decode(ids[1:-1])  # a byte-level BPE splits 春 and 。 into several tokens
    assert cut.startswith("\ufffd") and cut.endswith("\ufffd")
    assert default_probes(cut) == ("眠不覺曉，處處聞啼鳥。", "夜來風雨聲，花落知多少")


def test_a_resumed_run_drops_the_records_after_its_checkpoint(corpus, tmp_path):
    settings = tiny_settings(corpus, tmp_path / "run", probes=PROBES[:1], eval_interval=5)
    control = RunControl()
    events = []

    def stop_after_step_12(event):
        events.append(event)
        if isinstance(event, StepEvent) and event.step == 12:
            control.cancel()

    from workbench.core.jobs import drain
    from workbench.core.training.run_folder import stopped_run
    from workbench.core.training.trainer import train

    drain(train(settings, control), stop_after_step_12)
    assert [record.step for record in read_probes(tmp_path / "run" / PROBES_FILE)] == [5, 10]
    offered, step = stopped_run(tmp_path / "run")  # what Continue and --resume read back from the JSON state
    assert offered.probes == PROBES[:1] and step == 12
    offered.validate()
    run(settings, resume=True)
    assert [record.step for record in read_probes(tmp_path / "run" / PROBES_FILE)] == [5, 10, 15, 20, 25, 30]


def test_the_cli_takes_probe_texts():
    args = build_parser().parse_args(["train", "--corpus", "c.txt", "--out", "o", "--probe", "one", "--probe", "two"])
    assert settings_from_args(args).probes == ("one", "two")
