"""A run read back from its folder gives the events the trainer yielded while it ran."""

from __future__ import annotations

import numpy as np
import pytest

from tests.core.test_training import run, tiny_settings
from workbench.core.jobs import RunControl, drain
from workbench.core.training.events import EvalEvent, StepEvent
from workbench.core.training.run_follower import RunFollower
from workbench.core.training.run_history import read_metrics_csv, read_run
from workbench.core.training.trainer import train


def test_the_history_of_a_run_is_what_it_reported_live(corpus, tmp_path):
    settings = tiny_settings(corpus, tmp_path / "run", n_layer=2, probes=("the quick brown",))
    events, result = run(settings)
    history = read_run(result.out_dir)
    steps = [event for event in events if isinstance(event, StepEvent)]
    evals = [event for event in events if isinstance(event, EvalEvent)]
    assert [event.step for event in history.steps] == [event.step for event in steps]
    np.testing.assert_allclose([e.train_loss for e in history.steps], [e.train_loss for e in steps], atol=1e-6)
    assert [e.tokens_seen for e in history.steps] == [e.tokens_seen for e in steps]
    assert [e.step for e in history.evaluations] == [e.step for e in evals] == [15, 30]
    for read, live in zip(history.evaluations, evals):
        assert read.val_loss == pytest.approx(live.val_loss, abs=1e-6)
        assert read.train_loss == pytest.approx(live.train_loss, abs=1e-6)  # the mean since the last evaluation
        assert read.sample == live.sample and read.probes == live.probes
        np.testing.assert_allclose(read.head_scores.induction, live.head_scores.induction, atol=1e-6)
    assert history.snapshots == (15, 30) and history.settings == settings


def test_a_resumable_run_is_read_up_to_its_checkpoint(corpus, tmp_path):
    _, result = run(tiny_settings(corpus, tmp_path / "run"))
    history = read_run(result.out_dir, up_to_step=15)
    assert history.steps[-1].step == 15 and [e.step for e in history.evaluations] == [15]
    assert history.snapshots == (15,)



def test_tokens_follow_a_resume_that_changes_the_batch(corpus, tmp_path):
    # A resume may change the batch (or, under torchrun, the number of processes): the steps before keep their
    # size on the tokens axis, in the run's folder as in the trainer's own events.
    out = tmp_path / "run"
    control, first = RunControl(), []
    drain(
        train(tiny_settings(corpus, out, max_iters=8, eval_interval=4), control),
        lambda event: first.append(event) or (isinstance(event, StepEvent) and event.step == 3 and control.cancel()),
    )
    follower = RunFollower(out)
    resumed, _ = run(tiny_settings(corpus, out, max_iters=8, eval_interval=4, batch_size=4), resume=True)
    live = [event.tokens_seen for event in first + resumed if isinstance(event, StepEvent)]
    block = 16
    assert live == [8 * block * step for step in (1, 2, 3)] + [3 * 8 * block + 4 * block * step for step in range(1, 6)]
    assert [event.tokens_seen for event in read_run(out).steps] == live
    assert read_metrics_csv(out / "metrics.csv")["tokens"].tolist() == live
    assert [event.tokens_seen for event in follower.poll().steps] == live[3:]
