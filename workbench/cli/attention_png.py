"""Draw one attention matrix as a PNG with Pillow: what the window's heatmap shows, without Qt.

The title sits above the matrix, query tokens label the rows (first on top), key tokens the
columns (written upwards), and a colour bar on the right gives the scale from 0 to the
largest weight. Cells a causal model masks stay light grey, as in the window.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from workbench.core.attention_tokens import elide, label_stride
from workbench.core.errors import WorkbenchError

# pyqtgraph's viridis (the window's default colour map) at 17 evenly spaced points, RGB;
# interpolating between them stays within 6/255 of the full 256-entry table.
VIRIDIS = np.array(
    [
        (68, 1, 84), (72, 24, 106), (71, 45, 123), (66, 64, 134), (59, 82, 139), (51, 99, 141),
        (44, 114, 142), (38, 130, 142), (33, 145, 140), (31, 159, 136), (39, 173, 129), (61, 188, 116),
        (92, 200, 99), (129, 211, 77), (170, 220, 50), (213, 226, 26), (253, 231, 37),
    ],
    dtype=np.float64,
)
EMPTY_CELL = (230, 230, 230)
_INK = (0, 0, 0)
_BACKGROUND = (255, 255, 255)
_LABEL_PX = 12
_TITLE_PX = 16
_BAR_WIDTH = 14
_TICK = 5  # tick mark length
_GAP = 8  # between a label and what it labels
_RIGHT_MARGIN = 110  # colour bar, its tick labels and its caption
# (file, face index), tried in turn for each character: Latin fonts with wide symbol coverage (the byte labels'
# ⟨⟩) first, then Chinese ones (Noto Sans CJK's simplified-Chinese face is the third in its collection).
_FONT_FILES = (
    ("DejaVuSans.ttf", 0), ("Arial.ttf", 0), ("arial.ttf", 0), ("Helvetica.ttc", 0),
    ("NotoSansCJK-Regular.ttc", 2), ("wqy-microhei.ttc", 0), ("msyh.ttc", 0), ("PingFang.ttc", 0), ("simhei.ttf", 0),
)
_NO_SUCH_CHARACTER = "\U0010fffd"  # a private code point: every font draws it as its "missing glyph" box


def viridis(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1], any shape (...) -> colours (..., 3) uint8."""
    anchors = np.linspace(0.0, 1.0, len(VIRIDIS))
    channels = [np.interp(values, anchors, VIRIDIS[:, channel]) for channel in range(3)]
    return np.stack(channels, axis=-1).round().astype(np.uint8)


def heatmap_side(tokens: int) -> int:
    """Height of the picture: about 14 px a token, between 700 and 2000 px (its width adds 80)."""
    return min(2000, max(700, 14 * tokens + 250))


def _glyph(font, character: str) -> tuple:
    return font.getbbox(character), bytes(font.getmask(character))


class _Fonts:
    """The system's fonts at one size, drawing each character with the first that has it: no one font holds
    Latin, ⟨⟩ and Chinese. ``missing`` collects the characters none of them has (drawn as boxes)."""

    def __init__(self, size: int) -> None:
        self.fonts = []
        for name, index in _FONT_FILES:  # Pillow looks the names up in the system's font folders
            try:
                self.fonts.append(ImageFont.truetype(name, size, index=index))
            except OSError:
                continue
        self.fonts = self.fonts or [ImageFont.load_default(size)]
        self._missing_glyphs = [_glyph(font, _NO_SUCH_CHARACTER) for font in self.fonts]
        self._chosen: dict[str, ImageFont.FreeTypeFont] = {}
        self.missing: set[str] = set()
        self.ascent = max(font.getmetrics()[0] for font in self.fonts)
        self.height = self.ascent + max(font.getmetrics()[1] for font in self.fonts)

    def _font_for(self, character: str):
        if character not in self._chosen:
            having = [font for font, missing in zip(self.fonts, self._missing_glyphs)
                      if character.isspace() or _glyph(font, character) != missing]
            if not having:
                self.missing.add(character)
            self._chosen[character] = (having or self.fonts)[0]
        return self._chosen[character]

    def _runs(self, text: str) -> list[tuple[ImageFont.FreeTypeFont, str]]:
        runs: list[tuple[ImageFont.FreeTypeFont, str]] = []
        for character in text:
            font = self._font_for(character)
            if runs and runs[-1][0] is font:
                runs[-1] = (font, runs[-1][1] + character)
            else:
                runs.append((font, character))
        return runs

    def length(self, text: str) -> float:
        return sum(font.getlength(run) for font, run in self._runs(text))

    def mask(self, text: str) -> Image.Image:
        """``text`` drawn white on black, one line as tall as the fonts' tallest, on a shared baseline."""
        mask = Image.new("L", (max(1, math.ceil(self.length(text))), self.height))
        draw, x = ImageDraw.Draw(mask), 0.0
        for font, run in self._runs(text):
            draw.text((x, self.ascent), run, font=font, fill=255, anchor="ls")
            x += font.getlength(run)
        return mask


