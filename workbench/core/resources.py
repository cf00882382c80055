"""The data the package ships, found through ``importlib.resources`` so a normal install has it too."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _packaged(*parts: str) -> Path:
    # Wheels install as plain folders, so the packaged file is a real path a trainer can open.
    return Path(str(files("workbench.resources").joinpath(*parts)))


def sample_corpus() -> Path:
    """The Tang-poem corpus (MIT), the studio's "Try it" data."""
    return _packaged("corpora", "tang300.txt")


def sample_prompts_file() -> Path:
    return _packaged("prompts", "samples.json")
