"""`workbench train --resume` on a checkpoint whose optimizer state would run code when unpickled: one line
naming the file, nothing changed, no code run. (Damaged checkpoints, empty, cut short or zeroed, are cases of
`benchmarks/faults.py`, run by test_faults.py.)"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from workbench.cli import main
from workbench.core.checksums import file_crc32

TINY = (
    "--n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch-size 4 "
    "--eval-iters 2 --sample-tokens 4 --warmup-iters 0"
)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    corpus = root / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question.\n" * 40, encoding="utf-8")
    out = root / "out"
    assert main(f"train --corpus {corpus} --out {out} --max-iters 3 --eval-interval 3 {TINY}".split()) == 0
    assert (out / "checkpoint" / "trainer_state.json").is_file()
    return corpus, out


class Payload:
    """Unpickling this would run a shell command: a malicious checkpoint."""

    def __reduce__(self):
        return (os.system, ("echo owned > /tmp/workbench-owned",))


def write_malicious_state(checkpoint: Path) -> None:
    torch.save({"optimizer": Payload()}, checkpoint / "training_state.pt")
    # An attacker can rewrite the checksums too: the refusal must not depend on them.
    state_file = checkpoint / "trainer_state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    state["file_crc32"]["training_state.pt"] = file_crc32(checkpoint / "training_state.pt")
    state_file.write_text(json.dumps(state), encoding="utf-8")


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_resume_from_a_malicious_checkpoint_is_one_line_and_runs_no_code(finished_run, tmp_path):
    corpus, finished = finished_run
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    write_malicious_state(out / "checkpoint")
    before = fingerprint(out)
    Path("/tmp/workbench-owned").unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "train", "--corpus", str(corpus), "--out", str(out), "--resume",
         "--max-iters", "6"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error:") and "training_state.pt" in lines[0], done.stderr
    assert "weights_only=False" not in done.stderr and "Traceback" not in done.stderr
    assert fingerprint(out) == before  # nothing written, nothing lost
    assert not Path("/tmp/workbench-owned").exists()  # no code from the checkpoint ran
