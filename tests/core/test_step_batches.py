"""Steps travel to the window in batches, never held back past the point where the run waits."""

from __future__ import annotations

from workbench.core.jobs import RunControl, StatusEvent, drain
from workbench.core.training.events import EvalEvent, StepEvent, TrainResult
from workbench.core.training.step_batches import StepBatch, batch_steps

RESULT = TrainResult("out", 6, 1.0, False, "done")


def _step(n: int) -> StepEvent:
    return StepEvent(n, 2.0, 1e-3, 100.0, n * 10, n * 0.01)


def _eval(n: int) -> EvalEvent:
    return EvalEvent(n, 1.5, 4.48, 2.0, "sample", n * 10, n * 0.01)


def _run(control: RunControl | None = None, pause_after: int | None = None):
    yield StatusEvent("Reading corpus")
    for n in range(1, 7):
        if n == pause_after and control is not None:
            control.pause()
        yield _step(n)
        if n == 3:
            yield _eval(n)
    return RESULT


def _events(control: RunControl, **run_options) -> tuple[list, TrainResult]:
    events: list = []
    result = drain(batch_steps(_run(control, **run_options), control, interval_s=60.0), events.append)
    return events, result


def test_fast_steps_travel_together_and_other_events_keep_their_place():
    events, result = _events(RunControl())
    assert result is RESULT
    kinds = [type(event).__name__ for event in events]
    assert kinds == ["StatusEvent", "StepBatch", "EvalEvent", "StepBatch"]
    assert [step.step for step in events[1].steps] == [1, 2, 3]  # flushed before the eval
    assert [step.step for step in events[3].steps] == [4, 5, 6]  # and before the run's end


def test_a_paused_or_stopping_run_gets_its_last_step_at_once():
    control = RunControl()
    events, _ = _events(control, pause_after=5)
    batches = [[step.step for step in event.steps] for event in events if isinstance(event, StepBatch)]
    assert batches == [[1, 2, 3], [4, 5], [6]]  # step 5 is sent before the run would wait
    stopping = RunControl()
    stopping.cancel()
    events, _ = _events(stopping)
    assert all(len(event.steps) == 1 for event in events if isinstance(event, StepBatch))


def test_slow_steps_are_not_held():
    # Each step takes longer than the interval: none waits for the next one.
    control = RunControl()
    run = _run(control)
    events = list(batch_steps(run, control, interval_s=0.0))
    assert all(len(event.steps) == 1 for event in events if isinstance(event, StepBatch))
