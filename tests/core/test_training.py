"""The trainer: losses fall, runs resume exactly, divergence stops cleanly, results load everywhere."""

from __future__ import annotations

import csv
import math
import re
import time
from dataclasses import replace

import pytest
import torch

from tests.core.conftest import TEXT
from workbench.core.catalog import Catalog
from workbench.core.checkpoints import has_checkpoint
from workbench.core.errors import InvalidInputError, InvalidSettingsError
from workbench.core.jobs import RunControl, drain
from workbench.core.training import trainer as trainer_module
from workbench.core.training.events import (
    CheckpointEvent,
    CorpusStats,
    EvalEvent,
    RunWarning,
    SavingProgress,
    StatusEvent,
    StepEvent,
    TrainResult,
)
from workbench.core.training.run_folder import METRICS_COLUMNS
from workbench.core.training.run_history import read_run
from workbench.core.training.settings import TrainSettings
from workbench.core.training.step_log import read_step_log
from workbench.core.training.trainer import train


def tiny_settings(corpus, out, **changes) -> TrainSettings:
    base = TrainSettings(
        corpus=str(corpus), out_dir=str(out), n_layer=1, n_head=2, n_embd=32, block_size=16, batch_size=8,
        lr=1e-2, min_lr=1e-3, warmup_iters=2, max_iters=30, eval_interval=15, eval_iters=2,
        checkpoint_interval=0, sample_tokens=8,
    )
    return replace(base, **changes)


def run(settings, control=None, resume=False):
    events = []
    result = drain(train(settings, control or RunControl(), resume=resume), events.append)
    return events, result


