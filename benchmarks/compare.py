"""Scoring one text under two models (`core.compare.score_text`: log-probabilities, bits per byte and
the per-position KL of the second to the first) against the bare forward passes of the same two
models on the same tokens, measured side by side in one run. Target: at most 1.2x.

By default both models are SmolLM2-135M, loaded as two separate models: they share a tokenizer, so the
KL path (the dearer one) runs too. The text is 512 SmolLM2 tokens of the packaged Tang-poem corpus.

    python benchmarks/compare.py [--model ID --model ID] [--tokens 512] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)
import torch
from worker_thread import on_worker_thread

from workbench.core.compare import score_text
from workbench.core.jobs import drain
from workbench.core.loading import load_model_blocking
from workbench.core.resources import sample_corpus
from workbench.core.transformers_helpers import fused_attention


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="give it twice (default: SmolLM2 twice)")
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    refs = args.model or ["smollm2-135m-instruct", "smollm2-135m-instruct"]
    models = [load_model_blocking(ref) for ref in refs]  # separate loads: two models in memory
    first = models[0].tokenizer
    text = first.decode(first(sample_corpus().read_text(encoding="utf-8"))["input_ids"][: args.tokens])

    def bare() -> None:
        for loaded in models:
            ids = torch.tensor([loaded.tokenizer(text)["input_ids"]], device=loaded.device)  # (1, T)
            # SDPA, as `from_pretrained` gives a person (the workbench loads eager for its attention pages).
            with torch.inference_mode(), fused_attention(loaded.model):
                loaded.model(input_ids=ids).logits  # noqa: B018 - the forward pass is the work

    def scored() -> None:
        drain(score_text(models, text))

    print(f"models {', '.join(refs)}; text of {args.tokens} tokens for the first")
    bare(), scored()  # warm-up
    times: dict[str, list[float]] = {"bare": [], "score_text": []}
    for repeat in range(args.repeats):
        pair = (("bare", bare), ("score_text", scored))
        for name, function in pair if repeat % 2 == 0 else pair[::-1]:  # alternate who goes first
            times[name].append(on_worker_thread(function)[0])
            print(f"  repeat {repeat + 1} {name:10s} {times[name][-1]:6.2f} s")
    for name, values in times.items():
        print(f"{name}: best {min(values):.2f} s, median {statistics.median(values):.2f} s")
    # Each pair ran back to back, so a drifting machine load slows both alike: the median of their ratios.
    ratios = [scored_s / bare_s for scored_s, bare_s in zip(times["score_text"], times["bare"])]
    print(f"pair ratios {', '.join(f'{ratio:.2f}' for ratio in ratios)}")
    print(f"ratio score_text/bare time: median of pairs {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
