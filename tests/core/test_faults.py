"""The bad inputs and faults the issues named, through the real CLI in fresh processes.

Each case comes from `benchmarks/faults.py` (the whole table of 149 runs there): it keeps its
promise when it exits 2 with exactly one `error:` line on stderr (naming the damaged file, for a
damaged checkpoint), no traceback, and the files of its folder exactly as they were (fault cases
check their own outcome).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("faults", Path(__file__).parents[2] / "benchmarks" / "faults.py")
faults = importlib.util.module_from_spec(_SPEC)
sys.modules["faults"] = faults
_SPEC.loader.exec_module(faults)

NAMED_IN_THE_ISSUES = (
    "generate --temperature 'inf'", "generate --repetition-penalty 'inf'", "generate --beams '1000'",
    "generate with an empty prompt", "generate a model that ships its own code",
    "train --block-size 0", "train --batch-size 0", "train --lr 0", "train --n-head 0", "train --n-layer 0",
    "train --max-iters 0", "train on a Latin-1 corpus", "train on a binary file", "train on a missing corpus",
    "train --out an existing file", "train --out under /proc", "train --tensorboard inside the run's checkpoint",
    "train with WORLD_SIZE=abc",
    "genlab --out a busy folder", "genlab --out under /proc",
    "attention --out under /proc", "attention --out under a file", "attention --out an existing folder",
    "attention --out in a missing folder", "attention --layer 99", "attention --head 99",
    "perplexity with an encoder",
    "two damaged session files in one second", "a session field of the wrong type", "a session with a bad setting",
)
CASES = {case.name: case for case in (*faults.generate_cases(), *faults.train_cases(), *faults.genlab_cases(),
                                      *faults.attention_cases(), *faults.perplexity_cases(), *faults.fault_cases())}
RESUME_DAMAGES = [name for name in CASES if name.startswith("train --resume with")]
PARALLEL_CASES = 4  # more at once would mostly wait on memory and disk, each process importing torch


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return faults.build_fixtures(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="module")
def outcomes(request, fixtures, tmp_path_factory):
    """The problem of each selected case (None: it kept its promise), the cases run as many at once as there
    are cores, up to 4: each is a fresh process that spends most of its seconds importing torch on one core."""
    selected = [item.callspec.params["name"] for item in request.session.items
                if getattr(item, "module", None) is request.module and item.originalname == "test_the_promise_holds"]
    scratch = tmp_path_factory.mktemp("cases")

    def outcome(number: int, name: str) -> tuple[str, str | None]:
        try:
            return name, faults.run_case(CASES[name], number, scratch, fixtures)[1]
        except Exception as error:  # the case's own test fails, not every test of the module
            return name, f"the case could not run: {error!r}"

    with ThreadPoolExecutor(min(os.cpu_count() or 1, PARALLEL_CASES)) as pool:
        return dict(pool.map(lambda numbered: outcome(*numbered), enumerate(selected)))


@pytest.mark.parametrize("name", [*NAMED_IN_THE_ISSUES, *RESUME_DAMAGES])
def test_the_promise_holds(name, outcomes):
    assert outcomes[name] is None, outcomes[name]
