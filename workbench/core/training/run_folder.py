"""What a training run's folder holds, and what can be told from it before any training: the names of its files,
a run stopped there, a folder a command cannot start or resume in. No torch, so a command says a mistake at once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from workbench.core.checkpoints import has_checkpoint, read_state
from workbench.core.errors import InvalidInputError, InvalidSettingsError
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.outputs import check_shared_folder
from workbench.core.settings_fields import field_problems, settings_from_data
from workbench.core.training.settings import TrainSettings
from workbench.core.training.snapshots import SNAPSHOT_PATTERN, snapshot_steps

CHECKPOINT_FOLDER = "checkpoint"
# What a resume reads: keys of the checkpoint's state, then of its tensors.
RESUME_NEEDS = (("step", "tokens_seen", "elapsed_s", "settings"), ("optimizer", "batch_rng", "torch_rng"))
METRICS_FILE = "metrics.csv"
RUN_FILE = "run.json"  # the run's settings and batch layout, written as it starts (what a follower reads)
HEADS_FILE = "heads.jsonl"  # the heads' scores at each evaluation, in the format of `workbench heads --json`
SAMPLES_FILE = "samples.jsonl"  # the sample text of each evaluation
METRICS_COLUMNS = ("step", "train_loss", "val_loss", "lr", "tokens_per_s", "elapsed_s")


def refuse_a_run_killed_before_its_first_checkpoint(out_dir: Path) -> None:
    """A run's folder without a checkpoint or a kept model (killed early, a power cut) is said to be one: the
    usual refusal of a used folder points to --resume, which has nothing to take up there."""
    if ((out_dir / RUN_FILE).is_file() and not has_checkpoint(out_dir / CHECKPOINT_FOLDER)
            and not snapshot_steps(out_dir)):
        raise InvalidInputError(QT_TRANSLATE_NOOP(
            "Errors", "{folder} holds a run stopped before its first checkpoint, with nothing to resume: choose a "
            "new folder, or delete this one to train there.").fill(folder=out_dir))


def check_tensorboard_folder(out_dir: str | Path, folder: str | Path) -> Path:
    """``folder`` can take the TensorBoard events of the run in ``out_dir``: a folder, or one that can be made, that
    takes files, and not inside the run's checkpoint or a kept step's model, which the run replaces or deletes (with
    the events in them). Nothing is created."""
    run, events = (Path(place).expanduser().resolve() for place in (out_dir, folder))  # as ``run_moved_to`` reads them
    if events.is_relative_to(run) and events != run:
        part = events.relative_to(run).parts[0]
        if part == CHECKPOINT_FOLDER or SNAPSHOT_PATTERN.fullmatch(part):
            raise InvalidInputError(QT_TRANSLATE_NOOP(
                "Errors", "The TensorBoard folder {folder} is inside the run's {part} folder, which the run replaces "
                "as it saves: choose a folder outside it (the run's own folder will do)."
            ).fill(folder=folder, part=part))
    return check_shared_folder(events)


def nothing_to_resume(out_dir: str | Path) -> InvalidSettingsError:
    return InvalidSettingsError(
        QT_TRANSLATE_NOOP("Errors", "There is no checkpoint to resume in {folder}.").fill(folder=out_dir)
    )


def stopped_run(out_dir: str | Path) -> tuple[TrainSettings, int] | None:
    """The settings and step of the run checkpointed in ``out_dir``, or None when there is no readable
    checkpoint there (resuming checks the whole checkpoint; this only offers it). The settings name ``out_dir``
    as the run's folder: a run moved, renamed or copied goes on where it is now, not where it started."""
    state = read_state(Path(out_dir) / CHECKPOINT_FOLDER)
    try:
        settings, step = settings_from_data(TrainSettings, state["settings"]), int(state["step"])
    except (KeyError, TypeError, ValueError, AttributeError):  # no state, or one without what a run needs
        return None
    if field_problems(settings):  # a hand-edited state the form cannot show
        return None
    return run_moved_to(settings, out_dir), step


def run_moved_to(settings: TrainSettings, out_dir: str | Path) -> TrainSettings:
    """``settings`` of a run checkpointed in ``out_dir``: a run moved, renamed or copied goes on where it is now, with
    its TensorBoard events too where they were kept in its own folder (a copy wrote into the original's, and its
    resume hid the original's later steps there)."""
    changes = {"out_dir": str(out_dir)}
    if settings.tensorboard and settings.out_dir:
        # Compared whole: a run started with a relative --out recorded its TensorBoard folder made absolute.
        started, events = (Path(place).expanduser().resolve() for place in (settings.out_dir, settings.tensorboard))
        if events.is_relative_to(started):
            changes["tensorboard"] = str(Path(out_dir) / events.relative_to(started))
    return replace(settings, **changes)
