"""One column of the Compare page: which model, which decoding settings and seed, and the answer as it
streams in (probability-coloured, as on the Generate page) with its timings and mean surprisal."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel, QSearchableComboBox
from superqt.utils import signals_blocked

from workbench.core.catalog import ModelEntry
from workbench.core.comparison import ColumnOutcome, CompareColumn, settings_summary
from workbench.core.decoding import PRESETS, DecodingSettings
from workbench.core.sessions import RunToken
from workbench.core.settings_fields import described_fields
from workbench.qt.common.language import translated
from workbench.qt.common.settings_form import SettingsForm, whole_number_box
from workbench.qt.common.theme import warning_color
from workbench.qt.common.tooltips import literal
from workbench.qt.generation.decoding_mode import DecodingModeRules
from workbench.qt.generation.output_view import SequenceView

COLUMN_WIDTH = 330  # four columns side by side fit a 1366-pixel window; more scroll
COLUMN_MAX_WIDTH = 2 * COLUMN_WIDTH  # fewer columns share the room, up to a line length still easy to read
# A column has its own seed box and shows one answer: the dialog leaves those two out.
_COLUMN_OWN = {"seed", "num_return_sequences"}


class DecodingDialog(QDialog):
    """The decoding settings of one column, as the Generate page's form edits them."""

    def __init__(self, settings: DecodingSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Decoding settings of this column"))
        names = [field.name for field in described_fields(DecodingSettings) if field.name not in _COLUMN_OWN]
        self.form = SettingsForm(DecodingSettings, names, collapsible=True, collapsed=("Sampler order",))
        self._seed = settings.seed
        self.mode_rules = DecodingModeRules(self.form, self.settings, self.set_settings)
        # The Generate page's built-in presets: "greedy against creative" is two picks, not a dozen knobs.
        self.preset_combo = QComboBox()
        self.preset_combo.addItem(self.tr("Start from a preset…"), None)
        for name in PRESETS:
            self.preset_combo.addItem(translated(name), name)
        self.preset_combo.setToolTip(self.tr("Fill the form with a preset's settings; this column's seed stays."))
        self.preset_combo.activated.connect(self._apply_preset)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preset_combo)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.buttons)
        self.resize(420, 560)
        self.form.changed.connect(self._check)
        self.set_settings(settings)

    def settings(self) -> DecodingSettings:
        return DecodingSettings(seed=self._seed, **self.form.values())

    def set_settings(self, settings: DecodingSettings) -> None:
        self.mode_rules.shown(settings)
        with signals_blocked(self.form):
            self.form.set_values(dataclasses.asdict(settings))
        self._check()

    def _apply_preset(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name is not None:
            self.set_settings(dataclasses.replace(PRESETS[name], seed=self._seed))

    def _check(self) -> None:
        settings = self.settings()
        self.mode_rules.enable_knobs(settings)
        problems = settings.problems()
        self.problems_label.setText("\n".join(f"⚠ {translated(problem)}" for problem in problems))
        self.problems_label.setVisible(bool(problems))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problems)


