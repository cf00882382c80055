"""The Compare page: one prompt into up to six columns (a model or checkpoint, decoding settings, a
seed), streamed one column after the other; then every answer scored by every column's model (the
matrix) and, against a reference answer, where the other models disagree with its model (the strips).

The models a comparison loads are its own (``ModelCache``), kept for the next run and freed once no
column uses them; the model the Generate page uses is never touched.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel
from superqt.utils import qthrottled

from workbench.core.atomic import write_text_atomic
from workbench.core.catalog import ModelEntry
from workbench.core.comparison import (
    BITS_PER_BYTE,
    MAX_COLUMNS,
    MEAN_LOGPROB,
    ColumnFinished,
    ColumnStarted,
    ColumnToken,
    CompareColumn,
    Comparison,
    ModelCache,
    ModelLoad,
    ModelLoading,
    ScoringProgress,
    catalog_loader,
    comparison_to_json,
    comparison_to_markdown,
    run_comparison,
    settings_summary,
)
from workbench.core.comparison_store import (
    column_to_data,
    columns_from_data,
    forget_comparison,
    open_comparison,
    save_comparison,
)
from workbench.core.sessions import RunToken, settings_from_dict, token_from_event
from workbench.qt.common.app_state import AppState
from workbench.qt.common.export import ask_and_save
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import error_text, translated, translated_stage
from workbench.qt.common.theme import warning_color
from workbench.qt.common.throttle import land_when_closed
from workbench.qt.compare.column import ColumnCard
from workbench.qt.compare.scores import DisagreementStrips, ScoreMatrix, first_number
from workbench.qt.generation.model_picker import trained_model_names, variant_label
from workbench.qt.generation.output_view import FLUSH_INTERVAL_MS
from workbench.qt.token.panel import format_prob

_PROGRESS_UNITS = 1000  # the progress bar's steps for one column's generation (or one answer's scoring)


class ComparePanel(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None, load: ModelLoad | None = None) -> None:
        """``load``: how a column's model reference becomes a model (tests give their own); by default
        the catalog's, on the model bar's device and dtype as they are when Run is pressed."""
        super().__init__(parent)
        self.state = state
        self._load = load
        self.cache = ModelCache(load or catalog_loader(state.catalog, state.load_settings()))
        self.cards: list[ColumnCard] = []
        self.comparison: Comparison | None = None
        self._running_cards: list[ColumnCard] = []
        self._token_budgets: list[int] = []  # each running column's max new tokens
        self._pending: dict[int, list[RunToken]] = {}  # streamed tokens not painted yet, per column
        self._prompt_filled = False
        self.job = Job(state.jobs, parent=self)
        self.job.event.connect(self._on_event)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda message: self._show_status(message, error=True))
        self.job.cancelled.connect(lambda: self._show_status(
            self.tr("Cancelled: the answers so far are kept; scoring needs every column.")))
        self.job.ended.connect(self._on_ended)
        self._schedule_paint = qthrottled(self._paint_pending, timeout=FLUSH_INTERVAL_MS, leading=False, parent=self)
        land_when_closed(self, self._schedule_paint)
        self._build()
        state.keep_page_text("compare", self.prompt_edit)
        state.catalog_changed.connect(self._refresh_models)
        self._restore()
        state.compare_columns = lambda: [column_to_data(column) for column in self.columns()]
        self._update_buttons()

    def _restore(self) -> None:
        """The columns the session kept, and their last comparison when it is of these columns (one edited
        since, and not yet saved when the window closed, is of other columns)."""
        for column in columns_from_data(self.state.saved_compare_columns):
            self.add_column(column)
        comparison, problem = open_comparison()
        if problem:
            self._show_status(translated(problem), error=True)
        if comparison is None or [column_to_data(column) for column in comparison.columns] != [
                column_to_data(column) for column in self.columns()]:
            return
        for card, outcome in zip(self.cards, comparison.outcomes):
            card.show_outcome(outcome)
        self._show_comparison(comparison)

    # --- building ---------------------------------------------------------------------

    def _build(self) -> None:
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setTabChangesFocus(True)  # as the Generate page's prompt: Tab moves on
        self.prompt_edit.setPlaceholderText(self.tr("The prompt every column answers"))
        self.prompt_edit.setFixedHeight(self.prompt_edit.fontMetrics().lineSpacing() * 3 + 14)
        self.prompt_edit.textChanged.connect(self._update_buttons)
        self.from_generate_button = QPushButton(self.tr("Use the Generate prompt"))
        self.from_generate_button.setToolTip(self.tr("Copy the prompt from the Generate page."))
        self.from_generate_button.clicked.connect(self.fill_prompt)
        self.run_button = QPushButton(self.tr("Run"))
        self.run_button.setToolTip(self.tr("Generate every column in turn, then score every answer with every "
                                           "column's model."))
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the comparison; the answers so far are kept."))
        self.stop_button.clicked.connect(self.cancel)
        self.add_button = QPushButton(self.tr("Add column"))  # its menu arrow beside the label, not on it
        self.add_button.setToolTip(self.tr("Add a column from the Generate page's settings, from a run in the "
                                           "history or from a model trained here."))
        self.add_menu = QMenu(self.add_button)
        self.add_menu.aboutToShow.connect(self._fill_add_menu)
        self.add_button.setMenu(self.add_menu)
        self.export_md_button = QPushButton(self.tr("Markdown…"))
        self.export_md_button.setToolTip(self.tr("Save the comparison (table, matrix, answers) as Markdown."))
        self.export_md_button.clicked.connect(lambda: self.export(".md"))
        self.export_json_button = QPushButton(self.tr("JSON…"))
        self.export_json_button.setToolTip(self.tr("Save the comparison and its numbers as JSON."))
        self.export_json_button.clicked.connect(lambda: self.export(".json"))
        buttons = QVBoxLayout()
        run_row = QHBoxLayout()
        for widget in (self.run_button, self.stop_button, self.add_button):
            run_row.addWidget(widget)
        export_row = QHBoxLayout()
        export_row.addWidget(QLabel(self.tr("Export")))
        export_row.addWidget(self.export_md_button)
        export_row.addWidget(self.export_json_button)
        buttons.addLayout(run_row)
        buttons.addLayout(export_row)
        buttons.addWidget(self.from_generate_button)
        top_row = QHBoxLayout()
        top_row.addWidget(self.prompt_edit, 1)
        top_row.addLayout(buttons)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.status = QElidingLabel()
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)

        self.columns_widget = QWidget()
        self.columns_layout = QHBoxLayout(self.columns_widget)
        self.columns_layout.setContentsMargins(0, 0, 0, 0)
        self.columns_layout.addStretch(1)
        self.columns_scroll = QScrollArea()
        self.columns_scroll.setWidgetResizable(True)
        self.columns_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.columns_scroll.setWidget(self.columns_widget)

        self.metric_combo = QComboBox()
        self.metric_combo.addItem(self.tr("Mean log-probability per token"), MEAN_LOGPROB)
        self.metric_combo.addItem(self.tr("Bits per byte"), BITS_PER_BYTE)
        self.metric_combo.setToolTip(self.tr("Mean log-probability per token (nats; higher: likelier) compares "
                                             "models that share a tokenizer; bits per byte (lower: likelier) "
                                             "compares any."))
        self.metric_combo.currentIndexChanged.connect(self._show_matrix)
        self.metric_note = QLabel()
        self.metric_note.setWordWrap(True)
        metric_row = QHBoxLayout()
        metric_row.addWidget(QLabel(self.tr("Scored by each model")))
        metric_row.addWidget(self.metric_combo, 1)
        self.matrix = ScoreMatrix()
        matrix_side = QWidget()
        matrix_layout = QVBoxLayout(matrix_side)
        matrix_layout.setContentsMargins(0, 0, 0, 0)
        matrix_layout.addLayout(metric_row)
        matrix_layout.addWidget(self.matrix, 1)
        matrix_layout.addWidget(self.metric_note)

        self.reference_combo = QComboBox()
        self.reference_combo.setToolTip(self.tr("The answer the other models are read on, and the model they are "
                                                "compared with."))
        self.reference_combo.currentIndexChanged.connect(self._show_strips)
        reference_row = QHBoxLayout()
        reference_row.addWidget(QLabel(self.tr("Where they disagree, on the answer of")))
        reference_row.addWidget(self.reference_combo)
        reference_row.addStretch(1)
        self.strips = DisagreementStrips()
        self.strips.hovered.connect(self._on_strip_hovered)
        self.hover_label = QLabel(self._hover_hint())
        self.hover_label.setWordWrap(True)
        self.hover_label.setTextFormat(Qt.TextFormat.RichText)
        # The readout of a token takes three lines: kept from the start, the strips do not jump on every hover.
        self.hover_label.setMinimumHeight(self.hover_label.fontMetrics().lineSpacing() * 3 + 4)
        strips_side = QWidget()
        strips_layout = QVBoxLayout(strips_side)
        strips_layout.setContentsMargins(0, 0, 0, 0)
        strips_layout.addLayout(reference_row)
        self.strips_scroll = QScrollArea()
        self.strips_scroll.setWidgetResizable(True)
        self.strips_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strips_scroll.setWidget(self.strips)
        strips_layout.addWidget(self.strips_scroll, 1)
        strips_layout.addWidget(self.hover_label)

        results = QSplitter(Qt.Orientation.Horizontal)
        results.addWidget(matrix_side)
        results.addWidget(strips_side)
        results.setSizes([460, 900])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.columns_scroll)
        self.splitter.addWidget(results)
        self.splitter.setSizes([300, 340])

        layout = QVBoxLayout(self)
        layout.addLayout(top_row)
        layout.addLayout(status_row)
        layout.addWidget(self.splitter, 1)

    def _hover_hint(self) -> str:
        return self.tr("Hover over a strip: the two models' top 5 at that token, or their bits per byte at that "
                       "character.")

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(f"color: {warning_color(self.palette()).name()};" if error else "")
        self.status.setText(text)

    # --- the columns -------------------------------------------------------------------

    def add_column(self, column: CompareColumn) -> ColumnCard | None:
        if len(self.cards) >= MAX_COLUMNS:
            self._show_status(self.tr("A comparison has at most {0} columns.").format(MAX_COLUMNS), error=True)
            return None
        card = ColumnCard(self._entries(), column)
        card.remove_requested.connect(self.remove_column)
        card.edited.connect(self._on_columns_edited)
        self.columns_layout.insertWidget(len(self.cards), card, 1)  # the trailing stretch takes what they leave
        self.cards.append(card)
        self._renumber()
        self._on_columns_edited()
        return card

    def remove_column(self, card: ColumnCard) -> None:
        self.cards.remove(card)
        self.columns_layout.removeWidget(card)
        card.hide()  # at once: the deletion waits for the event loop
        card.deleteLater()
        self._renumber()
        self._on_columns_edited()

    def _on_columns_edited(self) -> None:
        self._forget_comparison()
        self.state.page_input_edited.emit()  # the session keeps the columns

    def _renumber(self) -> None:
        for number, card in enumerate(self.cards, start=1):
            card.set_number(number)
        self._update_buttons()

    def columns(self) -> list[CompareColumn]:
        return [card.column() for card in self.cards]

    def add_from_generate(self) -> None:
        """A column with the Generate page's settings, on the model loaded there (or the default one)."""
        settings = self.state.editor_request().settings
        loaded = self.state.loaded_model
        ref = loaded.entry.id if loaded is not None else self._default_ref()
        self.add_column(CompareColumn(ref, settings, settings.seed))

    def add_from_run(self, run) -> None:
        try:
            settings = settings_from_dict(run.settings)
        except TypeError:
            self._show_status(self.tr("This run's settings are from another version."), error=True)
            return
        self.add_column(CompareColumn(run.model_id, settings, run.seed, self.tr("run {0}").format(run.created[11:16])))

    def add_from_model(self, entry_id: str) -> None:
        """A column on a model trained here, with the Generate page's settings."""
        settings = self.state.editor_request().settings
        self.add_column(CompareColumn(entry_id, settings, settings.seed))

    def _default_ref(self) -> str:
        try:
            return self.state.catalog.default_entry().id
        except StopIteration:
            return ""

    def _fill_add_menu(self) -> None:
        menu = self.add_menu
        menu.clear()
        menu.addAction(self.tr("From the Generate settings"), self.add_from_generate)
        runs_menu = menu.addMenu(self.tr("From a run"))
        runs_menu.setToolTipsVisible(True)
        runs = list(reversed(self.state.session_runs()))[:30]  # the newest first, as the Runs list shows them
        for run in runs:
            prompt = " ".join(run.prompt.split())
            prompt = prompt if len(prompt) <= 40 else prompt[:39] + "…"
            try:  # how it was decoded tells apart two runs of one prompt
                settings = settings_from_dict(run.settings)
                decoding = settings_summary(settings, translated)
                if settings.mode == "sample" and run.seed is not None:
                    decoding += " · " + self.tr("seed {0}").format(run.seed)
            except TypeError:  # settings from another version: add_from_run says so
                decoding = ""
            text = " · ".join(part for part in (translated(run.model_name), prompt, decoding) if part)
            action = runs_menu.addAction(f"{run.created[11:16]}  {text}", _bound(self.add_from_run, run))
            action.setToolTip(self.tr(
                "A column decoding as this run did: its model, settings and seed, on this page's prompt (a branch's "
                "forced start is not carried over)."))
        runs_menu.setEnabled(bool(runs))
        trained_menu = menu.addMenu(self.tr("From a model or checkpoint trained here"))
        trained_runs = self.state.catalog.trained.runs()
        for run in trained_runs:
            for variant in run.variants:  # the final model and every checkpoint
                trained_menu.addAction(f"{run.name} — {variant_label(variant)}",
                                       _bound(self.add_from_model, variant.entry.id))
        trained_menu.setEnabled(bool(trained_runs))

    def _entries(self) -> list[ModelEntry]:
        """The catalog's models, a trained run's named as the model picker names it, in the chosen language
        (the name saved with a checkpoint is English: "run (checkpoint, step 300)")."""
        names = trained_model_names(self.state.catalog)
        listed = {entry.id: entry for entry in self.state.catalog.entries()}
        for entry in self.state.catalog.trained.variant_entries():  # every step and checkpoint, as the picker lists
            listed.setdefault(entry.id, entry)
        return [dataclasses.replace(entry, name=names.get(entry.id, entry.name)) for entry in listed.values()]

    def _refresh_models(self) -> None:
        entries = self._entries()
        for card in self.cards:
            card.set_entries(entries)

    # --- the prompt --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._prompt_filled:  # the first time the page opens: start from what Generate holds
            self._prompt_filled = True
            if not self.prompt_edit.toPlainText().strip():
                self.fill_prompt()
            if not self.cards:
                self.add_from_generate()

    def fill_prompt(self) -> None:
        self.prompt_edit.setPlainText(self.state.editor_request().prompt)

    # --- running -----------------------------------------------------------------------

    def run(self) -> None:
        columns = self.columns()
        request = self.state.editor_request()
        prompt = self.prompt_edit.toPlainText()
        if self._load is None:  # read on this thread; the cache loads on the job's
            self.cache.load = catalog_loader(self.state.catalog, self.state.load_settings())
        cache = self.cache
        # Chat on means each model's own template where it has one: a base model among the columns completes raw text.
        chat = False if request.chat is False else None
        if not self.job.start(lambda cancel: run_comparison(columns, prompt, cache, request.system_prompt, chat,
                                                            cancel)):
            return  # the window is closing
        self._running_cards = list(self.cards)
        self._forget_comparison()
        for card in self.cards:
            card.begin()
            card.set_editable(False)
        # Each column generated, token by token, then each answer scored: a long answer moves the bar too.
        self._token_budgets = [column.settings.max_new_tokens for column in columns]
        self.progress.setRange(0, 2 * len(columns) * _PROGRESS_UNITS)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._show_status(self.tr("Starting…"))
        self._update_buttons()

    def cancel(self) -> None:
        self.job.cancel()

    def is_running(self) -> bool:
        return self.job.is_running

    def _on_event(self, event) -> None:
        if isinstance(event, ColumnToken):
            self._pending.setdefault(event.column, []).append(token_from_event(event.token))
            self._schedule_paint()
            share = min(1.0, (event.token.step + 1) / self._token_budgets[event.column])
            self.progress.setValue(round((event.column + share) * _PROGRESS_UNITS))
        elif isinstance(event, ModelLoading):
            self._show_status(self.tr("Column {0}: {1}…").format(event.column + 1, translated_stage(event.progress)))
        elif isinstance(event, ColumnStarted):
            self._running_cards[event.column].show_status(self.tr("generating…"))
            self._show_status(self.tr("Column {0}: {1} is answering…").format(event.column + 1,
                                                                               translated(event.model_name)))
        elif isinstance(event, ColumnFinished):
            self._paint_pending()
            self._running_cards[event.column].show_outcome(event.outcome)
            self.progress.setValue((event.column + 1) * _PROGRESS_UNITS)
        elif isinstance(event, ScoringProgress):
            self.progress.setValue((len(self._running_cards) + event.texts_done) * _PROGRESS_UNITS)
            self._show_status(self.tr("Scoring every answer under every model: {0} of {1}…").format(
                event.texts_done, event.texts_total))

    def _paint_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for column, tokens in pending.items():
            if column < len(self._running_cards):
                self._running_cards[column].add_tokens(tokens)

    def _on_finished(self, comparison: Comparison) -> None:
        try:
            save_comparison(comparison)
        except OSError as error:  # shown all the same; a restart will not find it
            self._show_comparison(comparison)
            self._show_status(self.tr("Done, but the comparison could not be kept for the next start: {0}").format(
                error_text(error)), error=True)
            return
        self._show_comparison(comparison)

    def _show_comparison(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.reference_combo.blockSignals(True)
        self.reference_combo.clear()
        self.reference_combo.addItems(self._titles())
        self.reference_combo.blockSignals(False)
        self._show_matrix()
        self._show_strips()
        answers = len(comparison.outcomes)
        unscored = sum(problem is not None for row in comparison.problems for problem in row)
        if unscored:
            self._show_status(self.tr("Done: {0} answer(s); {1} score(s) could not be taken (“–” in the table: "
                                      "hover over one to see why).").format(answers, unscored))
        else:
            self._show_status(self.tr("Done: 1 answer, scored by every column's model.") if answers == 1 else self.tr(
                "Done: {0} answers, each scored by every column's model.").format(answers))

    def _on_ended(self) -> None:
        self._schedule_paint.flush(restart_timer=False)
        for card in self._running_cards:
            if card in self.cards:
                card.set_editable(True)
                card.end_unanswered()
        self.progress.setVisible(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.job.is_running
        ready = bool(self.cards) and bool(self.prompt_edit.toPlainText().strip())
        self.run_button.setEnabled(not running and ready)
        self.stop_button.setEnabled(running)
        self.add_button.setEnabled(not running and len(self.cards) < MAX_COLUMNS)
        for button in (self.export_md_button, self.export_json_button):
            button.setEnabled(self.comparison is not None)

    def _forget_comparison(self) -> None:
        """The columns changed: the scores shown belong to columns that are gone."""
        if self.comparison is None:
            return
        self.comparison = None
        with suppress(OSError):  # a folder that cannot be written: the columns kept with the session no longer match
            forget_comparison()
        self.matrix.setRowCount(0)
        self.matrix.setColumnCount(0)
        self.reference_combo.clear()
        self.strips.show_strips([], [], [])
        self.metric_note.clear()
        self._update_buttons()

    # --- the scores --------------------------------------------------------------------

    def _titles(self) -> list[str]:
        return [f"{index + 1}" for index in range(len(self.comparison.outcomes))]

    def _show_matrix(self, *_) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        forced = comparison.tokenizers_differ
        if forced:
            self.metric_combo.setCurrentIndex(self.metric_combo.findData(BITS_PER_BYTE))
            differing = sorted({j + 1 for i, row in enumerate(comparison.shares_tokenizer)
                                for j, shared in enumerate(row) if not shared and i == 0})
            note = self.tr("Bits per byte only: column(s) {0} tokenize differently from column 1, so a token is "
                           "not the same unit in every row.").format(", ".join(str(number) for number in differing))
        else:
            note = self.tr("Every model shares one tokenizer.")
        # Else the figures seem to contradict the mean surprisal under each column, which is read after the prompt.
        self.metric_note.setText(note + " " + self.tr("Each answer is read alone, without the prompt, so that every "
                                                      "model reads the same text."))
        self.metric_combo.setEnabled(not forced)
        names = [translated(outcome.model_name) for outcome in comparison.outcomes]
        self.matrix.show_matrix(comparison, self._titles(), names, self.metric_combo.currentData())

    def _show_strips(self, *_) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        reference = max(0, self.reference_combo.currentIndex())
        strips, titles, units = [], [], []
        for other in range(len(comparison.outcomes)):
            strip = comparison.disagreement(reference, other) if other != reference else None
            if strip is None:
                continue
            strips.append(strip)
            same_model = comparison.columns[reference].model_ref == comparison.columns[other].model_ref
            if strip.per_token:
                titles.append(self.tr("KL(column {0} ‖ column {1}) per token{2}").format(
                    reference + 1, other + 1, self.tr(" (the same model: 0)") if same_model else ""))
                units.append(self.tr("nats"))
            else:
                titles.append(self.tr("column {0} (filled) vs column {1} (line): bits per byte per character, "
                                      "other tokenizer").format(other + 1, reference + 1))
                units.append(self.tr("bits/byte"))
        unread = not strips and len(comparison.outcomes) > 1  # the reference answer could not be read by the models
        self.strips.show_strips(strips, titles, units, self.tr(
            "No strip for this reference: the line below says why.") if unread else "")
        if strips:
            self.hover_label.setText(self._hover_hint())
        elif unread:
            problem = next((row[reference] for row in comparison.problems if row[reference] is not None), None)
            self.hover_label.setText(self.tr("Column {0}'s answer is not scored by the other models: {1}").format(
                reference + 1, html.escape(error_text(problem)) if problem else self.tr("no score")))
        else:
            self.hover_label.setText(self.tr("Add a second column to see where the models disagree."))

    def hover_text(self, strip_index: int, x: int) -> str:
        comparison, strip = self.comparison, self.strips.strips[strip_index]
        reference, other = strip.reference, strip.other
        label, number = html.escape(strip.labels[x]), x + first_number(strip)
        if not strip.per_token:
            return self.tr("Character {0} “{1}”: column {2} {3}, column {4} {5} bits per byte.").format(
                number, label, other + 1, _bits(strip.values[x]), reference + 1, _bits(strip.reference_values[x]))

        def top(scorer: int) -> str:
            return " · ".join(f"“{html.escape(text)}” {format_prob(prob)}"
                              for text, prob in comparison.top_tokens(scorer, reference, x))

        return self.tr("Token {0} “{1}”: KL {2:.3f} nats<br><b>column {3}</b>: {4}<br><b>column {5}</b>: {6}"
                       ).format(number, label, strip.values[x], reference + 1, top(reference), other + 1, top(other))

    def _on_strip_hovered(self, strip_index: int, x: int) -> None:
        if strip_index >= 0 and self.comparison is not None:
            self.hover_label.setText(self.hover_text(strip_index, x))

    # --- export ------------------------------------------------------------------------

    def export(self, suffix: str) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        text = comparison_to_markdown(comparison) if suffix == ".md" else comparison_to_json(comparison)
        kind = self.tr("Markdown (*.md)") if suffix == ".md" else self.tr("JSON (*.json)")
        ask_and_save(self, self.tr("Export the comparison"), str(Path.home() / f"comparison{suffix}"), kind,
                     lambda path: write_text_atomic(path, text),
                     self._show_status)

    # --- lifecycle -----------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop a running comparison, wait for its thread, then free the models it kept."""
        self.job.shutdown()
        self._schedule_paint.flush(restart_timer=False)
        self.cache.clear()


def _bound(method: Callable, argument) -> Callable[[], None]:
    """A menu action's slot with its argument (the action's ``checked`` flag dropped)."""
    return lambda _checked=False: method(argument)


def _bits(value: float) -> str:
    return f"{value:.2f}" if value == value else "–"  # nan: no scored token covers the character
