"""Train a VAE or a GAN as a generator of events: step metrics, an image grid every epoch,
checkpoints. Pause/stop come through a ``RunControl``; stop checkpoints, then returns."""

from __future__ import annotations

import copy
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generator, Iterator

import numpy as np
import torch
from torch.nn import functional as F

from workbench.core.checkpoints import has_checkpoint, settings_kept
from workbench.core.devices import resolve_device
from workbench.core.errors import InvalidSettingsError
from workbench.core.genlab.data import ImageSet, load_image_set
from workbench.core.genlab.models import GAN, VAE, GenerativeModel, ModelConfig, build_model
from workbench.core.genlab.settings import GenLabSettings
from workbench.core.genlab.storage import load_checkpoint, save_checkpoint
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken, RunControl, StatusEvent
from workbench.core.outputs import RunFolderLock, missing_folders, remove_made_folders
from workbench.core.random_stream import process_random_stream

SAMPLE_COUNT = 64  # images in the per-epoch sample grid (8 x 8)
RECONSTRUCTION_COUNT = 16  # held-out images shown beside their VAE reconstructions
GAN_BETAS = (0.5, 0.999)  # Radford et al.: a shorter momentum memory keeps the two players from oscillating

METRICS = {
    "vae": ("reconstruction", "kl", "total"),
    "gan": ("d_loss", "g_loss", "d_real", "d_fake"),  # d_real = mean D(x), d_fake = mean D(G(z))
}


@dataclass(frozen=True)
class ImagesLoaded:
    images: ImageSet  # what the run trains on: the view shows held-out images from it


@dataclass(frozen=True)
class StepMetrics:
    epoch: int  # 1-based epoch this step belongs to
    step: int  # optimizer steps so far, over the whole run
    values: dict[str, float]  # METRICS[kind] -> value for this batch
    epoch_fraction: float = 1.0  # how much of its epoch is done with this step (batch / batches of the epoch)


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    epochs: int
    step: int
    means: dict[str, float]  # epoch means of the step metrics
    samples: np.ndarray  # (SAMPLE_COUNT, H, W) from the fixed noise batch, in [0, 1]
    originals: np.ndarray | None  # VAE: (RECONSTRUCTION_COUNT, H, W) held-out images
    reconstructions: np.ndarray | None  # VAE: their posterior-mean reconstructions
    snapshot: GenerativeModel  # a CPU copy for the view to sample/interpolate while training goes on
    elapsed_s: float


@dataclass(frozen=True)
class CheckpointEvent:
    epoch: int
    path: str


@dataclass(frozen=True)
class GenLabResult:
    settings: GenLabSettings
    model: GenerativeModel  # on the CPU, in eval mode
    epochs_done: int
    step: int
    history: tuple[dict[str, float], ...]  # per epoch: {"epoch", "step", "elapsed_s", *metric means}
    stopped: bool  # by a stop (``control``) or because it diverged
    message: str
    checkpoint: str | None
    diverged: bool = False


GenLabEvent = StatusEvent | ImagesLoaded | StepMetrics | EpochEnd | CheckpointEvent


