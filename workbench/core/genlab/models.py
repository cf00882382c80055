"""The two generative models: a variational autoencoder and a GAN, both small MLPs on flattened images."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class ModelConfig:
    kind: str  # vae | gan
    image_shape: tuple[int, int]  # (H, W)
    latent_dim: int
    hidden_dim: int

    @property
    def pixels(self) -> int:
        return self.image_shape[0] * self.image_shape[1]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ModelConfig:
        return cls(values["kind"], tuple(values["image_shape"]), int(values["latent_dim"]), int(values["hidden_dim"]))


def _mlp(sizes: list[int], activation: type[nn.Module]) -> nn.Sequential:
    """Linear layers with ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        if index:
            layers.append(activation())
        layers.append(nn.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)


def latent_line(start: torch.Tensor, end: torch.Tensor, steps: int) -> torch.Tensor:
    """(latent,) x 2 -> (steps, latent): evenly spaced points from start to end, both included."""
    weights = torch.linspace(0, 1, steps, device=start.device, dtype=start.dtype)[:, None]  # (S, 1)
    return (1 - weights) * start + weights * end


class LeakyReLU02(nn.LeakyReLU):
    """The GAN literature's slope: keeps gradients flowing through the discriminator for negative inputs."""

    def __init__(self) -> None:
        super().__init__(0.2)


class VAE(nn.Module):
    """Encoder to (mean, log-variance) of q(z|x); decoder from z to pixel logits of p(x|z)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        hidden, latent = config.hidden_dim, config.latent_dim
        self.encoder = _mlp([config.pixels, hidden, hidden], nn.ReLU)
        self.to_mean = nn.Linear(hidden, latent)
        self.to_log_var = nn.Linear(hidden, latent)
        self.decoder = _mlp([latent, hidden, hidden, config.pixels], nn.ReLU)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.encoder(x))  # (B, hidden)
        return self.to_mean(h), self.to_log_var(h)  # (B, latent) each

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, pixels)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(z))  # (B, pixels) in [0, 1]

    def loss(
        self, x: torch.Tensor, beta: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Reconstruction (BCE summed over pixels) + beta * KL(q(z|x) || N(0, I)), per image: the negative ELBO
        when beta is 1 (beta-VAE weighs the KL otherwise)."""
        mean, log_var = self.encode(x)  # (B, latent)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * log_var) * noise  # reparameterisation: gradients flow through mean and log_var
        batch = x.shape[0]
        reconstruction = F.binary_cross_entropy_with_logits(self.decode_logits(z), x, reduction="sum") / batch
        kl = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp()) / batch
        total = reconstruction + beta * kl
        return total, {"reconstruction": reconstruction.item(), "kl": kl.item(), "total": total.item()}

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the posterior mean: the model's best guess of x, without sampling noise."""
        mean, _ = self.encode(x)
        return self.decode(mean)  # (B, pixels)

    @torch.no_grad()
    def interpolate(self, a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
        """Decode evenly spaced points between the posterior means of images a and b (pixels,)."""
        means, _ = self.encode(torch.stack([a, b]))  # (2, latent)
        return self.decode(latent_line(means[0], means[1], steps))  # (S, pixels)

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> torch.Tensor:
        return self.decode(z)


class MinibatchStdDiscriminator(nn.Module):
    """An MLP that also sees how varied its batch is (Karras et al. 2018, "minibatch standard
    deviation"): a generator that collapses onto a few digits makes batches too alike, which
    the discriminator can then punish. On the 1,437 training digits this keeps all ten digits."""

    def __init__(self, pixels: int, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_mlp([pixels, hidden, hidden], LeakyReLU02), LeakyReLU02())
        self.head = nn.Linear(hidden + 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x)  # (B, hidden)
        spread = h.std(dim=0, unbiased=False).mean().expand(h.shape[0], 1)  # (B, 1): one number per batch
        return self.head(torch.cat([h, spread], dim=1)).squeeze(-1)  # (B,) logits


class GAN(nn.Module):
    """An MLP generator (noise -> image in [0, 1]) and an MLP discriminator (image -> real/fake logit)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        hidden = config.hidden_dim
        self.generator = nn.Sequential(
            _mlp([config.latent_dim, hidden, hidden, config.pixels], LeakyReLU02), nn.Sigmoid()
        )
        self.discriminator = MinibatchStdDiscriminator(config.pixels, hidden)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)  # (B, pixels) in [0, 1]

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        return self.discriminator(x)  # (B,) logits

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> torch.Tensor:
        return self.generate(z)

    @torch.no_grad()
    def interpolate(self, a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
        """Generate from evenly spaced points between noise vectors a and b (latent,)."""
        return self.generate(latent_line(a, b, steps))  # (S, pixels)


GenerativeModel = VAE | GAN


def build_model(config: ModelConfig) -> GenerativeModel:
    return {"vae": VAE, "gan": GAN}[config.kind](config)
