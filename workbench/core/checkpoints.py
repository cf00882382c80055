"""Atomic checkpoints that let a run continue exactly where it stopped.

A checkpoint is a folder written in one piece (``atomic_directory``): whatever the caller's
``write_files`` puts there (for language models, a loadable transformers folder: config,
safetensors weights, tokenizer), plus ``training_state.pt`` (optimizer state, random
number generator states: tensors) and ``trainer_state.json`` (step, metrics, settings:
plain data). Language-model training and the VAE/GAN lab each pass their own ``write_files``.

Every file's CRC-32 is recorded at save time, so a damaged checkpoint is named as such before
a resume trusts it (checkpoints written before the checksums are checked for structure only).
``saving_checkpoint`` reports how far the writing is, for a window to show while it waits.

torch is imported inside the functions: the catalog, which the window imports at start-up, reads
``STATE_FILE`` from here.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generator

from safetensors import SafetensorError, safe_open

from workbench.core.atomic import atomic_directory, set_aside
from workbench.core.checksums import file_crc32
from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text
from workbench.core.jobs import drain
from workbench.core.progress import Stages

STATE_FILE = "trainer_state.json"
TENSORS_FILE = "training_state.pt"
CHECKSUMS_KEY = "file_crc32"
OPENED_FILE = "opened"  # in a model kept from an evaluation that was opened: see mark_opened

# Why a checkpoint cannot be resumed, each a whole sentence for the translation.
_NOT_JSON = QT_TRANSLATE_NOOP(
    "Errors",
    "The checkpoint in {folder} cannot be resumed: {name} is damaged (it is not readable JSON). "
    "Start a new run in another folder.",
)
_DAMAGED = QT_TRANSLATE_NOOP(
    "Errors", "The checkpoint in {folder} cannot be resumed: {name} is damaged. Start a new run in another folder."
)
_LACKS = QT_TRANSLATE_NOOP(
    "Errors",
    "The checkpoint in {folder} cannot be resumed: {name} lacks {keys}. Start a new run in another folder.",
)
_NOT_TENSORS = QT_TRANSLATE_NOOP(
    "Errors",
    "The checkpoint in {folder} cannot be resumed: {name} holds objects other than tensors, so it was not loaded. "
    "Start a new run in another folder.",
)
_MISSING = QT_TRANSLATE_NOOP(
    "Errors", "The checkpoint in {folder} cannot be resumed: {name} is missing. Start a new run in another folder."
)
_CHECKSUM = QT_TRANSLATE_NOOP(
    "Errors",
    "The checkpoint in {folder} cannot be resumed: {name} does not match the checksum written with it. "
    "Start a new run in another folder.",
)


@dataclass(frozen=True)
class Checkpoint:
    folder: Path
    state: dict[str, Any]  # JSON data: step, elapsed time, settings...
    tensors: dict[str, Any]  # optimizer state dicts, RNG states...


def readable_place(folder: str | Path) -> Path:
    """Where the checkpoint of ``folder`` is read from: the folder, or the last checkpoint a save killed between
    its two renames left set aside (the next save puts it back, under the run's lock; a reader renaming it
    could break a save in progress)."""
    folder = Path(folder)
    aside = set_aside(folder)
    return aside if not folder.exists() and aside.is_dir() else folder


def mark_opened(folder: str | Path) -> None:
    """Mark a model kept from an evaluation (a run's snapshot, ``"snapshot": true`` in its state) as opened: the
    run's thinning of its kept models passes it over from then on, as what was made with it (a branch tree, a
    comparison, the model in use) may need it again. Any other folder, or one that cannot be written, is left be."""
    folder = Path(folder)
    state = read_state(folder)
    if not (state and state.get("snapshot") is True):
        return
    try:
        changed = folder.stat()
        (folder / OPENED_FILE).touch()
        # The folder's time as it was: runs are listed by their latest change, and opening one is not a change.
        os.utime(folder, ns=(changed.st_atime_ns, changed.st_mtime_ns))
    except OSError:
        pass  # a read-only copy: nothing thins it


def was_opened(folder: Path) -> bool:
    return (folder / OPENED_FILE).is_file()


def step_folder(run_folder: str | Path, step: int) -> Path:
    """Where a run keeps the model of ``step``: one an evaluation kept, or a checkpoint pinned (``pinned_folder``)."""
    return Path(run_folder) / f"step-{step:07d}"


def pinned_folder(folder: str | Path) -> Path:
    """What to load and record for ``folder``: the folder itself, except for a run's resume checkpoint, which the
    run rewrites when it goes on (a run or a tree made with it would name another model later). That one is
    pinned: the run's kept model of the checkpoint's step, made of the checkpoint's model files (hard links, not
    copies) when no evaluation kept it. Where it cannot be made (a read-only folder), ``folder`` itself."""
    folder = Path(folder)
    state = read_state(folder) or {}
    step = state.get("step")
    if state.get("snapshot") is True or not isinstance(step, int) or not (folder / "config.json").is_file():
        return folder
    kept = step_folder(folder.parent, step)
    kept_state = read_state(kept) or {}
    if kept_state.get("snapshot") is True and kept_state.get("step") == step:
        return kept
    try:
        checkpoint_time, run_time = folder.stat(), folder.parent.stat()
        with atomic_directory(kept) as staging:
            for file in folder.iterdir():
                if file.is_file() and file.name not in (STATE_FILE, TENSORS_FILE):
                    _link_or_copy(file, staging / file.name)
            if read_state(folder) != state:  # the run saved a newer checkpoint meanwhile: its files are mixed
                raise FileExistsError(folder)
            pinned = {"step": step, "snapshot": True, "pinned": True}
            (staging / STATE_FILE).write_text(json.dumps(pinned), encoding="utf-8")
            # Opened from its first moment: the run's thinning, at its next evaluation, would delete a step it
            # does not keep while the pin still loads.
            (staging / OPENED_FILE).touch()
        # Runs are listed by their latest change, and pinning is none: the pin takes the checkpoint's time, and
        # the run's folder keeps its own.
        for place, was in ((kept, checkpoint_time), (folder.parent, run_time)):
            os.utime(place, ns=(was.st_atime_ns, was.st_mtime_ns))
    except OSError:
        return folder
    return kept


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # the checkpoint is replaced whole, never written in place: the link keeps this one
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def has_checkpoint(folder: str | Path) -> bool:
    return (readable_place(folder) / STATE_FILE).is_file()


def read_state(folder: str | Path) -> dict[str, Any] | None:
    """The JSON state of the checkpoint in ``folder`` alone (its settings, step...), to offer or describe a run;
    None when it is missing or unreadable. Resuming reads and checks the whole checkpoint (``load_checkpoint``)."""
    try:
        state = json.loads((readable_place(folder) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python's stack
        return None
    return state if isinstance(state, dict) else None


def saved_settings(folder: str | Path) -> dict | None:
    """The settings the run of the checkpoint in ``folder`` was started with, as saved (JSON data); None when
    there is no checkpoint to read them from (resuming then says so)."""
    state = read_state(Path(folder).expanduser())
    settings = state.get("settings") if state is not None else None
    return settings if isinstance(settings, dict) else None


@dataclass(frozen=True)
class SavingProgress:
    """How far the writing of a checkpoint is (0..1), with the seconds left once there is a pace."""

    fraction: float
    seconds_left: float | None


# Each part's share of the writing, by the bytes it writes for an AdamW run: the optimizer keeps two
# numbers per weight, so the training state is twice the model files; reading everything back for the
# checksums goes several times faster than writing it.
_MODEL_FILES, _TRAINING_STATE, _CHECKSUMS = "model files", "training state", "checksums"
_SAVING_STAGES = {_MODEL_FILES: 1.0, _TRAINING_STATE: 2.0, _CHECKSUMS: 0.5}


def saving_checkpoint(
    folder: str | Path,
    *,
    state: dict[str, Any],
    tensors: dict[str, Any],
    write_files: Callable[[Path], None] | None = None,
) -> Generator[SavingProgress, None, Path]:
    """Write the checkpoint into a staging folder and swap it in whole: a crash midway leaves the previous one.
    Yields the share written after each part and before each file's checksum."""
    import torch

    stages = Stages(_SAVING_STAGES)
    folder = Path(folder)
    with atomic_directory(folder) as staging:
        yield SavingProgress(*stages.at(_MODEL_FILES))
        if write_files is not None:
            write_files(staging)
        yield SavingProgress(*stages.at(_TRAINING_STATE))
        torch.save(tensors, staging / TENSORS_FILE)
        files = sorted(file for file in staging.iterdir() if file.is_file())
        total = sum(file.stat().st_size for file in files) or 1
        checksums: dict[str, int] = {}
        summed = 0
        for file in files:
            yield SavingProgress(*stages.at(_CHECKSUMS, summed / total))
            checksums[file.name] = file_crc32(file)
            summed += file.stat().st_size
        state = {**state, CHECKSUMS_KEY: checksums}
        (staging / STATE_FILE).write_text(json.dumps(state, indent=2, ensure_ascii=False), encoding="utf-8")
    yield SavingProgress(*stages.at(_CHECKSUMS, 1.0))
    return folder


