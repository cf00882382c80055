"""Why-this-token numbers as plain JSON data: what `workbench inspect` writes and the Token panel exports."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from workbench.core.generation_data import GenerationRequest, GenerationResult, StageTrace, TokenEvent

if TYPE_CHECKING:
    from workbench.core.lens import LogitLens


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None  # JSON has no infinity


def stage_json(stage: StageTrace) -> dict[str, Any]:
    return {
        "name": stage.name,
        "survivors": stage.survivors,
        "chosen_prob": stage.chosen_prob,
        "top": [[token_id, prob] for token_id, prob in stage.top],
    }


def token_json(event: TokenEvent) -> dict[str, Any]:
    """One generated token: its raw entropy and surprisal (nats) and every stage of its trace."""
    stages = event.trace.stages if event.trace is not None else ()
    return {
        "step": event.step,
        "token_id": event.token_id,
        "text": event.text,
        "entropy": event.entropy,
        "surprisal": _finite_or_none(event.surprisal),
        "stages": [stage_json(stage) for stage in stages],
    }


def inspection_report(
    model_name: str, request: GenerationRequest, result: GenerationResult, lens: LogitLens | None = None
) -> dict[str, Any]:
    """The first sequence's tokens with their traces, the other sequences' the same way (``more_sequences``,
    only when there are several), and the first sequence's lens when one was computed."""
    traced = [[token_json(token) for token in sequence.tokens] for sequence in result.sequences] or [[]]
    report: dict[str, Any] = {
        "model": model_name,
        "prompt_token_ids": list(result.prompt_token_ids),
        "settings": request.settings.applied_settings(),
        "seed": result.seed,
        "stopped": result.stopped,
        "tokens": traced[0],
    }
    if len(traced) > 1:
        report["more_sequences"] = traced[1:]
    if lens is not None:
        report["lens"] = lens.to_json()
    return report
