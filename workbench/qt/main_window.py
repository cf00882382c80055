"""The window a person lives in: model bar on top, then pages switched with Ctrl+1, Ctrl+2...:
"Generate" (prompt and decoding controls on the left, the streamed output in the centre, the
runs and the tree of generations in docks, two branches side by side in a dock below) and one
page per inspector panel (attention, training, the lab).

The window is assembly: the model loader and the generation controller run the jobs;
the window wires its widgets to their signals, keeps the session and closes cleanly.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from pathlib import Path

from PySide6.QtCore import QByteArray, QEventLoop, QPoint, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qdebounced, qthrottled

from workbench.core import paths
from workbench.core.decoding import MODE_DEFAULTS, DecodingSettings
from workbench.core.errors import InvalidInputError, InvalidSettingsError
from workbench.core.generation_data import (
    COUNTING_TOKENS,
    GenerationRecord,
    GenerationRequest,
    TokenEvent,
    prompt_token_count,
)
from workbench.core.jobs import drain
from workbench.core.loading import LoadedModel, LoadSettings
from workbench.core.sessions import (
    EditorState,
    Run,
    RunSequence,
    Session,
    open_session,
    run_from_record,
    save_session,
    settings_from_dict,
    settings_to_dict,
    token_from_event,
)
from workbench.core.tree import GenerationTree
from workbench.qt.about import show_about
from workbench.qt.common.app_state import AppState, LiveGeneration
from workbench.qt.common.focus import focus_first_control, focus_is_on_a_control_in
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import (
    LANGUAGES,
    SYSTEM,
    choose_language,
    chosen_language,
    effective_language,
    error_text,
    translated,
)
from workbench.qt.common.settings_store import app_settings
from workbench.qt.common.theme import warning_color
from workbench.qt.generation.controller import GenerationController
from workbench.qt.generation.decoding_panel import DecodingPanel
from workbench.qt.generation.entropy_strip import EntropyStrip
from workbench.qt.generation.model_loader import ModelLoader, RemoteCodeRequest
from workbench.qt.generation.model_picker import ModelPicker
from workbench.qt.generation.output_view import OutputView, shown_token
from workbench.qt.generation.prompt_editor import PromptEditor
from workbench.qt.generation.remote_code_dialog import confirm_remote_code
from workbench.qt.generation.runs_panel import RunsPanel
from workbench.qt.panels import inspector_panels
from workbench.qt.tree.dock import TreeDock
from workbench.qt.tree.fork_popup import ForkChoice, ForkPopup, alternatives
from workbench.qt.tree.keeper import TreeKeeper
from workbench.qt.tree.side_by_side import SideBySideView

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 1000  # the session is on disk within about a second of any change
TOKEN_COUNT_DELAY_MS = 250  # recount prompt tokens once typing pauses
LONG_PROMPT_CHARS = 20_000  # a prompt this long is counted on a worker: encoding it takes tens of ms or more
# Passed to saveState/restoreState: bumped whenever the docks or pages change, so that a layout
# saved by an older version is ignored instead of misapplied.
LAYOUT_VERSION = 4
_DOCK = QDockWidget.DockWidgetFeature
LOCKED_DOCK = _DOCK.DockWidgetClosable
UNLOCKED_DOCK = LOCKED_DOCK | _DOCK.DockWidgetMovable | _DOCK.DockWidgetFloatable


class MessageBanner(QWidget):
    """A dismissable one-line message above the output: errors never need a dialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip(self.tr("Dismiss this message"))
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 2, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, problem: bool = True) -> None:
        colour = warning_color(self.palette()).name() if problem else ""
        self.label.setStyleSheet(f"color: {colour};" if colour else "")
        self.label.setText(("⚠ " if problem else "") + text)
        self.show()