class ColumnCard(QFrame):
    """Edits one ``CompareColumn`` and shows its answer."""

    remove_requested = Signal(object)  # this card
    edited = Signal()

    def __init__(self, entries: list[ModelEntry], column: CompareColumn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(COLUMN_WIDTH)
        self.setMaximumWidth(COLUMN_MAX_WIDTH)
        self._settings = column.settings
        self._label = column.label
        self.number_label = QLabel()
        self.number_label.setStyleSheet("font-weight: bold;")
        self.model_combo = QSearchableComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(12)
        self.model_combo.setToolTip(self.tr("The model this column generates with and scores with: type to search."))
        self.model_combo.currentIndexChanged.connect(self.edited)
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip(self.tr("Remove this column"))
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        model_row = QHBoxLayout()
        model_row.addWidget(self.number_label)
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.remove_button)

        self.settings_label = QElidingLabel()
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.setToolTip(self.tr("Change this column's decoding settings."))
        self.edit_button.clicked.connect(self.edit_settings)
        self.seed_check = QCheckBox(self.tr("Seed"))
        self.seed_check.setToolTip(self.tr("Checked: this column samples from this seed every run. Unchecked: "
                                           "a new seed each run (shown afterwards)."))
        self.seed_spin = whole_number_box(DecodingSettings, "seed")
        self._editable = True
        self.seed_check.setChecked(column.seed is not None)
        self.seed_spin.setValue(column.seed or 0)
        self.seed_check.toggled.connect(self._enable_seed)
        self.seed_check.toggled.connect(self.edited)
        self.seed_spin.valueChanged.connect(self.edited)
        settings_row = QHBoxLayout()
        settings_row.addWidget(self.settings_label, 1)
        settings_row.addWidget(self.edit_button)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_check)
        seed_row.addWidget(self.seed_spin, 1)

        self.text_view = SequenceView()
        self.answered = False  # its answer of the last run came whole
        # Each figure named, on two lines of their own: a wrapping label would make the scrolling row of columns
        # taller than its view (QScrollArea sizes it by the label's height for some other width).
        self.stats_label = QLabel()
        self.stats_label.setMinimumHeight(self.stats_label.fontMetrics().lineSpacing() * 2)  # "waiting…" too
        self.stats_label.setToolTip(self.tr("Time to first token · generated tokens per second · length in tokens · "
                                            "mean surprisal of the generated tokens under the raw model (nats), "
                                            "read after the prompt as they were generated."))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(model_row)
        layout.addLayout(settings_row)
        layout.addLayout(seed_row)
        layout.addWidget(self.text_view, 1)
        layout.addWidget(self.stats_label)
        self.set_entries(entries, column.model_ref)
        self._show_settings()

    # --- the column --------------------------------------------------------------------

    def set_entries(self, entries: list[ModelEntry], chosen: str | None = None) -> None:
        """List the generative models (the catalog again, say); the chosen one stays, even when not listed."""
        chosen = chosen if chosen is not None else self.model_ref()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for entry in entries:
            if entry.can_generate:
                self.model_combo.addItem(translated(entry.name), entry.id)
                self.model_combo.setItemData(self.model_combo.count() - 1, translated(entry.description),
                                             Qt.ItemDataRole.ToolTipRole)
        if chosen and self.model_combo.findData(chosen) < 0:
            self.model_combo.addItem(chosen, chosen)  # a folder or hub id from a run
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(chosen)))
        self.model_combo.blockSignals(False)

    def model_ref(self) -> str:
        return self.model_combo.currentData() or ""

    def column(self) -> CompareColumn:
        seed = self.seed_spin.value() if self.seed_check.isChecked() else None
        return CompareColumn(self.model_ref(), self._settings, seed, self._label)

    def set_number(self, number: int) -> None:
        """The column's number, and where it came from (a run's decoding) when it did."""
        self.number_label.setText(f"{number} · {self._label}" if self._label else str(number))

    def set_editable(self, editable: bool) -> None:
        self._editable = editable
        for widget in (self.model_combo, self.edit_button, self.remove_button):
            widget.setEnabled(editable)
        self._enable_seed()

    def _enable_seed(self) -> None:
        # Greedy and beam search draw nothing: no seed to set, as on the Generate page.
        drawn = self._editable and "seed" not in self._settings.unused_settings()
        self.seed_check.setEnabled(drawn)
        self.seed_spin.setEnabled(drawn and self.seed_check.isChecked())

    def edit_settings(self) -> None:
        dialog = DecodingDialog(self._settings, self)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self._settings = dialog.settings()
                self._show_settings()
                self.edited.emit()
        finally:
            # Deleted by Qt, on this thread: left to Python, the dialog's reference cycle (its mode rules hold its
            # own methods) was collected on whichever thread the garbage collector next ran, a model loader's,
            # and destroying widgets there crashed the window.
            dialog.deleteLater()

    def _show_settings(self) -> None:
        summary = settings_summary(self._settings, translated)
        self.settings_label.setText(summary)
        self.settings_label.setToolTip(literal(summary))
        self._enable_seed()

    # --- the answer --------------------------------------------------------------------

    def begin(self) -> None:
        self.text_view.clear()
        self.text_view.setPlaceholderText("")
        self.text_view.tokens = []
        self.answered = False
        self.stats_label.setText(self.tr("waiting…"))

    def end_unanswered(self) -> None:
        """The run ended (Stop, a problem) before this column's answer was whole."""
        if not self.answered:
            self.stats_label.setText(self.tr("stopped: the text so far") if self.text_view.tokens
                                     else self.tr("not run"))

    def show_status(self, text: str) -> None:
        self.stats_label.setText(text)

    def add_tokens(self, tokens: list[RunToken]) -> None:
        self.text_view.append_tokens(tokens)

    def show_outcome(self, outcome: ColumnOutcome) -> None:
        self.answered = True
        self.text_view.show_sequence(outcome.sequence)
        if not outcome.text.strip():  # an empty box alone reads as a failure: the model chose to end at once
            self.text_view.setPlaceholderText(self.tr("The model ended the text at its first step: this answer has "
                                                      "no text. Change the prompt, or sample for another start."))
        # A finished answer is read from its start (following the end while the document's layout still grows
        # left it mid-text), as the other columns' are.
        self.text_view.verticalScrollBar().setValue(0)
        stats = outcome.stats
        first = self.tr("first token {0:.0f} ms").format(stats.time_to_first_token_s * 1000) \
            if stats.time_to_first_token_s is not None else "–"
        seed = self.tr(" · seed {0}").format(outcome.seed) if outcome.seed is not None else ""
        self.stats_label.setText(self.tr("{0} · {1:.1f} tok/s · {2} tok\nmean surprisal {3:.2f} nats{4}").format(
            first, stats.tokens_per_s, stats.length, stats.mean_surprisal, seed))
