"""The inspector panels the main window shows as tabs.

Each panel class takes ``(state: AppState, parent=None)`` and has ``shutdown()``,
which stops its work cleanly and waits; the main window calls it on close.
Add a panel here: one entry.

The panels import torch, pyqtgraph and the trainers: seconds the window does not wait for
at start-up. Each tab is a ``LazyPanel`` that builds its panel when the tab is first painted
or once a model is loaded (torch is in memory then), whichever comes first. A tab painted
before that imports its panel's module on a job's thread, showing "Loading the panel…", and
builds the panel on the GUI thread once the import is done: the GUI thread never imports torch.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Generator

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from workbench.core.jobs import CancelToken
from workbench.core.loading import LoadedModel
from workbench.core.transformers_helpers import imports_in_turn
from workbench.qt.common.app_state import AppState
from workbench.qt.common.focus import focus_first_control, focus_is_on_a_control_in
from workbench.qt.common.jobs import Job

BUSY_BAR_WIDTH = 240  # pixels: a bar that moves, not a page-wide stripe

# (tab title, module, class), in the order the tabs appear.
_PANELS = (
    (QT_TRANSLATE_NOOP("InspectorPanels", "Attention"), "workbench.qt.attention.panel", "AttentionPanel"),
    (QT_TRANSLATE_NOOP("InspectorPanels", "Token"), "workbench.qt.token.panel", "TokenPanel"),
    (QT_TRANSLATE_NOOP("InspectorPanels", "Lens"), "workbench.qt.lens.panel", "LensPanel"),
    (QT_TRANSLATE_NOOP("InspectorPanels", "Compare"), "workbench.qt.compare.panel", "ComparePanel"),
    (QT_TRANSLATE_NOOP("InspectorPanels", "Training"), "workbench.qt.training.panel", "TrainingPanel"),
    (QT_TRANSLATE_NOOP("InspectorPanels", "Generative lab"), "workbench.qt.genlab.panel", "GenLabPanel"),
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("InspectorPanels", text)


def _import_module(name: str, _cancel: CancelToken) -> Generator[None, None, ModuleType]:
    """A job (a generator, like every job) that only imports: an import cannot stop halfway."""
    yield from ()
    with imports_in_turn():  # a model may be loading meanwhile
        return importlib.import_module(name)


class LazyPanel(QWidget):
    """Stands in for a panel until it is built; ``panel`` is the real one (None before)."""

    def __init__(self, state: AppState, module: str, class_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.panel: QWidget | None = None
        self._module, self._class_name = module, class_name
        self._import_started = False
        self._importing = Job(state.jobs, parent=self)
        self._importing.finished.connect(self._on_imported)
        self._importing.failed.connect(self._show_import_failure)
        # A first start imports torch and its libraries here: seconds on a laptop, more on a busy one.
        self._waiting = QWidget()
        self._waiting_label = QLabel(QCoreApplication.translate(
            "InspectorPanels", "Loading the panel: the first time, torch and its libraries take a few seconds…"))
        self._waiting_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._waiting_label.setWordWrap(True)
        self._busy = busy = QProgressBar()
        busy.setRange(0, 0)  # no percentage to give: it moves, so the page is not taken for frozen
        busy.setMaximumWidth(BUSY_BAR_WIDTH)
        waiting_layout = QVBoxLayout(self._waiting)
        waiting_layout.addStretch(1)
        waiting_layout.addWidget(self._waiting_label)
        waiting_layout.addWidget(busy, 0, Qt.AlignmentFlag.AlignHCenter)
        waiting_layout.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._waiting)
        state.model_changed.connect(self._on_model_changed)

    def build(self) -> QWidget:
        """The real panel, built now if it was not yet (importing its module here if its job has not)."""
        if self.panel is None:
            self.state.model_changed.disconnect(self._on_model_changed)
            panel_class = getattr(importlib.import_module(self._module), self._class_name)
            self.panel = panel_class(self.state, self)
            self._waiting.hide()
            self.layout().addWidget(self.panel)
            if self.isVisible():  # its page is on screen, waiting: once the panel shows, it takes the keyboard
                QTimer.singleShot(0, self, self._take_the_keyboard)
        return self.panel

    def _on_imported(self, _module: ModuleType) -> None:
        # Closing delivers the import's end after the panels were shut down: a panel built then would never be.
        if not self.state.jobs.closing:
            self.build()

    def _take_the_keyboard(self) -> None:
        if not focus_is_on_a_control_in(self.window()):  # not from a control the person is using meanwhile
            focus_first_control(self.panel)

    def shutdown(self) -> None:
        if self.panel is not None:
            self.panel.shutdown()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.panel is None and not self._import_started:
            self._import_started = True
            QTimer.singleShot(0, self, self._start_import)  # after this paint, so the window is on screen first

    def _start_import(self) -> None:
        # On a job's thread: importing torch takes seconds, and the window keeps painting meanwhile.
        self._importing.start(lambda cancel: _import_module(self._module, cancel))

    def _show_import_failure(self, message: str) -> None:
        self._waiting_label.setText(
            QCoreApplication.translate("InspectorPanels", "The panel could not be loaded: {0}").format(message))
        self._busy.hide()

    def _on_model_changed(self, loaded: LoadedModel | None) -> None:
        if loaded is not None:
            self.build()


def inspector_panels(state: AppState) -> list[tuple[str, QWidget]]:
    """(tab title, panel) pairs, in the order the tabs appear."""
    return [(_tr(title), LazyPanel(state, module, class_name)) for title, module, class_name in _PANELS]
