"""A run read back from its folder gives the events the trainer yielded while it ran."""

from __future__ import annotations

import numpy as np
import pytest

from tests.core.test_training import run, tiny_settings
from workbench.core.training.events import EvalEvent, StepEvent
from workbench.core.training.run_history import read_run


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
