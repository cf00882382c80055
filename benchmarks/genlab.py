"""Quality of the lab's VAE and GAN with DEFAULT settings, scored side by side with real digits.

A logistic-regression classifier trained on the real training split labels:
- real held-out digits (the reference): share classified with confidence > 0.9, spread over digits;
- GAN samples: the same two figures (targets: >= 50% confident, >= 8 of 10 digits at >= 3%);
- VAE reconstructions (posterior mean) of held-out digits: share whose label matches the
  original's (target: >= 90%), next to the classifier's own accuracy on the originals.

Run: python benchmarks/genlab.py [--model vae|gan|both] [--samples 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)
import torch

from workbench.core.genlab.data import load_digits_set
from workbench.core.genlab.evaluation import DigitClassifier
from workbench.core.genlab.settings import GenLabSettings
from workbench.core.genlab.trainer import train
from workbench.core.jobs import drain

TRAINING_BUDGET_S = 180.0


def _train(model: str, **overrides):
    settings = GenLabSettings.for_model(model, **overrides)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = drain(train(settings))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    # CPU time shows the work itself; wall time also counts waiting for a busy, shared machine.
    print(f"{model}: trained {result.epochs_done} epochs ({result.step} steps) in {seconds:.1f} s wall, "
          f"{cpu_seconds:.1f} s CPU, load average {os.getloadavg()[0]:.1f} "
          f"[budget {TRAINING_BUDGET_S:.0f} s] with {settings}")
    return result, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("vae", "gan", "both"), default="both")
    parser.add_argument("--samples", type=int, default=1000, help="GAN samples to score")
    parser.add_argument("--seed", type=int, default=None, help="override the default training seed")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    digits = load_digits_set()
    classifier = DigitClassifier(digits)
    reference = classifier.score(digits.held_out)
    accuracy = float((classifier.labels(digits.held_out) == digits.held_out_labels).mean())
    print(f"reference real held-out ({len(digits.held_out)}): {reference.describe()}; "
          f"classifier accuracy {accuracy:.1%}")

    passed = True
    if args.model in ("vae", "both"):
        result, seconds = _train("vae", seed=args.seed)
        held_out = torch.from_numpy(digits.held_out.copy())
        reconstructions = result.model.reconstruct(held_out).numpy()
        agreement = classifier.agreement(digits.held_out, reconstructions)
        recon_accuracy = float((classifier.labels(reconstructions) == digits.held_out_labels).mean())
        ok = agreement >= 0.9 and seconds <= TRAINING_BUDGET_S
        passed &= ok
        print(f"VAE: reconstruction label == original label on {agreement:.1%} of held-out digits "
              f"(target >= 90%); true-label accuracy of reconstructions {recon_accuracy:.1%} vs originals "
              f"{accuracy:.1%} (ratio {recon_accuracy / accuracy:.3f}); reconstructions scored: "
              f"{classifier.score(reconstructions).describe()} -> {'PASS' if ok else 'FAIL'}")
    if args.model in ("gan", "both"):
        result, seconds = _train("gan", seed=args.seed)
        noise = torch.randn(args.samples, result.model.config.latent_dim, generator=torch.Generator().manual_seed(123))
        score = classifier.score(result.model.sample(noise).numpy())
        ok = score.confident_fraction >= 0.5 and score.classes_present >= 8 and seconds <= TRAINING_BUDGET_S
        passed &= ok
        print(f"GAN ({score.count} samples): {score.describe()} (targets >= 50% confident, >= 8/10 digits); "
              f"confident ratio vs real {score.confident_fraction / reference.confident_fraction:.3f} "
              f"-> {'PASS' if ok else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
