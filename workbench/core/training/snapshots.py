"""The model as it was at each evaluation: a loadable folder per step beside the run's resume
checkpoint, so any step can be opened, generated from and inspected while training goes on.

Keeping one per evaluation would fill the disk, so after each new one only the latest few and a
selection spread evenly on a log scale of steps are kept: early training changes fastest, so the
kept steps crowd there (100, 300, 1000, 3000...) as the run grows. A step that was opened (loaded to
generate from, branch or compare) is kept too: what was made with it may need it again. So is the resume
checkpoint's step once the checkpoint was opened (``checkpoints.pinned_folder``), listed here like the others.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.core.atomic import atomic_directory
from workbench.core.checkpoints import STATE_FILE, step_folder, was_opened

SNAPSHOT_PATTERN = re.compile(r"step-(\d+)")


@dataclass(frozen=True)
class SnapshotEvent:
    """The model of ``step`` was saved in ``path``; ``kept`` are the steps kept now, using ``disk_bytes``."""

    step: int
    path: str
    kept: tuple[int, ...]
    disk_bytes: int


def snapshot_steps(out_dir: Path) -> dict[int, Path]:
    """The snapshots saved in a run's folder, by step."""
    found = {}
    for folder in Path(out_dir).glob("step-*"):
        match = SNAPSHOT_PATTERN.fullmatch(folder.name)
        if match and (folder / STATE_FILE).is_file():
            found[int(match.group(1))] = folder
    return dict(sorted(found.items()))


def drop_snapshots_after(out_dir: Path, step: int) -> None:
    """Delete the snapshots of steps after ``step``, which a run resumed from there takes again: they are of a
    history it rewrites (a crash after they were kept, before the next checkpoint), and would pass for the
    latest ones, listed above the run's step and keeping its new snapshots from being kept. One that was opened
    stays as it is (a tree branched from it loads it again), and the run does not keep that step of its own."""
    for later_step, folder in snapshot_steps(out_dir).items():
        if later_step > step and not was_opened(folder):
            shutil.rmtree(folder, ignore_errors=True)


def kept_steps(steps: Sequence[int], last: int, log_spaced: int) -> set[int]:
    """The ``last`` latest of ``steps``, plus, for ``log_spaced`` points spread evenly on a log
    scale from the first step to the latest, the step nearest each point (on that scale)."""
    ordered = sorted(set(steps))
    if not ordered:
        return set()
    kept = set(ordered[-last:]) if last > 0 else set()
    first, latest = max(ordered[0], 1), max(ordered[-1], 1)
    for index in range(log_spaced):
        fraction = index / (log_spaced - 1) if log_spaced > 1 else 1.0
        target = math.log(first) + fraction * (math.log(latest) - math.log(first))
        kept.add(min(ordered, key=lambda step: (abs(math.log(max(step, 1)) - target), step)))
    return kept


def save_snapshot(
    out_dir: Path, step: int, write_files: Callable[[Path], None], last: int, log_spaced: int
) -> SnapshotEvent:
    """Write the snapshot of ``step`` whole (or not at all), then delete those no longer kept."""
    folder = step_folder(out_dir, step)
    # One opened before a resume, of the history before it (``drop_snapshots_after``), is what a tree made with it
    # loads: a resumed run with a longer schedule reaches other weights at that step.
    if not was_opened(folder):
        with atomic_directory(folder) as staging:
            write_files(staging)
            (staging / STATE_FILE).write_text(json.dumps({"step": step, "snapshot": True}), encoding="utf-8")
    saved = snapshot_steps(out_dir)
    ruled = kept_steps(list(saved), last, log_spaced) | {step}
    for old_step, old_folder in saved.items():
        if old_step not in ruled and not was_opened(old_folder):  # asked at the last moment: it may have just opened
            shutil.rmtree(old_folder, ignore_errors=True)
    kept = {old_step for old_step, old_folder in saved.items() if old_folder.exists()}
    disk = sum(file.stat().st_size for step_kept in kept for file in saved[step_kept].rglob("*") if file.is_file())
    return SnapshotEvent(step, str(folder), tuple(sorted(kept)), disk)
