"""`workbench tree replay FILE.json`: generate every node of an exported tree again and say which match."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.cli.options import add_device_argument, add_trust_remote_code_argument
from workbench.cli.progress_line import progress_line
from workbench.core.errors import InvalidInputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("tree", help="work with an exported tree of generations")
    actions = parser.add_subparsers(dest="tree_action", required=True, metavar="ACTION")
    replay = actions.add_parser(
        "replay",
        help="regenerate every node of a tree and report which texts match",
        description="Load the tree's model, generate every node again with its settings, seed and prefill, and "
        "report which generated tokens match the saved ones. Greedy and seeded nodes match on the same machine "
        "and device. Exit status 0 when all match, 1 when some differ.",
    )
    replay.add_argument("file", type=Path, help="a tree exported from the window (JSON)")
    replay.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_device_argument(replay)
    add_trust_remote_code_argument(replay)
    replay.set_defaults(run=run_replay)


def _read_tree(path: Path):
    from workbench.core.tree import GenerationTree

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise InvalidInputError(f"{path} is not UTF-8 text (byte {error.start} cannot be read).") from error
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{path} is not JSON (line {error.lineno}: {error.msg}).") from error
    except RecursionError as error:
        raise InvalidInputError(f"{path} is not an exported tree (its JSON is nested too deeply to read).") from error
    return GenerationTree.from_data(data)


def run_replay(args: argparse.Namespace) -> int:
    from workbench.core.jobs import drain
    from workbench.core.loading import LoadSettings, load_model_blocking
    from workbench.core.tree import replay, weights_hash

    tree = _read_tree(args.file)  # before the load: a broken file costs nothing
    loaded = load_model_blocking(tree.model, LoadSettings(device=args.device, trust_remote_code=args.trust_remote_code))
    same_weights = weights_hash(loaded) == tree.weights_hash
    with progress_line(lambda event: f"generated again: node {event.nodes_done}/{event.nodes_total}") as progress:
        outcomes = drain(replay(loaded, tree), progress)
    if not same_weights:  # on stderr, as every note: stdout holds the report (JSON, with its same_weights)
        print(f"note: the weights of {tree.model} differ from the ones the tree was made with", file=sys.stderr)
    if args.json:
        print(json.dumps({
            "model": tree.model,
            "same_weights": same_weights,
            "nodes": [{"id": o.node_id, "label": o.label, "matches": o.matches, "saved_text": o.saved_text,
                       "replayed_text": o.replayed_text} for o in outcomes],
        }, ensure_ascii=False))
    else:
        for outcome in outcomes:
            name = outcome.label or outcome.node_id
            print(f"{'match ' if outcome.matches else 'DIFFER'}  {name}")
        matching = sum(outcome.matches for outcome in outcomes)
        print(f"{matching} of {len(outcomes)} nodes match")
    return 0 if all(outcome.matches for outcome in outcomes) else 1
