"""Settings of one lab run, validated with messages a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from workbench.core.errors import InvalidSettingsError
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.settings_fields import DEVICE, FOLDER, DescribedSettings, setting

MODEL_LABELS = {
    "vae": QT_TRANSLATE_NOOP("GenLabSettings", "VAE (variational autoencoder)"),
    "gan": QT_TRANSLATE_NOOP("GenLabSettings", "GAN (generative adversarial network)"),
}
MODEL_KINDS = tuple(MODEL_LABELS)

# What differs between the two models; everything else shares the dataclass defaults.
# Tuned with benchmarks/genlab.py so the quality targets are met with margin in well under 3 minutes.
_MODEL_DEFAULTS: dict[str, dict[str, object]] = {
    "vae": {"epochs": 60, "latent_dim": 16, "lr": 3e-3, "beta": 0.5},
    "gan": {"epochs": 600, "latent_dim": 32, "lr": 1e-3},
}


def uses_digits(images: str | None) -> bool:
    """Whether ``images`` names scikit-learn's handwritten digits: empty, or the word "digits" where no folder of
    that name is (a folder named so is the person's images)."""
    return images in (None, "") or (images == "digits" and not Path(images).expanduser().is_dir())


@dataclass(frozen=True)
class GenLabSettings(DescribedSettings):
    model: str = setting(
        "vae",
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Model"),
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Model"),
        choices=MODEL_LABELS,
        help=QT_TRANSLATE_NOOP(
            "GenLabSettings",
            "VAE: squeezes each image into a few numbers and learns to rebuild it.\n"
            "GAN: a generator learns to fool a discriminator that tells real images from made-up ones.",
        ),
    )
    latent_dim: int = setting(
        16,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Latent size"),
        minimum=1,
        maximum=1024,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "GenLabSettings", "How many numbers describe one image inside the model (the latent vector)."
        ),
    )
    hidden_dim: int = setting(
        256,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Hidden size"),
        minimum=8,
        maximum=8192,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Model"),
        help=QT_TRANSLATE_NOOP("GenLabSettings", "Width of the hidden layers: bigger learns more, runs slower."),
    )
    # VAE: weight of the KL term. 1 is the textbook ELBO, but with BCE over only 64 pixels it
    # squeezes the latent to ~3 nats and blurs digits into each other; 0.5 keeps them apart.
    beta: float = setting(
        0.5,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Beta (KL weight)"),
        minimum=0,
        maximum=100,
        step=0.1,
        decimals=2,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "GenLabSettings",
            "VAE: weight of the KL term. 1 is the textbook VAE; lower gives sharper reconstructions, higher a "
            "smoother, more regular latent space.",
        ),
    )
    label_smoothing: float = setting(
        0.1,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Label smoothing"),
        minimum=0,
        maximum=0.5,
        exclusive_maximum=True,
        soft_maximum=0.49,
        step=0.05,
        decimals=2,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "GenLabSettings",
            "GAN: the discriminator learns to call real images 1 minus this (0.1 -> 0.9), which keeps it from "
            "getting overconfident. 0 turns it off.",
        ),
    )
    epochs: int = setting(
        60,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Epochs"),
        minimum=1,
        maximum=100_000,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Training"),
        help=QT_TRANSLATE_NOOP("GenLabSettings", "Passes over all training images."),
    )
    lr: float = setting(
        3e-3,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Learning rate"),
        minimum=0,
        exclusive_minimum=True,
        maximum=1,
        soft_minimum=0.00001,
        step=0.0001,
        decimals=5,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Training"),
        help=QT_TRANSLATE_NOOP("GenLabSettings", "Adam learning rate: the size of each update step."),
    )
    batch_size: int = setting(
        64,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Batch size"),
        minimum=1,
        maximum=4096,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Training"),
        help=QT_TRANSLATE_NOOP("GenLabSettings", "Images per update step."),
    )
    seed: int = setting(
        0,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Seed"),
        minimum=0,
        maximum=2**31 - 1,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Training"),
        help=QT_TRANSLATE_NOOP("GenLabSettings", "Same seed and settings, same run: weights, batches and noise."),
    )
    device: str = setting(
        "auto",
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Device"),
        kind=DEVICE,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "GenLabSettings", "Where to train: auto (a GPU when there is one, else the CPU), cpu, cuda, cuda:N or mps."
        ),
    )
    checkpoint_every: int = setting(  # used when the run has a checkpoint folder
        10,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Checkpoint every"),
        minimum=1,
        soft_maximum=100_000,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Training"),
        help=QT_TRANSLATE_NOOP("GenLabSettings", "Epochs between checkpoints."),
    )
    images: str | None = setting(  # None = scikit-learn digits
        None,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Images"),
        kind=FOLDER,
        special=QT_TRANSLATE_NOOP("GenLabSettings", "scikit-learn digits (8x8)"),
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Images"),
        help=QT_TRANSLATE_NOOP(
            "GenLabSettings",
            "Leave empty for the handwritten digits, or pick a folder of images (turned gray and resized).",
        ),
    )
    image_size: int = setting(
        8,
        label=QT_TRANSLATE_NOOP("GenLabSettings", "Image size"),
        minimum=4,
        maximum=64,
        section=QT_TRANSLATE_NOOP("GenLabSettings", "Images"),
        help=QT_TRANSLATE_NOOP("GenLabSettings", "Side in pixels that folder images are resized to."),
    )

    def unused_settings(self) -> dict[str, str]:
        unused = {}
        if self.model != "vae":
            unused["beta"] = "it weighs a VAE's KL term: add --model vae"
        if self.model != "gan":
            unused["label_smoothing"] = "it softens a GAN discriminator's targets: add --model gan"
        if uses_digits(self.images):  # the digits come 8x8
            unused["image_size"] = "it scales the images of --images: give --images too"
        return unused

    @classmethod
    def for_model(cls, model: str, **overrides: object) -> GenLabSettings:
        """The tuned defaults of ``model`` with ``overrides`` applied (None values are ignored)."""
        if model not in MODEL_KINDS:
            raise InvalidSettingsError(
                QT_TRANSLATE_NOOP("Errors", "Unknown model '{model}': choose vae or gan.").fill(model=model)
            )
        chosen = {key: value for key, value in overrides.items() if value is not None}
        return cls(model=model, **{**_MODEL_DEFAULTS[model], **chosen})

    def switched_to(self, model: str) -> GenLabSettings:
        """These settings for another model: its tuned values replace the model-specific ones."""
        if model not in MODEL_KINDS:
            raise InvalidSettingsError(
                QT_TRANSLATE_NOOP("Errors", "Unknown model '{model}': choose vae or gan.").fill(model=model)
            )
        return replace(self, model=model, **_MODEL_DEFAULTS[model])

    def with_changes(self, **changes: object) -> GenLabSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
