"""What the why-this-token recordings cost: tokens/s of the engine with the sampler trace on, and with
live attention on, each against the engine with both off, measured side by side in one run.

The Balanced preset (repetition penalty, temperature, top-k, top-p: four stages traced), one seed,
and min new tokens = max new tokens, so every run produces the same tokens. Targets: trace on at least
0.9x, live attention at least 0.85x. The last line gives both ratios, live attention's last.

    python benchmarks/token_trace.py [--model ID] [--tokens 128] [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)
from worker_thread import on_worker_thread

from workbench.core.decoding import PRESETS
from workbench.core.generation import GenerationRequest, generate
from workbench.core.jobs import drain
from workbench.core.loading import load_model_blocking

PROMPT = "Explain how a transformer language model chooses the next word."
VARIANTS = {"plain": {}, "trace": {"trace": True}, "live attention": {"live_attention": True}}


def time_engine(loaded, request: GenerationRequest) -> float:
    """Tokens per second of one run, on a fresh thread as the window runs it."""
    elapsed, result = on_worker_thread(drain, generate(loaded, request))
    return len(result.sequences[0].token_ids) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    loaded = load_model_blocking(args.model)
    settings = dataclasses.replace(PRESETS["Balanced"], max_new_tokens=args.tokens, min_new_tokens=args.tokens, seed=1)
    requests = {name: GenerationRequest(PROMPT, settings, **flags) for name, flags in VARIANTS.items()}
    print(f"model {loaded.entry.id} on {loaded.device}, Balanced preset, {args.tokens} new tokens")
    for request in requests.values():  # warm-up
        time_engine(loaded, request)
    rates: dict[str, list[float]] = {name: [] for name in requests}
    names = list(requests)
    for repeat in range(args.repeats):
        # Rotate the order so drifting machine load hits every variant alike.
        for name in names[repeat % len(names):] + names[: repeat % len(names)]:
            rates[name].append(time_engine(loaded, requests[name]))
            print(f"  repeat {repeat + 1} {name:15s} {rates[name][-1]:6.1f} tokens/s")
    for name, values in rates.items():
        print(f"{name}: best {max(values):.1f}, median {statistics.median(values):.1f} tokens/s")

    def paired(name: str) -> float:
        """The median of each rotation's ratio to the plain run: a rotation's runs share the machine's load."""
        return statistics.median(rate / plain for rate, plain in zip(rates[name], rates["plain"]))

    print(f"ratio trace on/off tokens_per_s: {paired('trace'):.2f}; live attention on/off: "
          f"{paired('live attention'):.2f} (medians of the rotations)")


if __name__ == "__main__":
    main()
