"""Stop latency: time from ``cancel()`` to the generation job returning its partial result,
for cancels at random moments (during the prompt's prefill and during decoding).

The engine checks the cancel token before every layer; the reference is the same engine
checking only between tokens (a StoppingCriteria, as transformers' own generate does).
Trials of the two alternate, so machine load hits both alike. Target: p95 under 100 ms.

    python benchmarks/cancel.py [--model ID] [--trials 100] [--window 1.5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from unittest import mock

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)

from workbench.core import generation
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import GenerationRequest, generate
from workbench.core.jobs import CancelToken, drain
from workbench.core.loading import load_model_blocking

# Long enough that the prefill takes a good part of a second on a 2-core CPU.
PROMPT = " ".join(["Explain, step by step, how attention lets each token of a sentence look back at the others."] * 12)


def one_cancel(loaded, request: GenerationRequest, delay_s: float) -> tuple[float, bool]:
    """Cancel ``delay_s`` after the start; returns (latency in s, whether any token had come)."""
    cancel = CancelToken()
    done: dict[str, float] = {}
    tokens: list = []

    def consume() -> None:
        drain(generate(loaded, request, cancel), tokens.append)
        done["at"] = time.perf_counter()

    worker = threading.Thread(target=consume)
    worker.start()
    time.sleep(delay_s)
    cancelled_at = time.perf_counter()
    cancel.cancel()
    worker.join()
    return done["at"] - cancelled_at, bool(tokens)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--trials", type=int, default=100, help="cancels measured for each way of stopping")
    parser.add_argument("--window", type=float, default=1.5, help="cancels fall uniformly in [0, window] s")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    loaded = load_model_blocking(args.model)
    request = GenerationRequest(PROMPT, DecodingSettings(mode="greedy", max_new_tokens=400))
    prompt_tokens = len(generation.prompt_token_ids(loaded, request))
    print(f"model {loaded.entry.id} on {loaded.device}; prompt {prompt_tokens} tokens; {args.trials} cancels each, "
          f"uniform in [0, {args.window}] s")
    one_cancel(loaded, request, 0.3)  # warm-up

    latencies: dict[str, list[float]] = {"between layers": [], "between tokens": []}
    before_first_token = 0
    for trial in range(args.trials):
        delay = rng.uniform(0, args.window)
        for way in (("between layers", "between tokens") if trial % 2 == 0 else ("between tokens", "between layers")):
            if way == "between tokens":
                with mock.patch.object(generation, "decoder_blocks", lambda model: []):
                    latency, had_tokens = one_cancel(loaded, request, delay)
            else:
                latency, had_tokens = one_cancel(loaded, request, delay)
                before_first_token += not had_tokens
            latencies[way].append(latency)

    for way, values in latencies.items():
        median, p95_way = statistics.median(values) * 1000, percentile(values, 0.95) * 1000
        print(f"{way:15s} median {median:6.1f} ms, p95 {p95_way:6.1f} ms, max {max(values) * 1000:6.1f} ms")
    p95 = percentile(latencies["between layers"], 0.95)
    print(f"{before_first_token} of {args.trials} cancels came before the first token")
    print(f"target p95 < 100 ms: {'met' if p95 < 0.1 else 'NOT met'}")
    print(f"ratio p95 between-layers/between-tokens: {p95 / percentile(latencies['between tokens'], 0.95):.3f}")


if __name__ == "__main__":
    main()
