"""Perplexity speed: ``workbench perplexity``'s computation against transformers' own loss on the same
blocks, measured side by side in one run. The workbench loads models with eager attention (its attention
pages read the weights) and switches to the fused kernel (SDPA) while it reads a text; the reference is the
plain loop a person would write: the same weights with transformers' default attention (SDPA),
``model(input_ids=block, labels=block).loss`` per block. Both give the same loss (checked). The last line is the
median of the pairs' ratios workbench/reference (one outlier then moves nothing); the target is at most 1.1.

    python benchmarks/perplexity.py [--model ID] [--tokens 2048] [--block-size 512] [--pairs 3] [--threads N]
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics
from importlib import resources

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)
import torch
from worker_thread import on_worker_thread

from workbench.core.jobs import drain
from workbench.core.loading import load_model_blocking
from workbench.core.training.perplexity import perplexity


def run_workbench(loaded, text: str, block_size: int) -> float:
    return drain(perplexity(loaded, text, block_size)).mean_loss


def run_reference(model, ids: list[int], block_size: int) -> float:
    """Blocks of ``block_size`` inputs that share one token, as the workbench cuts them (SmolLM2 adds no <bos>)."""
    total, predicted = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(ids) - 1, block_size):
            block = torch.tensor([ids[start : start + block_size + 1]])  # (1, T+1)
            count = block.size(1) - 1
            total += model(input_ids=block, labels=block).loss.item() * count
            predicted += count
    return total / predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--tokens", type=int, default=2048)
    parser.add_argument("--block-size", type=int, default=512)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    loaded = load_model_blocking(args.model)
    poems = resources.files("workbench.resources").joinpath("corpora/tang300.txt").read_text(encoding="utf-8")
    ids = loaded.tokenizer(poems, add_special_tokens=False)["input_ids"][: args.tokens]
    assert len(ids) == args.tokens, "benchmark text too short"
    text = loaded.tokenizer.decode(ids)
    ids = loaded.tokenizer(text, add_special_tokens=False)["input_ids"]  # the text's own tokens, as read back
    # The same weights with transformers' default attention (the packaged model is a GGUF file the loader converts).
    reference = copy.deepcopy(loaded.model)
    reference.set_attn_implementation("sdpa")
    print(f"model {loaded.entry.id} on {loaded.device} ({loaded.dtype}), {len(ids)} tokens in blocks of "
          f"{args.block_size}, reference attention {reference.config._attn_implementation}, "
          f"torch threads {torch.get_num_threads()}")
    _, ours = on_worker_thread(run_workbench, loaded, text, args.block_size)  # warm-up, and the same loss
    _, theirs = on_worker_thread(run_reference, reference, ids, args.block_size)
    assert math.isclose(ours, theirs, rel_tol=1e-4), f"the losses differ: {ours} and {theirs}"

    times: dict[str, list[float]] = {"workbench": [], "reference": []}
    for pair in range(args.pairs):
        # Alternate which goes first so drifting machine load hits both alike.
        order = (("workbench", lambda: run_workbench(loaded, text, args.block_size)),
                 ("reference", lambda: run_reference(reference, ids, args.block_size)))
        for name, measure in order if pair % 2 == 0 else order[::-1]:
            elapsed, _ = on_worker_thread(measure)
            times[name].append(elapsed)
            print(f"  pair {pair + 1} {name}: {elapsed:6.2f} s")

    ours_s, theirs_s = statistics.median(times["workbench"]), statistics.median(times["reference"])
    print(f"mean loss {ours:.4f} (reference {theirs:.4f}); perplexity: median {ours_s:.2f} s; "
          f"transformers' loss per block: median {theirs_s:.2f} s")
    ratio = statistics.median(ours / ref for ours, ref in zip(times["workbench"], times["reference"]))
    print(f"ratio workbench/reference, median of the pairs: {ratio:.2f} (target <= 1.1)")


if __name__ == "__main__":
    main()
