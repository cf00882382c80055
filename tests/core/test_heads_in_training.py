"""Head scores where a user meets them: at every evaluation of a training run (transformers only),
and from `workbench heads` for a model or for each checkpoint of a run, equal to a direct computation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.core.test_head_scores import assert_scores_from_output_attentions
from tests.core.test_training import run, tiny_settings
from workbench.cli import main
from workbench.core.catalog import run_checkpoints
from workbench.core.checkpoints import step_folder
from workbench.core.head_scores import head_scores
from workbench.core.loading import load_model_blocking
from workbench.core.training.events import EvalEvent
from workbench.core.training.run_folder import HEADS_FILE
from workbench.core.training.step_log import read_step_log


@pytest.fixture
def trained(corpus, tmp_path):
    events, result = run(tiny_settings(corpus, tmp_path / "run", n_layer=2, checkpoint_interval=15))
    return events, result


def test_every_evaluation_of_a_transformer_carries_its_heads_scores(trained):
    events, result = trained
    evals = [event for event in events if isinstance(event, EvalEvent)]
    assert [event.step for event in evals] == [15, 30]
    for event in evals:
        scores = event.head_scores
        assert scores.induction.shape == scores.previous_token.shape == scores.sink.shape == (2, 2)
        # The model as it was at that evaluation (kept as step-…), read through its own output_attentions.
        kept = load_model_blocking(str(step_folder(result.out_dir, event.step)))
        assert_scores_from_output_attentions(scores, kept)
    # heads.jsonl keeps them, in the format of `workbench heads --json` with the step.
    written = read_step_log(f"{result.out_dir}/{HEADS_FILE}")
    assert written == [{"step": event.step, **event.head_scores.to_json()} for event in evals]


def test_a_recurrent_model_or_scores_off_reports_none(corpus, tmp_path):
    for name, changes in (("lstm", {"arch": "lstm"}), ("off", {"head_scores": False})):
        events, _ = run(tiny_settings(corpus, tmp_path / name, **changes))
        assert all(event.head_scores is None for event in events if isinstance(event, EvalEvent))


def test_the_cli_scores_a_model_as_the_core_does(tiny_folder, tiny_loaded, capsys):
    assert main(["heads", "--model", str(tiny_folder), "--device", "cpu", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = head_scores(tiny_loaded, tiny_loaded.context_length)
    assert printed["layers"] == expected.layers and printed["heads"] == expected.heads
    for name in ("previous_token", "induction", "sink"):
        np.testing.assert_allclose(printed["scores"][name], getattr(expected, name), atol=1e-5)


def test_the_cli_scores_each_checkpoint_of_a_run_with_its_step(trained, tmp_path, capsys):
    _, result = trained
    assert main(["heads", "--run", result.out_dir, "--device", "cpu", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    checkpoints = run_checkpoints(result.out_dir)
    assert [entry["step"] for entry in printed] == [checkpoint.step for checkpoint in checkpoints]
    last = load_model_blocking(checkpoints[-1].entry)
    np.testing.assert_allclose(printed[-1]["scores"]["induction"],
                               head_scores(last, last.context_length).induction, atol=1e-5)


def test_a_damaged_checkpoint_is_skipped_with_its_reason_and_the_others_are_scored(trained, tmp_path, capsys):
    import shutil

    _, result = trained
    copy = tmp_path / "copy"
    shutil.copytree(result.out_dir, copy)
    checkpoints = run_checkpoints(copy)
    weights = Path(checkpoints[0].entry.location) / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # cut short
    assert main(["heads", "--run", str(copy), "--device", "cpu", "--json"]) == 1
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert [entry["step"] for entry in printed] == [checkpoint.step for checkpoint in checkpoints]
    assert "error" in printed[0] and all("scores" in entry for entry in printed[1:])
    assert f"step {checkpoints[0].step}: skipped: " in captured.err


@pytest.mark.parametrize("argv, message", [
    (["heads"], "either --model or --run"),
    (["heads", "--model", "x", "--run", "y"], "either --model or --run"),
    (["heads", "--run", "no/such/folder"], "is not a folder"),
])
def test_bad_input_is_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_folder_without_checkpoints_is_refused(tmp_path, capsys):
    assert main(["heads", "--run", str(tmp_path)]) == 2
    assert "no checkpoints" in capsys.readouterr().err


def test_head_scores_are_on_by_default_and_the_cli_can_turn_them_off():
    from workbench.cli import build_parser
    from workbench.cli.options import settings_from_args
    from workbench.core.training.settings import TrainSettings

    def parsed(*flags):
        args = build_parser().parse_args(["train", "--corpus", "c.txt", "--out", "o", *flags])
        return settings_from_args(TrainSettings, args).head_scores

    assert parsed() is True and parsed("--no-head-scores") is False and parsed("--head-scores") is True
