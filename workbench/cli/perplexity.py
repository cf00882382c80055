"""`workbench perplexity --model ID_OR_PATH --file PATH [--block-size N]`: how well a model predicts a text."""

from __future__ import annotations

import argparse
import sys

from workbench.cli.options import add_device_argument, add_trust_remote_code_argument
from workbench.cli.progress_line import progress_line
from workbench.core.jobs import drain


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "perplexity",
        help="mean next-token loss and perplexity of a model over a text file",
        description="Mean next-token loss (nats per token) and perplexity = exp(loss) over a UTF-8 text file.",
    )
    parser.add_argument("--model", required=True, help="model id, folder (e.g. a trained model) or .gguf file")
    parser.add_argument("--file", required=True, help="UTF-8 text file (or folder of .txt files)")
    parser.add_argument(
        "--block-size", type=int, default=None, help="tokens per block (default: min(512, model context))"
    )
    add_device_argument(parser)
    add_trust_remote_code_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workbench.core.catalog import Catalog
    from workbench.core.generation_data import require_next_token_model
    from workbench.core.training.corpus import read_corpus

    # Everything that can be checked is checked before the (slow) load, and before torch is imported.
    entry = Catalog().resolve(args.model)
    require_next_token_model(entry.name, entry.can_generate)
    text = read_corpus(args.file).text
    from workbench.core.loading import LoadSettings, load_model_blocking
    from workbench.core.training.perplexity import perplexity

    loaded = load_model_blocking(entry, LoadSettings(device=args.device, trust_remote_code=args.trust_remote_code))

    with progress_line(lambda event: f"block {event.blocks_done}/{event.blocks}") as progress:
        result = drain(perplexity(loaded, text, args.block_size), progress)
    print(f"model: {loaded.entry.name}")
    blocks = "1 block" if result.blocks == 1 else f"{result.blocks} blocks"
    print(f"predicted tokens: {result.predicted_tokens} in {blocks} of {result.block_size}")
    print(f"mean loss: {result.mean_loss:.4f}")
    print(f"perplexity: {result.perplexity:.4f}")
    if result.unknown_tokens:
        print(f"note: {loaded.entry.name} has no token for part of the text ({result.unknown_tokens} tokens are its "
              "unknown token), so the perplexity says little about this text", file=sys.stderr)
    return 0
