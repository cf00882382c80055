"""The prompt editor: prompt, system prompt, the answer's start, Chat/Raw switch, live token count,
history and samples."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QInputMethodEvent, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QToggleSwitch
from superqt.utils import signals_blocked

from workbench.core.resources import sample_prompts_file
from workbench.qt.common.language import CHINESE, effective_language
from workbench.qt.common.theme import warning_color
from workbench.qt.common.tooltips import literal


class ComposingTextEdit(QPlainTextEdit):
    """A text box whose placeholder steps aside while an input method composes (pinyin not yet
    committed): the composing text is not in the document yet, so Qt would draw both over each other."""

    def __init__(self, placeholder: str = "") -> None:
        super().__init__()
        self._placeholder = placeholder
        self.setPlaceholderText(placeholder)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802 (Qt's name)
        self.setPlaceholderText("" if event.preeditString() else self._placeholder)
        super().inputMethodEvent(event)


@dataclass(frozen=True)
class SamplePrompt:
    title: str
    prompt: str
    system_prompt: str = ""
    chat: bool = True
    title_zh: str = ""  # the title in the Chinese interface (the prompt stays what the model reads)

    def shown_title(self) -> str:
        return self.title_zh if self.title_zh and effective_language() == CHINESE else self.title


def load_sample_prompts(path: Path | None = None) -> list[SamplePrompt]:
    """The sample prompts the package ships; none (not an error) when the file is missing."""
    path = path or sample_prompts_file()
    try:
        return [SamplePrompt(**item) for item in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        return []


def _menu_title(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class PromptEditor(QWidget):
    changed = Signal()  # anything typed or switched

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history: list[str] = []

        self.chat_switch = QToggleSwitch(self.tr("Chat template"))
        self.chat_switch.setChecked(True)
        self._chat_help = self.tr(
            "On: your prompt is wrapped in the model's chat template as a user message (with the system prompt), "
            "the way chat models were trained. Off: the model simply continues your raw text.")
        self.chat_switch.setToolTip(self._chat_help)
        self.chat_switch.toggled.connect(self._on_chat_toggled)

        # Push buttons: Qt draws their menu arrow beside the label; a tool button's sat on its last letter.
        self.history_button = QPushButton(self.tr("History"))
        self.history_button.setToolTip(self.tr("Prompts you ran recently."))
        self.history_button.setMenu(QMenu(self.history_button))
        self.history_button.menu().aboutToShow.connect(self._fill_history_menu)

        self.samples_button = QPushButton(self.tr("Samples"))
        self.samples_button.setToolTip(self.tr("Example prompts to start from."))
        samples_menu = QMenu(self.samples_button)
        for sample in load_sample_prompts():
            samples_menu.addAction(sample.shown_title()).triggered.connect(
                lambda _=False, s=sample: self.use_sample(s))
        self.samples_button.setMenu(samples_menu)
        self.samples_button.setEnabled(not samples_menu.isEmpty())

        top_row = QHBoxLayout()
        top_row.addWidget(self.chat_switch)
        top_row.addStretch(1)
        top_row.addWidget(self.history_button)
        top_row.addWidget(self.samples_button)

        self.system_label = QLabel(self.tr("System prompt"))
        self.system_edit = ComposingTextEdit(self.tr("Optional: how the assistant should behave"))
        self.system_edit.setTabChangesFocus(True)
        self.system_edit.setToolTip(self.tr("Instructions given to a chat model before your message."))
        self.system_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.system_edit.textChanged.connect(self.changed)

        self.prompt_edit = ComposingTextEdit(self.tr("Type a prompt, then press Ctrl+Enter to generate"))
        # Tab moves on, as in the other boxes: typed into the text, it trapped the keyboard here (Shift+Tab the only
        # way out, Ctrl+Tab being the next page). Pasted code keeps its tabs.
        self.prompt_edit.setTabChangesFocus(True)
        self.prompt_edit.textChanged.connect(self.changed)

        self.prefill_edit = QLineEdit()
        self.prefill_edit.setPlaceholderText(self.tr("Answer starts with…"))
        self.prefill_edit.setToolTip(self.tr(
            "Optional: the model's answer is made to start with this text and goes on from there "
            "(with the chat template, right after the opening of the assistant's turn)."))
        self.prefill_edit.setClearButtonEnabled(True)
        self.prefill_edit.textChanged.connect(self.changed)

        self.token_label = QLabel()
        self.token_label.setWordWrap(True)  # a problem can be long: it must not widen the column
        self.token_label.setToolTip(self.tr(
            "Tokens the model will read for this prompt (after the chat template), and the most it can read."))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top_row)
        layout.addWidget(self.system_label)
        layout.addWidget(self.system_edit)
        layout.addWidget(QLabel(self.tr("Prompt")))
        layout.addWidget(self.prompt_edit, 1)
        layout.addWidget(self.prefill_edit)
        layout.addWidget(self.token_label)

    # --- state --------------------------------------------------------------------

    def prompt(self) -> str:
        return self.prompt_edit.toPlainText()

    def system_prompt(self) -> str:
        return self.system_edit.toPlainText() if self.chat() else ""

    def chat(self) -> bool:
        return self.chat_switch.isEnabled() and self.chat_switch.isChecked()

    def prefill(self) -> str:
        return self.prefill_edit.text()

    def set_contents(
        self, prompt: str, system_prompt: str | None = None, chat: bool | None = None, prefill: str | None = None
    ) -> None:
        """``system_prompt`` or ``prefill`` None keeps it as it is (a prompt from the history). Each text is
        replaced as an edit, so Ctrl+Z in its box brings back what was there."""
        with signals_blocked(self.prompt_edit), signals_blocked(self.system_edit), signals_blocked(self.prefill_edit):
            _replace_text(self.prompt_edit, prompt)
            if system_prompt is not None:
                _replace_text(self.system_edit, system_prompt)
            if prefill is not None and prefill != self.prefill_edit.text():
                self.prefill_edit.selectAll()
                self.prefill_edit.insert(prefill)
        if chat is not None:
            self.chat_switch.setChecked(chat)
        self.changed.emit()

    def use_sample(self, sample: SamplePrompt) -> None:
        self.set_contents(sample.prompt, sample.system_prompt, sample.chat)

    def set_history(self, history: list[str]) -> None:
        self._history = list(history)

    def set_chat_available(self, available: bool) -> None:
        """A model without a chat template can only complete raw text."""
        self.chat_switch.setEnabled(available)
        self.chat_switch.setToolTip(self._chat_help if available else self.tr(
            "This model has no chat template (a base model): it continues your raw text."))
        self._on_chat_toggled()

    def show_token_count(self, count: int | None, limit: int | None, problem: str = "") -> None:
        if count is None:
            self.token_label.setText(problem)
        else:
            limit_text = self.tr("{0} tokens (the model reads at most {1})").format(count, limit) if limit \
                else self.tr("{0} tokens").format(count)
            self.token_label.setText(limit_text + (f" — {problem}" if problem else ""))
        colour = warning_color(self.palette()).name() if problem else ""
        self.token_label.setStyleSheet(f"color: {colour};" if colour else "")

    def show_counting(self, message: str) -> None:
        """The count of a long prompt is under way (on a worker)."""
        self.token_label.setText(message)
        self.token_label.setStyleSheet("")

    def _on_chat_toggled(self, *_args) -> None:
        self.system_label.setVisible(self.chat())
        self.system_edit.setVisible(self.chat())
        self.changed.emit()

    def _fill_history_menu(self) -> None:
        menu = self.history_button.menu()
        menu.clear()
        for prompt in self._history:
            action = menu.addAction(_menu_title(prompt))
            action.setToolTip(literal(prompt))
            action.triggered.connect(lambda _=False, p=prompt: self.set_contents(p))
        if not self._history:
            menu.addAction(self.tr("No prompts yet")).setEnabled(False)


def _replace_text(edit: QPlainTextEdit, text: str) -> None:
    """``edit``'s whole text replaced in one undoable step (setPlainText would forget the undo history)."""
    if edit.toPlainText() == text:
        return
    cursor = edit.textCursor()
    cursor.beginEditBlock()
    cursor.select(QTextCursor.SelectionType.Document)
    cursor.insertText(text)
    cursor.endEditBlock()
    edit.setTextCursor(cursor)
