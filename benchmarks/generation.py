"""Engine streaming speed (probabilities and alternatives captured for every token)
against plain ``model.generate`` with the same model, prompt and settings, measured
side by side in one run. The last line is the ratio; the target is at least 0.95.

    python benchmarks/generation.py [--model ID] [--tokens 128] [--repeats 5] [--threads N] [--narrow]

``--narrow`` keeps the model's depth and vocabulary but makes it 64 wide with random weights, on one
thread: each token then costs about what launching its few hundred operations costs, as on a GPU whose
host cannot launch kernels as fast as the GPU runs them. The engine's own work per token (the streamed
numbers, the Stop checks, the events) weighs most there, so this is the CPU stand-in for that case.
The process's CPU time a token of each side is printed too: the engine's added work, unmoved by waits.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)
import torch
from worker_thread import on_worker_thread

from workbench.core.decoding import DecodingSettings, to_generation_config
from workbench.core.generation import GenerationRequest, TokenEvent, generate, prompt_token_ids
from workbench.core.jobs import drain
from workbench.core.loading import load_model_blocking

PROMPT = "Explain how a transformer language model chooses the next word."


def time_engine(loaded, request: GenerationRequest) -> tuple[float, int]:
    events: list[TokenEvent] = []
    started = time.perf_counter()
    result = drain(generate(loaded, request), events.append)
    elapsed = time.perf_counter() - started
    assert len(events) == len(result.sequences[0].token_ids), "every token was streamed"
    return elapsed, len(result.sequences[0].token_ids)


def time_raw(loaded, request: GenerationRequest) -> tuple[float, int]:
    ids = torch.tensor([prompt_token_ids(loaded, request)], device=loaded.device)  # (1, T)
    config = to_generation_config(request.settings, loaded.tokenizer)
    started = time.perf_counter()
    with torch.inference_mode():
        output = loaded.model.generate(ids, attention_mask=torch.ones_like(ids), generation_config=config)
    elapsed = time.perf_counter() - started
    return elapsed, output.shape[1] - ids.shape[1]


def narrow_copy(loaded):
    """A model of ``loaded``'s depth and vocabulary, 64 wide, with seeded random weights (0.05, so greedy
    decoding does not repeat one token), loaded by the workbench's loader from a temporary folder."""
    from transformers import AutoModelForCausalLM

    config = loaded.model.config.__class__.from_dict(loaded.model.config.to_dict())
    config.update(dict(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=1,
                       head_dim=16, initializer_range=0.05))
    folder = tempfile.mkdtemp(prefix="workbench-bench-narrow-")
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    loaded.tokenizer.save_pretrained(folder)
    loaded.unload()
    narrow = load_model_blocking(folder)
    shutil.rmtree(folder)  # read into memory by now
    return narrow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--narrow", action="store_true", help="the model's depth and vocabulary, 64 wide, random "
                        "weights, one thread: bound by launching operations, as a GPU on a slow host")
    args = parser.parse_args()
    if args.threads:
        # On a busy machine, fewer threads than cores avoids waiting for a second core in every op.
        torch.set_num_threads(args.threads)

    loaded = load_model_blocking(args.model)
    if args.narrow:
        torch.set_num_threads(1)
        loaded = narrow_copy(loaded)
    # min_new_tokens = max_new_tokens: both sides produce exactly the same number of tokens.
    settings = DecodingSettings(mode="greedy", max_new_tokens=args.tokens, min_new_tokens=args.tokens)
    request = GenerationRequest(PROMPT, settings)
    print(f"model {loaded.entry.id} on {loaded.device} ({loaded.dtype}), greedy, {args.tokens} new tokens, "
          f"torch threads {torch.get_num_threads()}")
    on_worker_thread(time_raw, loaded, request)  # warm-up: first-call allocations and caches
    on_worker_thread(time_engine, loaded, request)

    engine_rates, raw_rates = [], []
    cpu_ms = {"engine": [], "raw": []}  # the process's CPU time a token: the work done, whatever the waits
    for repeat in range(args.repeats):
        # Alternate which goes first so drifting machine load hits both alike.
        engine_first = (("engine", time_engine), ("raw", time_raw))
        order = engine_first if repeat % 2 == 0 else engine_first[::-1]
        for name, measure in order:
            cpu_started = time.process_time()
            elapsed, tokens = on_worker_thread(measure, loaded, request)[1]  # timed around generate alone
            cpu_ms[name].append((time.process_time() - cpu_started) * 1000 / tokens)
            (engine_rates if name == "engine" else raw_rates).append(tokens / elapsed)
            print(f"  repeat {repeat + 1} {name:6s} {tokens} tokens in {elapsed:6.2f} s = "
                  f"{tokens / elapsed:6.1f} tokens/s")

    for name, rates in (("engine (streaming + probabilities)", engine_rates), ("raw model.generate", raw_rates)):
        print(f"{name}: best {max(rates):.1f}, median {statistics.median(rates):.1f} tokens/s")
    # Each pair ran back to back, so a drifting machine load slows both alike: the median of their ratios.
    ratios = [engine / raw for engine, raw in zip(engine_rates, raw_rates)]
    print(f"pair ratios {', '.join(f'{ratio:.2f}' for ratio in ratios)}")
    engine_cpu, raw_cpu = statistics.median(cpu_ms["engine"]), statistics.median(cpu_ms["raw"])
    print(f"process CPU time a token (medians): engine {engine_cpu:.2f} ms, raw {raw_cpu:.2f} ms: the engine adds "
          f"{engine_cpu - raw_cpu:.2f} ms")
    print(f"ratio engine/raw tokens_per_s: median of pairs {statistics.median(ratios):.2f} "
          f"(best of each side: {max(engine_rates) / max(raw_rates):.2f})")


if __name__ == "__main__":
    main()
