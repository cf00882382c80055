"""What the panels share: the catalog, the loaded model, news of finished runs, and the jobs.

Panels take the state in their constructor and listen to its signals; they never
talk to each other directly.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from workbench.core.catalog import Catalog
from workbench.core.loading import LoadedModel
from workbench.qt.common.jobs import JobRegistry


class AppState(QObject):
    # The model every panel works on changed (a LoadedModel, or None while nothing is loaded).
    model_changed = Signal(object)
    # A generation finished or was stopped: carries a workbench.core.generation_data.GenerationRecord.
    generation_finished = Signal(object)
    # A run from the Runs list was put back in the editor: carries a workbench.core.sessions.Run.
    run_restored = Signal(object)
    # A model was trained, checkpointed or registered: model pickers should list again.
    catalog_changed = Signal()

    def __init__(self, catalog: Catalog | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog or Catalog()
        self._loaded_model: LoadedModel | None = None
        self.jobs = JobRegistry(self)  # every job of the window and its panels: closing waits for them all

    @property
    def loaded_model(self) -> LoadedModel | None:
        return self._loaded_model

    def set_loaded_model(self, loaded: LoadedModel | None) -> None:
        self._loaded_model = loaded
        self.model_changed.emit(loaded)
