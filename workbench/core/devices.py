"""Which devices and dtypes this machine offers, and what "auto" means on it: the one place
that asks torch about CUDA and MPS.

torch takes seconds to import and the window lists these choices at start-up, so it is
imported by the functions that ask it, never by this module."""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING

from workbench.core.errors import ModelLoadError
from workbench.core.i18n import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    import torch

DTYPES = ("float32", "bfloat16", "float16")  # names of torch dtypes
EVERY_MACHINE_DEVICES = ("auto", "cpu")  # offered without asking torch


def available_devices() -> list[str]:
    """The device choices a form offers: auto, cpu, then each GPU this machine has."""
    import torch

    devices = list(EVERY_MACHINE_DEVICES)
    if torch.cuda.is_available():
        devices += ["cuda"] + [f"cuda:{index}" for index in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(name: str) -> torch.device:
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ModelLoadError(
            QT_TRANSLATE_NOOP("Errors", "Unknown device '{name}': use auto, cpu, cuda, cuda:N or mps.").fill(name=name)
        ) from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(
            QT_TRANSLATE_NOOP("Errors", "CUDA was asked for, but this torch build or machine has no usable CUDA GPU.")
        )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ModelLoadError(
            QT_TRANSLATE_NOOP("Errors", "MPS was asked for, but it is only available on Apple silicon Macs.")
        )
    return device


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    import torch

    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if device.type == "mps":
            return torch.float16
        return torch.float32
    if name not in DTYPES:
        raise ModelLoadError(
            QT_TRANSLATE_NOOP("Errors", "Unknown dtype '{name}': use auto, {dtypes}.").fill(
                name=name, dtypes=", ".join(DTYPES)
            )
        )
    return getattr(torch, name)


def free_device_memory(device: torch.device) -> None:
    import torch

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()


def free_memory_bytes(device: torch.device) -> int | None:
    """Memory free for new tensors on ``device`` now; None where it cannot be told."""
    if device.type == "cuda":
        import torch

        return torch.cuda.mem_get_info(device)[0]
    if device.type != "cpu":
        return None
    try:  # Linux: MemAvailable counts the page cache the kernel gives back, which "free" pages do not
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


# A model opened beside a training run needs its weights and about as much again (activations,
# attention captures), and the run's own memory must keep some room to move.
BESIDE_TRAINING_MARGIN = 2.0


def device_beside_training(training_device: torch.device, weights_bytes: int) -> torch.device:
    """Where a model of ``weights_bytes`` opens while a run trains on ``training_device``: on that
    device when its free memory holds the weights twice over, else on the CPU."""
    import torch

    if training_device.type == "cpu":
        return training_device
    free = free_memory_bytes(training_device)
    if free is not None and free >= BESIDE_TRAINING_MARGIN * weights_bytes:
        return training_device
    return torch.device("cpu")
