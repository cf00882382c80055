"""Save to a file the person picks: one dialog, and one status line for how it went."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QWidget

from workbench.core.errors import WorkbenchError
from workbench.qt.common.language import error_text


def save_image(image: QPixmap, path: Path) -> None:
    """Write ``image`` (a widget's ``grab()``) to ``path`` as a PNG, or raise a message a person can act on."""
    if not image.save(str(path), "PNG"):
        raise WorkbenchError(
            QCoreApplication.translate(
                "Export", "Could not write the image {0}: check the folder exists and is writable."
            ).format(path)
        )


def ask_and_save(
    parent: QWidget,
    title: str,
    default_name: str,
    file_filter: str,
    save: Callable[[Path], None],
    report: Callable[[str, bool], None],
) -> None:
    """Ask for a file name, then ``save`` there; ``report(message, is_error)`` gets one line
    (nothing when the person closed the dialog). A failed save is a message, never a dialog. A name typed
    without a suffix gets the default name's (not every dialog adds it)."""
    name, _ = QFileDialog.getSaveFileName(parent, title, default_name, file_filter)
    if not name:
        return
    if not Path(name).suffix:
        name += Path(default_name).suffix
    try:
        save(Path(name))
    except (WorkbenchError, OSError) as error:
        report(error_text(error), True)
    else:
        report(QCoreApplication.translate("Export", "Saved {0}").format(name), False)