class MainWindow(QMainWindow):
    def __init__(self, state: AppState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Generation Workbench"))
        self._started_language = chosen_language()
        self.state = state or AppState()
        self.store = app_settings()
        self.session = Session()
        self._prompt_problem = ""
        self._prompt_counted = True  # the editor's text as it is now has been counted (a long one on a worker)
        self._shut_down = False
        self.prompt_length = 0  # of the generation on screen: its first generated token is at this position
        # Said over the next answer, from its start to its end (Continue kept a typed prompt), and that answer's.
        self._next_answer_note = ""
        self._answer_note = ""
        # The token ids on screen, per sequence (prompt + answer); empty for a restored run, which keeps none.
        self.shown_ids: list[list[int]] = []
        self.shown_run_id = ""  # the run whose answer is on screen, shown again at the next start
        self.shown_node: tuple[GenerationTree, str] | None = None  # the tree node whose answer is on screen
        self.fork_popup: ForkPopup | None = None

        self.loader = ModelLoader(self.state.jobs, self)
        self.generation = GenerationController(self.state, self)
        self.trees = TreeKeeper(self.state, self.generation, self)
        self._build_widgets()
        self._build_pages()
        self.state.editor_request = self._request_from_editor
        self.state.session_runs = self.runs_panel.runs
        self.state.load_settings = self.model_picker.load_settings
        self._build_menus()
        self._connect()
        self._restore_layout()
        self._open_session()
        self._on_model_changed(self.state.loaded_model)
        # The window opens with the keyboard in the prompt, not in the model list (first in the Tab order),
        # where typing searches models.
        self.prompt_editor.prompt_edit.setFocus()

    # --- building ---------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.model_picker = ModelPicker(self.state.catalog)
        model_bar = QToolBar(self.tr("Model"))
        model_bar.setObjectName("model_bar")
        model_bar.setMovable(False)
        model_bar.addWidget(self.model_picker)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, model_bar)

        self.prompt_editor = PromptEditor()
        self.decoding_panel = DecodingPanel(self.store)
        self.decoding_scroll = QScrollArea()
        self.decoding_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its controls take the focus, not its frame
        self.decoding_scroll.setWidgetResizable(True)
        self.decoding_scroll.setWidget(self.decoding_panel)
        self.decoding_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.decoding_scroll.setMinimumWidth(self.decoding_panel.minimumSizeHint().width() + 24)

        self.generate_button = QPushButton(self.tr("Generate"))
        self.generate_button.setToolTip(self.tr("Generate a continuation of the prompt (Ctrl+Enter)."))
        self.generate_button.setDefault(True)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop generating and keep what was written so far (Esc)."))
        self.regenerate_button = QPushButton(self.tr("Regenerate"))
        self.regenerate_button.setToolTip(self.tr(
            "Run the last prompt again with the current settings: a new seed, unless the seed is locked. An answer "
            "forked in the Tree gets a sibling where it forked (Ctrl+R)."))
        self.continue_button = QPushButton(self.tr("Continue"))
        self.continue_button.setToolTip(self.tr(
            "Let the model go on from the answer: the prompt stays, and the answer so far becomes Answer starts "
            "with… (Ctrl+Shift+Enter)."))
        buttons = QHBoxLayout()
        for button in (self.generate_button, self.stop_button, self.regenerate_button, self.continue_button):
            buttons.addWidget(button)
        self.blocked_label = QLabel()
        self.blocked_label.setWordWrap(True)

        prompt_side = QWidget()
        prompt_layout = QVBoxLayout(prompt_side)
        prompt_layout.setContentsMargins(6, 6, 6, 6)
        prompt_layout.addWidget(self.prompt_editor, 1)
        prompt_layout.addLayout(buttons)
        prompt_layout.addWidget(self.blocked_label)

        # The prompt keeps its natural height; the decoding settings fill the rest of the column.
        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.setChildrenCollapsible(False)
        self.left_splitter.addWidget(prompt_side)
        self.left_splitter.addWidget(self.decoding_scroll)
        self.left_splitter.setStretchFactor(0, 0)
        self.left_splitter.setStretchFactor(1, 1)

        self.banner = MessageBanner()
        self.output_view = OutputView()
        self.entropy_strip = EntropyStrip()
        output_side = QWidget()
        output_layout = QVBoxLayout(output_side)
        output_layout.setContentsMargins(6, 6, 6, 6)
        output_layout.addWidget(self.banner)
        output_layout.addWidget(self.output_view, 1)
        output_layout.addWidget(self.entropy_strip)
        # A main window of its own, for the side-by-side dock: under the output, the prompt and decoding
        # column keeps its height (a dock of the page would take the whole width).
        self.output_page = QMainWindow()
        self.output_page.setWindowFlags(Qt.WindowType.Widget)
        self.output_page.setObjectName("output_page")
        self.output_page.setCentralWidget(output_side)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.left_splitter)
        self.main_splitter.addWidget(self.output_page)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([420, 800])

        self.ttft_label = QLabel()
        self.ttft_label.setToolTip(self.tr("Time to first token: how long the model took to start answering."))
        self.speed_label = QLabel()
        self.speed_label.setToolTip(self.tr("Generated tokens per second."))
        self.statusBar().addPermanentWidget(self.ttft_label)
        self.statusBar().addPermanentWidget(self.speed_label)

        # A throttle, not a debounce: typing on never holds the save back past a second of the first change.
        self._schedule_autosave = qthrottled(self.save_session_now, timeout=AUTOSAVE_DELAY_MS, leading=False)
        self._schedule_token_count = qdebounced(self._count_prompt_tokens, timeout=TOKEN_COUNT_DELAY_MS)
        self.token_count_job = Job(self.state.jobs, parent=self)
        self.token_count_job.finished.connect(self._show_prompt_count)
        self.token_count_job.failed.connect(self._show_prompt_problem)

    def _build_pages(self) -> None:
        # The Generate page is a main window of its own, so that its Runs dock is not on the other pages.
        self.generate_page = QMainWindow()
        self.generate_page.setWindowFlags(Qt.WindowType.Widget)
        self.generate_page.setObjectName("generate_page")
        self.generate_page.setCentralWidget(self.main_splitter)
        self.runs_panel = RunsPanel()
        self.runs_dock = QDockWidget(self.tr("Runs"), self.generate_page)
        self.runs_dock.setObjectName("runs_dock")
        self.runs_dock.setWidget(self.runs_panel)
        self.runs_dock.setFeatures(LOCKED_DOCK)  # a drag near its edge must not tear it off
        self.generate_page.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.runs_dock)
        self.tree_dock_widget = TreeDock(self.state, self.trees)
        self.tree_dock = QDockWidget(self.tr("Tree"), self.generate_page)
        self.tree_dock.setObjectName("tree_dock")
        self.tree_dock.setWidget(self.tree_dock_widget)
        self.tree_dock.setFeatures(LOCKED_DOCK)
        self.generate_page.splitDockWidget(self.runs_dock, self.tree_dock, Qt.Orientation.Vertical)
        self.side_by_side = SideBySideView(self.state)
        self.side_by_side_dock = QDockWidget(self.tr("Branches side by side"), self.output_page)
        self.side_by_side_dock.setObjectName("side_by_side_dock")
        self.side_by_side_dock.setWidget(self.side_by_side)
        self.side_by_side_dock.setFeatures(LOCKED_DOCK)
        self.output_page.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.side_by_side_dock)
        self.side_by_side_dock.hide()  # until two branches are compared (its state is not saved: it would reopen empty)

        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.generate_page, self.tr("Generate"))
        self.panels = inspector_panels(self.state)
        for title, panel in self.panels:
            self.pages.addTab(_scrolling(panel), title)
        self.setCentralWidget(self.pages)

    def _action(self, text: str, slot, shortcuts: tuple[str, ...] = (), tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work wherever the focus is in the window
        return action

    def _build_menus(self) -> None:
        self.generate_action = self._action(
            self.tr("&Generate"), lambda: self.generate(), ("Ctrl+Return", "Ctrl+Enter")
        )
        self.stop_action = self._action(self.tr("&Stop"), self.stop, ("Esc",))
        self.regenerate_action = self._action(self.tr("&Regenerate"), self.regenerate, ("Ctrl+R",))
        self.continue_action = self._action(self.tr("&Continue"), self.continue_output,
                                            ("Ctrl+Shift+Return", "Ctrl+Shift+Enter"))
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu(self.tr("&File"))
        file_menu.addAction(self._action(self.tr("Open model &folder…"), self.model_picker.open_folder, ("Ctrl+O",)))
        file_menu.addAction(self._action(self.tr("Open &GGUF file…"), self.model_picker.open_gguf, ("Ctrl+Shift+O",)))
        file_menu.addAction(self._action(self.tr("Load from &hub id…"), self.model_picker.open_hub_id))
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("Export run as &JSON…"), self.runs_panel.export_json_button.click))
        file_menu.addAction(self._action(self.tr("Export run as &Markdown…"), self.runs_panel.export_md_button.click))
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("&Quit"), self.close, ("Ctrl+Q",)))
        generate_menu = menu_bar.addMenu(self.tr("&Generate"))
        for action in (self.generate_action, self.stop_action, self.regenerate_action, self.continue_action):
            generate_menu.addAction(action)
        view_menu = menu_bar.addMenu(self.tr("&View"))
        self.page_actions = QActionGroup(self)
        for index in range(self.pages.count()):
            shortcut = f"Ctrl+{index + 1}"
            # "&1 Generate": its number is the item's letter in the open menu, as Ctrl+1 is the page's shortcut.
            label = f"&{index + 1} {self.pages.tabText(index)}" if index < 9 else self.pages.tabText(index)
            action = self._action(label, lambda _checked=False, page=index: self.pages.setCurrentIndex(page),
                                  (shortcut,) if index < 9 else ())
            action.setCheckable(True)
            self.page_actions.addAction(action)
            view_menu.addAction(action)
            if index < 9:
                self.pages.setTabToolTip(index, QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText))
        self.page_actions.actions()[0].setChecked(True)
        self.pages.currentChanged.connect(lambda index: self.page_actions.actions()[index].setChecked(True))
        self.pages.currentChanged.connect(self._show_generation_timings)
        self.pages.currentChanged.connect(self._focus_into_page)
        view_menu.addSeparator()
        # The docks' own titles carry no accelerator (their title bars would show the "&"); the menu items do.
        # Qt sets a dock's item text again only when its title changes, which a language change does not do.
        for dock, label in ((self.runs_dock, self.tr("&Runs")), (self.tree_dock, self.tr("&Tree")),
                            (self.side_by_side_dock, self.tr("&Branches side by side"))):
            dock.toggleViewAction().setText(label)
            view_menu.addAction(dock.toggleViewAction())
        self.unlock_action = QAction(self.tr("&Unlock panels"), self)
        self.unlock_action.setCheckable(True)
        self.unlock_action.setStatusTip(self.tr("Let panels be dragged to another side or out of the window."))
        self.unlock_action.toggled.connect(self._set_panels_unlocked)
        view_menu.addAction(self.unlock_action)
        view_menu.addSeparator()
        colour = view_menu.addAction(self.tr("&Colour tokens by probability"))
        colour.setCheckable(True)  # the menu shows the state, and stays with the check box either way
        colour.setChecked(self.output_view.colour_check.isChecked())
        colour.toggled.connect(self.output_view.colour_check.setChecked)
        self.output_view.colour_check.toggled.connect(colour.setChecked)
        self._add_language_menu(view_menu)
        help_menu = menu_bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.tr("&About"), lambda: show_about(self))

    def _connect(self) -> None:
        self.generate_button.clicked.connect(lambda: self.generate())
        # Enter in the one-line start of the answer generates, as Ctrl+Enter does (while Generate may run).
        self.prompt_editor.prefill_edit.returnPressed.connect(self.generate_action.trigger)
        self.stop_button.clicked.connect(self.stop)
        self.regenerate_button.clicked.connect(self.regenerate)
        self.continue_button.clicked.connect(self.continue_output)
        self.prompt_editor.changed.connect(self._on_editor_changed)
        self.decoding_panel.settings_changed.connect(self._on_editor_changed)
        self.runs_panel.run_chosen.connect(self.restore_run)
        self.runs_panel.runs_edited.connect(self._on_runs_edited)
        self.runs_panel.message.connect(self.show_status)
        self.model_picker.load_requested.connect(self.load_model)
        self.model_picker.cancel_requested.connect(self.loader.cancel)
        self.model_picker.message.connect(self.show_problem)
        self.loader.progress.connect(self.model_picker.set_loading)
        self.loader.loaded.connect(self.use_loaded_model)
        self.loader.failed.connect(self._on_load_failed)
        self.loader.remote_code_requested.connect(self._on_remote_code_requested)
        self.loader.cancelled.connect(self._on_load_cancelled)
        self.state.generation_started.connect(self._on_generation_started)
        self.generation.token_streamed.connect(self._on_token)
        self.generation.live_stats.connect(self.speed_label.setText)
        self.generation.finished.connect(self._on_generation_finished)
        self.generation.failed.connect(self.show_problem)
        self.generation.running_changed.connect(self._on_generation_running_changed)
        self.state.model_changed.connect(self._on_model_changed)
        self.state.token_selected.connect(self._on_token_selected)
        self.output_view.token_clicked.connect(self._select_generated_token)
        self.output_view.tabs.currentChanged.connect(self.entropy_strip.show_sequence)
        self.entropy_strip.token_clicked.connect(self._select_generated_token)
        self.output_view.token_menu_requested.connect(self.open_fork_popup)
        self.trees.changed.connect(self._schedule_autosave)
        self.trees.changed.connect(self._forget_a_deleted_shown_node)
        self.trees.changed.connect(lambda: self.side_by_side.forget_deleted(self.trees.trees))
        self.trees.folding_changed.connect(self._schedule_autosave)
        self.trees.message.connect(self.show_problem)
        self.trees.node_added.connect(self._on_node_added)
        # The replay's generation went to the inspector pages as it ended: shown without sending it again.
        self.trees.node_replayed.connect(lambda tree, node_id: self.show_node(tree, node_id, inspect=False))
        self.tree_dock_widget.node_chosen.connect(self.show_node)
        # Another prompt's tree: the branches side by side are of the tree left, under an answer they are not of.
        self.tree_dock_widget.tree_changed.connect(
            lambda tree_id: self.side_by_side.shows_another_tree(tree_id) and self.side_by_side_dock.hide())
        self.tree_dock_widget.regenerate_requested.connect(lambda tree, node_id, settings: self.trees.regenerate(
            tree, node_id, settings or self.decoding_panel.settings()))
        self.tree_dock_widget.compare_requested.connect(self.compare_branches)
        self.tree_dock_widget.message.connect(self.show_status)
        self.state.catalog_changed.connect(self.model_picker.refresh)
        self.state.page_input_edited.connect(self._schedule_autosave)
        self.state.open_model_requested.connect(self.load_model)
        self.state.jobs.slow_wait.connect(self._show_stopping)

    # --- layout and session persistence ---------------------------------------------------

    def _restore_layout(self) -> None:
        store = self.store
        # restoreGeometry moves and shrinks a saved geometry onto the current screen.
        if not (isinstance(geometry := store.value("window/geometry"), QByteArray) and self.restoreGeometry(geometry)):
            self.setGeometry(self.screen().availableGeometry())
            self.setWindowState(Qt.WindowState.WindowMaximized)
        self.unlock_action.setChecked(store.value("window/panels_unlocked", "false") in (True, "true"))
        # Splitter sizes were saved with the dock layout: a layout from an older version goes with its sizes.
        states = [(self, store.value("window/state")), (self.generate_page, store.value("window/generate_state"))]
        if all(isinstance(state, QByteArray) and part.restoreState(state, LAYOUT_VERSION) for part, state in states):
            for name, splitter in (("main", self.main_splitter), ("left", self.left_splitter)):
                if isinstance(sizes := store.value(f"window/{name}_splitter"), QByteArray):
                    splitter.restoreState(sizes)
        else:  # first start: the output gets most of the room; the prompt at most two fifths of its column
            # 400 px, or less on a small screen, where the answer, not the lists beside it, must keep its room.
            docks_width = min(400, self.width() * 3 // 10)
            self.generate_page.resizeDocks([self.runs_dock], [docks_width], Qt.Orientation.Horizontal)
            self.generate_page.resizeDocks([self.runs_dock, self.tree_dock], [1, 2], Qt.Orientation.Vertical)
            prompt_height = min(self.left_splitter.widget(0).sizeHint().height(), self.height() * 2 // 5)
            self.left_splitter.setSizes([prompt_height, self.height() - prompt_height])
        self.model_picker.set_load_settings(
            LoadSettings(device=str(store.value("load/device", "auto")), dtype=str(store.value("load/dtype", "auto"))))
        self.output_view.colour_check.setChecked(store.value("output/colour", "true") in (True, "true"))

    def _save_layout(self) -> None:
        store = self.store
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState(LAYOUT_VERSION))
        store.setValue("window/generate_state", self.generate_page.saveState(LAYOUT_VERSION))
        store.setValue("window/panels_unlocked", self.unlock_action.isChecked())
        store.setValue("window/main_splitter", self.main_splitter.saveState())
        store.setValue("window/left_splitter", self.left_splitter.saveState())
        settings = self.model_picker.load_settings()
        store.setValue("load/device", settings.device)
        store.setValue("load/dtype", settings.dtype)
        store.setValue("output/colour", self.output_view.colour_check.isChecked())
        store.sync()

    def _settings_not_written(self) -> str:
        return self.tr("{0} cannot be written: this setting will not be kept. Make it writable, or move the "
                       "settings with WORKBENCH_CONFIG_DIR.").format(self.store.fileName())

    def _set_panels_unlocked(self, unlocked: bool) -> None:
        """Locked (the default), docks stay where they are; unlocked, they can be moved or floated."""
        for dock in self.findChildren(QDockWidget):
            dock.setFeatures(UNLOCKED_DOCK if unlocked else LOCKED_DOCK)

    def _open_session(self) -> None:
        opened = open_session()
        self.session = opened.session
        if opened.problem:
            self.show_problem(translated(opened.problem))
        unwritable = [str(folder) for folder in (paths.data_dir(), paths.config_dir()) if not paths.writable(folder)]
        ini = Path(self.store.fileName())
        if paths.writable(paths.config_dir()) and ini.exists() and not (ini.is_file() and os.access(ini, os.W_OK)):
            unwritable.append(str(ini))  # the folder takes files, but the settings file itself cannot be written
        if unwritable:  # a folder left owned by root, a read-only disk: say it now, not at the first lost run
            self.show_problem(self.tr(
                "{0} cannot be written: runs, trees, settings and trained models made now will not be kept. Make "
                "it writable, or move it with WORKBENCH_DATA_DIR or WORKBENCH_CONFIG_DIR.").format(
                    " and ".join(unwritable)))
        editor = self.session.editor
        try:
            settings = settings_from_dict(editor.settings) if editor.settings else MODE_DEFAULTS["sample"]
        except TypeError:
            settings = MODE_DEFAULTS["sample"]
        self.decoding_panel.set_settings(settings, seed_locked=editor.seed_locked)
        self.prompt_editor.set_contents(editor.prompt, editor.system_prompt, editor.chat, editor.prefill)
        self.prompt_editor.set_history(editor.history)
        self.state.saved_page_texts = dict(editor.page_texts)
        self.state.saved_compare_columns = list(editor.compare_columns)
        self.runs_panel.set_runs(self.session.runs)
        self.trees.set_trees(self.session.trees)
        shown = self.runs_panel.run_with_id(self.session.shown_run_id)
        if shown is not None:  # the answer on screen when the window closed (the editor may hold a newer prompt)
            self._show_run(shown, _settings_of(shown) or MODE_DEFAULTS["sample"])
        else:  # no run was on screen (a branch of the Tree, or nothing): none is highlighted as if it were
            self.runs_panel.select_run("")
        self._schedule_autosave.cancel()  # nothing changed yet

    def _editor_state(self) -> EditorState:
        return EditorState(
            prompt=self.prompt_editor.prompt(),
            system_prompt=self.prompt_editor.system_edit.toPlainText(),
            chat=self.prompt_editor.chat_switch.isChecked(),
            prefill=self.prompt_editor.prefill(),
            settings=settings_to_dict(self.decoding_panel.settings()),
            seed_locked=self.decoding_panel.seed_locked,
            history=self.session.editor.history,
            page_texts=self.state.page_texts(),
            compare_columns=self.state.compare_columns(),
        )

    def save_session_now(self) -> None:
        self._schedule_autosave.cancel()
        self.session.editor = self._editor_state()
        self.session.runs = self.runs_panel.runs()
        self.session.trees = self.trees.trees
        self.session.shown_run_id = self.shown_run_id
        try:
            save_session(self.session)
        except OSError as error:
            self.show_problem(self.tr("The session could not be saved: {0}").format(error))

    # --- messages --------------------------------------------------------------------

    def show_problem(self, message: str) -> None:
        self.banner.show_message(message)
        self._status_line(message, 10_000)

    def show_status(self, message: str) -> None:
        self._status_line(message, 8_000)

    def _status_line(self, message: str, timeout_ms: int) -> None:
        """One line, cut with an ellipsis before the timings on the right: Qt would draw a long one under them
        (a problem's whole text is in the banner)."""
        bar, line = self.statusBar(), " ".join(message.split())
        if bar.isVisible():
            timings = sum(label.width() + 12 for label in (self.ttft_label, self.speed_label) if label.isVisible())
            line = bar.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, max(bar.width() - timings - 24, 80))
        bar.showMessage(line, timeout_ms)

    def _add_language_menu(self, view_menu) -> None:
        """View → Language: English, 中文 or the system's; the choice applies at the next start."""
        menu = view_menu.addMenu(self.tr("&Language"))
        self.language_actions = QActionGroup(self)
        chosen = chosen_language()
        for code, name in ((SYSTEM, self.tr("Follow the system")), *LANGUAGES.items()):
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(code == chosen)
            action.setData(code)
            action.triggered.connect(lambda _checked=False, code=code: self._choose_language(code))
            self.language_actions.addAction(action)

    def _choose_language(self, code: str) -> None:
        if not choose_language(code):
            self.show_problem(self._settings_not_written())
        elif effective_language(code) != effective_language(self._started_language):
            self.show_status(self.tr("The interface changes language when the workbench next starts."))

    # --- models ----------------------------------------------------------------------

    def start_default_load(self) -> None:
        """Load the catalog's default model (called once the window is on screen)."""
        try:
            entry = self.state.catalog.default_entry()
        except StopIteration:
            return
        self.load_model(entry, self.model_picker.load_settings())

    def load_model(self, entry, settings: LoadSettings) -> None:
        self.banner.hide()
        self.loader.load(entry, settings)

    def use_loaded_model(self, loaded: LoadedModel) -> None:
        """Make ``loaded`` the model everyone works on, and free the one it replaces."""
        previous = self.state.loaded_model
        # Before what the new model has to say.
        self.show_status(self.tr("Loaded {0}").format(translated(loaded.entry.name)))
        self.state.set_loaded_model(loaded)
        if previous is not None and previous is not loaded:
            _free_when_idle(previous)

    def _on_load_failed(self, message: str) -> None:
        self.model_picker.load_failed(self.state.loaded_model)
        self.show_problem(message)

    def _on_remote_code_requested(self, request: RemoteCodeRequest) -> None:
        if confirm_remote_code(self, request):
            self.loader.load(request.entry, dataclasses.replace(request.settings, trust_remote_code=True))
        else:
            self._on_load_failed(request.message)

    def _on_load_cancelled(self) -> None:
        self.model_picker.show_loaded(self.state.loaded_model)
        self.show_status(self.tr("Loading cancelled; still using the previous model."))

    def _on_model_changed(self, loaded: LoadedModel | None) -> None:
        self.model_picker.show_loaded(loaded)
        self.prompt_editor.set_chat_available(loaded is None or loaded.has_chat_template)
        self._count_prompt_tokens()
        shown = self.runs_panel.run_with_id(self.shown_run_id)
        if shown is not None:  # an answer brought back at the start, say, made with another model
            self._say_if_made_with_another_model(shown)

    def _say_if_made_with_another_model(self, run: Run, before: str = "") -> None:
        loaded = self.state.loaded_model
        if loaded is not None and loaded.entry.id != run.model_id:
            before += self.tr("This run was made with {0}; {1} is loaded now.").format(
                translated(run.model_name), translated(loaded.entry.name))
        if before:
            self.show_status(before)

    # --- the editor ------------------------------------------------------------------

    def _on_editor_changed(self) -> None:
        self._prompt_counted = False
        self._schedule_token_count()
        self._schedule_autosave()
        self._update_actions()

    def _request_from_editor(self) -> GenerationRequest:
        return GenerationRequest(
            prompt=self.prompt_editor.prompt(),
            settings=self.decoding_panel.settings(),
            system_prompt=self.prompt_editor.system_prompt(),
            chat=self.prompt_editor.chat(),
            prefill=self.prompt_editor.prefill(),
        )

    def _count_prompt_tokens(self) -> None:
        loaded = self.state.loaded_model
        self._prompt_problem = ""
        self.token_count_job.abandon()  # a long prompt's count still under way is out of date
        if loaded is None or not loaded.can_generate:
            self.prompt_editor.show_token_count(None, None)
        elif not self.prompt_editor.prompt().strip():
            self.prompt_editor.show_token_count(0, loaded.context_length)
        elif self._is_long_prompt():
            # Encoding a pasted book takes about a second: on a worker (the tokenizer lets go of the GIL).
            request = self._request_from_editor()
            self.prompt_editor.show_counting(translated(COUNTING_TOKENS))
            self.token_count_job.start(lambda _cancel: prompt_token_count(loaded, request))
        else:
            try:
                counted = drain(prompt_token_count(loaded, self._request_from_editor()))
            except (InvalidInputError, InvalidSettingsError) as error:
                self._show_prompt_problem(error_text(error))
            else:
                self._show_prompt_count(counted)
            return
        self._update_actions()

    def _is_long_prompt(self) -> bool:
        return len(self.prompt_editor.prompt()) + len(self.prompt_editor.system_prompt()) >= LONG_PROMPT_CHARS

    def _show_prompt_count(self, counted: tuple[int, int]) -> None:
        self._prompt_counted = True
        loaded = self.state.loaded_model
        if loaded is None:
            return
        count, unknown = counted
        # A warning, not a block: the model reads them, as one token it knows nothing about.
        warning = self.tr("{0} unknown to this model, read as {1}").format(
            unknown, loaded.tokenizer.unk_token) if unknown else ""
        self.prompt_editor.show_token_count(count, loaded.context_length, warning)
        self._update_actions()

    def _show_prompt_problem(self, problem: str) -> None:
        self._prompt_counted = True
        self._prompt_problem = problem
        self.prompt_editor.show_token_count(None, None, problem)
        self._update_actions()

    def generate_blocked_reason(self) -> str:
        """Why Generate cannot run now, in one line; "" when it can."""
        loaded = self.state.loaded_model
        if loaded is None:
            return self.tr("Waiting for a model: pick one in the model bar.")
        if not loaded.can_generate:
            return self.tr("{0} is an encoder: it cannot generate text. Pick a generative model.").format(
                translated(loaded.entry.name))
        problems = self.decoding_panel.problems()
        if problems:  # the first one named here: the panel's own list may be scrolled out of view
            return self.tr("Fix the decoding settings first: {0}").format(translated(problems[0]))
        if not self.prompt_editor.prompt().strip():
            return self.tr("Type a prompt to generate.")
        if not self._prompt_counted and self._is_long_prompt():  # encoding it on this thread would freeze the window
            return translated(COUNTING_TOKENS)
        # Said in full under the prompt already: twice, a long one squeezed the prompt to two lines.
        return self.tr("Fix the prompt first: the line under it says why.") if self._prompt_problem else ""

    def _generate_hint(self) -> bool:
        """True when what blocks Generate is a next step to take (no model yet, no prompt), not a problem."""
        return self.state.loaded_model is None or not self.prompt_editor.prompt().strip()

    def _update_actions(self) -> None:
        running = self.generation.is_running
        last_request = self.generation.last_request
        reason = "" if running else self.generate_blocked_reason()
        can_generate = not running and not reason
        loaded = self.state.loaded_model
        # Regenerate and Continue reuse the last request on the loaded model: it must be able to generate.
        can_rerun = (not running and last_request is not None and loaded is not None and loaded.can_generate
                     and not self.decoding_panel.problems())
        has_output = bool(self.output_view.sequence_text().strip())
        enabled = {self.generate_button: can_generate, self.regenerate_button: can_rerun,
                   self.continue_button: can_rerun and has_output}
        if not enabled.get(QApplication.focusWidget(), True):
            # Left to Qt, a disabled button hands its focus to the next control, the seed: the next wheel notch
            # or keystroke would change it. The answer takes it, as after a fork, or the prompt before any answer.
            if not self.output_view.focus_answer():
                self.prompt_editor.prompt_edit.setFocus()
        actions = {self.generate_button: self.generate_action, self.regenerate_button: self.regenerate_action,
                   self.continue_button: self.continue_action}
        for button, can in enabled.items():
            button.setEnabled(can)
            actions[button].setEnabled(can)
        for widget in (self.stop_button, self.stop_action):
            widget.setEnabled(running)
        problem = bool(reason) and not self._generate_hint()
        self.blocked_label.setStyleSheet(f"color: {warning_color(self.palette()).name()};" if problem else "")
        self.blocked_label.setText(reason)
        self.blocked_label.setVisible(bool(reason))

    # --- generation ------------------------------------------------------------------

    def generate(self, request: GenerationRequest | None = None) -> None:
        """Generate ``request``, or what the editor holds when it can run."""
        if request is None:
            if not self._prompt_counted and self._is_long_prompt():
                self._schedule_token_count.flush()  # count it now, on a worker: Generate waits for it
            if self.generation.is_running or self.generate_blocked_reason():
                return
            request = self._request_from_editor()
        self.generation.generate(request)

    def stop(self) -> None:
        if self.generation.stop():
            self.show_status(self.tr("Stopping…"))

    def regenerate(self) -> None:
        """The last generation again with the decoding settings, on the model loaded now; one that grew from a fork
        draws a sibling where it forked (its request forces the fork's path, which an answer from the start would
        not show)."""
        settings, request = self.decoding_panel.settings(), self.generation.last_request
        if request is not None and self.trees.regenerate_last(request, settings) is None:
            self.generation.regenerate(settings)

    def continue_output(self) -> None:
        """Go on from the answer on screen: the same prompt, system prompt and chat template, with that answer as
        what the next one starts with (Answer starts with…), so the prompt stays the person's own text and the
        new answer joins the same prompt's tree."""
        request, answer = self.generation.last_request, self.output_view.sequence_text()
        if request is None or not answer:
            return
        chat = True if request.chat is None else request.chat
        typed = self.prompt_editor.prompt()
        edited = bool(typed.strip()) and typed != request.prompt
        if edited:  # the answer's own prompt goes back in the editor: the one typed since is kept, not lost
            self.session.editor.remember_prompt(typed)
            self.prompt_editor.set_history(self.session.editor.history)
            self._next_answer_note = self.tr("Continue goes on from the answer shown, with its prompt; the prompt you "
                                             "typed is in History.")
        self.prompt_editor.set_contents(request.prompt, request.system_prompt, chat, prefill=answer)
        self._count_prompt_tokens()
        self.generate()  # as Generate would: a text too long to read, or one still counted, waits with its reason
        self._next_answer_note = ""  # taken as the answer started; one that did not start leaves none for the next

    def _on_generation_started(self, live: LiveGeneration) -> None:
        request = live.request
        self.session.editor.remember_prompt(request.prompt)
        self.prompt_editor.set_history(self.session.editor.history)
        self.banner.hide()
        self.shown_node = None  # the output shows the new answer now; it becomes a node when it ends
        shown_ids = [list(live.prompt_token_ids) for _ in range(request.settings.num_return_sequences)]
        self._keep_selection_if_same_context(shown_ids)
        self.prompt_length = len(live.prompt_token_ids)
        self.shown_ids = shown_ids
        self.output_view.begin(request.settings.num_return_sequences, live.prefill_text)
        self.entropy_strip.begin(request.settings.num_return_sequences)
        # Beam search streams nothing: say why the answer stays empty (the last answer's seed is not this one's).
        self._answer_note, self._next_answer_note = self._next_answer_note, ""
        self.output_view.set_info(self.tr("Beam search: the answers appear when it ends (until then the best beam "
                                          "can still change); its progress is in the status bar.")
                                  if request.settings.mode == "beam" else self._answer_note)
        self._on_token_selected(*(self.state.selected_token or (-1, -1)))  # its step moved with the prompt
        self.ttft_label.clear()
        self.speed_label.clear()
        self.show_status(self.tr("Generating…"))

    def _on_token(self, event: TokenEvent) -> None:
        if event.sequence < len(self.shown_ids):
            self.shown_ids[event.sequence].append(event.token_id)
        token = token_from_event(event)
        self.output_view.add_token(event.sequence, token)
        self.entropy_strip.add_token(event.sequence, token)

    def _on_generation_running_changed(self, running: bool) -> None:
        if not running:
            self.output_view.flush()
        self._update_actions()

    def _on_generation_finished(self, record: GenerationRecord, run: Run) -> None:
        if record.loaded is not self.state.loaded_model:  # replaced while it generated: its lock is free now
            _free_when_idle(record.loaded)
        result = record.result
        self._show_sequences(run, _token_ids(record))
        self._show_timings(result.time_to_first_token_s, result.tokens_per_s)
        self._show_seed(result.seed)
        self.decoding_panel.show_used_seed(result.seed)
        if not self._say_if_ended_at_first_step(run) and self._answer_note:
            self.output_view.set_info(self._answer_note)  # the finished answer's views were made anew
        self.runs_panel.add_run(run)
        self.shown_run_id = run.id
        self.show_status(self.tr("Stopped: the partial output is kept.") if result.stopped else self.tr("Done."))
        self._update_actions()
        self._schedule_autosave()

    def _say_if_ended_at_first_step(self, run: Run) -> bool:
        """An empty page alone reads as a failure: say the model chose to end (Continue on an ended answer)."""
        if run.ended_at_first_step:
            self.output_view.set_info(self.tr("The model ended the text at its first step: this answer has no "
                                              "new text. Change the prompt, or sample for another start."))
        return run.ended_at_first_step

    def _show_sequences(self, run: Run, token_ids: list[list[int]]) -> None:
        """A finished or restored run's output, replacing what was streamed; ``token_ids``: its ids per
        sequence, when they are known."""
        self._keep_selection_if_same_context(token_ids)
        self.prompt_length = run.prompt_tokens
        self.shown_ids = token_ids
        self.output_view.show_sequences(run.sequences, run.prefill_text)
        self.entropy_strip.show_sequences(run.sequences)
        self.entropy_strip.show_sequence(self.output_view.tabs.currentIndex())
        self._on_token_selected(*(self.state.selected_token or (-1, -1)))

    # --- the one token selection --------------------------------------------------------
    # Views count a sequence's generated tokens from 0; the selection counts positions in prompt + output.

    def _select_generated_token(self, sequence: int, step: int) -> None:
        self.state.select_token(sequence, self.prompt_length + step)

    def _keep_selection_if_same_context(self, token_ids: list[list[int]]) -> None:
        """What comes on screen (``token_ids`` per sequence) keeps the selection only where its token is read
        after the same tokens as before (a fork keeps its forced token selected); otherwise none is selected."""
        selected = self.state.selected_token
        if selected is None:
            return
        sequence, position = selected
        before = self.shown_ids[sequence] if sequence < len(self.shown_ids) else []
        after = token_ids[sequence] if sequence < len(token_ids) else []
        if not (position < min(len(before), len(after)) and before[:position] == after[:position]):
            self.state.clear_selection()

    def _on_token_selected(self, sequence: int, position: int) -> None:
        step = position - self.prompt_length if position >= 0 else -1  # a prompt token: nothing to mark here
        self.output_view.select_token(sequence, step if step >= 0 else -1)
        self.entropy_strip.select_token(sequence, step if step >= 0 else -1)

    def _show_text_only(self, sequences: list[RunSequence]) -> None:
        """Answers with no token ids behind them (a saved branch's text, or none): no selection points into them."""
        self.state.clear_selection()
        self.prompt_length, self.shown_ids = 0, []
        self.output_view.show_sequences(sequences)
        self.entropy_strip.show_sequences(sequences)

    def _show_seed(self, seed: int | None) -> None:
        self.output_view.set_seed(self.tr("seed {0}").format(seed) if seed is not None else "")

    def _show_generation_timings(self, page: int) -> None:
        # The Generate page's answer's timings: beside another page's work they read as its own.
        for label in (self.ttft_label, self.speed_label):
            label.setVisible(self.pages.widget(page) is self.generate_page)

    def _focus_into_page(self, index: int) -> None:
        """The page switched to takes the keyboard at its first control: Qt left it on the page's frame, which shows
        no focus. A panel still being built takes it once built (``LazyPanel``)."""
        page = self.pages.widget(index)
        if not focus_is_on_a_control_in(page):
            focus_first_control(page)

    def _show_timings(self, ttft: float | None, tokens_per_s: float) -> None:
        self.ttft_label.setText(self.tr("first token {0:.0f} ms").format(ttft * 1000) if ttft is not None else "")
        self.speed_label.setText(self.tr("{0:.1f} tokens/s").format(tokens_per_s))

    # --- runs --------------------------------------------------------------------------

    def restore_run(self, run: Run) -> None:
        """Put a run's prompt, settings and output back, ready to run again."""
        if self._generating_into_the_output():
            return
        settings = _settings_of(run)
        if settings is None:
            settings = MODE_DEFAULTS["sample"]
            self.show_problem(self.tr("This run's settings are from another version; defaults are shown."))
        self.prompt_editor.set_contents(run.prompt, run.system_prompt, True if run.chat is None else run.chat,
                                        run.prefill_text)
        self.decoding_panel.set_settings(settings)  # its seed locked: Generate repeats the run exactly
        self._show_run(run, settings)
        self._schedule_autosave()
        locked = self.tr("Restored with its seed {0} locked: Generate repeats this run; untick Lock for new "
                         "draws.").format(run.seed) + " " if run.seed is not None else ""
        self._say_if_made_with_another_model(run, locked)
        self._update_actions()

    def _generating_into_the_output(self) -> bool:
        """Whether a generation streams into the output, which no other answer may take meanwhile: its tokens
        went on into the answer put there, and Regenerate took that answer's prompt. Said, and the lists keep
        the answer on screen selected."""
        if not self.generation.is_running:
            return False
        self.show_status(self.tr("A generation is running: stop it or wait for it to show another answer."))
        self.runs_panel.select_run(self.shown_run_id)
        if self.shown_node is not None:
            self.tree_dock_widget.select_node(*self.shown_node)
        else:  # the streaming answer is no branch yet: none stays selected, so a click on it later still shows it
            self.tree_dock_widget.deselect()
        return True

    def _show_run(self, run: Run, settings: DecodingSettings) -> None:
        """A run's answer on screen, with its timings, ready for Regenerate and Continue with ``settings``; the
        Tree dock follows to its prompt's tree."""
        self.generation.last_request = GenerationRequest(run.prompt, settings, run.system_prompt, run.chat,
                                                         prefill=run.prefill_text)
        self._show_sequences(run, [])
        self._show_timings(run.time_to_first_token_s, run.tokens_per_s)
        self._show_seed(run.seed)
        self.shown_node = None
        self.shown_run_id = run.id
        self.runs_panel.select_run(run.id)
        tree = self.trees.tree_of(run.model_id, run.prompt, run.system_prompt, run.chat)
        node = tree.node_with_answer(run.sequences[0].text, run.seed) if tree is not None and run.sequences else None
        if node is not None:  # the Tree dock follows to this answer's branch, and a click on a token forks it
            self.shown_node = (tree, node.id)
            self.tree_dock_widget.select_node(tree, node.id)
        elif tree is not None:  # or to this prompt's answers
            self.tree_dock_widget.show_tree(tree.id)
        # An answer the model ended at once has no token to fork at: that is what it says.
        if not self._say_if_ended_at_first_step(run) and node is not None and node.id not in self.trees.records:
            # From an earlier session: its text only, no tokens to fork at.
            self.output_view.set_info(self.tr(
                "To fork this answer, right-click its branch in the Tree, “Show in inspector”: it is generated "
                "again, then a click on a token forks there."))
        self.state.run_restored.emit(run)

    # --- the tree of generations ------------------------------------------------------------

    def _forget_a_deleted_shown_node(self) -> None:
        """The node on screen was deleted from its tree: its answer goes from the screen too (it could not be
        forked any more)."""
        if self.shown_node is None:
            return
        tree, node_id = self.shown_node
        if node_id not in tree.nodes or tree not in self.trees.trees:
            self.shown_node, self.shown_run_id = None, ""
            self.runs_panel.select_run("")
            self._show_text_only([])
            self.output_view.set_info(self.tr("The answer on screen was deleted from the Tree."))
            self._update_actions()

    def _on_node_added(self, tree: GenerationTree, node_id: str) -> None:
        self.shown_node = (tree, node_id)  # the answer on screen is this node's
        self.tree_dock_widget.select_node(tree, node_id)

    def show_node(self, tree: GenerationTree, node_id: str, inspect: bool = True) -> None:
        """Show a node's answer: with its tokens and inspector when this session generated it (``inspect``: sent to
        the inspector pages), as text otherwise."""
        if self._generating_into_the_output():
            return
        self.shown_node = (tree, node_id)
        self.shown_run_id = ""
        self.runs_panel.select_run("")  # a highlighted run would claim to be the answer on screen
        record = self.trees.records.get(node_id)
        if record is not None:
            self._show_sequences(run_from_record(record), _token_ids(record))
            self._show_timings(record.result.time_to_first_token_s, record.result.tokens_per_s)
            self._show_seed(record.result.seed)
            if self.trees.inspectable(node_id):
                if inspect:
                    self.state.generation_finished.emit(record)  # the inspector pages follow the node shown
            else:  # its model was unloaded since (its weights freed): the pages cannot read it
                self.output_view.set_info(self.tr(
                    "Made with a model loaded before: the inspector pages do not follow it. Right-click it in the "
                    "Tree, “Show in inspector”, to generate it again."))
        else:
            self._show_text_only([RunSequence(tree.nodes[node_id].text)])
            self.output_view.set_info(self.tr(
                "Saved branch: text only. Right-click it in the Tree, “Show in inspector”, to generate it again."))
        self._update_actions()

    def open_fork_popup(self, sequence: int, step: int, anchor: QPoint) -> None:
        """The alternatives of a clicked token of the node on screen, to fork there."""
        if sequence != 0:
            self.show_status(self.tr("Forks grow from the first answer: the Tree keeps that one."))
            return
        shown = self.shown_node
        record = self.trees.records.get(shown[1]) if shown is not None and shown[1] in shown[0].nodes else None
        tokens = record.result.sequences[0].tokens if record is not None else ()
        if step >= len(tokens):  # an answer from an earlier session, or one whose branch was deleted
            self.show_status(self.tr("This answer keeps its text only: right-click its branch in the Tree, “Show in "
                                     "inspector”, to generate it again (exactly), then click a token to fork there."))
            return
        title = self.tr("Fork at token {0} {1}: write instead…").format(step + 1, shown_token(tokens[step]))
        if self.fork_popup is not None:
            self.fork_popup.deleteLater()  # closed by now: a popup closes before anything else gets a click
        self.fork_popup = ForkPopup(title, alternatives(tokens[step]), self)
        self.fork_popup.chosen.connect(lambda choice: self._fork_chosen(step, choice))
        self.fork_popup.show_at(anchor)

    def _fork_chosen(self, step: int, choice: ForkChoice) -> None:
        # Back to the output the token was picked in (the new branch's answer takes it over): left to Qt, the
        # focus lands in the model combo box, where the next keystroke would search for another model.
        self.output_view.focus_answer()
        self.fork_at(step, choice)

    def fork_at(self, step: int, choice: ForkChoice) -> bool:
        """A new branch from the node on screen: its answer up to generated token ``step``, then ``choice``,
        with the current decoding settings. The node itself stays."""
        if self.shown_node is None:
            return False
        tree, node_id = self.shown_node
        return self.trees.fork(tree, node_id, step, choice, self.decoding_panel.settings())

    def compare_branches(self, tree: GenerationTree, node_ids: list[str]) -> None:
        if self.side_by_side_dock.isHidden():
            # Half the column, so the answer on screen stays readable, or what the two strips need if more.
            chrome = self.side_by_side_dock.minimumSizeHint().height() - self.side_by_side.minimumSizeHint().height()
            height = max(self.output_page.height() // 2, self.side_by_side.whole_height() + chrome)
            self.output_page.resizeDocks([self.side_by_side_dock], [height], Qt.Orientation.Vertical)
        self.side_by_side_dock.show()
        self.side_by_side_dock.raise_()
        self.side_by_side.compare(tree, node_ids)

    def _on_runs_edited(self) -> None:
        self._schedule_autosave()

    # --- closing -------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop all work and wait for it, let every panel stop, and save. A stopped generation
        still reaches the Runs list and the session. Safe to call twice."""
        if self._shut_down:
            return
        self._shut_down = True
        # From here on no job starts: not even the capture the Attention panel runs after a generation.
        self.state.jobs.begin_closing()
        self._schedule_token_count.cancel()
        self.generation.shutdown()
        self.loader.shutdown()
        for _title, panel in self.panels:
            try:
                panel.shutdown()
            except Exception:  # one panel failing to stop must not keep the others running
                log.exception("panel shutdown failed")
        self.state.jobs.shutdown()  # whatever a failed panel left running
        self.save_session_now()
        self._save_layout()

    def _show_stopping(self, what: str) -> None:
        self.statusBar().showMessage(what or self.tr("Stopping…"))
        # The wait blocks the event loop: let the message paint, but take no input meanwhile.
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _settings_of(run: Run) -> DecodingSettings | None:
    """The settings a run was made with, its seed included; None for a run saved by another version."""
    try:
        return settings_from_dict({**run.settings, "seed": run.seed})
    except TypeError:
        return None


def _token_ids(record: GenerationRecord) -> list[list[int]]:
    """Each sequence's token ids: prompt, then answer."""
    prompt = list(record.result.prompt_token_ids)
    return [prompt + [token.token_id for token in sequence.tokens] for sequence in record.result.sequences]


def _scrolling(page: QWidget) -> QScrollArea:
    """``page`` in a scroll area: a window smaller than the page needs scrolls it instead of
    growing past the screen."""
    scroll = QScrollArea()
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a page's controls take the focus, not its frame
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidgetResizable(True)
    scroll.setWidget(page)
    return scroll


def _free_when_idle(loaded: LoadedModel) -> None:
    """Free a replaced model now when nothing is using it; otherwise the job using it
    keeps it until it ends and the garbage collector takes it."""
    lock: threading.RLock = loaded.lock
    if lock.acquire(blocking=False):
        try:
            loaded.unload()
        finally:
            lock.release()
