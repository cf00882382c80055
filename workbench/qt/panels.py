"""The inspector panels the main window shows as tabs.

Each panel class takes ``(state: AppState, parent=None)`` and has ``shutdown()``,
which stops its work cleanly and waits; the main window calls it on close.
Add a panel here: one import and one entry.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from workbench.qt.attention.panel import AttentionPanel
from workbench.qt.common.app_state import AppState
from workbench.qt.genlab.panel import GenLabPanel
from workbench.qt.training.panel import TrainingPanel


def _tr(text: str) -> str:
    return QCoreApplication.translate("InspectorPanels", text)


def inspector_panels(state: AppState) -> list[tuple[str, QWidget]]:
    """(tab title, panel) pairs, in the order the tabs appear."""
    panels: list[tuple[str, QWidget]] = []
    panels.append((_tr("Attention"), AttentionPanel(state)))
    panels.append((_tr("Training"), TrainingPanel(state)))
    panels.append((_tr("Generative lab"), GenLabPanel(state)))
    return panels
