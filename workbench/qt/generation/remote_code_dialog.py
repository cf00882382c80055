"""Asks before a model's own Python code runs: the files are named, and their code can be read first."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from workbench.qt.common.language import translated
from workbench.qt.generation.model_loader import RemoteCodeRequest

_SHOWN_CHARACTERS = 20_000  # enough to read a modelling file; the rest stays on disk


def _code_of(files: tuple[str, ...]) -> str:
    parts = []
    for name in files:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[:_SHOWN_CHARACTERS]
        except OSError:
            text = QCoreApplication.translate(
                "RemoteCodeDialog", "(downloaded from the hub when the model loads: not on this machine yet)"
            )
        parts.append(f"# ---- {name}\n{text}")
    return "\n\n".join(parts)


def confirm_remote_code(parent: QWidget, request: RemoteCodeRequest) -> bool:
    title = QCoreApplication.translate("RemoteCodeDialog", "Run this model's own code?")
    box = QMessageBox(QMessageBox.Icon.Warning, title, "", parent=parent)
    box.setText(QCoreApplication.translate("RemoteCodeDialog",
        "{name} ships its own Python code. Loading it runs that code on this computer, with your rights:\n\n{files}\n\n"
        "Read it (Show Details) and load only a model you trust."
    ).format(name=translated(request.entry.name), files="\n".join(request.files)))
    box.setDetailedText(_code_of(request.files))
    load = box.addButton(QCoreApplication.translate("RemoteCodeDialog", "Run the code and load"),
                         QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    allowed = box.clickedButton() is load
    box.deleteLater()  # Qt's, on this thread: not left to the garbage collector's
    return allowed
