"""RunFollower reads what a run's folder gains: whole rows only, evaluations with their logs, restarts."""

from __future__ import annotations

import json

import pytest

from workbench.core.training.run_folder import METRICS_FILE, SAMPLES_FILE
from workbench.core.training.run_follower import RunFollower
from workbench.core.training.run_history import read_run
from workbench.core.training.trainer import MetricsLog


def test_whole_rows_evaluations_and_a_restart_arrive_in_order(tmp_path):
    log = MetricsLog(tmp_path / METRICS_FILE)
    log.write(1, 3.0, None, 1e-3, 100.0, 0.1)
    log.write(2, 2.8, None, 1e-3, 100.0, 0.2)
    follower = RunFollower(tmp_path)
    log.write(3, 2.6, None, 1e-3, 100.0, 0.3)  # written between the follower's start and the read
    history = read_run(tmp_path)
    follower.shown(history)
    assert not follower.poll()  # step 3 was read with the run: not shown twice

    with open(tmp_path / METRICS_FILE, "a", encoding="utf-8") as handle:
        handle.write("4,2.4")  # caught half-written
        handle.flush()
        assert not follower.poll()
        handle.write("00000,,1.0e-03,100.0,0.400\n")
    update = follower.poll()
    assert [(event.step, event.train_loss) for event in update.steps] == [(4, 2.4)]

    # The trainer writes an evaluation's sample before its metrics row: the evaluation arrives whole.
    (tmp_path / SAMPLES_FILE).write_text(json.dumps({"step": 5, "sample": "to be"}) + "\n", encoding="utf-8")
    log.write(5, 2.2, 2.5, 1e-3, 100.0, 0.5)
    update = follower.poll()
    assert [event.step for event in update.steps] == [5]
    [evaluation] = update.evaluations
    assert (evaluation.step, evaluation.val_loss, evaluation.sample) == (5, 2.5, "to be")
    assert evaluation.train_loss == pytest.approx(2.6)  # since the last evaluation (none): steps 1-5, as the trainer

    # Resumed from a checkpoint at step 2: the file is rewritten shorter.
    log.close()
    lines = (tmp_path / METRICS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / METRICS_FILE).write_text("".join(lines[:3]), encoding="utf-8")
    assert follower.poll().read_again


def test_a_file_replaced_by_one_of_the_same_length_or_longer_is_a_restart(tmp_path):
    log = MetricsLog(tmp_path / METRICS_FILE)
    for step in (1, 2, 3):
        log.write(step, 3.0, None, 1e-3, 100.0, step / 10)
    log.close()
    follower = RunFollower(tmp_path)
    follower.shown(read_run(tmp_path))
    # A synced copy of a resumed run: other numbers in the part already read, and more rows.
    text = (tmp_path / METRICS_FILE).read_text(encoding="utf-8").replace("3.000000", "2.900000")
    (tmp_path / METRICS_FILE).write_text(text + "4,2.8,,1.0e-03,100.0,0.4\n", encoding="utf-8")
    assert follower.poll().read_again


def test_read_run_leaves_a_row_caught_half_written(tmp_path):
    log = MetricsLog(tmp_path / METRICS_FILE)
    log.write(1, 3.0, None, 1e-3, 100.0, 0.1)
    log.close()
    with open(tmp_path / METRICS_FILE, "a", encoding="utf-8") as handle:
        handle.write("2,2.9")
    assert [event.step for event in read_run(tmp_path).steps] == [1]


@pytest.mark.parametrize("written", ["the trainer's lock", "run.json", "run.json and the header", "the header"])
def test_a_run_before_its_first_step_opens_empty_and_is_followed(tmp_path, written):
    # A torchrun job learns its vocabulary or loads its base model for minutes before its first row.
    from dataclasses import asdict

    from workbench.core.outputs import RunFolderLock
    from workbench.core.training.run_folder import RUN_FILE
    from workbench.core.training.settings import TrainSettings

    lock = RunFolderLock(tmp_path) if "lock" in written else None
    if "run.json" in written:
        settings = TrainSettings(corpus="poems.txt", out_dir=str(tmp_path), max_iters=7)
        (tmp_path / RUN_FILE).write_text(json.dumps({"settings": asdict(settings)}), encoding="utf-8")
    if "header" in written:
        MetricsLog(tmp_path / METRICS_FILE).close()
    follower = RunFollower(tmp_path)
    history = read_run(tmp_path)
    assert history.steps == () and history.evaluations == ()
    assert (history.settings is not None and history.settings.max_iters == 7) == ("run.json" in written)
    follower.shown(history)
    log = MetricsLog(tmp_path / METRICS_FILE)
    log.write(1, 3.0, None, 1e-3, 100.0, 0.1)
    log.write(2, 2.8, None, 1e-3, 100.0, 0.2)
    log.close()
    assert [event.step for event in follower.poll().steps] == [1, 2]
    if lock is not None:
        lock.release()


