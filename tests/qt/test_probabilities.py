"""Probabilities as the pages write them, and the fork popup's two columns."""

from __future__ import annotations

import pytest

from workbench.core.generation_data import StageTrace, TokenEvent, TokenTrace
from workbench.qt.common.probabilities import format_prob, percent
from workbench.qt.tree.fork_popup import alternatives


@pytest.mark.parametrize(("prob", "decimals", "shown"), [
    (0.0, 1, "0%"), (1.0, 1, "100%"), (0.25, 1, "25.0%"), (0.0005, 1, "0.05%"), (0.000435, 1, "0.043%"),
    (4e-9, 1, "<0.001%"), (0.9996, 1, ">99.9%"), (0.99949, 1, "99.9%"), (0.004, 0, "0.4%"), (0.996, 0, ">99%"),
    (0.5, 0, "50%"),
])
def test_a_percentage_reads_0_or_100_only_when_it_is(prob, decimals, shown):
    assert percent(prob, decimals) == shown


def test_a_small_probability_keeps_two_digits():
    assert format_prob(0.0123) == "0.012" and format_prob(0.000123) == "1.2e-04" and format_prob(0) == "0.000"


def _event(stages: tuple[StageTrace, ...], beam: bool = False) -> TokenEvent:
    trace = TokenTrace(chosen_rank=0, stages=stages, token_texts={1: "a", 2: "b", 3: "c"}, beam=beam)
    return TokenEvent(sequence=0, step=0, token_id=1, text="a", prob=0.6, filtered_prob=0.6, alternatives=(),
                      trace=trace)


def test_the_final_column_is_what_was_drawn_from_and_nothing_in_beam_search():
    raw = StageTrace("raw", survivors=3, chosen_prob=0.6, top=((1, 0.6), (2, 0.3), (3, 0.1)))
    top_k = StageTrace("top_k", survivors=2, chosen_prob=2 / 3, top=((1, 2 / 3), (2, 1 / 3)))
    finals = [choice.final_prob for choice in alternatives(_event((raw, top_k)))]
    assert finals == [2 / 3, 1 / 3, 0.0]  # the third was cut
    assert [choice.final_prob for choice in alternatives(_event((raw,), beam=True))] == [None] * 3
