"""Tile images into one grid and write it as a grayscale PNG (zlib only: no Qt, no Pillow)."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

import numpy as np

from workbench.core.atomic import write_bytes_atomic


def tile_grid(images: np.ndarray, columns: int | None = None, padding: int = 1, background: float = 0.5) -> np.ndarray:
    """(N, H, W) values in [0, 1] -> one (rows*(H+p)-p, cols*(W+p)-p) image; a square-ish grid by default."""
    count, height, width = images.shape
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    grid = np.full((rows * (height + padding) - padding, columns * (width + padding) - padding), background, np.float32)
    for index, image in enumerate(images):
        top, left = (index // columns) * (height + padding), (index % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def interleave(originals: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Two (N, H, W) stacks -> (2N, H, W): original, reconstruction, original, ... so each pair sits side by side."""
    return np.stack([originals, reconstructions], axis=1).reshape(-1, *originals.shape[1:])


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """(H, W) values in [0, 1] -> an 8-bit grayscale PNG, each pixel repeated ``scale`` times per side."""
    pixels = np.clip(np.rint(np.asarray(image, np.float32) * 255), 0, 255).astype(np.uint8)
    pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)  # (H*scale, W*scale)
    height, width = pixels.shape
    # Each scanline starts with filter type 0 (none).
    raw = np.hstack([np.zeros((height, 1), np.uint8), pixels]).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit, grayscale, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_png(path: str | Path, image: np.ndarray, scale: int = 1) -> None:
    write_bytes_atomic(Path(path), png_bytes(image, scale))
