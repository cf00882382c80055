"""`workbench inspect`: generate with the why-this-token trace (and the logit lens) into a JSON file.

The file: ``{"model", "prompt_token_ids", "settings", "seed", "tokens": [{"step", "token_id", "text",
"entropy", "surprisal", "stages": [{"name", "survivors", "chosen_prob", "top": [[id, prob], ...]}]}],
"more_sequences": [[token, ...], ...], "lens": {...}}`` (``more_sequences`` only with several return
sequences, ``lens`` only with ``--lens``, of the first sequence; see README.md). The first Ctrl+C stops
the generation (``"stopped": true``, no lens) or the lens pass (no lens), writes the file and exits 130.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from workbench.cli.generate import add_generation_arguments, load_for_generation
from workbench.cli.interrupt import INTERRUPTED, first_ctrl_c_stops
from workbench.core.errors import WorkbenchError
from workbench.core.outputs import check_output_file


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="generate and record why each token was chosen (sampler stages, entropy, logit lens) as JSON",
        description="Generate text as `workbench generate` does, recording for every new token the raw "
        "distribution and what each sampler stage did to it; with --lens, also each layer's guess for the "
        "next token at every position. Writes one JSON file.",
    )
    add_generation_arguments(parser)
    parser.add_argument("--lens", action="store_true", help="also compute the logit lens of prompt + generation")
    parser.add_argument("--out", required=True, type=Path, help="JSON file to write")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = check_output_file(args.out, ".json")  # before the load (and torch): a bad path costs nothing
    loaded, request = load_for_generation(args)
    from workbench.core.atomic import write_text_atomic
    from workbench.core.generation import generate
    from workbench.core.inspection import inspection_report
    from workbench.core.jobs import CancelToken, drain
    from workbench.core.lens import check_lens_applies

    if args.lens:  # before the generation: a model with no layers to read costs no wait
        check_lens_applies(loaded)
    request = dataclasses.replace(request, trace=True)
    cancel = CancelToken()  # the first Ctrl+C stops the generation, and its trace so far is written
    with first_ctrl_c_stops(cancel, announce=None):
        result = drain(generate(loaded, request, cancel))
    lens = None
    lens_stopped = False
    lens_problem: WorkbenchError | None = None
    if args.lens and not result.stopped:  # stopped: the person wants the file now, not another pass
        try:
            lens, lens_stopped = _lens_until_ctrl_c(loaded, _lens_window(loaded, result))
        except WorkbenchError as problem:  # found in the lens's pass (a head that does more than a norm)
            lens_problem = problem
    report = inspection_report(loaded.entry.name, request, result, lens)
    write_text_atomic(out, json.dumps(report, ensure_ascii=False) + "\n")
    traced = sum(len(sequence.tokens) for sequence in result.sequences)
    print(f"{loaded.entry.name}: {traced} tokens traced" + (", lens computed" if lens else ""))
    print(f"wrote {out}")
    if result.stopped:
        print("stopped (Ctrl+C): the file holds the tokens generated until then" + (", no lens" if args.lens else ""),
              file=sys.stderr)
        return INTERRUPTED
    if lens_stopped:
        print("stopped (Ctrl+C) during the logit lens: the file holds the whole generation, no lens", file=sys.stderr)
        return INTERRUPTED
    if lens_problem is not None:
        print(f"error: {lens_problem} The file holds the whole generation, no lens.", file=sys.stderr)
        return 2
    return 0


def _lens_window(loaded, result) -> list[int]:
    """Prompt and first answer, or their last ``context_length`` tokens: a model trained here generates past its
    context (reading only its last tokens), and the lens reads as much as the model does."""
    token_ids = [*result.prompt_token_ids, *(result.sequences[0].token_ids if result.sequences else ())]
    first = loaded.window_start(len(token_ids))
    if first:
        read = len(token_ids) - first
        print(f"note: {loaded.entry.name} reads at most {read} tokens: the logit lens reads the last {read} of "
              f"the {len(token_ids)} (its token_ids say which)", file=sys.stderr)
    return token_ids[first:]


def _lens_until_ctrl_c(loaded, token_ids: list[int]):
    """The logit lens of ``token_ids``, or None and True when the first Ctrl+C stops its pass."""
    from workbench.core.errors import CancelledError
    from workbench.core.jobs import CancelToken, drain
    from workbench.core.lens import logit_lens

    cancel = CancelToken()
    with first_ctrl_c_stops(cancel, announce=None):
        try:
            return drain(logit_lens(loaded, token_ids, cancel)), False
        except CancelledError:
            return None, True
