"""The lab's run folders: one run at a time, resumes that change the batch size, damaged checkpoints, another
kind of run's folder, a run that saves nothing, and counts of one said in the singular."""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import replace

import pytest
import torch

from workbench.cli import main as cli_main
from workbench.core import checkpoints as shared_checkpoints
from workbench.core.errors import InvalidInputError
from workbench.core.genlab import trainer as genlab_trainer
from workbench.core.genlab.data import ImageSet, image_folder_problem, load_digits_set
from workbench.core.genlab.images import write_png
from workbench.core.genlab.settings import GenLabSettings
from workbench.core.genlab.storage import load_checkpoint
from workbench.core.genlab.trainer import StatusEvent, StepMetrics, train
from workbench.core.jobs import RunControl, drain
from workbench.core.outputs import RunFolderLock

SMALL = ["--model", "vae", "--hidden-dim", "16", "--device", "cpu"]


@pytest.fixture(scope="module")
def small_digits() -> ImageSet:
    digits = load_digits_set()
    return replace(digits, train=digits.train[:400], train_labels=digits.train_labels[:400])


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory):
    """The folder of a finished 1-epoch VAE run of the command line, to copy and spoil."""
    out = tmp_path_factory.mktemp("genlab") / "run"
    assert cli_main(["genlab", "--epochs", "1", *SMALL, "--out", str(out)]) == 0
    return out


def quick(**changes) -> GenLabSettings:
    return GenLabSettings.for_model("vae", **{"hidden_dim": 32, "batch_size": 32, "device": "cpu", **changes})


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "unexpected" not in lines[0], lines
    return lines[0]


def diverge_at_once(monkeypatch) -> None:
    real_step = genlab_trainer._VaeStep.__call__

    def diverging_step(step, batch):
        return {name: float("nan") for name in real_step(step, batch)}

    monkeypatch.setattr(genlab_trainer._VaeStep, "__call__", diverging_step)


# --- one run at a time -------------------------------------------------------------------------------------------


def test_a_second_run_in_a_folder_being_trained_in_is_refused(small_digits, tmp_path):
    first = train(quick(epochs=1), images=small_digits, checkpoint_dir=tmp_path / "run" / "checkpoint")
    next(first)  # started: it holds its folder
    second = train(quick(epochs=1), images=small_digits, checkpoint_dir=tmp_path / "run" / "checkpoint")
    with pytest.raises(InvalidInputError, match="Another process is training in .*run: let it finish"):
        drain(second)
    result = drain(first)  # the first run is not disturbed, and lets go of the folder when it ends
    assert result.checkpoint is not None and not result.stopped
    drain(train(quick(epochs=2), images=small_digits, checkpoint_dir=tmp_path / "run" / "checkpoint", resume=True))


