"""Image sets for the lab: scikit-learn's 8x8 digits with a fixed split, or a folder of user images."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from workbench.core import paths
from workbench.core.errors import InvalidInputError
from workbench.core.genlab.settings import uses_digits
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text

# The split never changes, so held-out scores are comparable between runs and machines.
SPLIT_SEED = 20240607
HELD_OUT_FRACTION = 0.2
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm")
MIN_FOLDER_IMAGES = 10


@dataclass(frozen=True)
class ImageSet:
    """Flattened grayscale images with pixel values in [0, 1]; labels only for labelled sets."""

    name: str
    image_shape: tuple[int, int]  # (H, W)
    train: np.ndarray  # (N_train, H*W) float32
    held_out: np.ndarray  # (N_held_out, H*W) float32
    train_labels: np.ndarray | None = None  # (N_train,) int
    held_out_labels: np.ndarray | None = None  # (N_held_out,) int

    def as_images(self, flat: np.ndarray) -> np.ndarray:
        """(N, H*W) -> (N, H, W)."""
        return flat.reshape(-1, *self.image_shape)


@lru_cache(maxsize=1)
def load_digits_set() -> ImageSet:
    """scikit-learn's handwritten digits (1,797 images, ink 0..16 scaled to [0, 1]), stratified 80/20."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    pixels = (digits.data / 16.0).astype(np.float32)  # (1797, 64)
    train, held_out, train_labels, held_out_labels = train_test_split(
        pixels, digits.target, test_size=HELD_OUT_FRACTION, random_state=SPLIT_SEED, stratify=digits.target
    )
    for array in (train, held_out, train_labels, held_out_labels):
        array.setflags(write=False)  # shared through the cache: nobody may change it
    return ImageSet("digits", (8, 8), train, held_out, train_labels, held_out_labels)


def _read_grayscale(path: Path, size: int) -> np.ndarray:
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as error:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Reading an image folder needs Pillow: pip install pillow.")
        ) from error
    try:
        with Image.open(path) as image:
            small = image.convert("L").resize((size, size), Image.Resampling.LANCZOS)
            return np.asarray(small, dtype=np.float32).reshape(-1) / 255.0  # (size*size,)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        # DecompressionBombError: Pillow refuses an image too big to open safely (over 179 million pixels).
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Cannot read '{name}' as an image ({reason}); remove or fix it.").fill(
                name=path.name, reason=str(error)
            )
        ) from error


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def image_folder_problem(folder: str | Path) -> Text | None:
    """Why ``folder`` cannot be the lab's images, found by listing it (no image is read), or None: the window
    says it before Start, not after."""
    try:
        folder = paths.usable(Path(folder).expanduser())
    except InvalidInputError as error:
        return error.args[0]
    if not folder.is_dir():
        return QT_TRANSLATE_NOOP("Errors", "Image folder '{folder}' does not exist or is not a folder.").fill(
            folder=folder
        )
    count = len(_image_files(folder))
    if count == 1:
        return QT_TRANSLATE_NOOP(
            "Errors", "Image folder '{folder}' has 1 image file; the lab needs at least {minimum}."
        ).fill(folder=folder, minimum=MIN_FOLDER_IMAGES)
    if count < MIN_FOLDER_IMAGES:
        return QT_TRANSLATE_NOOP(
            "Errors", "Image folder '{folder}' has {count} image files; the lab needs at least {minimum}."
        ).fill(folder=folder, count=count, minimum=MIN_FOLDER_IMAGES)
    return None


def load_image_folder(folder: str | Path, size: int = 8) -> ImageSet:
    """Every image file in ``folder`` (not sub-folders), grayscale, resized to size x size.

    An image file that cannot be decoded stops the load with a message naming it, so a
    run never trains on a silently smaller set than the user thinks."""
    folder = Path(folder).expanduser()
    problem = image_folder_problem(folder)
    if problem is not None:
        raise InvalidInputError(problem)
    if not 4 <= size <= 64:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Image size {size} is out of range: choose 4 to 64 pixels.").fill(size=size)
        )
    files = _image_files(folder)
    pixels = np.stack([_read_grayscale(path, size) for path in files])  # (N, size*size)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(pixels))
    n_held_out = max(1, round(len(pixels) * HELD_OUT_FRACTION))
    held_out, train = pixels[order[:n_held_out]], pixels[order[n_held_out:]]
    return ImageSet(folder.name, (size, size), train, held_out)


def load_image_set(images: str | None, size: int = 8) -> ImageSet:
    """``None`` or "digits" -> the digits set (``uses_digits``); anything else is a folder of images."""
    if uses_digits(images):
        return load_digits_set()
    return load_image_folder(images, size)
