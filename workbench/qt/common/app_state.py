"""What the panels share: the catalog, the loaded model, news of finished runs, and the jobs.

Panels take the state in their constructor and listen to its signals; they never
talk to each other directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

from workbench.core.catalog import Catalog
from workbench.core.generation_data import GenerationRequest
from workbench.core.loading import LoadedModel, LoadSettings
from workbench.core.sessions import Run
from workbench.qt.common.jobs import JobRegistry

if TYPE_CHECKING:
    from workbench.core.lens import LogitLens


@dataclass(frozen=True)
class LiveGeneration:
    """A generation as it starts: token i of sequence s sits at position len(prompt_token_ids) + i
    (the prompt's tokens include the prefill's: the answer starts with ``prefill_text``)."""

    loaded: LoadedModel
    request: GenerationRequest
    prompt_token_ids: tuple[int, ...]
    prefill_text: str = ""


@dataclass(frozen=True, eq=False)
class LensResult:
    """A logit lens the Lens page computed: ``lens.token_ids`` says which text, ``loaded`` which model."""

    loaded: LoadedModel
    lens: LogitLens
    first_position: int = 0  # the generation's position of the lens's column 0 (a long generation's last window)


class AppState(QObject):
    # The model every panel works on changed (a LoadedModel, or None while nothing is loaded).
    model_changed = Signal(object)
    # A generation started: carries a LiveGeneration (the model, the request, the prompt's token ids).
    generation_started = Signal(object)
    # Each streamed TokenEvent of the running generation, in order (with its trace).
    token_streamed = Signal(object)
    # Each step's AttentionRows while the generation streams (only while live_attention is wanted).
    attention_rows = Signal(object)
    # A generation finished or was stopped: carries a workbench.core.generation_data.GenerationRecord.
    generation_finished = Signal(object)
    # The one token selection every view follows: (sequence, position in prompt + generated tokens);
    # position -1: none.
    token_selected = Signal(int, int)
    # The Lens page finished a logit lens: carries a LensResult (the Token page shows the selected token's column).
    lens_ready = Signal(object)
    # A run from the Runs list was put back in the editor: carries a workbench.core.sessions.Run.
    run_restored = Signal(object)
    # A model was trained, checkpointed or registered: model pickers should list again.
    catalog_changed = Signal()
    # A panel asks the window to load a model: carries (ModelEntry, LoadSettings).
    open_model_requested = Signal(object, object)
    # A page's own input (kept with the session: ``keep_page_text``, the Compare page's columns) was edited.
    page_input_edited = Signal()

    def __init__(self, catalog: Catalog | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog or Catalog()
        self._loaded_model: LoadedModel | None = None
        self.jobs = JobRegistry(self)  # every job of the window and its panels: closing waits for them all
        # Panels that show attention while tokens stream say so here; generation then records the rows.
        self._live_attention_viewers: set[int] = set()
        self.selected_token: tuple[int, int] | None = None
        # What the Generate page holds, for pages that start from it (Compare); the window sets these,
        # and they are read on the GUI thread only: the editor's prompt and settings, the session's runs
        # (oldest first), the model bar's device and dtype.
        self.editor_request: Callable[[], GenerationRequest] = lambda: GenerationRequest("")
        self.session_runs: Callable[[], list[Run]] = list
        self.load_settings: Callable[[], LoadSettings] = LoadSettings
        # The pages' own inputs as the session saved them (the window sets these before any page is built),
        # and the text boxes of the pages built since, which hold the newer text.
        self.saved_page_texts: dict[str, str] = {}
        self._page_text_boxes: dict[str, QLineEdit | QPlainTextEdit] = {}
        # The Compare page's columns as the session saved them (``column_to_data``), and, once the page is built,
        # its columns as they are now.
        self.saved_compare_columns: list[dict] = []
        self.compare_columns: Callable[[], list[dict]] = lambda: self.saved_compare_columns

    def keep_page_text(self, page: str, box: QLineEdit | QPlainTextEdit) -> None:
        """Keep ``box``'s text with the session under ``page``: the box gets the text saved there now, and
        what is typed into it is saved like the Generate page's prompt."""
        if text := self.saved_page_texts.get(page, ""):
            box.setText(text) if isinstance(box, QLineEdit) else box.setPlainText(text)
        self._page_text_boxes[page] = box
        box.textChanged.connect(lambda *_: self.page_input_edited.emit())

    def page_texts(self) -> dict[str, str]:
        """Each page's input as it is now, for the session (a page not built yet keeps its saved text)."""
        return self.saved_page_texts | {
            page: box.text() if isinstance(box, QLineEdit) else box.toPlainText()
            for page, box in self._page_text_boxes.items()}

    @property
    def live_attention(self) -> bool:
        return bool(self._live_attention_viewers)

    def want_live_attention(self, viewer: QObject, wanted: bool) -> None:
        """``viewer`` shows attention as it streams (True while it is visible)."""
        if wanted:
            self._live_attention_viewers.add(id(viewer))
        else:
            self._live_attention_viewers.discard(id(viewer))

    def select_token(self, sequence: int, position: int) -> None:
        """Select a token in every view; selecting the selected token again does nothing."""
        if self.selected_token != (sequence, position):
            self.selected_token = (sequence, position)
            self.token_selected.emit(sequence, position)

    def clear_selection(self) -> None:
        """No token selected: every view unmarks (``token_selected`` carries position -1)."""
        if self.selected_token is not None:
            self.selected_token = None
            self.token_selected.emit(-1, -1)

    @property
    def loaded_model(self) -> LoadedModel | None:
        return self._loaded_model

    def set_loaded_model(self, loaded: LoadedModel | None) -> None:
        self._loaded_model = loaded
        self.model_changed.emit(loaded)
