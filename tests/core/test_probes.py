"""Probe texts: recorded at every evaluation, written to probes.jsonl, equal to a fresh reading of the
model kept at that step, and cut back to the resumed step when a run continues."""

from __future__ import annotations

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
from workbench.core.training.events import EvalEvent, StepEvent
from workbench.core.training.probes import PROBES_FILE, default_probes, probe_records, probe_token_ids, read_probes
from workbench.core.training.snapshots import snapshot_steps

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
    from workbench.core.training.trainer import stopped_run, train

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
