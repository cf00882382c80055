"""`workbench train` under torchrun (two CPU processes with gloo), and its TensorBoard events."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from tests.conftest import make_tiny_loaded
from workbench.cli import main
from workbench.core.resources import sample_corpus
from workbench.core.training.run_history import read_metrics_csv

# Small enough for two CPU processes on a 2-core machine; BPE so rank 0's tokenizer must reach rank 1.
RUN = (
    "--n-layer 2 --n-head 2 --n-embd 64 --block-size 64 --max-iters 120 --eval-interval 60 --eval-iters 10 "
    "--tokenizer bpe --vocab-size 400 --sample-tokens 8 --device cpu --checkpoint-interval 0"
)


def _train_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "workbench", "train", *args]


def _torchrun(processes: int, *args: str, entry: tuple[str, ...] = ("-m", "workbench", "train"), env=None):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"]
    return subprocess.run([*launcher, *entry, *args], capture_output=True, text=True, timeout=600, env=env)


def _final_val_loss(out) -> float:
    val_loss = read_metrics_csv(out / "metrics.csv")["val_loss"]
    return float(val_loss[~np.isnan(val_loss)][-1])


@pytest.mark.slow
def test_two_processes_train_like_one_with_the_same_effective_batch(tmp_path):
    corpus = sample_corpus()
    two, one = tmp_path / "two", tmp_path / "one"
    launched = _torchrun(2, "--corpus", str(corpus), "--out", str(two), "--batch-size", "8", *RUN.split())
    assert launched.returncode == 0, launched.stderr[-3000:]
    assert "effective batch: 16 blocks per step (8 per batch x 1 accumulated x 2 processes)" in launched.stderr
    single = subprocess.run(
        _train_command("--corpus", str(corpus), "--out", str(one), "--batch-size", "8", "--grad-accum", "2",
                       *RUN.split()),
        capture_output=True, text=True, timeout=600,
    )
    assert single.returncode == 0, single.stderr[-3000:]

    # Rank 0 alone wrote the run: one metrics.csv at the top, one row per step.
    with open(two / "metrics.csv", encoding="utf-8") as handle:
        steps = [int(row["step"]) for row in csv.DictReader(handle)]
    assert steps == list(range(1, 121))
    assert abs(_final_val_loss(two) - _final_val_loss(one)) < 0.05
    # The run's layout is recorded, in its folder and in its checkpoint.
    layout = json.loads((two / "run.json").read_text(encoding="utf-8"))
    state = json.loads((two / "checkpoint" / "trainer_state.json").read_text(encoding="utf-8"))
    for recorded in (layout, state):
        assert recorded["world_size"] == 2 and recorded["effective_batch"] == 16

    # The checkpoint of the two-process run resumes in one process.
    resumed = subprocess.run(
        _train_command("--corpus", str(corpus), "--out", str(two), "--resume", "--max-iters", "140"),
        capture_output=True, text=True, timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "effective batch: 8 blocks per step (8 per batch x 1 accumulated)" in resumed.stderr
    assert read_metrics_csv(two / "metrics.csv")["step"][-1] == 140
    layout = json.loads((two / "run.json").read_text(encoding="utf-8"))
    assert layout["world_size"] == 1 and layout["effective_batch"] == 8
    assert [entry["tokens_per_step"] for entry in layout["batch_history"]] == [16 * 64, 8 * 64]


def test_a_mistake_is_said_once_not_by_every_process(tmp_path):
    launched = _torchrun(2, "--corpus", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "run"), "--device",
                         "cpu")
    assert launched.returncode != 0
    said = [line for line in launched.stderr.splitlines() if line.startswith("error:")]
    missing = tmp_path / "missing.txt"
    assert said == [f"error: {missing} does not exist: give a text file or a folder of .txt files."], (
        launched.stderr[-3000:]
    )


@pytest.mark.slow
def test_a_ddp_step_is_one_step_on_every_process_s_own_blocks(tmp_path):
    # Each process draws its own blocks, and DDP averages the gradients: the weights after one step on two
    # processes are those of one process stepping once on both processes' blocks together.
    corpus = sample_corpus()
    step = ("--n-layer 2 --n-head 2 --n-embd 64 --block-size 32 --max-iters 1 --eval-interval 1 --eval-iters 1 "
            "--dropout 0 --warmup-iters 0 --lr 1e-2 --sample-tokens 4 --device cpu --checkpoint-interval 0").split()
    launched_batches = str(Path(__file__).with_name("launched_batches_train.py"))
    environment = {**os.environ, "WORKBENCH_TEST_BATCHES": str(tmp_path)}
    two = _torchrun(2, "--corpus", str(corpus), "--out", str(tmp_path / "two"), "--batch-size", "4", *step,
                    entry=(launched_batches,), env=environment)
    assert two.returncode == 0, two.stderr[-3000:]
    first, second = (torch.load(tmp_path / f"rank{rank}.pt")[0] for rank in (0, 1))  # (4, T) each
    assert first.shape == second.shape == (4, 32) and not torch.equal(first, second)
    one = subprocess.run([sys.executable, launched_batches, "--corpus", str(corpus), "--out", str(tmp_path / "one"),
                          "--batch-size", "8", *step], env=environment, capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr[-3000:]
    gradients = {name: torch.load(tmp_path / f"gradients-{name}.pt") for name in ("two", "one")}
    assert len(gradients["two"]) == len(gradients["one"])
    for averaged, whole in zip(gradients["two"], gradients["one"]):
        torch.testing.assert_close(averaged, whole, atol=1e-8, rtol=1e-4)
    # AdamW's first step moves a weight by lr * g / (|g| + 1e-8): where a gradient is within rounding of that 1e-8
    # (the processes and the lone one add in other orders), its weight moves a little differently; 27 of 270,720
    # here, by 5e-5 at most.
    weights = {name: load_file(tmp_path / name / "model.safetensors") for name in ("two", "one")}
    assert weights["one"].keys() == weights["two"].keys()
    apart = sum(int(((weights["two"][name] - weight).abs() > 1e-6).sum()) for name, weight in weights["one"].items())
    assert apart <= 1e-3 * sum(weight.numel() for weight in weights["one"].values()), apart


@pytest.mark.slow
def test_steps_queued_ahead_under_torchrun_train_the_same_curve(tmp_path):
    # The GPU's schedule (the next step queued before this one's loss is read) forced on two CPU processes:
    # every process queues the same steps and collectives, and the curve is the one read step by step.
    corpus = sample_corpus()
    short = [*RUN.split(), "--max-iters", "30", "--eval-interval", "10", "--checkpoint-interval", "15"]
    ahead = str(Path(__file__).with_name("launched_ahead_train.py"))
    curves = {}
    for name, entry in (("one_by_one", ("-m", "workbench", "train")), ("ahead", (ahead,))):
        launched = _torchrun(2, "--corpus", str(corpus), "--out", str(tmp_path / name), *short, entry=entry)
        assert launched.returncode == 0, launched.stderr[-3000:]
        with open(tmp_path / name / "metrics.csv", encoding="utf-8") as handle:
            curves[name] = [(row["step"], row["train_loss"], row["val_loss"]) for row in csv.DictReader(handle)]
    assert len(curves["ahead"]) == 30 and curves["ahead"] == curves["one_by_one"]


@pytest.mark.slow
def test_a_run_resumed_under_torchrun_with_as_many_processes_goes_on_along_the_same_curve(tmp_path):
    """Rank 1 drew new batches and dropout from a fresh seed on every resume: the resumed curve left the straight
    one at its first step (one process resumed exactly)."""
    corpus = sample_corpus()
    constant = ["--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "32", "--batch-size", "4",
                "--dropout", "0.2", "--lr", "0.003", "--min-lr", "0.003", "--warmup-iters", "0", "--eval-interval",
                "100", "--eval-iters", "1", "--sample-tokens", "4", "--device", "cpu", "--checkpoint-interval", "0"]
    straight = _torchrun(2, "--corpus", str(corpus), "--out", str(tmp_path / "straight"), *constant,
                         "--max-iters", "8")
    first_half = _torchrun(2, "--corpus", str(corpus), "--out", str(tmp_path / "resumed"), *constant,
                           "--max-iters", "4")
    second_half = _torchrun(2, "--resume", "--out", str(tmp_path / "resumed"), "--max-iters", "8")
    for launched in (straight, first_half, second_half):
        assert launched.returncode == 0, launched.stderr[-3000:]
    curves = [read_metrics_csv(tmp_path / name / "metrics.csv")["train_loss"] for name in ("straight", "resumed")]
    np.testing.assert_array_equal(curves[1], curves[0])


@pytest.mark.slow
def test_fsdp_trains_the_same_model_as_ddp_and_its_checkpoint_resumes_in_one_process(tmp_path):
    corpus = sample_corpus()
    short = [*RUN.split(), "--max-iters", "40", "--eval-interval", "40", "--batch-size", "8"]
    losses = {}
    for name, extra in (("ddp", []), ("fsdp", ["--fsdp"])):
        launched = _torchrun(2, "--corpus", str(corpus), "--out", str(tmp_path / name), *short, *extra)
        assert launched.returncode == 0, launched.stderr[-3000:]
        losses[name] = _final_val_loss(tmp_path / name)
    # Sharding changes where the weights live, not the arithmetic of a step.
    assert losses["fsdp"] == pytest.approx(losses["ddp"], abs=1e-3)
    # The gathered weights and the optimizer state by name resume in one process.
    resumed = subprocess.run(
        _train_command("--corpus", str(corpus), "--out", str(tmp_path / "fsdp"), "--resume", "--max-iters", "50"),
        capture_output=True, text=True, timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert read_metrics_csv(tmp_path / "fsdp" / "metrics.csv")["step"][-1] == 50


@pytest.mark.slow
def test_fsdp_fine_tunes_a_pretrained_model_as_ddp_does_and_saves_it_whole(tmp_path):
    # FSDP's case: a transformers model split at its decoder layers (``_no_split_modules``), then saved
    # gathered, so the kept folder loads in one process like any fine-tune's.
    base = tmp_path / "base"
    loaded = make_tiny_loaded(chat=False)
    loaded.model.save_pretrained(base)
    loaded.tokenizer.save_pretrained(base)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("The capital of France is Paris. The quick brown fox jumps over the lazy dog.\n" * 40,
                      encoding="utf-8")
    finetune = ("--arch finetune --tokenizer pretrained --block-size 16 --batch-size 4 --lr 1e-2 --warmup-iters 0 "
                "--max-iters 12 --eval-interval 12 --eval-iters 2 --checkpoint-interval 0 --sample-tokens 4 "
                "--device cpu").split()
    losses = {}
    for name, extra in (("ddp", []), ("fsdp", ["--fsdp"])):
        launched = _torchrun(2, "--corpus", str(corpus), "--base-model", str(base), "--out", str(tmp_path / name),
                             *finetune, *extra)
        assert launched.returncode == 0, launched.stderr[-3000:]
        losses[name] = _final_val_loss(tmp_path / name)
    assert losses["fsdp"] == pytest.approx(losses["ddp"], abs=1e-3)
    assert losses["fsdp"] < read_metrics_csv(tmp_path / "fsdp" / "metrics.csv")["train_loss"][0]

    # The final model is written into the run's folder.
    kept = {name: AutoModelForCausalLM.from_pretrained(tmp_path / name) for name in losses}
    for (weight_name, ddp_weight), fsdp_weight in zip(kept["ddp"].state_dict().items(),
                                                      kept["fsdp"].state_dict().values(), strict=True):
        torch.testing.assert_close(fsdp_weight, ddp_weight, atol=1e-4, rtol=0, msg=weight_name)


@pytest.mark.slow
def test_ctrl_c_under_torchrun_stops_every_process_after_one_step_with_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    command = [*launcher, "-m", "workbench", "train", "--corpus", str(sample_corpus()), "--out", str(out),
               *RUN.split(), "--max-iters", "100000", "--batch-size", "8"]
    run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not ((out / "metrics.csv").is_file() and len((out / "metrics.csv").read_text().splitlines()) > 5):
            assert run.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        run.send_signal(signal.SIGINT)  # what a Ctrl+C in torchrun's terminal does
        _, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert "Stopped at step" in stderr and "checkpoint saved" in stderr, stderr[-3000:]
    state = json.loads((out / "checkpoint" / "trainer_state.json").read_text(encoding="utf-8"))
    assert state["step"] == read_metrics_csv(out / "metrics.csv")["step"][-1] and state["world_size"] == 2


def test_tensorboard_events_hold_the_run_losses(tmp_path, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question.\n" * 40, encoding="utf-8")
    out, events = tmp_path / "out", tmp_path / "tensorboard"
    tiny = "--n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch-size 4 --eval-iters 2 --sample-tokens 4"
    assert main(f"train --corpus {corpus} --out {out} --max-iters 8 --eval-interval 4 --tensorboard {events} "
                f"{tiny}".split()) == 0
    reader = EventAccumulator(str(events))
    reader.Reload()
    metrics = read_metrics_csv(out / "metrics.csv")
    steps = metrics["step"].astype(int).tolist()
    train = {event.step: event.value for event in reader.Scalars("loss/train")}
    assert train == pytest.approx(dict(zip(steps, metrics["train_loss"].tolist())), rel=1e-6)
    val = {event.step: event.value for event in reader.Scalars("loss/val")}
    evaluated = ~np.isnan(metrics["val_loss"])
    assert val == pytest.approx(dict(zip(metrics["step"][evaluated].astype(int).tolist(),
                                         metrics["val_loss"][evaluated].tolist())), rel=1e-6)
    assert set(val) == {4, 8}
    assert [event.step for event in reader.Scalars("lr")] == list(range(1, 9))


def test_a_tensorboard_folder_that_cannot_be_written_is_one_line_before_training(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question.\n" * 40, encoding="utf-8")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("not a folder", encoding="utf-8")
    assert main(f"train --corpus {corpus} --out {tmp_path / 'out'} --max-iters 2 --tensorboard {blocked / 'tb'}"
                .split()) == 2
    error = capsys.readouterr().err
    assert error == f"error: Cannot write results in {blocked / 'tb'}: Not a directory.\n"
    assert not (tmp_path / "out").exists()  # refused before anything was made


def test_a_copied_run_resumed_writes_its_events_in_its_own_folder_not_the_originals(tmp_path, capsys, monkeypatch):
    """The copy's resume wrote into the original's TensorBoard folder, and its purge hid the original's later steps.
    Given as a person types them: folders relative to the working one."""
    import shutil

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.chdir(tmp_path)
    Path("corpus.txt").write_text("to be or not to be, that is the question.\n" * 40, encoding="utf-8")
    original, copy = tmp_path / "original", tmp_path / "copy"
    tiny = "--n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch-size 4 --eval-iters 2 --sample-tokens 4"
    assert main(f"train --corpus corpus.txt --out original --max-iters 4 --eval-interval 2 --tensorboard original/tb "
                f"{tiny}".split()) == 0
    shutil.copytree(original, copy)
    before = {path.name: path.read_bytes() for path in (original / "tb").iterdir()}
    assert main("train --resume --out copy --max-iters 6".split()) == 0
    assert {path.name: path.read_bytes() for path in (original / "tb").iterdir()} == before
    reader = EventAccumulator(str(copy / "tb"))
    reader.Reload()
    assert [event.step for event in reader.Scalars("loss/train")] == [1, 2, 3, 4, 5, 6]
    saved = json.loads((copy / "checkpoint" / "trainer_state.json").read_text(encoding="utf-8"))["settings"]
    assert saved["tensorboard"] == str(copy / "tb")


@pytest.mark.parametrize("inside", ["checkpoint", "step-0000009", "checkpoint/tb"])
def test_a_tensorboard_folder_inside_a_folder_the_run_replaces_is_refused(tmp_path, capsys, inside):
    """Inside the run's checkpoint the events were deleted at each save, and the run ended with exit 0; inside a
    kept step's model they went when the step was thinned out, and the run with them."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question.\n" * 40, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["train", "--corpus", str(corpus), "--out", str(out), "--max-iters", "2",
                 "--tensorboard", str(out / inside)]) == 2
    assert capsys.readouterr().err == (
        f"error: The TensorBoard folder {out / inside} is inside the run's {inside.split('/')[0]} folder, which the "
        "run replaces as it saves: choose a folder outside it (the run's own folder will do).\n")
    assert not out.exists()


@pytest.mark.parametrize(("environment", "said"), [
    ({"WORLD_SIZE": "abc"}, "WORLD_SIZE=abc in the environment is not one torchrun sets"),
    ({"WORLD_SIZE": "2"}, "WORLD_SIZE is set but MASTER_ADDR is not"),
    ({"WORLD_SIZE": "2", "MASTER_ADDR": "localhost", "MASTER_PORT": "29500"}, "WORLD_SIZE is set but RANK is not"),
    ({"WORLD_SIZE": "2", "MASTER_ADDR": "localhost", "MASTER_PORT": "29500", "RANK": "2"},
     "RANK=2 in the environment is not one torchrun sets"),
])
def test_a_torchrun_variable_left_in_the_environment_is_a_mistake_said_in_one_line(tmp_path, capsys, monkeypatch,
                                                                                    environment, said):
    """A stray WORLD_SIZE (a shell, a job script) was "unexpected ValueError … a fault of the workbench", exit 70."""
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be\n" * 40, encoding="utf-8")
    assert main(["train", "--corpus", str(corpus), "--out", str(tmp_path / "out"), "--max-iters", "2"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {said}") and error.count("\n") == 1, error
