"""Settings of one lab run, validated with messages a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from workbench.core.errors import InvalidSettingsError

MODEL_KINDS = ("vae", "gan")

# What differs between the two models; everything else shares the dataclass defaults.
# Tuned with benchmarks/genlab.py so the quality targets are met with margin in well under 3 minutes.
_MODEL_DEFAULTS: dict[str, dict[str, object]] = {
    "vae": {"epochs": 60, "latent_dim": 16, "lr": 3e-3, "beta": 0.5},
    "gan": {"epochs": 600, "latent_dim": 32, "lr": 1e-3},
}


@dataclass(frozen=True)
class GenLabSettings:
    model: str = "vae"  # vae | gan
    epochs: int = 60
    latent_dim: int = 16
    hidden_dim: int = 256
    lr: float = 3e-3
    batch_size: int = 64
    # VAE: weight of the KL term. 1 is the textbook ELBO, but with BCE over only 64 pixels it
    # squeezes the latent to ~3 nats and blurs digits into each other; 0.5 keeps them apart.
    beta: float = 0.5
    label_smoothing: float = 0.1  # GAN: real images are labelled 1 - label_smoothing for the discriminator
    seed: int = 0
    device: str = "auto"
    images: str | None = None  # None = scikit-learn digits, else a folder of images
    image_size: int = 8  # side of the square images read from a folder
    checkpoint_every: int = 10  # epochs between checkpoints (when the run has a checkpoint folder)

    @classmethod
    def for_model(cls, model: str, **overrides: object) -> "GenLabSettings":
        """The tuned defaults of ``model`` with ``overrides`` applied (None values are ignored)."""
        if model not in MODEL_KINDS:
            raise InvalidSettingsError(f"Unknown model '{model}': choose vae or gan.")
        chosen = {key: value for key, value in overrides.items() if value is not None}
        return cls(model=model, **{**_MODEL_DEFAULTS[model], **chosen})

    def switched_to(self, model: str) -> "GenLabSettings":
        """These settings for another model: its tuned values replace the model-specific ones."""
        if model not in MODEL_KINDS:
            raise InvalidSettingsError(f"Unknown model '{model}': choose vae or gan.")
        return replace(self, model=model, **_MODEL_DEFAULTS[model])

    def with_changes(self, **changes: object) -> "GenLabSettings":
        return replace(self, **changes)

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def problems(self) -> list[str]:
        found = []
        if self.model not in MODEL_KINDS:
            found.append(f"Unknown model '{self.model}': choose vae or gan.")
        if not 1 <= self.epochs <= 100_000:
            found.append(f"Epochs must be between 1 and 100000 (got {self.epochs}).")
        if not 1 <= self.latent_dim <= 1024:
            found.append(f"Latent size must be between 1 and 1024 (got {self.latent_dim}).")
        if not 8 <= self.hidden_dim <= 8192:
            found.append(f"Hidden layer size must be between 8 and 8192 (got {self.hidden_dim}).")
        if not 0 < self.lr <= 1:
            found.append(f"Learning rate must be above 0 and at most 1 (got {self.lr}).")
        if not 1 <= self.batch_size <= 4096:
            found.append(f"Batch size must be between 1 and 4096 (got {self.batch_size}).")
        if not 0 <= self.beta <= 100:
            found.append(f"Beta (KL weight) must be between 0 and 100 (got {self.beta}).")
        if not 0 <= self.label_smoothing < 0.5:
            found.append(f"Label smoothing must be at least 0 and below 0.5 (got {self.label_smoothing}).")
        if not 4 <= self.image_size <= 64:
            found.append(f"Image size must be between 4 and 64 pixels (got {self.image_size}).")
        if self.checkpoint_every < 1:
            found.append(f"Checkpoint interval must be at least 1 epoch (got {self.checkpoint_every}).")
        return found

    def validate(self) -> None:
        found = self.problems()
        if found:
            raise InvalidSettingsError(" ".join(found))
