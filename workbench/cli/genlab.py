"""`workbench genlab`: train the lab's VAE or GAN headless and write metrics, a sample grid and the model."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.cli import options
from workbench.cli.interrupt import INTERRUPTED, StopsWhenReaderGoes, first_ctrl_c_stops
from workbench.core.atomic import write_text_atomic
from workbench.core.checkpoints import has_checkpoint, saved_settings
from workbench.core.errors import InvalidInputError
from workbench.core.genlab.data import load_image_set
from workbench.core.genlab.images import interleave, tile_grid, write_png
from workbench.core.genlab.settings import GenLabSettings, uses_digits
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import RunControl, drain
from workbench.core.outputs import prepare_output_folder, remove_made_folders
from workbench.core.settings_fields import settings_from_data

if TYPE_CHECKING:
    from workbench.core.genlab.trainer import EpochEnd, GenLabResult

PNG_SCALE = 4  # 8x8 digits are too small to see at one screen pixel each


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "genlab",
        help="train a VAE or GAN on small images (scikit-learn digits by default)",
        description="Train the generative lab's VAE or GAN and write metrics.csv, samples.png, "
        "reconstructions.png (VAE), the model (model/) and a checkpoint (checkpoint/) into --out. "
        "Flags left out take the chosen model's tuned values.",
    )
    options.add_settings_arguments(parser, GenLabSettings, defaults=_tuned_defaults())
    parser.add_argument("--resume", action="store_true",
                        help="continue from the checkpoint in --out; flags left out keep the run's values")
    parser.add_argument("--out", required=True, type=Path, help="folder for the results")
    parser.set_defaults(run=run)


def _tuned_defaults() -> dict[str, object]:
    """What the help shows as each flag's default: one value, or the VAE's and the GAN's tuned ones."""
    vae, gan = (dataclasses.asdict(GenLabSettings.for_model(kind)) for kind in ("vae", "gan"))
    tuned = {name: value if value == gan[name] else f"{value} (VAE), {gan[name]} (GAN)" for name, value in vae.items()}
    return {**tuned, "model": "vae"}


def _settings(args: argparse.Namespace) -> GenLabSettings:
    """The model's tuned values (resuming: the run's own), then every flag given."""
    out = Path(args.out).expanduser()
    saved = saved_settings(out / "checkpoint")
    # Said first: the lab would only find a language model's settings wanting, and its checkpoint lacking epochs.
    if saved is not None and "max_iters" in saved:  # a language model's run counts steps, the lab's epochs
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "{folder} holds a language-model training run: resume it with workbench train --resume "
                "--out {folder}, or choose another folder for the lab."
            ).fill(folder=out)
        )
    if saved is not None and args.resume:  # flags left out keep the values the run started with, as train --resume does
        kind = saved.get("model") if saved.get("model") in ("vae", "gan") else "vae"
        base = settings_from_data(GenLabSettings, saved, base=GenLabSettings.for_model(kind))
    else:
        base = GenLabSettings.for_model(args.model or "vae")
    settings = options.settings_from_args(GenLabSettings, args, base=base)
    if not uses_digits(settings.images):
        # Kept whole in the checkpoint: a --resume typed in another folder reads the same images (a folder named
        # "digits" there, or none, would have meant other images, or the built-in digits).
        settings = dataclasses.replace(settings, images=str(Path(settings.images).expanduser().resolve()))
    return settings


def metrics_csv(result: GenLabResult) -> str:
    from workbench.core.genlab.trainer import METRICS

    text = io.StringIO()
    columns = ["epoch", "step", "elapsed_s", *METRICS[result.settings.model]]
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in result.history:  # as train's metrics.csv: 6 decimals a loss, milliseconds a time
        writer.writerow({name: f"{value:.3f}" if name == "elapsed_s" else f"{value:.6f}" if isinstance(value, float)
                         else value for name, value in row.items()})
    return text.getvalue()


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    settings.validate()
    options.refuse_unused_flags(settings, args)
    # Checked before training, so a run is never lost to a place it cannot be saved; a bad image
    # folder is one line before anything is written.
    images = load_image_set(settings.images, settings.image_size)
    out = Path(args.out).expanduser()
    made = prepare_output_folder(out, resume=args.resume, how_to_resume="--resume")
    from workbench.core.genlab.trainer import CheckpointEvent, EpochEnd, StatusEvent, train  # torch: all is checked

    last_epoch: list[EpochEnd] = []

    def report(event) -> None:
        if isinstance(event, StatusEvent):
            print(event.message, file=sys.stderr)
        elif isinstance(event, EpochEnd):
            last_epoch[:] = [event]
            means = "  ".join(f"{name} {value:.4f}" for name, value in event.means.items())
            print(f"epoch {event.epoch}/{event.epochs}  {means}", file=sys.stderr)
        elif isinstance(event, CheckpointEvent):
            print(f"checkpoint: {event.path}", file=sys.stderr)

    control = RunControl()
    job = train(settings, control, images=images, checkpoint_dir=out / "checkpoint", resume=args.resume)
    progress = StopsWhenReaderGoes(report, control)
    try:
        with first_ctrl_c_stops(control, "stopping: writing a checkpoint (Ctrl+C again to abort at once)"):
            result = drain(job, progress)
    except BaseException:  # refused (a device, a checkpoint) or aborted: a folder made for nothing goes
        remove_made_folders(made)
        raise
    if result.diverged:  # its message says what to change; the model and pictures of a good epoch stay
        if has_checkpoint(out / "checkpoint"):
            write_text_atomic(out / "metrics.csv", metrics_csv(result))
        else:  # nothing to resume: the folder is left as it was found, so the same command runs there once fixed
            remove_made_folders(made)
        print(f"error: {result.message}", file=sys.stderr)
        return 2
    written = _write_results(out, result, last_epoch[0] if last_epoch else None)
    if progress.reader_gone:  # stopped for it, as by Ctrl+C; its stdout is most often the same closed pipe
        return INTERRUPTED
    print(result.message)
    print("wrote " + ", ".join(str(path) for path in written))
    return INTERRUPTED if result.stopped else 0


def _write_results(out: Path, result: GenLabResult, epoch: EpochEnd | None) -> list[Path]:
    """Metrics, the model and the last epoch's pictures; returns what was written."""
    from workbench.core.genlab.storage import save_model

    written = [out / "metrics.csv", out / "model"]
    write_text_atomic(written[0], metrics_csv(result))
    save_model(written[1], result.model)
    if epoch is not None:
        written.append(out / "samples.png")
        write_png(written[-1], tile_grid(epoch.samples), PNG_SCALE)
        if epoch.reconstructions is not None:
            written.append(out / "reconstructions.png")
            pairs = interleave(epoch.originals, epoch.reconstructions)
            write_png(written[-1], tile_grid(pairs, columns=8), PNG_SCALE)
    return written
