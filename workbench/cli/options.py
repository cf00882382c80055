"""Command-line options that several commands share, spelled the same everywhere."""

from __future__ import annotations

import argparse

DEVICE_HELP = "auto, cpu, cuda, cuda:N or mps"


def add_device_argument(parser: argparse.ArgumentParser, default: str | None = "auto") -> None:
    """``--device``; ``default=None`` leaves the choice to the command's settings."""
    parser.add_argument("--device", default=default, help=DEVICE_HELP)
