"""A titled grid of small grayscale images (samples, reconstructions, interpolations) in one pyqtgraph ImageItem."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.core.genlab.images import tile_grid


class ImageGridView(QWidget):
    """Shows (N, H, W) images in [0, 1] tiled ``columns`` wide, square pixels, no axes."""

    def __init__(self, title: str, columns: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.title_label = QLabel(title)
        self.title_label.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.view_box = self.graphics.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.view_box.setMenuEnabled(False)
        # Row-major: image[row, column] as numpy holds it; fixed levels so a dim grid stays dim.
        self.image_item = pg.ImageItem(axisOrder="row-major", levels=(0.0, 1.0))
        self.view_box.addItem(self.image_item)
        self.placeholder = pg.TextItem("", color="#666666", anchor=(0.5, 0.5))
        self.view_box.addItem(self.placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.graphics, 1)
        self.grid: np.ndarray | None = None

    def set_title(self, title: str) -> None:
        self.title_label.setText(title)

    def set_images(self, images: np.ndarray) -> None:
        self.grid = tile_grid(images, self.columns)  # (rows*(H+1)-1, cols*(W+1)-1)
        self.image_item.setImage(self.grid, levels=(0.0, 1.0), autoLevels=False)
        self.image_item.setVisible(True)
        self.placeholder.setText("")
        self.view_box.autoRange(padding=0.02)

    def show_message(self, text: str) -> None:
        """Replace the images by a short explanation (nothing to show yet, or not for this model)."""
        self.grid = None
        self.image_item.setVisible(False)
        self.placeholder.setText(text)
        self.placeholder.setPos(0, 0)
        self.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
