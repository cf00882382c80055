"""The generated text: one tab per return sequence, each token optionally coloured by its
probability, with the top alternatives on hover.

Tokens arrive one signal at a time but the text views are updated by a ~30 Hz throttle
that appends everything buffered since its last run: never one redraw per token.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPlainTextEdit, QTabWidget, QToolTip, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from workbench.core.sessions import RunSequence, RunToken
from workbench.qt.common.theme import probability_background
from workbench.qt.common.throttle import land_when_closed

FLUSH_INTERVAL_MS = 33
_TOKEN_INDEX = QTextFormat.Property.UserProperty + 1  # which token a character belongs to


def visible_token_text(text: str) -> str:
    """A token as a person can read it in a tooltip: spaces and line breaks made visible."""
    return "“" + text.replace("\n", "⏎").replace("\t", "⇥").replace(" ", "·") + "”"


def token_tooltip(token: RunToken) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(visible_token_text(text))}</td><td align='right'>{prob:.1%}</td></tr>"
        for text, prob in token.alternatives
    )
    chosen = f"<b>{html.escape(visible_token_text(token.text))}</b> {token.prob:.1%}"
    title = QCoreApplication.translate("OutputView", "Most likely next tokens:")
    return f"{chosen}<br>{title}<table>{rows}</table>" if rows else chosen


class SequenceView(QPlainTextEdit):
    """One sequence's text. Keeps its tokens so it can re-colour and explain them on hover."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.tokens: list[RunToken] = []
        self.colour_tokens = True

    def append_tokens(self, tokens: list[RunToken]) -> None:
        scrollbar = self.verticalScrollBar()
        follow = scrollbar.value() >= scrollbar.maximum() - 4  # keep following the end unless scrolled up
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        for token in tokens:
            self._insert(cursor, token, len(self.tokens))
            self.tokens.append(token)
        cursor.endEditBlock()
        if follow:
            scrollbar.setValue(scrollbar.maximum())

    def _insert(self, cursor: QTextCursor, token: RunToken, index: int) -> None:
        if not token.text:
            return
        text_format = QTextCharFormat()
        text_format.setProperty(_TOKEN_INDEX, index)
        if self.colour_tokens:
            text_format.setBackground(probability_background(self.palette(), token.prob))
        cursor.insertText(token.text, text_format)

    def show_sequence(self, sequence: RunSequence) -> None:
        """Show a finished sequence: its tokens, cut where its final text ends (stop strings)."""
        self.clear()
        self.tokens = []
        if not "".join(t.text for t in sequence.tokens).startswith(sequence.text):
            self.setPlainText(sequence.text)  # tokens do not spell the text: show the text alone
            return
        remaining = len(sequence.text)
        shown: list[RunToken] = []
        for token in sequence.tokens:
            if remaining <= 0:
                break
            shown.append(RunToken(token.text[:remaining], token.prob, token.alternatives))
            remaining -= len(token.text)
        self.append_tokens(shown)

    def recolour(self) -> None:
        tokens, self.tokens = self.tokens, []
        self.clear()
        self.append_tokens(tokens)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            cursor = self.cursorForPosition(event.pos())
            # The format at a position belongs to the character before it: look one ahead.
            cursor.movePosition(QTextCursor.MoveOperation.NextCharacter)
            index = cursor.charFormat().property(_TOKEN_INDEX)
            if isinstance(index, int) and 0 <= index < len(self.tokens):
                QToolTip.showText(event.globalPos(), token_tooltip(self.tokens[index]), self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)


class OutputView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour_check = QCheckBox(self.tr("Colour tokens by probability"))
        self.colour_check.setChecked(True)
        self.colour_check.setToolTip(self.tr(
            "Tint each token by how likely the model thought it was: green expected, red surprising. "
            "Hover a token to see the alternatives the model considered."))
        self.colour_check.toggled.connect(self._set_colouring)
        self.info_label = QLabel()
        header = QHBoxLayout()
        header.addWidget(self.colour_check)
        header.addStretch(1)
        header.addWidget(self.info_label)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)

        self._pending: dict[int, list[RunToken]] = {}
        self._schedule_append = qthrottled(self._append_pending, timeout=FLUSH_INTERVAL_MS, leading=False, parent=self)
        land_when_closed(self, self._schedule_append)
        self.begin(1)

    def _view(self, index: int) -> SequenceView:
        return self.tabs.widget(index)

    def views(self) -> list[SequenceView]:
        return [self._view(index) for index in range(self.tabs.count())]

    def begin(self, sequences: int) -> None:
        """Clear for a new generation of ``sequences`` return sequences."""
        self._schedule_append.cancel()
        self._pending.clear()
        self.tabs.clear()
        for index in range(sequences):
            view = SequenceView()
            view.colour_tokens = self.colour_check.isChecked()
            title = self.tr("Output") if sequences == 1 else self.tr("Answer {0}").format(index + 1)
            self.tabs.addTab(view, title)
        self.info_label.clear()

    def add_token(self, sequence: int, token: RunToken) -> None:
        self._pending.setdefault(sequence, []).append(token)
        self._schedule_append()

    def flush(self) -> None:
        """Append the buffered tokens now."""
        self._schedule_append.flush(restart_timer=False)

    def _append_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for sequence, tokens in pending.items():
            if sequence < self.tabs.count():
                self._view(sequence).append_tokens(tokens)

    def show_sequences(self, sequences: tuple[RunSequence, ...] | list[RunSequence]) -> None:
        """The final (or restored) sequences replace whatever was streamed."""
        self.begin(max(1, len(sequences)))
        for index, sequence in enumerate(sequences):
            self._view(index).show_sequence(sequence)

    def set_info(self, text: str) -> None:
        self.info_label.setText(text)

    def sequence_text(self, index: int | None = None) -> str:
        self.flush()
        view = self._view(self.tabs.currentIndex() if index is None else index)
        return view.toPlainText() if view is not None else ""

    def _set_colouring(self, enabled: bool) -> None:
        self.flush()
        for view in self.views():
            view.colour_tokens = enabled
            view.recolour()
