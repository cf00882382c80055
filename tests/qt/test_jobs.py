"""The one job lifecycle: events and result of the current run, the latest request wins,
abandoned results are discarded, and closing refuses new runs and waits for every thread."""

from __future__ import annotations

import threading
import time

import pytest

from workbench.core.errors import InvalidInputError
from workbench.qt.common.jobs import Job, JobRegistry


@pytest.fixture
def registry(qapp):
    registry = JobRegistry()
    yield registry
    registry.shutdown()


def counting(events: int):
    def job(cancel):
        for number in range(events):
            cancel.raise_if_cancelled()
            yield number
        return events

    return job


def returning_when(released: threading.Event, value):
    """A job that ignores cancel (like a load in the middle of reading a file)."""

    def job(cancel):
        yield from ()
        released.wait(10)
        return value

    return job


def until_cancelled(cancel):
    yield from ()
    while True:
        cancel.raise_if_cancelled()
        time.sleep(0.01)


def test_a_run_reports_its_events_then_its_result(qtbot, registry):
    job = Job(registry)
    events, ended = [], []
    job.event.connect(events.append)
    job.ended.connect(lambda: ended.append(job.is_running))
    with qtbot.waitSignal(job.finished, timeout=5_000) as finished:
        assert job.start(counting(3))
        assert job.is_running
    assert events == [0, 1, 2] and finished.args == [3]
    assert ended == [False]


def _failure_said(qtbot, registry, error: Exception) -> tuple[str, Job]:
    """What a job that raises ``error`` says through ``failed``."""
    def failing(cancel):
        yield from ()
        raise error

    job = Job(registry)
    with qtbot.waitSignal(job.failed, timeout=5_000) as failed:
        job.start(failing)
    return failed.args[0], job


def test_a_failure_is_one_line_for_the_person(qtbot, registry):
    said, job = _failure_said(qtbot, registry, InvalidInputError("The prompt is empty."))
    assert said == "The prompt is empty." and not job.is_running


def test_a_full_disk_is_said_as_such_not_as_an_unexpected_error(qtbot, registry):
    said, _ = _failure_said(qtbot, registry, RuntimeError(
        "Error while serializing: I/O error: No space left on device (os error 28)"))
    assert said.startswith("The disk is full (") and "Unexpected" not in said


def test_the_latest_request_wins_and_the_abandoned_result_is_discarded(qtbot, registry):
    discarded, results = [], []
    job = Job(registry, discard=discarded.append)
    job.finished.connect(results.append)
    released = threading.Event()
    job.start(returning_when(released, "first"))
    job.start(returning_when(released, "second"))
    released.set()
    qtbot.waitUntil(lambda: not registry.live(), timeout=5_000)
    assert results == ["second"] and discarded == ["first"]


def test_one_at_a_time_the_latest_request_waits_for_the_abandoned_run_and_the_ones_between_never_run(
        qtbot, registry):
    """A slider dragged across checkpoints: each load ignores cancel until it has read its file, so starting one
    per position ran them all at once."""
    started, results, discarded = [], [], []
    job = Job(registry, discard=discarded.append, one_at_a_time=True)
    job.finished.connect(results.append)
    released = threading.Event()

    def loading(name):
        def job_factory(cancel):
            started.append(name)
            return returning_when(released, name)(cancel)
        return job_factory

    for name in ("first", "second", "third"):
        assert job.start(loading(name))
        assert job.is_running and len(registry.live(job)) == 1
    released.set()
    qtbot.waitUntil(lambda: bool(results), timeout=5_000)
    assert started == ["first", "third"] and results == ["third"] and discarded == ["first"]
    assert not job.is_running and not registry.live()


def test_one_at_a_time_a_request_abandoned_while_it_waits_never_runs(qtbot, registry):
    job = Job(registry, one_at_a_time=True)
    released = threading.Event()
    job.start(returning_when(released, "first"))
    job.start(counting(1))
    job.abandon()
    assert not job.is_running
    released.set()
    qtbot.waitUntil(lambda: not registry.live(), timeout=5_000)
    qtbot.wait(50)
    assert not registry.live() and not job.is_running


def test_cancel_keeps_the_run_current_until_it_says_how_it_ended(qtbot, registry):
    job = Job(registry)
    job.start(until_cancelled)
    with qtbot.waitSignal(job.cancelled, timeout=5_000):
        job.cancel()
        assert job.is_running
    assert not job.is_running


def test_closing_waits_for_abandoned_runs_and_refuses_new_ones(registry):
    job = Job(registry)
    released = threading.Event()
    job.start(returning_when(released, "abandoned"))
    job.abandon()
    assert not job.is_running and registry.live()
    threading.Timer(0.2, released.set).start()
    registry.shutdown()
    assert not registry.live()
    assert not job.start(counting(1)) and not job.is_running
