"""Help → About: what the workbench is, what it runs on, and where it keeps its files (the first
things a bug report or a clean-up needs)."""

from __future__ import annotations

import html
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import PySide6
from PySide6.QtCore import QCoreApplication, Qt, QUrl, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from workbench import __version__
from workbench.core.devices import available_devices
from workbench.core.paths import cache_dir, config_dir, data_dir

LIBRARIES = ("torch", "transformers", "tokenizers", "pyqtgraph")  # distributions (PySide6 installs as Essentials)


def _library_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return QCoreApplication.translate("About", "not installed")


def _folder_line(label: str, path: Path) -> str:
    link = f'<a href="{QUrl.fromLocalFile(str(path)).toString()}">{html.escape(str(path))}</a>'
    return f"{html.escape(label)}: {link}"


def about_text() -> str:
    """The About page as rich text."""
    libraries = " · ".join([f"PySide6 {PySide6.__version__} (Qt {qVersion()})"]
                           + [f"{name} {html.escape(_library_version(name))}" for name in LIBRARIES])
    devices = ", ".join(device for device in available_devices() if device != "auto")
    summary = QCoreApplication.translate(
        "About", "Watch language models generate, token by token, and look inside: what the raw model wanted and "
        "what each sampling filter did, where each head looked, at which layer the answer formed, what another "
        "branch or model would have said, and what a model learns while it trains.")
    folders = "<br>".join((
        _folder_line(QCoreApplication.translate("About", "Data (session, trained models)"), data_dir()),
        _folder_line(QCoreApplication.translate("About", "Settings"), config_dir()),
        _folder_line(QCoreApplication.translate("About", "Cache (can be deleted)"), cache_dir()),
    ))
    name = QCoreApplication.translate("About", "Generation Workbench")
    devices_label = QCoreApplication.translate("About", "Devices")
    return (
        f"<h3>{html.escape(name)} {__version__}</h3>"
        f"<p>{html.escape(summary)}</p>"
        f"<p>Python {platform.python_version()} · {libraries}<br>"
        f"{html.escape(devices_label)}: {html.escape(devices)}</p>"
        f"<p>{folders}</p>"
    )


def show_about(parent: QWidget) -> QMessageBox:
    """A modeless About box; its folder links open in the file manager."""
    box = QMessageBox(QMessageBox.Icon.Information, QCoreApplication.translate("About", "About Generation Workbench"),
                      about_text(), parent=parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    box.setModal(False)
    box.show()
    return box