def _nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round values from 0 to ``high`` about ``count`` steps apart (0, 0.2, 0.4...)."""
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    decimals = max(0, -math.floor(math.log10(step)))
    return [round(i * step, decimals) for i in range(int(high / step + 1e-9) + 1)]


def _draw(image: Image.Image, text: str, fonts: _Fonts, x: float, y: float, anchor: str) -> None:
    """Write ``text`` with its left, middle or right (``anchor`` "l", "m", "r") at ``x``, centred on ``y``."""
    mask = fonts.mask(text)
    shift = {"l": 0.0, "m": mask.width / 2, "r": mask.width}[anchor]
    image.paste(_INK, (round(x - shift), round(y - mask.height / 2)), mask)


def _draw_upwards(image: Image.Image, text: str, fonts: _Fonts, centre_x: float, top: float) -> None:
    """Write ``text`` turned 90° anticlockwise (reading bottom to top), its end at ``top``."""
    mask = fonts.mask(text).rotate(90, expand=True)
    image.paste(_INK, (round(centre_x - mask.width / 2), round(top)), mask)


def write_heatmap_png(matrix: np.ndarray, query_labels: Sequence[str], key_labels: Sequence[str], path: Path,
                      title: str, causal: bool = False) -> set[str]:
    """Write the (queries, keys) ``matrix`` of weights to ``path`` as a labelled heatmap. Returns the characters
    of the labels that no font on this system has (drawn as boxes)."""
    rows, columns = matrix.shape
    label_font, title_font = _Fonts(_LABEL_PX), _Fonts(_TITLE_PX)
    queries, keys = [elide(label) for label in query_labels], [elide(label) for label in key_labels]
    line_height = label_font.height
    side = heatmap_side(rows)
    image = Image.new("RGB", (side + 80, side), _BACKGROUND)
    draw = ImageDraw.Draw(image)

    left = _GAP + _TICK + max((label_font.length(label) for label in queries), default=20) + _GAP
    bottom_margin = _TICK + _GAP + max((label_font.length(label) for label in keys), default=20) + _GAP
    top = _TITLE_PX + 3 * _GAP
    plot_left, plot_top = round(left), top
    plot_right, plot_bottom = image.width - _RIGHT_MARGIN, image.height - round(bottom_margin)
    cell_width, cell_height = (plot_right - plot_left) / columns, (plot_bottom - plot_top) / rows

    high = max(float(matrix.max()) if matrix.size else 1.0, 1e-6)  # masked cells hold 0: never the peak
    colours = viridis(np.clip(matrix / high, 0.0, 1.0))  # (rows, columns, 3)
    if causal:
        colours[np.triu(np.ones((rows, columns), dtype=bool), k=1)] = EMPTY_CELL  # a token cannot see later ones
    cells = Image.fromarray(colours, "RGB").resize((plot_right - plot_left, plot_bottom - plot_top), Image.NEAREST)
    image.paste(cells, (plot_left, plot_top))
    draw.rectangle((plot_left - 1, plot_top - 1, plot_right, plot_bottom), outline=_INK)
    _draw(image, title, title_font, (plot_left + plot_right) / 2, _GAP + _TITLE_PX / 2, "m")

    for row in range(0, rows, label_stride(cell_height, line_height * 1.05)):
        y = plot_top + (row + 0.5) * cell_height
        draw.line((plot_left - _TICK, y, plot_left - 1, y), fill=_INK)
        _draw(image, queries[row], label_font, plot_left - _TICK - _GAP / 2, y, "r")
    for column in range(0, columns, label_stride(cell_width, line_height * 1.05)):
        x = plot_left + (column + 0.5) * cell_width
        draw.line((x, plot_bottom, x, plot_bottom + _TICK), fill=_INK)
        _draw_upwards(image, keys[column], label_font, x, plot_bottom + _TICK + _GAP / 2)

    bar_left = plot_right + 2 * _GAP
    bar_right = bar_left + _BAR_WIDTH
    gradient = viridis(np.linspace(1.0, 0.0, plot_bottom - plot_top))[:, None, :]  # (height, 1, 3): top is high
    image.paste(Image.fromarray(gradient, "RGB").resize((_BAR_WIDTH, plot_bottom - plot_top)), (bar_left, plot_top))
    draw.rectangle((bar_left - 1, plot_top - 1, bar_right, plot_bottom), outline=_INK)
    widest_tick = 0.0
    for value in _nice_ticks(high):
        y = plot_bottom - (value / high) * (plot_bottom - plot_top)
        text = f"{value:g}"
        draw.line((bar_right, y, bar_right + _TICK, y), fill=_INK)
        _draw(image, text, label_font, bar_right + _TICK + 2, y, "l")
        widest_tick = max(widest_tick, label_font.length(text))
    caption, caption_x = "weight", bar_right + _TICK + 2 + widest_tick + _GAP + line_height / 2
    _draw_upwards(image, caption, label_font, caption_x, (plot_top + plot_bottom - label_font.length(caption)) / 2)
    try:
        image.save(path, "PNG")
    except OSError as error:
        reason = error.strerror or error
        message = f"Could not write the image {path} ({reason}): check the folder exists and is writable."
        raise WorkbenchError(message) from error
    return label_font.missing | title_font.missing