def test_the_command_line_refuses_a_folder_another_process_trains_in(one_epoch_run, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    saved = (out / "checkpoint" / shared_checkpoints.STATE_FILE).read_bytes()
    lock = RunFolderLock(out)  # as a run resumed there by another process holds it
    try:
        assert cli_main(["genlab", "--resume", "--epochs", "2", "--out", str(out)]) == 2
    finally:
        lock.release()
    assert one_error_line(capsys) == f"error: Another process is training in {out}: let it finish, or stop it, " \
        "before running there."
    assert (out / "checkpoint" / shared_checkpoints.STATE_FILE).read_bytes() == saved


# --- resuming with another batch size ----------------------------------------------------------------------------


def test_an_epoch_stopped_midway_finishes_in_its_own_batch_size(small_digits, tmp_path):
    settings = quick(epochs=2, checkpoint_every=100)
    straight = drain(train(replace(settings, epochs=1), images=small_digits))
    control = RunControl()
    job = train(settings, control, images=small_digits, checkpoint_dir=tmp_path / "ckpt")
    drain(job, lambda event: isinstance(event, StepMetrics) and event.step == 5 and control.cancel())
    assert load_checkpoint(tmp_path / "ckpt").state["inside_epoch"]["batch_size"] == 32

    events = []
    resumed = drain(train(replace(settings, batch_size=16), images=small_digits, checkpoint_dir=tmp_path / "ckpt",
                          resume=True), events.append)
    assert resumed.step == 400 // 32 + 400 // 16  # the rest of epoch 1 in batches of 32, then epoch 2 in 16s
    assert resumed.history[0]["total"] == pytest.approx(straight.history[0]["total"])
    said = [str(event.message) for event in events if isinstance(event, StatusEvent)]
    assert "Finishing epoch 1 in batches of 32, as it began; then batches of 16" in said


def test_a_checkpoint_saved_before_the_batch_size_was_kept_finishes_in_the_runs_own(small_digits, tmp_path):
    control = RunControl()
    job = train(quick(epochs=2), control, images=small_digits, checkpoint_dir=tmp_path / "ckpt")
    drain(job, lambda event: isinstance(event, StepMetrics) and event.step == 5 and control.cancel())
    state_file = tmp_path / "ckpt" / shared_checkpoints.STATE_FILE
    state = json.loads(state_file.read_text())
    del state["inside_epoch"]["batch_size"]
    state_file.write_text(json.dumps(state))
    resumed = drain(train(quick(epochs=2, batch_size=16), images=small_digits, checkpoint_dir=tmp_path / "ckpt",
                          resume=True))
    assert resumed.step == 400 // 32 + 400 // 16


def test_a_resume_at_an_epoch_boundary_takes_the_new_batch_size(small_digits, tmp_path):
    drain(train(quick(epochs=1), images=small_digits, checkpoint_dir=tmp_path / "ckpt"))
    resumed = drain(train(quick(epochs=2, batch_size=16), images=small_digits, checkpoint_dir=tmp_path / "ckpt",
                          resume=True))
    assert resumed.step == 400 // 32 + 400 // 16 and len(resumed.history) == 2


# --- damaged checkpoints -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "value"), [
    ("epoch", "two"), ("history", None), ("step", None), ("step", -3), ("epoch", True), ("history", [{"epoch": 1}]),
    ("inside_epoch", {"order": "0 1 2", "batches_done": 1, "sums": {}, "batch_size": 32}),
    ("inside_epoch", {"order": [0, 1], "batches_done": 1, "sums": {"total": "x"}, "batch_size": 32}),
    ("inside_epoch", {"order": [0, 1], "batches_done": 1, "sums": {}, "batch_size": 0}),
])
def test_a_checkpoint_state_of_wrong_types_is_named_damaged(one_epoch_run, tmp_path, capsys, entry, value):
    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    state_file = out / "checkpoint" / shared_checkpoints.STATE_FILE
    state_file.write_text(json.dumps({**json.loads(state_file.read_text()), entry: value}))
    assert cli_main(["genlab", "--resume", "--epochs", "3", "--out", str(out)]) == 2
    assert one_error_line(capsys) == (
        f"error: The checkpoint in {out / 'checkpoint'} cannot be resumed: trainer_state.json is damaged (its {entry} "
        "entry is not valid). Start a new run in another folder.")


