"""Autosave speed: ``save_session`` on a large session, against writing the same session with the standard
library's ``json.dumps`` of ``session_to_data`` (what it did before each run's JSON was kept), measured side by
side in one run, in a temporary data folder (`isolated_folders`). The window saves on its own thread, so this
is time the window stands still. The sides take turns going first; the last line is the median of the later
saves' ratios; the target is at most 0.1.

    python benchmarks/autosave.py [--runs 50] [--tokens 1000] [--saves 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import isolated_folders  # the data and config folders: temporary ones


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=5)
    args = parser.parse_args()
    folder = Path(isolated_folders.SCRATCH)

    from workbench.core.atomic import write_text_atomic
    from workbench.core.sessions import Run, RunSequence, RunToken, Session, save_session, session_to_data

    alternatives = tuple((f" alt{j}", 0.1) for j in range(5))
    tokens = tuple(RunToken(f" tok{i}", 0.5, alternatives, entropy=1.0, label=f"tok{i}") for i in range(args.tokens))
    runs = [Run("m", "M", f"prompt {k}", "", True, {"mode": "sample"}, 1, (RunSequence("x" * 5 * args.tokens, tokens),),
                10, False, 0.1, 10.0, 1.0) for k in range(args.runs)]
    session = Session(runs=runs)
    ours_path, reference_path = folder / "session.json", folder / "reference.json"

    def reference() -> None:
        # Compact, as the session file is: indent= sends json.dumps down its slower pure-Python encoder.
        write_text_atomic(reference_path, json.dumps(session_to_data(session), ensure_ascii=False))

    times: dict[str, list[float]] = {"ours": [], "reference": []}
    for save in range(args.saves):
        session.editor.prompt = f"typed {save}"  # what sets off an autosave
        sides = [("ours", lambda: save_session(session, ours_path)), ("reference", reference)]
        for name, measure in sides if save % 2 == 0 else sides[::-1]:  # each goes first in turn: caches warm up
            started = time.perf_counter()
            measure()
            times[name].append(time.perf_counter() - started)
        print(f"  save {save + 1}: ours {times['ours'][-1]:.3f} s, reference {times['reference'][-1]:.3f} s")
    assert json.loads(ours_path.read_text(encoding="utf-8")) == json.loads(reference_path.read_text(encoding="utf-8"))
    ours, theirs = statistics.median(times["ours"][1:]), statistics.median(times["reference"][1:])
    paired = statistics.median(o / r for o, r in zip(times["ours"][1:], times["reference"][1:]))
    print(f"{args.runs} runs x {args.tokens} tokens: file {ours_path.stat().st_size / 2**20:.1f} MiB "
          f"(reference {reference_path.stat().st_size / 2**20:.1f} MiB); first save {times['ours'][0]:.3f} s; "
          f"later saves median {ours:.3f} s against {theirs:.3f} s")
    print(f"ratio ours/reference: {paired:.3f}, the median of the later saves' ratios (target <= 0.1)")


if __name__ == "__main__":
    main()
