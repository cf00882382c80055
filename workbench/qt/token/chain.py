"""What each chart of the sampler chain lists: plain rows, no widgets, so tests can read them."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.generation_data import StageTrace

SHOWN_TOKENS = 10  # the likeliest tokens each chart lists (the trace keeps 20)


@dataclass(frozen=True)
class ChainRow:
    token_id: int
    prob: float  # after the stage; for a token the stage cut, its probability before the stage
    chosen: bool  # the token that was generated
    cut: bool  # this stage removed it


def stage_rows(stages: tuple[StageTrace, ...], index: int, chosen_id: int) -> tuple[ChainRow, ...]:
    """The rows of stage ``index``: its likeliest tokens, then the tokens it cut from the previous
    chart, then the chosen token when it ranks below all of them."""
    stage = stages[index]
    rows = [ChainRow(token_id, prob, token_id == chosen_id, False) for token_id, prob in stage.top[:SHOWN_TOKENS]]
    # Only stages that drop tokens (survivors fall) keep the others' order, so only there is
    # "absent from this stage's top 20" the same as "cut" (a penalty can merely demote a token).
    if index > 0 and stage.survivors < stages[index - 1].survivors:
        kept = {token_id for token_id, _ in stage.top}
        rows += [
            ChainRow(token_id, prob, token_id == chosen_id, True)
            for token_id, prob in stages[index - 1].top[:SHOWN_TOKENS]
            if token_id not in kept
        ]
    if not any(row.chosen for row in rows):
        rows.append(ChainRow(chosen_id, stage.chosen_prob, True, False))
    return tuple(rows)


def chain_rows(stages: tuple[StageTrace, ...], chosen_id: int) -> tuple[tuple[ChainRow, ...], ...]:
    return tuple(stage_rows(stages, index, chosen_id) for index in range(len(stages)))