def save_checkpoint(
    folder: str | Path,
    *,
    state: dict[str, Any],
    tensors: dict[str, Any],
    write_files: Callable[[Path], None] | None = None,
) -> Path:
    """``saving_checkpoint`` to the end, for callers that show no progress."""
    return drain(saving_checkpoint(folder, state=state, tensors=tensors, write_files=write_files))


def load_checkpoint(
    folder: str | Path, required: tuple[str, ...] = (), required_tensors: tuple[str, ...] = ()
) -> Checkpoint:
    """The checkpoint in ``folder``; one clear InvalidInputError naming the damaged file when any part of it
    (the ``required`` state and tensor keys included) cannot be trusted. Nothing in it runs: tensors load as data."""
    if not has_checkpoint(folder):
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "No checkpoint to resume in {folder}.").fill(folder=folder))
    folder = readable_place(folder)

    def damaged(name: str, reason: Text, **values: Any) -> InvalidInputError:
        return InvalidInputError(reason.fill(folder=folder, name=name, **values))

    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:  # RecursionError: JSON nested deeper than Python's stack
        raise damaged(STATE_FILE, _NOT_JSON) from error
    missing = [key for key in required if not isinstance(state, dict) or key not in state]
    if missing:
        raise damaged(STATE_FILE, _LACKS, keys=", ".join(missing))
    _check_files(folder, state.get(CHECKSUMS_KEY), damaged)
    import torch

    try:
        # weights_only: a checkpoint is data, never code to run.
        tensors = torch.load(folder / TENSORS_FILE, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise damaged(TENSORS_FILE, _NOT_TENSORS) from error
    except (OSError, EOFError, ValueError, RuntimeError) as error:
        raise damaged(TENSORS_FILE, _DAMAGED) from error
    missing = [key for key in required_tensors if not isinstance(tensors, dict) or key not in tensors]
    if missing:
        raise damaged(TENSORS_FILE, _LACKS, keys=", ".join(missing))
    return Checkpoint(folder=folder, state=state, tensors=tensors)


def _check_files(folder: Path, checksums: Any, damaged: Callable[..., InvalidInputError]) -> None:
    if isinstance(checksums, dict):
        for name, expected in checksums.items():
            file = folder / name
            if not file.is_file():
                raise damaged(name, _MISSING)
            if file_crc32(file) != expected:
                raise damaged(name, _CHECKSUM)
    # Older checkpoints carry no checksums: at least every JSON and safetensors file must read.
    for file in sorted(folder.iterdir()):
        if file.suffix == ".json" and file.name != STATE_FILE:
            try:
                json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise damaged(file.name, _NOT_JSON) from error
        elif file.suffix == ".safetensors":
            try:
                with safe_open(str(file), framework="pt") as weights:
                    weights.keys()
            except (OSError, SafetensorError) as error:
                raise damaged(file.name, _DAMAGED) from error


@contextmanager
def settings_kept(optimizer, names: tuple[str, ...] = ("lr", "weight_decay")) -> Iterator[None]:
    """Around loading an optimizer's saved state, which puts back the learning rate and weight decay it was saved
    with: a resumed run trains with its settings of now (a new --lr or --weight-decay), its moments as saved."""
    kept = [{name: group[name] for name in names if name in group} for group in optimizer.param_groups]
    yield
    for group, values in zip(optimizer.param_groups, kept, strict=True):
        group.update(values)
