"""The training settings form: corpus, architecture, tokenizer, every ``TrainSettings`` number,
device and output folder. It builds a ``TrainSettings`` and lists what is wrong with it."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core import paths
from workbench.core.devices import available_devices
from workbench.core.errors import InvalidInputError
from workbench.core.resources import sample_corpus
from workbench.core.training.corpus import read_corpus
from workbench.core.training.settings import TrainSettings

_CONTEXT = "TrainingForm"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


@dataclass(frozen=True)
class NumberField:
    """One numeric ``TrainSettings`` field and how to edit it."""

    name: str  # the TrainSettings attribute
    label: str
    tooltip: str
    minimum: float
    maximum: float
    step: float = 1
    decimals: int = 0  # 0: a whole number
    special: str = ""  # shown instead of the minimum value (which then means "off" or "automatic")
    none_at_minimum: bool = False  # the minimum stands for None ("automatic") in TrainSettings


MODEL_FIELDS = (
    NumberField("n_layer", "Layers", "How many Transformer blocks (or recurrent layers) are stacked. More learn more, but train slower.", 1, 48),
    NumberField("n_head", "Attention heads", "How many attention patterns each Transformer block learns side by side. Must divide the embedding size.", 1, 32),
    NumberField("n_embd", "Embedding size", "Length of the vector that stands for each token inside the model. Bigger is stronger and slower.", 8, 2048, step=8),
    NumberField("block_size", "Context length", "How many tokens the model sees at once when predicting the next one.", 8, 4096, step=8),
    NumberField("dropout", "Dropout", "Share of activations randomly zeroed while training, against overfitting. 0 for small models and short runs.", 0, 0.9, step=0.05, decimals=2),
    NumberField("vocab_size", "BPE vocabulary", "How many tokens the BPE tokenizer learns from the corpus (byte pieces merged into frequent chunks).", 260, 65535, step=100),
    NumberField("lora_rank", "LoRA rank", "Size of the small low-rank matrices LoRA trains instead of the whole model. 8 is a good start.", 1, 256),
)

TRAINING_FIELDS = (
    NumberField("max_iters", "Training steps", "How many optimizer steps to run in total.", 1, 1_000_000, step=100),
    NumberField("batch_size", "Batch size", "How many text blocks are read per step. Bigger gives smoother steps and uses more memory.", 1, 1024),
    NumberField("grad_accum", "Gradient accumulation", "Add up the gradients of this many batches before each step: a bigger batch without more memory.", 1, 64),
    NumberField("lr", "Learning rate", "How big each step is. Too high and the loss jumps or becomes NaN; too low and it falls slowly.", 0.00001, 1.0, step=0.0001, decimals=5),
    NumberField("min_lr", "Final learning rate", "The learning rate the cosine schedule decays to by the last step. Auto: a tenth of the learning rate.", 0, 1.0, step=0.00001, decimals=6, special="auto (lr ÷ 10)", none_at_minimum=True),
    NumberField("warmup_iters", "Warmup steps", "Steps over which the learning rate rises from almost 0, so early updates do not wreck the fresh model.", 0, 100_000, step=10),
    NumberField("weight_decay", "Weight decay", "Pulls weights gently toward zero at every step (AdamW), against overfitting.", 0, 1.0, step=0.01, decimals=3),
    NumberField("grad_clip", "Gradient clipping", "Largest allowed gradient norm: cuts rare huge updates that would make the loss jump.", 0, 100.0, step=0.1, decimals=2, special="off"),
    NumberField("eval_interval", "Evaluate every", "How many steps between measurements of the validation loss (with a sample text).", 1, 100_000, step=50),
    NumberField("eval_iters", "Evaluation batches", "How many validation batches are averaged for each validation loss. More is steadier but slower.", 1, 1000),
    NumberField("val_fraction", "Validation share", "Part of the corpus, taken from its end, kept aside to measure the validation loss.", 0.01, 0.5, step=0.01, decimals=2),
    NumberField("sample_tokens", "Sample length", "Tokens generated as a sample text at each evaluation, to read what the model has learnt.", 0, 1024, step=16, special="no samples"),
    NumberField("checkpoint_interval", "Checkpoint every", "Steps between saved checkpoints. A checkpoint is always saved on Stop and at the end.", 0, 1_000_000, step=100, special="only on stop and end"),
    NumberField("seed", "Random seed", "Same seed and settings give the same run again.", 0, 2**31 - 1),
)

# Small enough that a CPU run shows falling loss within seconds and samples every few seconds.
PANEL_DEFAULTS = {"eval_interval": 100, "checkpoint_interval": 500}

ARCHITECTURES = (
    ("gpt", "GPT (Transformer decoder)"),
    ("lstm", "LSTM"),
    ("gru", "GRU"),
    ("rnn", "Plain RNN"),
    ("finetune", "Fine-tune the loaded model"),
)
TOKENIZERS = (("char", "Characters"), ("bpe", "Byte-level BPE"), ("pretrained", "The base model's own"))
_ONLY_FOR = {"n_head": {"gpt"}}  # fields that only some architectures use
_NOT_FOR_FINETUNE = {"n_layer", "n_head", "n_embd"}  # the base model fixes its shape


def _setting_default(name: str):
    defaults = {f.name: f.default for f in fields(TrainSettings)}
    return PANEL_DEFAULTS.get(name, defaults[name])




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
        self._numbers: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self._rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self._corpus_problem = ""
        self._base_model: str | None = None
        self._out_dir_is_automatic = True

        self._inputs: list[QWidget] = []  # what a running training must not change
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._build_corpus_group())
        for group in (self._build_model_group(), self._build_training_group(), self._build_output_group()):
            layout.addWidget(group)
            self._inputs.append(group)
        layout.addStretch(1)
        self._update_visible_rows()
        self.new_output_folder()

    # ----- building --------------------------------------------------------------------

    def _build_corpus_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Corpus"))
        form = QVBoxLayout(group)
        row = QHBoxLayout()
        self.corpus_edit = QLineEdit()
        self.corpus_edit.setPlaceholderText(self.tr("A UTF-8 text file, or a folder of .txt files"))
        self.corpus_edit.setToolTip(self.tr("The text the model learns to continue. Chinese and any other language work."))
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
            self.tr("Pick the bundled corpus (300 Tang poems) with a small character-level GPT: press Start and watch it learn.")
        )
        self.try_button.clicked.connect(self.use_sample_corpus)
        self.try_button.setEnabled(sample_corpus().is_file())
        form.addWidget(self.try_button)
        self._inputs.append(self.try_button)
        self.corpus_stats_label = QLabel(self.tr("No corpus chosen yet."))
        self.corpus_stats_label.setWordWrap(True)
        form.addWidget(self.corpus_stats_label)
        return group

    def _build_model_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Model"))
        form = QFormLayout(group)
        self.arch_combo = QComboBox()
        for key, label in ARCHITECTURES:
            self.arch_combo.addItem(_tr(label), key)
        self.arch_combo.setToolTip(
            self.tr(
                "GPT reads the whole context with attention; LSTM, GRU and RNN read it one token at a time with a memory. "
                "Fine-tuning continues training the model loaded in the workbench on your corpus."
            )
        )
        self.arch_combo.currentIndexChanged.connect(self._architecture_changed)
        form.addRow(self.tr("Architecture"), self.arch_combo)
        self.base_model_label = QLabel()
        self.base_model_label.setWordWrap(True)
        self._add_row(form, "base_model", self.tr("Base model"), self.base_model_label)
        self.tokenizer_combo = QComboBox()
        for key, label in TOKENIZERS:
            self.tokenizer_combo.addItem(_tr(label), key)
        self.tokenizer_combo.setToolTip(
            self.tr(
                "How text is cut into tokens: single characters (small vocabulary, long sequences), "
                "BPE pieces learnt from the corpus, or, for fine-tuning, the base model's own tokenizer."
            )
        )
        self.tokenizer_combo.currentIndexChanged.connect(self._on_changed)
        form.addRow(self.tr("Tokenizer"), self.tokenizer_combo)
        self.lora_box = QCheckBox(self.tr("LoRA (train small adapters only)"))
        self.lora_box.setToolTip(
            self.tr("Freeze the base model and train small low-rank adapters: far less memory, often nearly as good.")
        )
        self.lora_box.toggled.connect(self._on_changed)
        self._add_row(form, "lora", "", self.lora_box)
        for spec in MODEL_FIELDS:
            self._add_number(form, spec)
        return group

    def _build_training_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Training"))
        form = QFormLayout(group)
        for spec in TRAINING_FIELDS:
            self._add_number(form, spec)
        self.device_combo = QComboBox()
        self.device_combo.addItems(available_devices())
        self.device_combo.setToolTip(self.tr("Where to train: auto picks a GPU when there is one, else the CPU."))
        self.device_combo.currentIndexChanged.connect(self._on_changed)
        form.addRow(self.tr("Device"), self.device_combo)
        return group

    def _build_output_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Output folder"))
        row = QHBoxLayout(group)
        self.out_dir_edit = QLineEdit()
        self.out_dir_edit.setToolTip(
            self.tr("Where the trained model, its checkpoints and metrics.csv are written. It must be new or empty.")
        )
        self.out_dir_edit.textEdited.connect(self._out_dir_edited)
        browse = QPushButton(self.tr("Browse…"))
        browse.setToolTip(self.tr("Choose the output folder."))
        browse.clicked.connect(self._choose_out_dir)
        row.addWidget(self.out_dir_edit, 1)
        row.addWidget(browse)
        return group

    def _add_row(self, form: QFormLayout, key: str, label: str, widget: QWidget) -> None:
        form.addRow(label, widget)
        self._rows[key] = (form, widget)

    def _add_number(self, form: QFormLayout, spec: NumberField) -> None:
        box: QSpinBox | QDoubleSpinBox
        if spec.decimals:
            box = QDoubleSpinBox()
            box.setDecimals(spec.decimals)
        else:
            box = QSpinBox()
        box.setRange(spec.minimum, spec.maximum)  # type: ignore[arg-type]
        box.setSingleStep(spec.step)  # type: ignore[arg-type]
        box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType if spec.decimals else QAbstractSpinBox.StepType.DefaultStepType)
        if spec.special:
            box.setSpecialValueText(_tr(spec.special))
        default = _setting_default(spec.name)
        box.setValue(spec.minimum if default is None else default)  # type: ignore[arg-type]
        box.setToolTip(_tr(spec.tooltip))
        box.setKeyboardTracking(False)  # validate the finished number, not each keystroke
        box.valueChanged.connect(self._on_changed)
        self._numbers[spec.name] = box
        self._add_row(form, spec.name, _tr(spec.label), box)

    def set_editable(self, editable: bool) -> None:
        """Lock the inputs while a run uses them; the corpus statistics stay readable."""
        for widget in self._inputs:
            widget.setEnabled(editable and (widget is not self.try_button or sample_corpus().is_file()))

    def is_editable(self) -> bool:
        return self.corpus_edit.isEnabled()

    # ----- reading and writing values --------------------------------------------------

    def number(self, name: str) -> QSpinBox | QDoubleSpinBox:
        return self._numbers[name]

    def set_values(self, **values) -> None:
        """Set fields by ``TrainSettings`` name (numbers, ``arch``, ``tokenizer``, ``corpus``, ``out_dir``, ``device``)."""
        for name, value in values.items():
            if name in self._numbers:
                self._numbers[name].setValue(value)
            elif name == "arch":
                self.arch_combo.setCurrentIndex(self.arch_combo.findData(value))
            elif name == "tokenizer":
                self.tokenizer_combo.setCurrentIndex(self.tokenizer_combo.findData(value))
            elif name == "lora":
                self.lora_box.setChecked(value)
            elif name == "device":
                self.device_combo.setCurrentText(value)
            elif name == "corpus":
                self.set_corpus(value)
            elif name == "out_dir":
                self.out_dir_edit.setText(value)
                self._out_dir_is_automatic = False
            else:
                raise KeyError(name)
        self._on_changed()

    def settings(self) -> TrainSettings:
        numbers = {}
        for spec in MODEL_FIELDS + TRAINING_FIELDS:
            value = self._numbers[spec.name].value()
            numbers[spec.name] = None if spec.none_at_minimum and value == spec.minimum else value
        return TrainSettings(
            corpus=self.corpus_edit.text().strip(),
            out_dir=self.out_dir_edit.text().strip(),
            arch=self.arch_combo.currentData(),
            tokenizer=self.tokenizer_combo.currentData(),
            base_model=self._base_model if self.arch_combo.currentData() == "finetune" else None,
            lora=self.lora_box.isChecked() and self.arch_combo.currentData() == "finetune",
            device=self.device_combo.currentText(),
            **numbers,
        )

    def problems(self) -> list[str]:
        """What stops a run from starting, in words a person can act on; [] when it can start."""
        settings = self.settings()
        found: list[str] = []
        if settings.corpus and self._corpus_problem:
            found.append(self._corpus_problem)
        if settings.is_finetune and not self._base_model:
            found.append(self.tr("Load a model first: fine-tuning continues training the loaded model."))
        # The core's own "needs a base model" names a CLI flag; the line above says it for the panel.
        found += [p for p in settings.problems() if not p.startswith("Fine-tuning needs a base model")]
        out_dir = Path(settings.out_dir).expanduser() if settings.out_dir else None
        if out_dir is not None and out_dir.is_dir() and any(out_dir.iterdir()):
            found.append(self.tr("The output folder already has files: choose a new folder."))
        return found

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
        if not path:
            self.corpus_stats_label.setText(self.tr("No corpus chosen yet."))
        else:
            try:
                preview = preview_corpus(path)
            except InvalidInputError as error:
                self._corpus_problem = str(error)
                self.corpus_stats_label.setText(str(error))
            else:
                self.corpus_stats_label.setText(
                    self.tr("{characters:,} characters, {distinct:,} different ones, in {files} file(s).").format(
                        characters=preview.characters, distinct=preview.distinct_characters, files=preview.files
                    )
                )
        self._refresh_automatic_out_dir()
        self._on_changed()

    def show_corpus_stats(self, characters: int, tokens: int, vocabulary: int, train_tokens: int, val_tokens: int) -> None:
        """The trainer's own count, once the run has tokenized the corpus."""
        self.corpus_stats_label.setText(
            self.tr(
                "{characters:,} characters → {tokens:,} tokens from a vocabulary of {vocabulary:,}; "
                "{train:,} for training, {val:,} for validation."
            ).format(characters=characters, tokens=tokens, vocabulary=vocabulary, train=train_tokens, val=val_tokens)
        )

    def _choose_corpus_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a text file"), "", self.tr("Text files (*.txt);;All files (*)"))
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
        name = f"{self.arch_combo.currentData()}-{corpus}-{time.strftime('%Y%m%d-%H%M%S')}"
        self.out_dir_edit.setText(str(paths.trained_models_dir() / name))

    def _out_dir_edited(self) -> None:
        self._out_dir_is_automatic = False
        self._on_changed()

    def _choose_out_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Choose an empty output folder"), str(paths.trained_models_dir()))
        if path:
            self.set_values(out_dir=path)

    # ----- reacting ----------------------------------------------------------------------

    def _architecture_changed(self) -> None:
        # Fine-tuning needs the base model's tokenizer; a model from scratch needs its own.
        finetune = self.arch_combo.currentData() == "finetune"
        if finetune != (self.tokenizer_combo.currentData() == "pretrained"):
            self.tokenizer_combo.setCurrentIndex(self.tokenizer_combo.findData("pretrained" if finetune else "char"))
        self._refresh_automatic_out_dir()
        self._on_changed()

    def _update_visible_rows(self) -> None:
        arch = self.arch_combo.currentData()
        finetune = arch == "finetune"
        visible = {
            "base_model": finetune,
            "lora": finetune,
            "lora_rank": finetune and self.lora_box.isChecked(),
            "vocab_size": self.tokenizer_combo.currentData() == "bpe",
            "dropout": not finetune or self.lora_box.isChecked(),  # LoRA adapters use it; a full fine-tune does not
        }
        for name in _NOT_FOR_FINETUNE:
            visible[name] = not finetune and arch in _ONLY_FOR.get(name, {arch})
        for key, shown in visible.items():
            form, widget = self._rows[key]
            form.setRowVisible(widget, shown)

    def _on_changed(self) -> None:
        self._update_visible_rows()
        self.changed.emit()
