"""The Compare page kept across restarts: its columns (with the session) and its last comparison, whole
(answers, scores, every strip's numbers), in ``comparison.json`` beside the session.

The comparison has its own file because it is written once, when it finishes, and can be a megabyte (each
answer's top tokens under every model), while the session is written again within a second of every edit.
A file that cannot be read is set aside, never overwritten, as the session's is.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core import paths
from workbench.core.atomic import damaged_name, write_text_atomic
from workbench.core.compare import TextScore
from workbench.core.comparison import ColumnOutcome, ColumnStats, CompareColumn, Comparison
from workbench.core.decoding import DecodingSettings
from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text, text_from_data, text_to_data
from workbench.core.sessions import sequence_from_data
from workbench.core.settings_fields import field_problems, settings_from_data, settings_to_data

STORE_FORMAT = "workbench-compare-page/1"
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def comparison_path() -> Path:
    return paths.data_dir() / "comparison.json"


# --- columns -------------------------------------------------------------------------


def column_to_data(column: CompareColumn) -> dict[str, Any]:
    return {"model": column.model_ref, "settings": settings_to_data(column.settings), "seed": column.seed,
            "label": column.label}


def column_from_data(data: Any) -> CompareColumn:
    """The column ``column_to_data`` wrote; raises ValueError (or TypeError, KeyError) for anything else,
    settings that break their own bounds included."""
    settings = settings_from_data(DecodingSettings, data["settings"])
    if field_problems(settings):
        raise ValueError("settings out of their bounds")
    seed = data["seed"]
    if not (seed is None or (isinstance(seed, int) and not isinstance(seed, bool))):
        raise ValueError(f"a seed is {seed!r:.40}")
    return CompareColumn(str(data["model"]), settings, seed, str(data["label"]))


def columns_from_data(data: Any) -> list[CompareColumn]:
    """The readable columns of a saved list (a damaged one is left out, the others kept)."""
    columns = []
    for item in data if isinstance(data, list) else []:
        try:
            columns.append(column_from_data(item))
        except _UNREADABLE:
            continue
    return columns


# --- the comparison ------------------------------------------------------------------


def _score_to_data(score: TextScore | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {
        "model": score.model,
        "token_ids": list(score.token_ids),
        "logprobs": score.logprobs.tolist(),
        "covered_bytes": score.covered_bytes,
        "kl_to_first": None if score.kl_to_first is None else score.kl_to_first.tolist(),
        "offsets": [list(span) for span in score.offsets],
        "top_ids": None if score.top_ids is None else score.top_ids.tolist(),
        "top_logprobs": None if score.top_logprobs is None else score.top_logprobs.tolist(),
        "unknown_tokens": score.unknown_tokens,
    }


def _score_from_data(data: Any) -> TextScore | None:
    if data is None:
        return None
    kl, top_ids, top_logprobs = data["kl_to_first"], data["top_ids"], data["top_logprobs"]
    score = TextScore(
        model=str(data["model"]),
        token_ids=tuple(int(token) for token in data["token_ids"]),
        logprobs=np.asarray(data["logprobs"], dtype=np.float64),  # (T-1,)
        covered_bytes=int(data["covered_bytes"]),
        kl_to_first=None if kl is None else np.asarray(kl, dtype=np.float64),  # (T-1,)
        offsets=tuple((int(start), int(end)) for start, end in data["offsets"]),
        top_ids=None if top_ids is None else np.asarray(top_ids, dtype=np.int64),  # (T-1, k)
        top_logprobs=None if top_logprobs is None else np.asarray(top_logprobs, dtype=np.float64),  # (T-1, k)
        unknown_tokens=int(data["unknown_tokens"]),
    )
    positions = len(score.token_ids) - 1
    arrays = (score.logprobs, score.kl_to_first, score.top_ids, score.top_logprobs)
    shapes = [array.shape[:1] for array in arrays if array is not None]
    if any(shape != (positions,) for shape in shapes) or len(score.offsets) != len(score.token_ids):
        raise ValueError("a score whose arrays do not match its tokens")
    return score


def _outcome_to_data(outcome: ColumnOutcome) -> dict[str, Any]:
    return {
        "model_id": outcome.model_id,
        "model_name": text_to_data(outcome.model_name),
        "sequence": dataclasses.asdict(outcome.sequence),
        "seed": outcome.seed,
        "stats": dataclasses.asdict(outcome.stats),
    }


def _outcome_from_data(data: Any) -> ColumnOutcome:
    name = text_from_data(data["model_name"])
    if name is None:
        raise ValueError("a model name that is no text")
    stats = data["stats"]
    first = stats["time_to_first_token_s"]
    return ColumnOutcome(
        model_id=str(data["model_id"]),
        model_name=name,
        sequence=sequence_from_data(data["sequence"]),
        seed=None if data["seed"] is None else int(data["seed"]),
        stats=ColumnStats(None if first is None else float(first), float(stats["tokens_per_s"]),
                          int(stats["length"]), float(stats["mean_surprisal"])),
    )


def _problem_from_data(data: Any) -> InvalidInputError | None:
    if data is None:
        return None
    message = text_from_data(data)
    if message is None:
        raise ValueError("a problem that is no text")
    return InvalidInputError(message)


def comparison_to_store(comparison: Comparison) -> dict[str, Any]:
    """Everything the Compare page shows of ``comparison``, as JSON data."""
    return {
        "format": STORE_FORMAT,
        "prompt": comparison.prompt,
        "system_prompt": comparison.system_prompt,
        "chat": comparison.chat,
        "columns": [column_to_data(column) for column in comparison.columns],
        "outcomes": [_outcome_to_data(outcome) for outcome in comparison.outcomes],
        "scores": [[_score_to_data(score) for score in row] for row in comparison.scores],
        "shares_tokenizer": [list(row) for row in comparison.shares_tokenizer],
        "token_labels": {model: {str(token): label for token, label in labels.items()}
                         for model, labels in comparison.token_labels.items()},
        "problems": [[None if problem is None else text_to_data(problem.args[0]) for problem in row]
                     for row in comparison.problems],
    }


def comparison_from_store(data: Any) -> Comparison:
    """The comparison ``comparison_to_store`` wrote; raises ValueError (or KeyError, TypeError...) for anything
    that is not one whole: a comparison is shown all together or not at all."""
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        raise ValueError("not a kept comparison")
    columns = tuple(column_from_data(column) for column in data["columns"])
    n = len(columns)
    outcomes = tuple(_outcome_from_data(outcome) for outcome in data["outcomes"])
    scores = tuple(tuple(_score_from_data(score) for score in row) for row in data["scores"])
    shares = tuple(tuple(bool(shared) for shared in row) for row in data["shares_tokenizer"])
    problems = tuple(tuple(_problem_from_data(problem) for problem in row) for row in data["problems"])
    if not n or len(outcomes) != n or any(len(table) != n or any(len(row) != n for row in table)
                                          for table in (scores, shares, problems)):
        raise ValueError("a comparison whose tables do not match its columns")
    chat = data["chat"]
    if chat is not None and not isinstance(chat, bool):
        raise ValueError(f"chat is {chat!r:.40}")
    labels = {str(model): {int(token): str(label) for token, label in table.items()}
              for model, table in data["token_labels"].items()}
    comparison = Comparison(
        prompt=str(data["prompt"]),
        system_prompt=str(data["system_prompt"]),
        chat=chat,
        columns=columns,
        outcomes=outcomes,
        scores=scores,
        shares_tokenizer=shares,
        token_labels=labels,
        problems=problems,
    )
    for row in scores:  # every token a hover can show has its label
        for score in row:
            if score is not None and score.top_ids is not None:
                shown = labels.get(score.model, {})
                if not all(int(token) in shown for token in (*score.token_ids, *score.top_ids.ravel())):
                    raise ValueError("a score with tokens that have no label")
    return comparison


def save_comparison(comparison: Comparison, path: Path | None = None) -> None:
    write_text_atomic(path or comparison_path(), json.dumps(comparison_to_store(comparison), ensure_ascii=False))


def forget_comparison(path: Path | None = None) -> None:
    """The columns changed: the kept comparison is of columns that are gone."""
    (path or comparison_path()).unlink(missing_ok=True)


def open_comparison(path: Path | None = None) -> tuple[Comparison | None, Text | None]:
    """The kept comparison (None when there is none), and a line for the person when its file could not be
    read: it is then renamed aside, so nothing is lost."""
    path = Path(path or comparison_path())
    if not path.exists():
        return None, None
    try:
        return comparison_from_store(json.loads(path.read_text(encoding="utf-8"))), None
    except (OSError, UnicodeDecodeError, RecursionError, *_UNREADABLE):
        aside = damaged_name(path)
        try:
            path.replace(aside)
        except OSError:
            aside = path
        return None, QT_TRANSLATE_NOOP(
            "Errors", "The last comparison could not be read; its file was kept as {aside}."
        ).fill(aside=str(aside))
