"""`workbench models`: list the catalog."""

from __future__ import annotations

import json
import sys


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list the models the workbench knows about")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.set_defaults(run=run)


def _size(parameters: int | None) -> str:
    if parameters is None:
        return "?"
    return f"{parameters / 1e6:.0f}M" if parameters >= 1e6 else f"{parameters / 1e3:.0f}K"


def run(args) -> int:
    from workbench.core.catalog import Catalog

    catalog = Catalog()
    entries = catalog.entries()  # one per training run: its final model, or its latest checkpoint
    if catalog.trained.set_aside_as is not None:
        print(f"note: the list of trained models could not be read; it is kept as {catalog.trained.set_aside_as} "
              "(the runs it named outside the data folder are not listed)", file=sys.stderr)
    if args.json:
        runs = {run.entry.id: run for run in catalog.trained.runs()}
        listed = []
        for entry in entries:
            listed.append(entry.to_json())
            if entry.id in runs:  # what else of the run can be loaded, by id
                listed[-1]["variants"] = [
                    {"id": variant.entry.id, "checkpoint": variant.checkpoint, "step": variant.step}
                    for variant in runs[entry.id].variants
                ]
        print(json.dumps(listed, indent=2))
        return 0
    rows = [("ID", "NAME", "SOURCE", "ARCH", "SIZE", "GENERATES", "INSTALLED")]
    rows += [
        (e.id, e.name, e.source, e.architecture, _size(e.parameters), "yes" if e.can_generate else "no",
         "yes" if e.installed else "no")
        for e in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0
