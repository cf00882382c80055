"""A seeded sampling and a run training on another thread of the same process (the window does both) each get
what their seeds promise: torch's default random stream is the whole process's, and they drew from it in turn."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from tests.core.test_generation import SAMPLE, run
from tests.core.test_training import tiny_settings
from workbench.core.errors import CancelledError
from workbench.core.jobs import RunControl, drain
from workbench.core.random_stream import process_random_stream
from workbench.core.training.events import StepEvent
from workbench.core.training.trainer import train

DROPPING = dict(dropout=0.2, eval_interval=4, sample_tokens=8)  # dropout and an evaluation sample: both draw


def _losses(events) -> list[float]:
    return [event.train_loss for event in events if isinstance(event, StepEvent)]


def test_seeded_sampling_gives_the_same_text_while_a_run_trains_beside_it(tiny_loaded, corpus, tmp_path):
    _, alone = run(tiny_loaded, SAMPLE)
    control, steps = RunControl(), []
    settings = tiny_settings(corpus, tmp_path / "run", max_iters=100_000, **DROPPING)
    training = threading.Thread(target=lambda: drain(train(settings, control), steps.append))
    training.start()
    try:
        while not any(isinstance(event, StepEvent) for event in steps):
            assert training.is_alive()
            time.sleep(0.01)
        for _ in range(4):
            _, beside = run(tiny_loaded, SAMPLE)
            assert beside.sequences[0].token_ids == alone.sequences[0].token_ids
    finally:
        control.cancel()
        training.join()


def test_a_run_draws_the_same_dropout_while_sampling_runs_beside_it(tiny_loaded, corpus, tmp_path):
    alone, _ = drain_run(tiny_settings(corpus, tmp_path / "alone", max_iters=24, **DROPPING))
    done = threading.Event()

    def sample_until_done() -> None:
        seed = 0
        while not done.is_set():
            seed += 1
            run(tiny_loaded, replace(SAMPLE, seed=seed, max_new_tokens=4))

    sampling = threading.Thread(target=sample_until_done)
    sampling.start()
    try:
        beside, _ = drain_run(tiny_settings(corpus, tmp_path / "beside", max_iters=24, **DROPPING))
    finally:
        done.set()
        sampling.join()
    assert _losses(beside) == _losses(alone)


def drain_run(settings):
    events = []
    result = drain(train(settings, RunControl()), events.append)
    return events, result


def test_a_stop_while_another_holds_the_stream_stops_the_step_at_once(corpus, tmp_path):
    """A long generation holds the stream: the run's Stop must not wait for it to end."""
    control, events, ended = RunControl(), [], []

    def training_run() -> None:
        try:
            drain(train(tiny_settings(corpus, tmp_path / "run", max_iters=100_000, dropout=0.2), control),
                  events.append)
        except CancelledError as stopped:  # stopped before its first step: as a Stop while loading ends
            ended.append(stopped)

    with process_random_stream():  # a generation that will not end soon
        training = threading.Thread(target=training_run)
        training.start()
        time.sleep(1.0)  # the run waits for the stream to draw its model's first weights
        stopped_at = time.monotonic()
        control.cancel()
        training.join(timeout=30)
        assert not training.is_alive() and time.monotonic() - stopped_at < 5
    assert len(ended) == 1 and not any(isinstance(event, StepEvent) for event in events)


def test_a_run_without_dropout_trains_on_while_a_sampling_holds_the_stream(corpus, tmp_path):
    """Its steps draw nothing: they need not wait for a generation to end."""
    control, events = RunControl(), []
    settings = tiny_settings(corpus, tmp_path / "run", max_iters=100_000, dropout=0.0, sample_tokens=0)
    training = threading.Thread(target=lambda: drain(train(settings, control), events.append))
    training.start()
    try:
        while not _losses(events):
            assert training.is_alive()
            time.sleep(0.01)
        with process_random_stream():  # a generation that goes on meanwhile
            before = len(_losses(events))
            time.sleep(0.5)
            assert len(_losses(events)) > before
    finally:
        control.cancel()
        training.join()


def _stopped_while_the_stream_is_held(settings, steps_before_stop: int, lands_while_held: bool = True):
    """Train in a thread; after ``steps_before_stop`` steps hold the stream (a long generation), then Stop: the
    run ends while the stream is still held, or (``lands_while_held`` False) once it is let go."""
    control, events, failures = RunControl(), [], []

    def training_run() -> None:
        try:
            events.append(drain(train(settings, control), events.append))  # the TrainResult last
        except BaseException as error:  # noqa: BLE001 (the test says what it was)
            failures.append(error)

    training = threading.Thread(target=training_run)
    training.start()
    while len(_losses(events)) < steps_before_stop:
        assert training.is_alive(), failures
        time.sleep(0.005)
    with process_random_stream():
        time.sleep(0.5)  # the run reaches what waits for the stream
        control.cancel()
        training.join(timeout=30 if lands_while_held else 0.5)
        assert training.is_alive() != lands_while_held
    training.join(timeout=30)
    return events, failures


