"""`workbench genlab`: train the lab's VAE or GAN headless and write metrics, a sample grid and the model."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from workbench.cli.options import add_device_argument
from workbench.core.atomic import write_text_atomic
from workbench.core.genlab.images import interleave, tile_grid, write_png
from workbench.core.genlab.settings import GenLabSettings
from workbench.core.genlab.storage import save_model
from workbench.core.genlab.trainer import METRICS, CheckpointEvent, EpochEnd, GenLabResult, StatusEvent, train
from workbench.core.jobs import RunControl, drain
from workbench.core.outputs import prepare_output_folder

PNG_SCALE = 4  # 8x8 digits are too small to see at one screen pixel each


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "genlab",
        help="train a VAE or GAN on small images (scikit-learn digits by default)",
        description="Train the generative lab's VAE or GAN and write metrics.csv, samples.png, "
        "reconstructions.png (VAE), the model (model/) and a checkpoint (checkpoint/) into --out.",
    )
    parser.add_argument("--model", choices=("vae", "gan"), default="vae", help="which generative model (default vae)")
    parser.add_argument("--epochs", type=int, help="passes over the training images (default: the model's tuned value)")
    parser.add_argument("--latent-dim", type=int, help="size of the latent/noise vector")
    parser.add_argument("--hidden-dim", type=int, help="width of the hidden layers")
    parser.add_argument("--lr", type=float, help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, help="images per optimizer step")
    parser.add_argument("--beta", type=float, help="VAE: weight of the KL term")
    parser.add_argument("--label-smoothing", type=float, help="GAN: real images labelled 1 - this for the discriminator")
    parser.add_argument("--seed", type=int, help="random seed (same seed, same run)")
    add_device_argument(parser, default=None)
    parser.add_argument("--images", help="a folder of images to train on instead of the digits")
    parser.add_argument("--image-size", type=int, help="side in pixels the folder's images are resized to")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    parser.add_argument("--out", required=True, type=Path, help="folder for the results")
    parser.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> GenLabSettings:
    return GenLabSettings.for_model(
        args.model,
        epochs=args.epochs,
        latent_dim=args.latent_dim,
        hidden_dim=args.hidden_dim,
        lr=args.lr,
        batch_size=args.batch_size,
        beta=args.beta,
        label_smoothing=args.label_smoothing,
        seed=args.seed,
        device=args.device,
        images=args.images,
        image_size=args.image_size,
    )


def metrics_csv(result: GenLabResult) -> str:
    text = io.StringIO()
    columns = ["epoch", "step", "elapsed_s", *METRICS[result.settings.model]]
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(result.history)
    return text.getvalue()


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    settings.validate()
    # Checked before training, so a run is never lost to a place it cannot be saved.
    out = prepare_output_folder(args.out, resume=args.resume, how_to_resume="--resume")
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

    result = drain(train(settings, RunControl(), checkpoint_dir=out / "checkpoint", resume=args.resume), report)
    write_text_atomic(out / "metrics.csv", metrics_csv(result))
    save_model(out / "model", result.model)
    if last_epoch:
        epoch = last_epoch[0]
        write_png(out / "samples.png", tile_grid(epoch.samples), PNG_SCALE)
        if epoch.reconstructions is not None:
            pairs = interleave(epoch.originals, epoch.reconstructions)
            write_png(out / "reconstructions.png", tile_grid(pairs, columns=8), PNG_SCALE)
    if result.stopped:  # only a diverged run stops on its own here; its message says what to change
        print(f"error: {result.message}", file=sys.stderr)
        return 2
    print(result.message)
    print(f"wrote {out / 'metrics.csv'}, {out / 'samples.png'}, {out / 'model'}")
    return 0
