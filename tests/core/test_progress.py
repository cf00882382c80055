import pytest

from workbench.core.progress import Stages, TimeLeft


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_time_left_follows_the_average_pace_so_far():
    clock = FakeClock()
    time_left = TimeLeft(clock)
    clock.now += 10.0
    assert time_left.seconds_left(0.25) == pytest.approx(30.0)  # 10 s for a quarter: 30 s for the rest
    clock.now += 10.0
    assert time_left.seconds_left(0.8) == pytest.approx(5.0)
    assert time_left.seconds_left(1.0) == 0.0


def test_no_estimate_before_there_is_a_pace():
    clock = FakeClock()
    time_left = TimeLeft(clock)
    clock.now += 0.1
    assert time_left.seconds_left(0.5) is None  # too soon
    clock.now += 5.0
    assert time_left.seconds_left(0.0) is None  # nothing done yet


def test_stages_make_one_fraction_that_moves_through_all_of_them_and_never_goes_back():
    clock = FakeClock()
    stages = Stages({"reading": 1.0, "converting": 3.0}, clock)
    assert stages.at("reading") == (0.0, None)
    clock.now += 2.0
    assert stages.at("converting")[0] == pytest.approx(0.25)  # reading done: a quarter of the measured time
    fraction, left = stages.at("converting", 0.5)
    assert fraction == pytest.approx(0.625) and left == pytest.approx(2.0 * 0.375 / 0.625)
    assert stages.at("reading", 0.5)[0] == pytest.approx(0.625)  # a late report does not move it back
    clock.now += 3.0
    assert stages.at("converting", 1.0) == (1.0, 0.0)