def test_a_stop_at_an_evaluation_while_a_sampling_holds_the_stream_still_saves_the_run(corpus, tmp_path):
    """The evaluation's sample waited for the stream and the Stop raised out of it: the run was thrown away."""
    from workbench.core.checkpoints import read_state

    settings = tiny_settings(corpus, tmp_path / "run", max_iters=100_000, eval_interval=8, sample_tokens=8,
                             dropout=0.0)
    events, failures = _stopped_while_the_stream_is_held(settings, 7)
    assert failures == [] and events[-1].stopped and "checkpoint saved" in events[-1].message
    assert read_state(tmp_path / "run" / "checkpoint")["step"] == len(_losses(events)) >= 7


def test_a_step_that_cannot_be_cut_short_waits_for_the_stream_then_stops_with_a_checkpoint(corpus, tmp_path,
                                                                                         monkeypatch):
    """Compiled, or on a GPU queueing steps ahead: a Stop raised while it waited for the stream crashed the run."""
    from workbench.core.checkpoints import read_state
    from workbench.core.training import trainer

    monkeypatch.setattr(trainer._Run, "steps_cut_short", property(lambda run: False))
    settings = tiny_settings(corpus, tmp_path / "run", max_iters=100_000, dropout=0.2, sample_tokens=0)
    events, failures = _stopped_while_the_stream_is_held(settings, 3, lands_while_held=False)
    assert failures == [] and events[-1].stopped
    assert read_state(tmp_path / "run" / "checkpoint")["step"] == len(_losses(events))


def test_a_build_that_fails_leaves_the_process_stream_as_it_was(corpus, tmp_path, monkeypatch):
    import pytest
    import torch

    from workbench.core.training import trainer

    def failing_build(*args, **kwargs):
        torch.rand(3)  # draws from the run's seed first
        raise MemoryError("no room for the model")

    monkeypatch.setattr(trainer._Run, "_build_model", failing_build)
    torch.manual_seed(1234)
    expected = torch.get_rng_state()
    with pytest.raises(MemoryError):
        drain(train(tiny_settings(corpus, tmp_path / "run"), RunControl()))
    assert torch.equal(torch.get_rng_state(), expected)


def test_the_labs_stop_lands_while_a_generation_holds_the_stream(tmp_path):
    """Its new model's weights are drawn holding the stream: its Stop waited for the generation to end."""
    from workbench.core.genlab.settings import GenLabSettings
    from workbench.core.genlab.trainer import train as train_lab

    control, ended = RunControl(), []

    def lab_run() -> None:
        try:
            drain(train_lab(GenLabSettings(epochs=1, device="cpu"), control, checkpoint_dir=tmp_path / "lab"))
        except CancelledError as stopped:
            ended.append(stopped)

    with process_random_stream():
        lab = threading.Thread(target=lab_run)
        lab.start()
        time.sleep(1.0)  # the lab waits for the stream to build its model
        control.cancel()
        lab.join(timeout=10)
        assert not lab.is_alive() and len(ended) == 1


def test_router_noise_and_layerdrop_count_as_draws_of_a_training_step():
    """Dropout is not the only draw of a training step: a mixture of experts' router noise and a layer skipped at
    random draw too, so such a run must keep its own stream as a run with dropout does."""
    from transformers import MixtralConfig, MixtralForCausalLM, OPTConfig, OPTForCausalLM

    from workbench.core.training.trainer import _draws_at_random

    def mixtral(noise: float):
        return MixtralForCausalLM(MixtralConfig(
            hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
            vocab_size=50, num_local_experts=2, router_jitter_noise=noise))

    def opt(layerdrop: float):
        return OPTForCausalLM(OPTConfig(
            hidden_size=16, ffn_dim=32, num_hidden_layers=1, num_attention_heads=2, vocab_size=50,
            word_embed_proj_dim=16, dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, layerdrop=layerdrop))

    assert _draws_at_random(mixtral(0.1)) and _draws_at_random(opt(0.2))
    assert not _draws_at_random(mixtral(0.0)) and not _draws_at_random(opt(0.0))
