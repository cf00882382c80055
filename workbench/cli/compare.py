"""`workbench compare`: one text scored by several models (log-probabilities, bits per byte, KL)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.cli.options import add_device_argument, add_trust_remote_code_argument
from workbench.cli.progress_line import progress_line
from workbench.core.errors import InvalidInputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="score one text under several models: log-probabilities, bits per byte, KL to the first",
        description="Score a text under each model by teacher forcing (no chat template; the tokenizer's own "
        "special tokens only). Bits per byte compare models whose tokenizers differ; models sharing the first "
        "model's tokenizer also get the per-position KL divergence from the first model.",
    )
    parser.add_argument("--model", action="append", required=True, metavar="ID_OR_PATH",
                        help="a model to score with; give it twice or more, the first is the reference")
    text = parser.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="the text to score")
    text.add_argument("--text-file", type=Path, help="a UTF-8 file holding the text to score")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_device_argument(parser)
    add_trust_remote_code_argument(parser)
    parser.set_defaults(run=run)


def _read_text(args: argparse.Namespace) -> str:
    if args.text is not None:
        return args.text
    from workbench.core.training.corpus import read_utf8_text

    return read_utf8_text(args.text_file)  # as perplexity and train read theirs: BOM dropped, NUL refused


def run(args: argparse.Namespace) -> int:
    from workbench.core.catalog import Catalog
    from workbench.core.jobs import drain

    if len(args.model) < 2:
        raise InvalidInputError("Comparing needs at least two models: give --model twice or more.")
    text = _read_text(args)  # before any load (and torch): a missing file costs nothing
    if not text.strip():
        raise InvalidInputError("The text is empty: give some text to score.")
    catalog = Catalog()
    entries = [catalog.resolve(ref) for ref in args.model]
    from workbench.core.generation_data import require_scoring_model

    for entry in entries:  # before any load: an encoder named last costs no other model's loading
        require_scoring_model(entry.name, entry.can_generate)
    from workbench.core.compare import score_text
    from workbench.core.loading import LoadSettings, load_model_blocking

    settings = LoadSettings(device=args.device, trust_remote_code=args.trust_remote_code)
    loaded_by_id = {}  # a model named twice (say, against itself) is loaded once
    for entry in entries:
        if entry.id not in loaded_by_id:
            loaded_by_id[entry.id] = load_model_blocking(entry, settings, catalog)
    models = [loaded_by_id[entry.id] for entry in entries]
    with progress_line(lambda event: f"scored: model {event.models_done}/{event.models_total}") as progress:
        scores = drain(score_text(models, text), progress)
    for ref, score in zip(args.model, scores):
        if score.unknown_tokens:
            print(f"note: {ref} has no token for part of the text: {score.unknown_tokens} of its "
                  f"{len(score.token_ids)} tokens are its unknown token, so its numbers say little about this text",
                  file=sys.stderr)
    if args.json:
        report = [{**score.to_json(), "model": ref} for ref, score in zip(args.model, scores)]
        print(json.dumps({"models": report}, ensure_ascii=False))
        return 0
    print(f"{'MODEL':30s} {'TOKENS':>6s} {'MEAN LOGPROB':>12s} {'BITS/BYTE':>9s} {'MEAN KL':>8s}")
    for ref, score in zip(args.model, scores):
        kl = "-" if score.kl_to_first is None else f"{score.kl_to_first.mean():.4f}"
        print(f"{ref:30s} {len(score.token_ids):6d} {score.mean_logprob:12.4f} {score.bits_per_byte:9.4f} {kl:>8s}")
    return 0
