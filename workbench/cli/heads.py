"""`workbench heads --model ID_OR_PATH [--run DIR] [--json]`: each attention head's previous-token,
induction and first-token (sink) scores on a random sequence repeated twice (see core/head_scores.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.cli.options import add_device_argument, add_trust_remote_code_argument
from workbench.core.errors import InvalidInputError, WorkbenchError
from workbench.core.head_scores import SCORE_NAMES, HeadScores


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "heads",
        help="score every attention head: previous-token, induction, first-token (sink)",
        description="Each head's attention on a random sequence repeated twice: to the previous token, to the "
        "token that followed this one last time (induction) and to the first token (sink). With --run, for every "
        "checkpoint of a training run, from the earliest step.",
    )
    parser.add_argument("--model", help="model id, folder or .gguf file (not with --run)")
    parser.add_argument(
        "--run", dest="run_folder", metavar="DIR", help="a training run's output folder: score each of its checkpoints"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_device_argument(parser)
    add_trust_remote_code_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workbench.core.catalog import Catalog, run_checkpoints
    from workbench.core.loading import LoadSettings

    if bool(args.model) == bool(args.run_folder):
        raise InvalidInputError("Give either --model or --run.")
    settings = LoadSettings(device=args.device, trust_remote_code=args.trust_remote_code)
    if args.model:
        scores = _scores(Catalog().resolve(args.model), settings)
        print(json.dumps(scores.to_json()) if args.json else _table(scores))
        return 0
    folder = Path(args.run_folder)
    if not folder.is_dir():
        raise InvalidInputError(f"{folder} is not a folder.")
    checkpoints = run_checkpoints(folder)
    if not checkpoints:
        raise InvalidInputError(f"{folder} holds no checkpoints of a training run.")
    steps, skipped = [], 0
    for checkpoint in checkpoints:
        print(f"step {checkpoint.step}: scoring {checkpoint.entry.location}", file=sys.stderr, flush=True)
        try:
            scores = _scores(checkpoint.entry, settings)
        except WorkbenchError as error:  # one damaged checkpoint: the others are still scored
            print(f"step {checkpoint.step}: skipped: {error}", file=sys.stderr, flush=True)
            steps.append({"step": checkpoint.step, "error": str(error)})
            skipped += 1
            continue
        steps.append({"step": checkpoint.step, **scores.to_json()})
        if not args.json:
            print(f"step {checkpoint.step}\n{_table(scores)}")
    if args.json:
        print(json.dumps(steps))
    return 1 if skipped else 0


def _scores(entry, settings) -> HeadScores:
    from workbench.core.head_scores import head_scores
    from workbench.core.loading import load_model_blocking

    loaded = load_model_blocking(entry, settings)
    return head_scores(loaded, loaded.context_length)


def _table(scores: HeadScores) -> str:
    """One line per layer and head, the three scores side by side."""
    lines = [f"{'layer':>5} {'head':>4}  " + "  ".join(f"{name:>14}" for name in SCORE_NAMES)]
    for layer in range(scores.layers):
        for head in range(scores.heads):
            values = (getattr(scores, name)[layer, head] for name in SCORE_NAMES)
            lines.append(f"{layer:>5} {head:>4}  " + "  ".join(f"{value:>14.4f}" for value in values))
    return "\n".join(lines)
