"""torch's default random streams (one per device) belong to the whole process, every thread included.

The window generates while a run trains on another thread: a seeded sampling, the run's dropout, its evaluation
sample and a new model's first weights drew from the same stream in turn, so none gave what its seed promised.
Whoever seeds that stream or draws from it holds ``process_random_stream()`` meanwhile; a trainer keeps its
dropout stream's state apart between its steps and puts it in place only while it holds the stream
(``device_streams``, ``set_device_streams``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

_HELD = threading.RLock()  # re-entrant: code that holds it may call code that holds it too, on its thread
_POLL_S = 0.05


@contextmanager
def process_random_stream(stop: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold torch's default streams while seeding or drawing from them. While another holds them, ``stop`` is
    called every ``_POLL_S``: it raises to give up waiting (a Stop pressed meanwhile stops at once)."""
    while not _HELD.acquire(timeout=_POLL_S):
        stop()
    try:
        yield
    finally:
        _HELD.release()


def device_streams(device: torch.device) -> dict[str, torch.Tensor]:
    """The state of the default streams ``device`` draws from: the CPU's, and the GPU's on CUDA."""
    streams = {"torch_rng": torch.get_rng_state()}
    if device.type == "cuda":
        streams["cuda_rng"] = torch.cuda.get_rng_state(device)
    return streams


def set_device_streams(streams: dict[str, torch.Tensor], device: torch.device) -> None:
    torch.set_rng_state(streams["torch_rng"])
    if device.type == "cuda" and "cuda_rng" in streams:
        torch.cuda.set_rng_state(streams["cuda_rng"], device)
