"""Cold GGUF load (dequantize + convert) against a cached load of the same file, in one run.

Target (issue 2): the cached load takes under 2 s.

    python benchmarks/loading.py [--model smollm2-135m-instruct] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)


def timed_load(model_id: str) -> float:
    from workbench.core.loading import load_model_blocking

    start = time.perf_counter()
    loaded = load_model_blocking(model_id)
    elapsed = time.perf_counter() - start
    loaded.unload()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wb-loading-bench-") as cache:
        os.environ["WORKBENCH_CACHE_DIR"] = cache  # an empty cache makes the first load cold
        cold = timed_load(args.model)
        cached = [timed_load(args.model) for _ in range(args.repeats)]
    median = statistics.median(cached)
    print(f"model: {args.model}")
    print(f"cold load (convert GGUF, fill cache): {cold:.2f} s")
    print(f"cached load, median of {args.repeats}: {median:.2f} s  (runs: {', '.join(f'{c:.2f}' for c in cached)})")
    print(f"target cached < 2 s: {'met' if median < 2.0 else 'NOT met'}")
    print(f"ratio cached/cold: {median / cold:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