class _VaeStep:
    def __init__(self, model: VAE, settings: GenLabSettings, generator: torch.Generator) -> None:
        self.model, self.beta, self.generator = model, settings.beta, generator
        self.optimizers = {"vae": torch.optim.Adam(model.parameters(), lr=settings.lr)}

    def __call__(self, batch: torch.Tensor) -> dict[str, float]:
        optimizer = self.optimizers["vae"]
        loss, values = self.model.loss(batch, self.beta, self.generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return values


class _GanStep:
    """One discriminator update, then one generator update with the non-saturating loss."""

    def __init__(self, model: GAN, settings: GenLabSettings, generator: torch.Generator) -> None:
        self.model, self.generator = model, generator
        self.real_label = 1.0 - settings.label_smoothing  # one-sided smoothing: fakes stay at 0
        self.optimizers = {
            "discriminator": torch.optim.Adam(model.discriminator.parameters(), lr=settings.lr, betas=GAN_BETAS),
            "generator": torch.optim.Adam(model.generator.parameters(), lr=settings.lr, betas=GAN_BETAS),
        }

    def __call__(self, real: torch.Tensor) -> dict[str, float]:
        model, batch = self.model, real.shape[0]
        z = torch.randn(batch, model.config.latent_dim, generator=self.generator, device=real.device)  # (B, latent)
        fake = model.generate(z)  # (B, pixels)

        real_logits = model.discriminate(real)  # (B,)
        fake_logits = model.discriminate(fake.detach())  # (B,): no gradient into G for D's update
        d_loss = F.binary_cross_entropy_with_logits(
            real_logits, torch.full_like(real_logits, self.real_label)
        ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        self.optimizers["discriminator"].zero_grad(set_to_none=True)
        d_loss.backward()
        self.optimizers["discriminator"].step()

        # Non-saturating: G maximises log D(G(z)) rather than minimising log(1 - D(G(z))),
        # which gives strong gradients early on, when D easily rejects the fakes.
        g_logits = model.discriminate(fake)  # (B,)
        g_loss = F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
        self.optimizers["generator"].zero_grad(set_to_none=True)
        g_loss.backward()
        self.optimizers["generator"].step()
        return {
            "d_loss": d_loss.item(),
            "g_loss": g_loss.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item(),
        }


def _check_same_shape(saved: ModelConfig, asked: ModelConfig, folder: Path) -> None:
    """A checkpoint resumes only as the model it holds: another latent or hidden size, or images of another
    size, would not fit its weights."""
    for name, field in ((QT_TRANSLATE_NOOP("Errors", "latent size"), "latent_dim"),
                        (QT_TRANSLATE_NOOP("Errors", "hidden size"), "hidden_dim"),
                        (QT_TRANSLATE_NOOP("Errors", "image size"), "image_shape")):
        was, now = getattr(saved, field), getattr(asked, field)
        if was != now:
            raise InvalidSettingsError(QT_TRANSLATE_NOOP(
                "Errors", "The run in {folder} was started with {name} {was} (now {now}): resume it with the same "
                "model settings, or start a new run in another folder.").fill(
                folder=folder.parent, name=name, was=_shape_text(was), now=_shape_text(now)))


def _shape_text(value) -> str:
    return "x".join(str(side) for side in value) if isinstance(value, tuple) else str(value)


def _build_fresh(settings: GenLabSettings, images: ImageSet, control: CancelToken) -> GenerativeModel:
    config = ModelConfig(settings.model, images.image_shape, settings.latent_dim, settings.hidden_dim)
    # Seeded on a forked RNG so building a model never disturbs anyone else's random stream, nor is disturbed
    # (a Stop while a generation holds the stream lands at once).
    with process_random_stream(control.raise_if_cancelled), torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        return build_model(config)


def fixed_noise(latent_dim: int, seed: int) -> torch.Tensor:
    """The same noise batch every epoch (and after resume), so the grid shows progress, not luck."""
    noise_generator = torch.Generator().manual_seed(seed + 1)
    return torch.randn(SAMPLE_COUNT, latent_dim, generator=noise_generator)  # (S, latent)


def _cpu_snapshot(model: GenerativeModel) -> GenerativeModel:
    return copy.deepcopy(model).to("cpu").eval()


@contextmanager
def _one_cpu_thread(device: torch.device) -> Iterator[None]:
    """Run this thread's torch CPU ops on one core. These layers are far too small to split:
    on a busy 2-core machine two threads made a 20-epoch VAE run 25x slower (179 s vs 7 s).
    The setting is per thread (OpenMP/MKL), so other panels' work keeps its threads."""
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def train(
    settings: GenLabSettings,
    control: CancelToken | None = None,
    images: ImageSet | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
) -> Generator[GenLabEvent, None, GenLabResult]:
    """Train for ``settings.epochs`` epochs (counting any resumed ones) and return the model.

    With ``checkpoint_dir`` the run is checkpointed every ``settings.checkpoint_every`` epochs,
    at the end and on stop; ``resume`` continues from the checkpoint there. The folder that holds
    ``checkpoint_dir`` (the command line's ``--out``) is locked while the run goes on."""
    settings.validate()
    if resume and (checkpoint_dir is None or not has_checkpoint(checkpoint_dir)):
        raise InvalidSettingsError(
            QT_TRANSLATE_NOOP("Errors", "Nothing to resume: no checkpoint in '{folder}'.").fill(folder=checkpoint_dir)
        )
    device = resolve_device(settings.device)
    with _one_cpu_thread(device), _locked_run_folder(checkpoint_dir):
        return (yield from _train(settings, control or RunControl(), device, images, checkpoint_dir, resume))


@contextmanager
def _locked_run_folder(checkpoint_dir: str | Path | None) -> Iterator[None]:
    """Keep a second run, in this process or another, from checkpointing into the same place while this one does:
    it would write over this run's checkpoint and results. The folder above the checkpoint is locked (the checkpoint
    itself is replaced whole at each save); a folder made for the lock goes again when the run saved nothing."""
    if checkpoint_dir is None:
        yield
        return
    checkpoint_dir = Path(checkpoint_dir).expanduser()
    run_folder = checkpoint_dir.parent
    made = missing_folders(run_folder)
    run_folder.mkdir(parents=True, exist_ok=True)
    try:
        lock = RunFolderLock(run_folder)
    except BaseException:
        remove_made_folders(made)
        raise
    try:
        yield
    finally:
        lock.release()
        if not has_checkpoint(checkpoint_dir):
            remove_made_folders(made)


def _train(
    settings: GenLabSettings,
    control: CancelToken,
    device: torch.device,
    images: ImageSet | None,
    checkpoint_dir: str | Path | None,
    resume: bool,
) -> Generator[GenLabEvent, None, GenLabResult]:
    if images is None:  # said only when read here (the command line reads them before it starts)
        yield StatusEvent(QT_TRANSLATE_NOOP("StatusEvent", "Reading images"))
        images = load_image_set(settings.images, settings.image_size)
    yield ImagesLoaded(images)
    if len(images.train) < settings.batch_size:
        raise InvalidSettingsError(
            QT_TRANSLATE_NOOP(
                "Errors", "Batch size {batch_size} is larger than the {count} training images: lower it."
            ).fill(batch_size=settings.batch_size, count=len(images.train))
        )

    generator = torch.Generator(device=device).manual_seed(settings.seed)
    history: list[dict[str, float]] = []
    first_epoch, step = 1, 0
    checkpoint = None
    stopped_inside: dict | None = None
    if resume:
        checkpoint = load_checkpoint(checkpoint_dir)
        if checkpoint.model.config.kind != settings.model:
            raise InvalidSettingsError(
                QT_TRANSLATE_NOOP("Errors", "The checkpoint holds a {kind}, not a {model}.").fill(
                    kind=checkpoint.model.config.kind.upper(), model=settings.model.upper()
                )
            )
        _check_same_shape(checkpoint.model.config, ModelConfig(
            settings.model, images.image_shape, settings.latent_dim, settings.hidden_dim), checkpoint_dir)
        if checkpoint.state["epoch"] >= settings.epochs:
            if checkpoint.state["epoch"] == 1:  # and so 1 was asked for
                no_epochs_left = QT_TRANSLATE_NOOP(
                    "Errors", "The checkpoint has trained 1 epoch already, and 1 was asked for: ask for more epochs "
                    "to go on.")
            else:
                no_epochs_left = QT_TRANSLATE_NOOP(
                    "Errors", "The checkpoint has trained {done} epochs already, and {epochs} were asked for: ask "
                    "for more epochs to go on.")
            raise InvalidSettingsError(no_epochs_left.fill(done=checkpoint.state["epoch"], epochs=settings.epochs))
        model = checkpoint.model
        history = list(checkpoint.state["history"])
        first_epoch, step = checkpoint.state["epoch"] + 1, checkpoint.state["step"]
        stopped_inside = checkpoint.state.get("inside_epoch")  # a stop cut that epoch short: go on inside it
        if stopped_inside is not None and stopped_inside["batch_size"] != settings.batch_size:
            yield StatusEvent(QT_TRANSLATE_NOOP(
                "StatusEvent", "Finishing epoch {epoch} in batches of {old}, as it began; then batches of {new}").fill(
                epoch=first_epoch, old=stopped_inside["batch_size"], new=settings.batch_size))
        generator.set_state(checkpoint.generator_state)
    else:
        model = _build_fresh(settings, images, control)
    model.to(device).train()
    step_class = _VaeStep if settings.model == "vae" else _GanStep
    train_step = step_class(model, settings, generator)
    if checkpoint is not None:
        for name, optimizer in train_step.optimizers.items():
            with settings_kept(optimizer):  # a new --lr is this run's from here on
                optimizer.load_state_dict(checkpoint.optimizer_states[name])

    train_data = torch.from_numpy(np.array(images.train)).to(device)  # (N, pixels)
    shown_originals = torch.from_numpy(np.array(images.held_out[:RECONSTRUCTION_COUNT])).to(device)  # (R, pixels)
    noise = fixed_noise(settings.latent_dim, settings.seed).to(device)  # (S, latent)
    started = time.perf_counter() - (history[-1]["elapsed_s"] if history else 0.0)
    saved_path: str | None = None

    def checkpoint_now(epochs_done: int, inside_epoch: dict | None = None) -> CheckpointEvent | None:
        """``inside_epoch``: where a stop cut the next epoch short (its batch order and batch size, the batches
        done and their metric sums), so that a resume trains exactly the batches an uninterrupted run would have."""
        nonlocal saved_path
        if checkpoint_dir is None:
            return None
        state = {"epoch": epochs_done, "step": step, "settings": settings.to_dict(), "history": history}
        if inside_epoch is not None:
            state["inside_epoch"] = inside_epoch
        saved_path = str(save_checkpoint(checkpoint_dir, model, train_step.optimizers, generator, state))
        return CheckpointEvent(epochs_done, saved_path)

    def result(epochs_done: int, stopped: bool, message: str, diverged: bool = False) -> GenLabResult:
        return GenLabResult(
            settings, _cpu_snapshot(model), epochs_done, step, tuple(history), stopped, message, saved_path, diverged
        )

    yield StatusEvent(
        QT_TRANSLATE_NOOP("StatusEvent", "Training a {model} on {count} images").fill(
            model=settings.model.upper(), count=len(images.train)
        )
    )
    for epoch in range(first_epoch, settings.epochs + 1):
        if stopped_inside is not None:  # the batches of the epoch a stop cut short, from the first one not done
            # In the batch size the epoch began with: its batches done and their sums count in that size.
            order = torch.tensor(stopped_inside["order"], dtype=torch.int64, device=device)  # (N,)
            sums, first_batch = dict(stopped_inside["sums"]), stopped_inside["batches_done"]
            batch_size = stopped_inside["batch_size"]
            stopped_inside = None
        else:
            order = torch.randperm(len(train_data), generator=generator, device=device)  # (N,)
            sums, first_batch = dict.fromkeys(METRICS[settings.model], 0.0), 0
            batch_size = settings.batch_size
        # Drop the ragged last batch: a batch of 5 gives the GAN's discriminator a noisy, misleading step.
        batches = order[: len(order) - len(order) % batch_size].view(-1, batch_size)  # (B, batch)
        for batch_index in range(first_batch, len(batches)):
            indices = batches[batch_index]
            if isinstance(control, RunControl):
                control.wait_if_paused()
            if control.cancelled:
                inside = {"order": order.tolist(), "batch_size": batch_size, "batches_done": batch_index, "sums": sums}
                event = checkpoint_now(epoch - 1, inside)
                if event:
                    yield event
                stopped = QT_TRANSLATE_NOOP("GenLabResult", "Stopped during epoch {epoch}; epochs done: {done}.")
                return result(epoch - 1, True, stopped.fill(epoch=epoch, done=epoch - 1))
            values = train_step(train_data[indices])
            step += 1
            if not all(math.isfinite(v) for v in values.values()):
                diverged = (QT_TRANSLATE_NOOP("GenLabResult", "Training diverged at step {step} (a loss became NaN "
                                              "or infinite): lower the learning rate. The last good checkpoint is "
                                              "kept.") if saved_path else
                            QT_TRANSLATE_NOOP("GenLabResult", "Training diverged at step {step} (a loss became NaN "
                                              "or infinite): lower the learning rate."))
                return result(epoch - 1, True, diverged.fill(step=step), diverged=True)
            for name, value in values.items():
                sums[name] += value
            yield StepMetrics(epoch, step, values, (batch_index + 1) / len(batches))

        means = {name: total / len(batches) for name, total in sums.items()}
        elapsed = time.perf_counter() - started
        history.append({"epoch": epoch, "step": step, "elapsed_s": elapsed, **means})
        model.eval()
        samples = model.sample(noise).cpu().numpy()  # (S, pixels)
        reconstructions = model.reconstruct(shown_originals).cpu().numpy() if isinstance(model, VAE) else None
        model.train()
        yield EpochEnd(
            epoch=epoch,
            epochs=settings.epochs,
            step=step,
            means=means,
            samples=images.as_images(samples),
            originals=images.as_images(shown_originals.cpu().numpy()) if reconstructions is not None else None,
            reconstructions=images.as_images(reconstructions) if reconstructions is not None else None,
            snapshot=_cpu_snapshot(model),
            elapsed_s=elapsed,
        )
        if epoch % settings.checkpoint_every == 0 or epoch == settings.epochs:
            event = checkpoint_now(epoch)
            if event:
                yield event
    elapsed = time.perf_counter() - started  # the whole run's, a resumed one's earlier epochs included
    if first_epoch == 1 and settings.epochs == 1:
        trained = QT_TRANSLATE_NOOP("GenLabResult", "Trained 1 epoch in {seconds:.1f} s.")
    elif first_epoch == 1:
        trained = QT_TRANSLATE_NOOP("GenLabResult", "Trained {epochs} epochs in {seconds:.1f} s.")
    else:
        trained = QT_TRANSLATE_NOOP("GenLabResult", "Trained epochs {first} to {epochs} ({seconds:.1f} s for all "
                                    "{epochs}).")
    return result(settings.epochs, False, trained.fill(first=first_epoch, epochs=settings.epochs, seconds=elapsed))