def test_an_empty_metrics_file_without_a_run_is_refused(tmp_path):
    from workbench.core.errors import InvalidInputError

    (tmp_path / METRICS_FILE).write_text("", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a training metrics file"):
        read_run(tmp_path)


def test_an_evaluation_s_logs_arriving_after_its_row_ask_for_a_read_again(tmp_path):
    # A folder synced file by file may bring an evaluation's metrics row before its sample.
    log = MetricsLog(tmp_path / METRICS_FILE)
    follower = RunFollower(tmp_path)
    log.write(1, 3.0, 2.9, 1e-3, 100.0, 0.1)
    [evaluation] = follower.poll().evaluations
    assert evaluation.sample == ""
    assert not follower.poll()
    (tmp_path / SAMPLES_FILE).write_text(json.dumps({"step": 1, "sample": "to be"}) + "\n", encoding="utf-8")
    assert follower.poll().read_again
    assert read_run(tmp_path).evaluations[0].sample == "to be"  # what the reading again shows


def test_an_evaluation_read_with_the_run_is_read_again_when_its_logs_arrive(tmp_path):
    log = MetricsLog(tmp_path / METRICS_FILE)
    log.write(1, 3.0, 2.9, 1e-3, 100.0, 0.1)  # the row came through the sync, its sample not yet
    follower = RunFollower(tmp_path)
    history = read_run(tmp_path)
    assert history.evaluations[0].sample == ""
    follower.shown(history)
    assert not follower.poll()
    (tmp_path / SAMPLES_FILE).write_text(json.dumps({"step": 1, "sample": "to be"}) + "\n", encoding="utf-8")
    assert follower.poll().read_again


def test_logs_that_arrive_between_the_follower_and_the_read_are_not_news(tmp_path):
    log = MetricsLog(tmp_path / METRICS_FILE)
    log.write(1, 3.0, 2.9, 1e-3, 100.0, 0.1)
    follower = RunFollower(tmp_path)
    (tmp_path / SAMPLES_FILE).write_text(json.dumps({"step": 1, "sample": "to be"}) + "\n", encoding="utf-8")
    history = read_run(tmp_path)  # holds the sample already: the follower's older log sizes are no reason
    assert history.evaluations[0].sample == "to be"
    follower.shown(history)
    assert not follower.poll()


def test_a_run_without_some_logs_is_not_read_again_at_each_evaluation(tmp_path):
    # A recurrent model has no head scores: its evaluations never hold them, and that is no reason to read again.
    log = MetricsLog(tmp_path / METRICS_FILE)
    follower = RunFollower(tmp_path)
    for step in (1, 2, 3):
        with open(tmp_path / SAMPLES_FILE, "a", encoding="utf-8") as samples:
            samples.write(json.dumps({"step": step, "sample": f"sample {step}"}) + "\n")
        log.write(step, 3.0, 2.9, 1e-3, 100.0, step / 10)
        update = follower.poll()
        assert not update.read_again and [event.sample for event in update.evaluations] == [f"sample {step}"]


def test_an_earlier_evaluation_s_logs_that_arrive_with_a_new_row_ask_for_a_read_again(tmp_path):
    # A sync tool that writes metrics.csv and samples.jsonl in one burst: the late sample of evaluation 1 lands
    # between the look for late logs and the read of evaluation 2's row.
    log = MetricsLog(tmp_path / METRICS_FILE)
    follower = RunFollower(tmp_path)
    log.write(1, 3.0, 2.9, 1e-3, 100.0, 0.1)
    assert follower.poll().evaluations[0].sample == ""
    log.write(2, 2.8, 2.7, 1e-3, 100.0, 0.2)
    samples = "".join(json.dumps({"step": step, "sample": f"sample {step}"}) + "\n" for step in (1, 2))
    original = follower._logs_came_late
    follower._logs_came_late = lambda: original() or (tmp_path / SAMPLES_FILE).write_text(samples, "utf-8") and False
    assert follower.poll().read_again