def test_a_checkpoint_state_nested_too_deep_is_named_damaged(one_epoch_run, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    (out / "checkpoint" / shared_checkpoints.STATE_FILE).write_text("[" * 100_000)
    assert cli_main(["genlab", "--resume", "--epochs", "3", "--out", str(out)]) == 2
    assert "trainer_state.json is damaged (it is not readable JSON)" in one_error_line(capsys)


# --- a language model's run folder --------------------------------------------------------------------------------


def test_resuming_a_language_models_run_says_so_first(tmp_path, capsys):
    from workbench.core.training.settings import TrainSettings

    out = tmp_path / "lm-run"
    settings = dataclasses.asdict(TrainSettings(corpus=str(tmp_path / "corpus.txt"), out_dir=str(out)))
    shared_checkpoints.save_checkpoint(out / "checkpoint", state={"step": 4, "settings": settings}, tensors={})
    for resume in (["--resume"], []):
        assert cli_main(["genlab", *resume, "--out", str(out)]) == 2
        assert one_error_line(capsys) == (
            f"error: {out} holds a language-model training run: resume it with workbench train --resume --out {out}, "
            "or choose another folder for the lab.")


def test_resuming_a_lab_run_with_train_says_which_command_resumes_it(one_epoch_run, capsys):
    """train said "trainer_state.json lacks tokens_seen, elapsed_s" of a lab's checkpoint."""
    assert cli_main(["train", "--resume", "--out", str(one_epoch_run)]) == 2
    assert one_error_line(capsys) == (
        f"error: {one_epoch_run} holds a generative lab run: resume it with workbench genlab --resume --out "
        f"{one_epoch_run}.")


def test_an_image_folder_is_kept_whole_so_a_resume_elsewhere_reads_the_same_images(tmp_path, monkeypatch):
    """Kept as typed ("digits"), a resume from another folder silently trained on scikit-learn's digits."""
    from workbench.core.checkpoints import saved_settings

    started_in = tmp_path / "A"
    (started_in / "digits").mkdir(parents=True)
    for index in range(12):
        write_png(started_in / "digits" / f"mine{index:02}.png", torch.rand(8, 8).numpy())
    monkeypatch.chdir(started_in)
    out = tmp_path / "run"
    flags = ["--images", "digits", "--epochs", "1", "--batch-size", "4", *SMALL, "--out", str(out)]
    assert cli_main(["genlab", *flags]) == 0
    assert saved_settings(out / "checkpoint")["images"] == str(started_in / "digits")


# --- a run that saves nothing --------------------------------------------------------------------------------------


def test_a_run_diverging_before_it_saves_anything_leaves_the_folder_as_it_found_it(tmp_path, capsys, monkeypatch):
    diverge_at_once(monkeypatch)
    new, empty = tmp_path / "new" / "run", tmp_path / "empty"
    empty.mkdir()
    for out in (new, empty):
        assert cli_main(["genlab", "--epochs", "2", *SMALL, "--out", str(out)]) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error: Training diverged at step 1")
    assert not (tmp_path / "new").exists() and list(empty.iterdir()) == []
    monkeypatch.undo()  # the learning rate fixed: the same command runs there
    assert cli_main(["genlab", "--epochs", "1", *SMALL, "--out", str(new)]) == 0


def test_a_window_run_diverging_at_once_leaves_no_folder(small_digits, tmp_path, monkeypatch):
    diverge_at_once(monkeypatch)
    result = drain(train(quick(epochs=2), images=small_digits, checkpoint_dir=tmp_path / "genlab" / "vae-checkpoint"))
    assert result.diverged and not (tmp_path / "genlab").exists()


# --- counts of one -----------------------------------------------------------------------------------------------


def test_counts_of_one_are_said_in_the_singular(one_epoch_run, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli_main(["genlab", "--epochs", "1", *SMALL, "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("Trained 1 epoch in ")
    assert cli_main(["genlab", "--epochs", "1", "--resume", "--out", str(out)]) == 2
    assert one_error_line(capsys) == "error: The checkpoint has trained 1 epoch already, and 1 was asked for: ask " \
        "for more epochs to go on."
    images = tmp_path / "images"
    images.mkdir()
    write_png(images / "only.png", torch.rand(8, 8).numpy())
    assert image_folder_problem(images) == f"Image folder '{images}' has 1 image file; the lab needs at least 10."


def test_a_resume_trains_with_its_new_learning_rate(small_digits, tmp_path):
    """Loading the optimizers' state put the saved learning rate back: --resume --lr was recorded, not trained."""
    drain(train(quick(epochs=1), images=small_digits, checkpoint_dir=tmp_path / "run"))
    shutil.copytree(tmp_path / "run", tmp_path / "slow")
    same = drain(train(quick(epochs=2), images=small_digits, checkpoint_dir=tmp_path / "run", resume=True))
    slow = drain(train(quick(epochs=2, lr=1e-9), images=small_digits, checkpoint_dir=tmp_path / "slow", resume=True))
    first = {name: value for name, value in same.history[0].items() if name != "elapsed_s"}
    assert {name: value for name, value in slow.history[0].items() if name != "elapsed_s"} == first
    assert slow.history[1]["total"] != same.history[1]["total"]
    assert abs(slow.history[1]["total"] - first["total"]) < abs(same.history[1]["total"] - first["total"])