def read_metrics(out):
    with open(out / "metrics.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("arch", ["gpt", "lstm", "gru", "rnn"])
def test_loss_falls_for_every_architecture(corpus, tmp_path, arch):
    events, result = run(tiny_settings(corpus, tmp_path / arch, arch=arch))
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [e.step for e in steps] == list(range(1, 31))
    first = sum(e.train_loss for e in steps[:3]) / 3
    last = sum(e.train_loss for e in steps[-3:]) / 3
    assert last < first - 0.5, (arch, first, last)
    assert not result.stopped and result.step == 30
    evals = [e for e in events if isinstance(e, EvalEvent)]
    assert [e.step for e in evals] == [15, 30]
    assert evals[-1].val_loss == pytest.approx(result.final_val_loss)
    assert evals[-1].perplexity == pytest.approx(math.exp(evals[-1].val_loss))
    assert evals[-1].sample  # a sample generation at each eval


def test_outputs_metrics_csv_and_a_loadable_registered_model(corpus, tmp_path):
    out = tmp_path / "run"
    events, result = run(tiny_settings(corpus, out, max_iters=12, eval_interval=5))
    stats = next(e for e in events if isinstance(e, CorpusStats))
    assert stats.characters == len(TEXT) == stats.tokens  # char level: one token per character
    assert stats.train_tokens + stats.val_tokens == stats.tokens
    # The vocabulary is each different character plus the tokens that are none: it adds up on the page.
    assert stats.special_tokens == ("<|endoftext|>", "<unk>")
    assert stats.vocabulary == len(set(TEXT)) + len(stats.special_tokens)
    rows = read_metrics(out)
    assert tuple(rows[0].keys()) == METRICS_COLUMNS
    assert [int(r["step"]) for r in rows] == list(range(1, 13))
    assert [int(r["step"]) for r in rows if r["val_loss"]] == [5, 10, 12]  # and always the last step
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        assert (out / name).is_file()
    entry = Catalog().resolve(str(out))
    assert entry.parameters and entry.can_generate and "GPT" in entry.description
    assert str(out.resolve()) in [e.id for e in Catalog().entries()]

    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest, generate
    from workbench.core.loading import load_model_blocking

    loaded = load_model_blocking(str(out))
    assert loaded.context_length == 16
    request = GenerationRequest(
        prompt="the cat", settings=DecodingSettings(mode="greedy", max_new_tokens=8), chat=False
    )
    generated = drain(generate(loaded, request))
    assert len(generated.sequences[0].tokens) == 8
    assert generated.sequences[0].text


def test_the_models_a_run_keeps_carry_names_a_window_translates(corpus, tmp_path):
    """Their names and descriptions are kept in English (the command line's) and as the marked texts they came from,
    so a window in Chinese names "poems (checkpoint, step 12)" in Chinese too."""
    from workbench.core.i18n import Text

    out = tmp_path / "poems"
    run(tiny_settings(corpus, out, max_iters=12, eval_interval=6, keep_last_checkpoints=2))
    names = {entry.id: entry for entry in Catalog().trained.variant_entries()}
    checkpoint = names[str((out / "checkpoint").resolve())]
    assert checkpoint.name == "poems (checkpoint, step 12)"
    assert isinstance(checkpoint.name, Text) and checkpoint.name.template == "{run} (checkpoint, step {step})"
    assert checkpoint.name.values == {"run": "poems", "step": 12}
    kept = [entry for entry in names.values() if entry.name.startswith("poems (evaluation at step ")]
    assert sorted(entry.name for entry in kept) == ["poems (evaluation at step 12)", "poems (evaluation at step 6)"]
    assert all(entry.name.template == "{run} (evaluation at step {step})" for entry in kept)
    final = names[str(out.resolve())]
    assert final.name == "poems" and not isinstance(final.name, Text)  # the folder's own name: nothing to translate
    assert final.description == "GPT on corpus.txt for 12 steps, validation loss " + final.description.split()[-1]
    assert final.description.template == "{model} on {corpus} for {steps} steps, validation loss {loss}."


def test_learning_rate_warms_up_then_decays_to_min_lr():
    settings = TrainSettings(corpus="c", out_dir="o", lr=1e-3, min_lr=1e-4, warmup_iters=10, max_iters=100)
    assert settings.learning_rate(0) == pytest.approx(1e-3 / 11)
    assert settings.learning_rate(10) == pytest.approx(1e-3)
    assert settings.learning_rate(55) == pytest.approx(5.5e-4)
    assert settings.learning_rate(100) == pytest.approx(1e-4)


def test_stop_checkpoints_and_resume_continues_the_same_curve(corpus, tmp_path):
    changes = dict(max_iters=12, eval_interval=4, dropout=0.1, checkpoint_interval=5)
    _, straight = run(tiny_settings(corpus, tmp_path / "straight", **changes))

    control = RunControl()
    out = tmp_path / "resumed"
    job = train(tiny_settings(corpus, out, **changes), control)
    events = []
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            stopped: TrainResult = stop.value
            break
        events.append(event)
        if isinstance(event, StepEvent) and event.step == 7:
            control.cancel()
    assert stopped.stopped and stopped.step == 7
    assert isinstance(events[-1], CheckpointEvent) and events[-1].step == 7
    # Each checkpoint (the periodic one at step 5 and the stop's) is announced while it is written.
    announced = [
        next(earlier for earlier in reversed(events[:index]) if not isinstance(earlier, SavingProgress))
        for index, event in enumerate(events) if isinstance(event, CheckpointEvent)
    ]
    assert len(announced) == 2 and all(event == StatusEvent(trainer_module.SAVING_CHECKPOINT) for event in announced)
    _, resumed = run(tiny_settings(corpus, out, **changes), resume=True)
    assert resumed.step == 12

    columns = ("step", "train_loss", "val_loss", "lr")
    expected = [tuple(r[c] for c in columns) for r in read_metrics(tmp_path / "straight")]
    assert [tuple(r[c] for c in columns) for r in read_metrics(out)] == expected
    assert resumed.final_val_loss == straight.final_val_loss


@pytest.mark.parametrize("pressed", ["forward", "backward"])
def test_stop_inside_a_step_cuts_it_short_and_resume_takes_it_again(corpus, tmp_path, monkeypatch, pressed):
    """Stop pressed while step 7 computes (in its forward pass, or its backward pass) gives that step up at the
    next decoder block: the checkpoint is step 6's, and the resumed curve is the uninterrupted one."""
    changes = dict(max_iters=10, eval_interval=5, dropout=0.1, grad_accum=2)
    run(tiny_settings(corpus, tmp_path / "straight", **changes))

    control = RunControl()
    calls = []
    next_token_loss = trainer_module._next_token_loss

    def loss_pressing_stop(model, inputs, targets):
        calls.extend([None] if model.training else [])  # the training steps' micro-batches, not the evaluation's
        if len(calls) == 13 and pressed == "forward":  # step 7's first micro-batch
            control.cancel()
        loss = next_token_loss(model, inputs, targets)
        if len(calls) == 14 and pressed == "backward":  # step 7's last micro-batch
            loss.register_hook(lambda grad: control.cancel())
        return loss

    monkeypatch.setattr(trainer_module, "_next_token_loss", loss_pressing_stop)
    out = tmp_path / "stopped"
    events, stopped = run(tiny_settings(corpus, out, **changes), control)
    assert stopped.stopped and stopped.step == 6
    assert isinstance(events[-1], CheckpointEvent) and events[-1].step == 6
    assert max(event.step for event in events if isinstance(event, StepEvent)) == 6
    monkeypatch.setattr(trainer_module, "_next_token_loss", next_token_loss)
    run(tiny_settings(corpus, out, **changes), resume=True)
    columns = ("step", "train_loss", "val_loss", "lr")
    expected = [tuple(r[c] for c in columns) for r in read_metrics(tmp_path / "straight")]
    assert [tuple(r[c] for c in columns) for r in read_metrics(out)] == expected


def test_a_run_stopped_before_its_first_step_resumes_the_same_curve(corpus, tmp_path):
    # Nothing to keep of an optimizer that has taken no step: a resume starts it fresh, as the straight run does.
    changes = dict(max_iters=6, eval_interval=3)
    run(tiny_settings(corpus, tmp_path / "straight", **changes))
    control = RunControl()
    control.cancel()  # Stop pressed while the model was being built
    _, stopped = run(tiny_settings(corpus, tmp_path / "stopped", **changes), control)
    assert stopped.stopped and stopped.step == 0
    run(tiny_settings(corpus, tmp_path / "stopped", **changes), resume=True)
    columns = ("step", "train_loss", "val_loss", "lr")
    expected = [tuple(r[c] for c in columns) for r in read_metrics(tmp_path / "straight")]
    assert [tuple(r[c] for c in columns) for r in read_metrics(tmp_path / "stopped")] == expected


def test_resume_drops_metrics_written_after_the_checkpoint(corpus, tmp_path):
    out = tmp_path / "run"
    run(tiny_settings(corpus, out, max_iters=6, checkpoint_interval=3))
    # Simulate a crash after step 6's metrics line but before its checkpoint: keep step 3's.
    import shutil

    checkpoint = out / "checkpoint"
    shutil.rmtree(checkpoint)
    run(tiny_settings(corpus, tmp_path / "short", max_iters=6, checkpoint_interval=3))
    shutil.copytree(tmp_path / "short" / "checkpoint", checkpoint)
    assert len(read_metrics(out)) == 6
    run(tiny_settings(corpus, out, max_iters=8), resume=True)
    assert [int(r["step"]) for r in read_metrics(out)] == list(range(1, 9))


@pytest.fixture
def loss_turns_nan(monkeypatch):
    """The loss becomes NaN from the fifth batch on."""
    real_loss = trainer_module._next_token_loss
    calls = {"n": 0}

    def loss_turning_nan(model, inputs, targets):
        calls["n"] += 1
        loss = real_loss(model, inputs, targets)
        return loss * float("nan") if calls["n"] > 4 else loss

    monkeypatch.setattr(trainer_module, "_next_token_loss", loss_turning_nan)


def test_diverging_loss_stops_with_a_message_and_keeps_the_checkpoint(corpus, tmp_path, loss_turns_nan):
    out = tmp_path / "run"
    events, result = run(tiny_settings(corpus, out, checkpoint_interval=2, eval_interval=100))
    assert result.stopped and result.step == 4
    assert "loss became nan" in result.message and "lower learning rate" in result.message
    assert "checkpoint" in result.message
    from workbench.core.checkpoints import load_checkpoint

    saved = load_checkpoint(out / "checkpoint")
    assert saved.state["step"] == 4
    weights = torch.load(out / "checkpoint" / "training_state.pt", weights_only=True)["optimizer"]
    assert all(torch.isfinite(v).all() for s in weights["state"].values() for v in s.values() if torch.is_tensor(v))


def test_a_new_run_diverging_before_it_saved_anything_leaves_no_folder(corpus, tmp_path, loss_turns_nan):
    out = tmp_path / "runs" / "run"
    settings = tiny_settings(corpus, out, checkpoint_interval=100, eval_interval=100)
    _, result = run(settings)
    assert result.diverged and result.step == 4 and "no checkpoint" in result.message
    # Nothing to resume, so nothing is kept that would refuse the same command once the learning rate is fixed.
    assert not (tmp_path / "runs").exists()


def test_a_run_diverging_after_it_kept_a_model_keeps_it_with_its_curves(corpus, tmp_path, loss_turns_nan):
    out = tmp_path / "run"
    _, result = run(tiny_settings(corpus, out, checkpoint_interval=100, eval_interval=2))
    assert result.diverged and (out / "step-0000002").is_dir()  # the evaluation's model, kept
    assert [int(row["step"]) for row in read_metrics(out)][:2] == [1, 2]  # with the curve that led to it


@pytest.mark.parametrize("where", ["plain", "plain/tb"])
def test_a_tensorboard_folder_that_cannot_be_made_leaves_no_run_folder(corpus, tmp_path, where):
    (tmp_path / "plain").write_text("a file")
    settings = replace(tiny_settings(corpus, tmp_path / "run"), tensorboard=str(tmp_path / where))
    said = "is a file, not a folder" if where == "plain" else "Not a directory"  # not "File exists"
    with pytest.raises(InvalidInputError, match=said):
        run(settings)
    assert not (tmp_path / "run").exists()


def test_tensorboard_events_that_cannot_be_written_any_more_stop_alone_and_the_run_goes_on(corpus, tmp_path,
                                                                                          capfd):
    """Its event folder removed mid-run (old logs cleared), the writer's thread died with a traceback and the run
    with it, at step 2378 of a real run, with no checkpoint to resume from."""
    import shutil

    board = tmp_path / "tb"
    settings = tiny_settings(corpus, tmp_path / "run", tensorboard=str(board), max_iters=12, eval_interval=4)
    events = []

    def clear_the_board(event) -> None:
        events.append(event)
        if isinstance(event, EvalEvent) and event.step == 4:
            shutil.rmtree(board)

    result = drain(train(settings, RunControl()), clear_the_board)
    assert result.step == 12 and not result.stopped
    warnings = [event.message for event in events if isinstance(event, RunWarning)]
    assert len(warnings) == 1  # said once, at the first write after the folder went (the writer's thread's pace)
    assert re.fullmatch(f"TensorBoard events in {re.escape(str(board))} stopped at step ([5-8]) \\(No such file or "
                        "directory\\): the run goes on, and its metrics.csv holds every step.", warnings[0]), warnings
    assert [int(row["step"]) for row in read_metrics(tmp_path / "run")] == list(range(1, 13))
    assert (tmp_path / "run" / "checkpoint").is_dir()
    assert "Traceback" not in capfd.readouterr().err


@pytest.fixture
def queued_ahead(monkeypatch):
    """The GPU's schedule on the CPU: the next step queued before this one's loss is read. Records each
    launch as (0-based index, steps finished when it was queued) and the weights after it."""
    monkeypatch.setattr(trainer_module._Run, "launches_ahead", property(lambda run: True))
    launches = []
    real_launch = trainer_module._Run.launch_step

    def recording_launch(run, index):
        launched = real_launch(run, index)
        weights = [parameter.detach().clone() for parameter in run.trainable.model.parameters()]
        launches.append((index, run.step, weights))
        return launched

    monkeypatch.setattr(trainer_module._Run, "launch_step", recording_launch)
    return launches


def test_steps_queued_ahead_train_exactly_as_steps_read_one_by_one(corpus, tmp_path, queued_ahead):
    changes = dict(max_iters=12, eval_interval=4, dropout=0.1, checkpoint_interval=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer_module._Run, "launches_ahead", property(lambda run: False))
        _, one_by_one = run(tiny_settings(corpus, tmp_path / "one_by_one", **changes))
    queued_ahead.clear()
    events, ahead = run(tiny_settings(corpus, tmp_path / "ahead", **changes))
    # Queued before the previous step's loss was read: never after an evaluation (4, 8), a checkpoint (5, 10)
    # or the last step.
    assert [index for index, finished, _ in queued_ahead if index > finished] == [1, 2, 3, 6, 7, 9, 11]
    assert [e.step for e in events if isinstance(e, StepEvent)] == list(range(1, 13))
    columns = ("step", "train_loss", "val_loss", "lr")
    expected = [tuple(r[c] for c in columns) for r in read_metrics(tmp_path / "one_by_one")]
    assert [tuple(r[c] for c in columns) for r in read_metrics(tmp_path / "ahead")] == expected
    assert ahead.final_val_loss == one_by_one.final_val_loss


def test_stop_with_a_step_queued_ahead_keeps_that_step_and_resumes_the_same_curve(corpus, tmp_path, queued_ahead):
    changes = dict(max_iters=12, eval_interval=4, dropout=0.1)
    run(tiny_settings(corpus, tmp_path / "straight", **changes))
    control = RunControl()
    out = tmp_path / "stopped"
    stopped = drain(
        train(tiny_settings(corpus, out, **changes), control),
        lambda event: isinstance(event, StepEvent) and event.step == 6 and control.cancel(),
    )
    assert stopped.stopped and stopped.step == 7  # step 7 was computing when Stop came: it is kept, not lost
    assert [int(r["step"]) for r in read_metrics(out)] == list(range(1, 8))
    run(tiny_settings(corpus, out, **changes), resume=True)
    columns = ("step", "train_loss", "val_loss", "lr")
    expected = [tuple(r[c] for c in columns) for r in read_metrics(tmp_path / "straight")]
    assert [tuple(r[c] for c in columns) for r in read_metrics(out)] == expected


def test_a_diverging_step_queued_ahead_leaves_the_weights_as_they_were(corpus, tmp_path, loss_turns_nan, queued_ahead):
    _, result = run(tiny_settings(corpus, tmp_path / "run", checkpoint_interval=2, eval_interval=100))
    assert result.diverged and result.step == 4
    weights = {index: after for index, _, after in queued_ahead}
    assert 5 in weights  # step 6 was queued before step 5's loss was read
    for index in (4, 5):  # the optimizer skipped the non-finite steps on the device
        assert all(torch.equal(before, after) for before, after in zip(weights[3], weights[index]))
    assert all(torch.isfinite(after).all() for after in weights[5])


def test_existing_output_folder_is_refused_unless_resuming(corpus, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not empty: choose a new folder, or resume"):
        run(tiny_settings(corpus, out))
    with pytest.raises(InvalidSettingsError, match="no checkpoint to resume"):
        run(tiny_settings(corpus, out), resume=True)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_resuming_with_another_model_shape_names_the_setting_by_its_label(corpus, tmp_path):
    out = tmp_path / "run"
    run(tiny_settings(corpus, out, max_iters=4, eval_interval=4))
    with pytest.raises(InvalidSettingsError, match=r"was started with Embedding size 32 \(now 64\): resume it"):
        run(tiny_settings(corpus, out, max_iters=8, n_embd=64), resume=True)


def test_pause_holds_the_loop_until_resumed(corpus, tmp_path):
    import threading

    control = RunControl()
    control.pause()
    timer = threading.Timer(0.3, control.resume)
    timer.start()
    events, result = run(tiny_settings(corpus, tmp_path / "run", max_iters=3), control)
    timer.join()
    assert result.step == 3 and not result.stopped


@pytest.mark.parametrize(
    ("characters", "val_fraction", "said"),
    [
        # no split of the text holds two blocks
        (11, 0.1, "The corpus is too short: 11 tokens leave 9 for training and 2 for validation, and each needs more "
                  "than block size + 1 = 17. Use more text or a smaller block size."),
        (100, 0.1, "The validation part of the corpus is too short: 10 of its 100 tokens, and it needs more than block "
                   "size + 1 = 17. Use more text, a smaller block size or a larger validation fraction."),
        (100, 0.9, "The training part of the corpus is too short: 9 of its 100 tokens, and it needs more than block "
                   "size + 1 = 17. Use more text, a smaller block size or a smaller validation fraction."),
    ],
)
def test_corpus_too_short_for_the_block_size_names_the_short_part_and_the_advice_that_helps(tmp_path, characters,
                                                                                              val_fraction, said):
    from workbench.core.errors import InvalidInputError
    from workbench.core.training.corpus import split_problem

    short = tmp_path / "short.txt"
    short.write_text("abcdefghij" * (characters // 10) + "k" * (characters % 10), encoding="utf-8")
    with pytest.raises(InvalidInputError) as refused:
        run(tiny_settings(short, tmp_path / "out", val_fraction=val_fraction))
    assert refused.value.args[0] == said
    assert str(split_problem(characters, val_fraction, 16)) == said  # what the window's form says before Start
    assert split_problem(1000, val_fraction, 16) is None
    assert not (tmp_path / "out").exists()


def test_saving_a_checkpoint_reports_how_far_it_is_with_the_time_left(tmp_path, monkeypatch):
    from workbench.core import checkpoints

    clock = [0.0]

    def ticking() -> float:  # each look at the clock is a second later
        clock[0] += 1.0
        return clock[0]

    real_stages = checkpoints.Stages
    monkeypatch.setattr(checkpoints, "Stages", lambda weights: real_stages(weights, ticking))
    reports = []
    folder = drain(checkpoints.saving_checkpoint(
        tmp_path / "checkpoint", state={"step": 3}, tensors={"optimizer": torch.zeros(1000)},
        write_files=lambda staging: (staging / "weights.bin").write_bytes(b"w" * 4000),
    ), reports.append)
    fractions = [report.fraction for report in reports]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(set(fractions)) >= 4  # the model files, the training state, each file's checksum
    assert all(report.seconds_left is not None for report in reports[2:]) and reports[-1].seconds_left == 0.0
    assert checkpoints.load_checkpoint(folder).state["step"] == 3


def test_each_checkpoint_of_a_run_reports_its_writing_before_it_is_announced(corpus, tmp_path):
    events, _ = run(tiny_settings(corpus, tmp_path / "out", checkpoint_interval=10))
    kinds = [type(event).__name__ for event in events if isinstance(event, (SavingProgress, CheckpointEvent))]
    announced = [index for index, kind in enumerate(kinds) if kind == "CheckpointEvent"]
    assert len(announced) == 3  # steps 10 and 20, and the last
    for start, end in zip([-1, *announced], announced):
        saving = kinds[start + 1:end]
        assert saving and set(saving) == {"SavingProgress"}


@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_the_reported_validation_loss_is_the_saved_models_own(corpus, tmp_path, arch):
    """The final validation loss, recomputed from what was written: the model and tokenizer loaded by
    transformers, the corpus cut by that tokenizer, torch's cross-entropy on the evenly spread validation
    blocks the trainer documents."""
    import numpy as np
    import torch.nn.functional as F
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from workbench.core.architectures import register_architectures

    register_architectures()  # the folder's model_type is the workbench's own
    settings = tiny_settings(corpus, tmp_path / "out", arch=arch, max_iters=20, eval_interval=20, eval_iters=3)
    events, result = run(settings)
    [last_eval] = [event for event in events if isinstance(event, EvalEvent) and event.step == 20]
    model = AutoModelForCausalLM.from_pretrained(result.out_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(result.out_dir)
    ids = torch.tensor(tokenizer(corpus.read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"])
    val = ids[int(len(ids) * (1 - settings.val_fraction)):]
    block, batch = settings.block_size, settings.batch_size
    starts = torch.linspace(0, len(val) - block - 1, settings.eval_iters * batch).long()  # (n*B,)
    losses = []
    with torch.no_grad():
        for chunk in starts.split(batch):
            windows = torch.stack([val[start : start + block + 1] for start in chunk.tolist()])  # (B, T+1)
            logits = model(windows[:, :-1]).logits  # (B, T, V)
            losses.append(F.cross_entropy(logits.flatten(0, 1), windows[:, 1:].flatten()).item())
    assert last_eval.val_loss == pytest.approx(float(np.mean(losses)), abs=1e-5)
    assert result.final_val_loss == last_eval.val_loss
    assert float(read_metrics(tmp_path / "out")[-1]["val_loss"]) == pytest.approx(last_eval.val_loss, abs=1e-6)


def test_stop_ends_an_evaluations_long_sample_at_once(corpus, tmp_path):
    """Stop pressed as an evaluation begins: its sample ends at the next token (4096 tokens would take long),
    and the run stops with its checkpoint."""
    control = RunControl()
    events = []

    def watch(event):
        events.append(event)
        if isinstance(event, StepEvent) and event.step == 1:
            control.cancel()  # the evaluation of step 1 comes next

    settings = tiny_settings(corpus, tmp_path / "run", eval_interval=1, sample_tokens=4096)
    started = time.perf_counter()
    result = drain(train(settings, control), watch)
    assert time.perf_counter() - started < 30  # 4096 tokens and the probes after them would take minutes
    [evaluation] = [event for event in events if isinstance(event, EvalEvent)]
    assert result.stopped and result.step == 1
    assert has_checkpoint(tmp_path / "run" / "checkpoint")
    # The few tokens drawn before the Stop are not the evaluation's sample: none is kept, in the event or the log
    # (a resumed run would show them for step 1 as the model's answer), and no probe waited for it. Read back,
    # the run says so too, where an empty sample would read as the model's answer.
    assert evaluation.sample is None and evaluation.probes == () and evaluation.head_scores is None
    assert read_step_log(tmp_path / "run" / "samples.jsonl") == [{"step": 1, "sample": None}]
    assert read_run(tmp_path / "run").evaluations[0].sample is None
    _, resumed = run(replace(settings, max_iters=2, sample_tokens=8), resume=True)
    samples = read_step_log(tmp_path / "run" / "samples.jsonl")
    assert [record["step"] for record in samples] == [1, 2] and samples[0]["sample"] is None


def test_a_stop_during_the_last_evaluation_keeps_it_whole(corpus, tmp_path):
    """The run finishes there and cannot be resumed to redo it: its sample, probes and head scores were lost."""
    control = RunControl()
    events = []

    def watch(event):
        events.append(event)
        if isinstance(event, StepEvent) and event.step == 2:
            control.cancel()  # the last step's evaluation comes next

    settings = tiny_settings(corpus, tmp_path / "run", max_iters=2, eval_interval=2, sample_tokens=8)
    result = drain(train(settings, control), watch)
    [evaluation] = [event for event in events if isinstance(event, EvalEvent)]
    assert not result.stopped and result.step == 2
    assert evaluation.sample is not None and evaluation.probes and evaluation.head_scores is not None
    assert [record["step"] for record in read_step_log(tmp_path / "run" / "samples.jsonl")] == [2]


def test_a_second_process_cannot_train_in_a_run_folder_in_use(corpus, tmp_path):
    """Resumed there while it trains, a second run would write over its checkpoint: refused in one line; once
    the first has ended (or died) the folder is free. The folder itself is locked: nothing is left in it."""
    import subprocess
    import sys

    from workbench.core.outputs import RunFolderLock

    out = tmp_path / "busy"
    run(tiny_settings(corpus, out, max_iters=4, eval_interval=4, checkpoint_interval=2))
    files = sorted(path.name for path in out.iterdir())
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from workbench.core.outputs import RunFolderLock; lock = RunFolderLock(sys.argv[1]); "
        "print('held', flush=True); time.sleep(60)"), str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(InvalidInputError, match="Another process is training in"):
            run(tiny_settings(corpus, out, max_iters=8, eval_interval=4), resume=True)
    finally:
        holder.kill()
        holder.wait()
    assert sorted(path.name for path in out.iterdir()) == files  # the killed holder left nothing behind
    RunFolderLock(out).release()  # the dead process's lock is free to take
    _, result = run(tiny_settings(corpus, out, max_iters=8, eval_interval=4), resume=True)
    assert result.step == 8


def test_a_steps_train_loss_with_gradient_accumulation_is_the_mean_of_its_micro_batches(corpus, tmp_path,
                                                                                        monkeypatch):
    """Each micro-batch's loss is divided by the accumulation and summed: the step reports their mean."""
    micro_losses = []
    real_loss = trainer_module._next_token_loss

    def recorded(model, inputs, targets):
        loss = real_loss(model, inputs, targets)
        if model.training:  # the step's micro-batches, not an evaluation's
            micro_losses.append(loss.item())
        return loss

    monkeypatch.setattr(trainer_module, "_next_token_loss", recorded)
    events, _ = run(tiny_settings(corpus, tmp_path / "run", grad_accum=3, max_iters=4, eval_interval=4))
    steps = [event for event in events if isinstance(event, StepEvent)]
    assert len(micro_losses) == 3 * len(steps) == 12
    for index, step in enumerate(steps):
        assert step.train_loss == pytest.approx(sum(micro_losses[3 * index: 3 * index + 3]) / 3, rel=1e-6)


def test_each_evaluation_is_announced_before_it_runs(corpus, tmp_path):
    """An evaluation takes seconds on a real model: the window says so rather than look stuck on a step."""
    events, _ = run(tiny_settings(corpus, tmp_path / "run"))
    for index, event in enumerate(events):
        if isinstance(event, EvalEvent):
            before = events[index - 1]
            assert isinstance(before, StatusEvent) and before.message == f"Evaluating at step {event.step}: " \
                                                                          "validation loss, sample, probes"


def test_a_copied_run_goes_on_in_its_copy(corpus, tmp_path):
    """A run moved, renamed or copied (a backup) is offered and continued where it is now: Continue on the copy
    trained the original folder, or failed when that was gone."""
    import shutil

    from workbench.core.training.run_folder import stopped_run

    original = tmp_path / "original"
    control = RunControl()
    job = train(tiny_settings(corpus, original, max_iters=8, eval_interval=4), control)
    for event in job:
        if isinstance(event, StepEvent) and event.step == 3:
            control.cancel()
    copy = tmp_path / "backup"
    shutil.copytree(original, copy)
    offered, step = stopped_run(copy)
    assert offered.out_dir == str(copy) and read_run(copy).settings.out_dir == str(copy)
    before = read_metrics(original)
    _, result = run(offered, resume=True)
    assert result.out_dir == str(copy) and result.step == 8
    assert read_metrics(original) == before  # the original is left as it was
