"""The training settings form: corpus, architecture, tokenizer, every ``TrainSettings`` number,
device and output folder. It builds a ``TrainSettings`` and lists what is wrong with it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import paths
from workbench.core.errors import InvalidInputError
from workbench.core.outputs import check_output_folder
from workbench.core.resources import sample_corpus
from workbench.core.settings_fields import described_field, described_fields
from workbench.core.training.corpus import read_corpus, split_problem
from workbench.core.training.events import CorpusStats
from workbench.core.training.run_folder import check_tensorboard_folder
from workbench.core.training.settings import TrainSettings
from workbench.qt.common.language import error_text, translated
from workbench.qt.common.settings_form import SettingsForm

# The window evaluates more often than the command line's 250 steps: a person watching a CPU run sees its
# validation loss and a sample every few seconds; a script's run spends less time measuring.
PANEL_DEFAULTS = {"eval_interval": 100}
PLACE_CHECK_S = 2.0  # how long an output folder's check is trusted
_OWN_ROWS = {"corpus", "out_dir"}  # edited in the form's own groups, with file pickers and statistics
_CLI_ONLY = {"fsdp"}  # for torchrun's processes: the window trains in one


@dataclass(frozen=True)
class CorpusPreview:
    characters: int
    distinct_characters: int
    files: int


def preview_corpus(path: str) -> CorpusPreview:
    corpus = read_corpus(path)
    return CorpusPreview(len(corpus.text), len(set(corpus.text)), len(corpus.files))


class TrainingForm(QWidget):
    """Everything a run needs. ``settings()`` builds the ``TrainSettings``; ``problems()``
    says in plain words what stops a run from starting; ``changed`` fires on any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._corpus_problem = ""
        self._corpus_preview: CorpusPreview | None = None
        self._base_model: str | None = None
        self._out_dir_is_automatic = True
        # By setting (the output folder, the TensorBoard folder): where it was, why it is refused ("") and when.
        self._places_checked: dict[str, tuple[tuple, str, float]] = {}

        self._inputs: list[QWidget] = []  # what a running training must not change
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._build_corpus_group())
        self.base_model_label = QLabel()
        self.base_model_label.setWordWrap(True)
        self.settings_form = SettingsForm(
            TrainSettings,
            [field.name for field in described_fields(TrainSettings) if field.name not in _OWN_ROWS | _CLI_ONLY],
            custom={"base_model": self.base_model_label},
        )
        self.settings_form.set_values(PANEL_DEFAULTS)
        self.settings_form.changed.connect(self._on_changed)
        self.settings_form.control("arch").currentIndexChanged.connect(self._architecture_changed)
        for part in (self.settings_form, self._build_output_group()):
            layout.addWidget(part)
            self._inputs.append(part)
        layout.addStretch(1)
        self.settings_form.hide_unused(self.settings().unused_settings())
        self.new_output_folder()

    # ----- building --------------------------------------------------------------------

    def _build_corpus_group(self) -> QGroupBox:
        corpus = described_field(TrainSettings, "corpus").info
        group = QGroupBox(translated(corpus.label))
        form = QVBoxLayout(group)
        row = QHBoxLayout()
        self.corpus_edit = QLineEdit()
        self.corpus_edit.setPlaceholderText(self.tr("A UTF-8 text file, or a folder of .txt files"))  # short: a laptop
        self.corpus_edit.setToolTip(translated(corpus.help) + " " + self.tr("Chinese and any other language work."))
        self.corpus_edit.editingFinished.connect(self._corpus_edited)
        file_button = QPushButton(self.tr("File…"))
        file_button.setToolTip(self.tr("Choose one text file."))
        file_button.clicked.connect(self._choose_corpus_file)
        folder_button = QPushButton(self.tr("Folder…"))
        folder_button.setToolTip(self.tr("Choose a folder: every .txt file in it is joined into one corpus."))
        folder_button.clicked.connect(self._choose_corpus_folder)
        row.addWidget(self.corpus_edit, 1)
        row.addWidget(file_button)
        row.addWidget(folder_button)
        self._inputs += [self.corpus_edit, file_button, folder_button]
        form.addLayout(row)
        self.try_button = QPushButton(self.tr("Try training on Tang poems"))
        self.try_button.setToolTip(
            self.tr(
                "Pick the bundled corpus (300 Tang poems) with a small character-level GPT: "
                "press Start and watch it learn."
            )
        )
        self.try_button.clicked.connect(self.use_sample_corpus)
        self.try_button.setEnabled(sample_corpus().is_file())
        form.addWidget(self.try_button)
        self._inputs.append(self.try_button)
        self.corpus_stats_label = QLabel(self.tr("No corpus chosen yet."))
        self.corpus_stats_label.setWordWrap(True)
        form.addWidget(self.corpus_stats_label)
        return group

    def _build_output_group(self) -> QGroupBox:
        out_dir = described_field(TrainSettings, "out_dir").info
        group = QGroupBox(translated(out_dir.label))
        row = QHBoxLayout(group)
        self.out_dir_edit = QLineEdit()
        self.out_dir_edit.setToolTip(translated(out_dir.help) + " " + self.tr(
            "A name without a folder is made among the trained models, in {0}.").format(paths.trained_models_dir()))
        self.out_dir_edit.textEdited.connect(self._out_dir_edited)
        browse = QPushButton(self.tr("Browse…"))
        browse.setToolTip(self.tr("Choose the output folder."))
        browse.clicked.connect(self._choose_out_dir)
        row.addWidget(self.out_dir_edit, 1)
        row.addWidget(browse)
        return group

    def set_editable(self, editable: bool) -> None:
        """Lock the inputs while a run uses them; the corpus statistics stay readable."""
        for widget in self._inputs:
            widget.setEnabled(editable and (widget is not self.try_button or sample_corpus().is_file()))

    def is_editable(self) -> bool:
        return self.corpus_edit.isEnabled()

    # ----- reading and writing values --------------------------------------------------

    def number(self, name: str) -> QWidget:
        return self.settings_form.control(name)

    def set_values(self, **values) -> None:
        """Set fields by ``TrainSettings`` name, as edits would (choosing fine-tuning picks its tokenizer)."""
        for name, value in values.items():
            if name == "corpus":
                self.set_corpus(value)
            elif name == "out_dir":
                self.out_dir_edit.setText(value)
                self._out_dir_is_automatic = False
            else:
                self.settings_form.set_value(name, value)
        self._on_changed()

    def shows(self, name: str) -> bool:
        """Whether ``set_values`` can show the setting ``name`` (the base model follows the loaded one)."""
        return name in ("corpus", "out_dir") or name in self.settings_form.values()

    def settings(self) -> TrainSettings:
        values = self.settings_form.values()
        finetune = values["arch"] == "finetune"
        out_dir = self.out_dir_edit.text().strip()
        if out_dir and not Path(out_dir).expanduser().is_absolute():
            # A name typed alone goes with the other trained models, not wherever the window happened to start.
            out_dir = str(paths.trained_models_dir() / out_dir)
        return TrainSettings(
            corpus=self.corpus_edit.text().strip(),
            out_dir=out_dir,
            **{**values, "base_model": self._base_model if finetune else None, "lora": values["lora"] and finetune},
        )

    def notes(self) -> list[str]:
        """What the settings allow but a person rarely means (the run can start)."""
        return list(self.settings().notes())  # translated where shown, as the problems are

    def problems(self) -> list[str]:
        """What stops a run from starting, in words a person can act on; [] when it can start."""
        settings = self.settings()
        found: list[str] = []
        if settings.corpus and self._corpus_problem:
            found.append(self._corpus_problem)
        elif settings.corpus and self._corpus_preview is not None and settings.tokenizer == "char":
            # Characters are the tokens: a split too short for the block size is known before the run reads the text.
            if problem := split_problem(self._corpus_preview.characters, settings.val_fraction, settings.block_size):
                found.append(error_text(problem))
        for problem in settings.problems():
            if problem.field == "base_model":  # here the base model is the one loaded in the workbench
                found.append(self.tr("Load a model first: fine-tuning continues training the loaded model."))
            else:
                found.append(problem)
        if settings.out_dir:
            try:
                out_dir = paths.usable(Path(settings.out_dir).expanduser())
            except InvalidInputError as error:
                found.append(error_text(error))
            else:
                if out_dir.is_dir() and any(out_dir.iterdir()):
                    found.append(self.tr("The output folder already has files: choose a new folder."))
                elif problem := self._place_problem("out_dir", (out_dir,), lambda: check_output_folder(out_dir)):
                    found.append(problem)
        if settings.tensorboard and (problem := self._place_problem(
                "tensorboard", (settings.out_dir, settings.tensorboard),
                lambda: check_tensorboard_folder(settings.out_dir, settings.tensorboard))):
            found.append(problem)
        return found

    def _place_problem(self, name: str, places: tuple, check: Callable[[], object]) -> str:
        """Why ``check`` refuses the folder of setting ``name`` at ``places`` (a file, a place files cannot be
        written), said before Start rather than after it. A check writes a temporary file: made again only for
        other places, or a few seconds later (the person may have fixed the place meanwhile)."""
        checked = self._places_checked.get(name)
        if checked is None or checked[0] != places or time.monotonic() - checked[2] > PLACE_CHECK_S:
            try:
                check()
                problem = ""
            except InvalidInputError as error:
                problem = error_text(error)
            self._places_checked[name] = checked = (places, problem, time.monotonic())
        return checked[1]

    # ----- corpus ----------------------------------------------------------------------

    def use_sample_corpus(self) -> None:
        """The one-click start: Tang poems, character tokens, a small GPT."""
        self.set_values(arch="gpt", tokenizer="char")
        self.set_corpus(str(sample_corpus()))

    def set_corpus(self, path: str) -> None:
        self.corpus_edit.setText(path)
        self._corpus_edited()

    def _corpus_edited(self) -> None:
        path = self.corpus_edit.text().strip()
        self._corpus_problem = ""
        self._corpus_preview = None
        if not path:
            self.corpus_stats_label.setText(self.tr("No corpus chosen yet."))
        else:
            try:
                preview = preview_corpus(path)
            except InvalidInputError as error:
                self._corpus_problem = error_text(error)
                self.corpus_stats_label.setText(error_text(error))
            else:
                self._corpus_preview = preview
                self.corpus_stats_label.setText(
                    self.tr("{characters:,} characters, {distinct:,} different ones, in {files} file(s).").format(
                        characters=preview.characters, distinct=preview.distinct_characters, files=preview.files
                    )
                )
        self._refresh_automatic_out_dir()
        self._on_changed()

    def show_corpus_stats(self, stats: CorpusStats) -> None:
        """The trainer's own count, once the run has tokenized the corpus."""
        text = self.tr(
            "{characters:,} characters → {tokens:,} tokens from a vocabulary of {vocabulary:,}; "
            "{train:,} for training, {val:,} for validation."
        ).format(characters=stats.characters, tokens=stats.tokens, vocabulary=stats.vocabulary,
                 train=stats.train_tokens, val=stats.val_tokens)
        if stats.special_tokens:  # the tokens no text holds: why a character vocabulary outnumbers the characters
            names = stats.special_tokens
            shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
            text += " " + self.tr("The vocabulary includes {0:,} special token(s): {1}.").format(len(names), shown)
        if stats.unknown:  # a run continued on another text: what its vocabulary lacks is all one token
            text += " " + self.tr("{0:,} of them ({1:.0%}) are unknown to the run's vocabulary.").format(
                stats.unknown, stats.unknown / stats.tokens)
        self.corpus_stats_label.setText(text)

    def _choose_corpus_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a text file"), "", self.tr("Text files (*.txt);;All files (*)")
        )
        if path:
            self.set_corpus(path)

    def _choose_corpus_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder of .txt files"))
        if path:
            self.set_corpus(path)

    # ----- base model, output folder -----------------------------------------------------

    def set_base_model(self, model_id: str | None, name: str = "") -> None:
        self._base_model = model_id
        self.base_model_label.setText(name or model_id or self.tr("No model loaded: load one in the model picker."))
        self._on_changed()

    def new_output_folder(self) -> None:
        """A fresh automatic folder name under the trained-models folder (for the next run)."""
        self._out_dir_is_automatic = True
        self._refresh_automatic_out_dir()

    def _refresh_automatic_out_dir(self) -> None:
        if not self._out_dir_is_automatic:
            return
        corpus = Path(self.corpus_edit.text().strip()).stem or "corpus"
        name = f"{self.settings_form.control('arch').currentData()}-{corpus}-{time.strftime('%Y%m%d-%H%M%S')}"
        self.out_dir_edit.setText(str(paths.trained_models_dir() / name))

    def _out_dir_edited(self) -> None:
        self._out_dir_is_automatic = False
        self._on_changed()

    def _choose_out_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, self.tr("Choose an empty output folder"), str(paths.trained_models_dir())
        )
        if path:
            self.set_values(out_dir=path)

    # ----- reacting ----------------------------------------------------------------------

    def _architecture_changed(self) -> None:
        # Fine-tuning needs the base model's tokenizer; a model from scratch needs its own.
        values = self.settings_form.values()
        finetune = values["arch"] == "finetune"
        if finetune != (values["tokenizer"] == "pretrained"):
            self.settings_form.set_value("tokenizer", "pretrained" if finetune else "char")
        self._refresh_automatic_out_dir()
        self._on_changed()

    def _on_changed(self) -> None:
        self.settings_form.hide_unused(self.settings().unused_settings())
        self.changed.emit()
