"""The generated text: one tab per return sequence, the answer's prefill first (plain: it was not
generated), then each token optionally coloured by its probability, with the top alternatives on hover.
A click selects a token; a click that stays a single click (no double-click follows) also asks for
the token's menu, where the window offers to fork at it.

Tokens arrive one signal at a time but the text views are updated by a ~30 Hz throttle
that appends everything buffered since its last run: never one redraw per token.
"""

from __future__ import annotations

import dataclasses
import html

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QKeyEvent, QMouseEvent, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled

from workbench.core.attention_tokens import visible_text
from workbench.core.generation_data import TokenEvent
from workbench.core.sessions import RunSequence, RunToken
from workbench.qt.common.probabilities import percent
from workbench.qt.common.theme import SELECTION_COLOR, probability_background
from workbench.qt.common.throttle import land_when_closed

FLUSH_INTERVAL_MS = 33
_TOKEN_INDEX = QTextFormat.Property.UserProperty + 1  # which token a character belongs to
_CARET_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Home, Qt.Key.Key_End)


def visible_token_text(text: str) -> str:
    """A token as a person can read it in a tooltip or popup: whitespace marked as on the attention axes (␣ ↵ ⇥)."""
    return "“" + visible_text(text) + "”"


def shown_token(token: RunToken | TokenEvent) -> str:
    """A generated token as labels show it. A character's first bytes stream as "" (the text waits for the
    rest): the token's byte chip (its ``label``) is shown then."""
    return visible_token_text(token.text) if token.text or not token.label else token.label


def token_tooltip(token: RunToken) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(visible_token_text(text))}</td><td align='right'>{percent(prob)}</td></tr>"
        for text, prob in token.alternatives
    )
    chosen = f"<b>{html.escape(shown_token(token))}</b> {percent(token.prob)}"
    title = QCoreApplication.translate("OutputView", "Most likely next tokens:")
    return f"{chosen}<br>{title}<table>{rows}</table>" if rows else chosen


class SequenceView(QPlainTextEdit):
    """One sequence's text. Keeps its tokens and where each sits in the text, so it can
    re-colour them, explain them on hover and mark the selected one."""

    token_clicked = Signal(int)  # the token's index in this sequence
    token_menu_requested = Signal(int, QPoint)  # the token's index and where its menu goes (global)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        # A caret the arrow keys move: the token at it is selected, and Enter opens its menu, as a click does.
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.prefill = ""  # the answer's forced start, shown before the tokens
        self.tokens: list[RunToken] = []
        # The text as generated: the document turns a "\r" into a line break, which would change what
        # Continue hands back to the model.
        self.shown_text = ""
        self.token_spans: list[tuple[int, int]] = []  # (first, end) character of each token in the text
        self.colour_tokens = True
        self.marked = -1
        # The menu waits out the double-click interval: a double-click selects a word and opens nothing.
        self._menu_token = -1
        self._menu_timer = QTimer(self)
        self._menu_timer.setSingleShot(True)
        self._menu_timer.setInterval(QApplication.doubleClickInterval())
        self._menu_timer.timeout.connect(self._request_menu)

    def append_tokens(self, tokens: list[RunToken]) -> None:
        scrollbar = self.verticalScrollBar()
        follow = scrollbar.value() >= scrollbar.maximum() - 4  # keep following the end unless scrolled up
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        for token in tokens:
            start = cursor.position()
            self._insert(cursor, token, len(self.tokens))
            self.tokens.append(token)
            self.shown_text += token.text
            self.token_spans.append((start, cursor.position()))
        cursor.endEditBlock()
        if follow:
            scrollbar.setValue(scrollbar.maximum())
        if 0 <= self.marked < len(self.tokens):
            # Drawn again for the marked token that just arrived, and for one marked before: text inserted at the
            # end of its selection would stretch the underline over every new token.
            self.mark_token(self.marked)

    def _insert(self, cursor: QTextCursor, token: RunToken, index: int) -> None:
        if not token.text:
            return
        text_format = QTextCharFormat()
        text_format.setProperty(_TOKEN_INDEX, index)
        if self.colour_tokens:
            text_format.setBackground(probability_background(self.palette(), token.prob))
        cursor.insertText(token.text, text_format)

    def _clear_tokens(self) -> None:
        self.clear()
        self.tokens = []
        self.token_spans = []
        self.shown_text = self.prefill
        if self.prefill:
            QTextCursor(self.document()).insertText(self.prefill, QTextCharFormat())

    def set_prefill(self, prefill: str) -> None:
        """Start over with ``prefill`` as the answer's start (before any token)."""
        self.prefill = prefill
        self._clear_tokens()

    def show_sequence(self, sequence: RunSequence) -> None:
        """Show a finished sequence: its prefill, then its tokens, cut where its final text ends (stop strings)."""
        self._clear_tokens()
        generated = sequence.text.removeprefix(self.prefill) if sequence.text.startswith(self.prefill) else None
        if generated is None or not "".join(t.text for t in sequence.tokens).startswith(generated):
            self.setPlainText(sequence.text)  # tokens do not spell the text: show the text alone
            self.shown_text = sequence.text
            return
        remaining = len(generated)
        shown: list[RunToken] = []
        for token in sequence.tokens:
            if remaining <= 0:
                break
            shown.append(dataclasses.replace(token, text=token.text[:remaining]))
            remaining -= len(token.text)
        self.append_tokens(shown)

    def recolour(self) -> None:
        tokens = self.tokens
        self._clear_tokens()
        self.append_tokens(tokens)

    def mark_token(self, index: int) -> None:
        """Underline token ``index`` (-1: none) and write it in the selection colour, over its
        probability tint, which stays as it is."""
        self.marked = index
        selections = []
        if 0 <= index < len(self.token_spans) and self.token_spans[index][0] < self.token_spans[index][1]:
            selection = QTextEdit.ExtraSelection()
            selection.cursor = QTextCursor(self.document())
            selection.cursor.setPosition(self.token_spans[index][0])
            selection.cursor.setPosition(self.token_spans[index][1], QTextCursor.MoveMode.KeepAnchor)
            selection.format.setFontUnderline(True)
            selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            selection.format.setUnderlineColor(QColor(SELECTION_COLOR))
            selection.format.setForeground(QColor(SELECTION_COLOR))
            selections.append(selection)
        self.setExtraSelections(selections)

    def token_at(self, point: QPoint) -> int:
        """The index of the token under ``point`` (viewport coordinates), or -1: also beside a line's end and
        below the text, where the nearest character is not under the pointer."""
        boundary = self.cursorForPosition(point).position()  # the nearest gap: the character is after or before it
        for position in (boundary, boundary - 1):
            if position >= 0 and self._character_box(position).contains(QPointF(point)):
                cursor = QTextCursor(self.document())
                cursor.setPosition(position + 1)  # the format at a position is the character's before it
                index = cursor.charFormat().property(_TOKEN_INDEX)
                return index if isinstance(index, int) and 0 <= index < len(self.tokens) else -1
        return -1

    def _character_box(self, position: int) -> QRectF:
        """Where the character at ``position`` is drawn, in viewport coordinates (empty for a line break)."""
        block = self.document().findBlock(position)
        offset = position - block.position()
        layout = block.layout()
        if not block.isValid() or layout is None or offset >= len(block.text()):  # past the text: the break
            return QRectF()
        line = layout.lineForTextPosition(offset)
        left, right = line.cursorToX(offset)[0], line.cursorToX(offset + 1)[0]
        top_left = self.blockBoundingGeometry(block).translated(self.contentOffset()).topLeft()
        return QRectF(top_left.x() + min(left, right), top_left.y() + line.y(), abs(right - left), line.height())

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip:
            index = self.token_at(event.pos())
            if index >= 0:
                QToolTip.showText(event.globalPos(), token_tooltip(self.tokens[index]), self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        # A click selects its token; a drag selects text to copy, as in any text view.
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            index = self.token_at(event.position().toPoint())
            if index >= 0:
                self.token_clicked.emit(index)
                self._menu_token = index
                self._menu_timer.start()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            index = self.token_at_caret()
            if index >= 0:
                self.token_clicked.emit(index)
                self.token_menu_requested.emit(index, self.token_anchor(index))
                return
        super().keyPressEvent(event)
        if event.key() in _CARET_KEYS and not self.textCursor().hasSelection():
            index = self.token_at_caret()
            if index >= 0:
                self.token_clicked.emit(index)

    def token_at_caret(self) -> int:
        """The token whose text the caret stands before (or the last one, at the end), or -1 (the prefill)."""
        position = self.textCursor().position()
        for index, (first, end) in enumerate(self.token_spans):
            if first <= position < end:
                return index
        at_end = self.token_spans and position >= self.token_spans[-1][1]
        return len(self.token_spans) - 1 if at_end else -1

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._menu_timer.stop()
        super().mouseDoubleClickEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self._menu_timer.stop()  # no menu for a view that went away
        super().hideEvent(event)

    def token_anchor(self, index: int) -> QPoint:
        """Just under token ``index``'s first character, in global coordinates: where its menu opens."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self.token_spans[index][0])
        return self.viewport().mapToGlobal(self.cursorRect(cursor).bottomLeft())

    def _request_menu(self) -> None:
        if 0 <= self._menu_token < len(self.tokens):
            self.token_menu_requested.emit(self._menu_token, self.token_anchor(self._menu_token))


class OutputView(QWidget):
    token_clicked = Signal(int, int)  # (sequence, step): a token clicked in the text
    token_menu_requested = Signal(int, int, QPoint)  # (sequence, step, global anchor): a single click, settled

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marked: tuple[int, int] = (-1, -1)  # the selected (sequence, step), kept across new views
        self.colour_check = QCheckBox(self.tr("Colour tokens by probability"))
        self.colour_check.setChecked(True)
        self.colour_check.setToolTip(self.tr(
            "Tint each token by how likely the model thought it was: green expected, red surprising. "
            "Hover a token to see the alternatives the model considered."))
        self.colour_check.toggled.connect(self._set_colouring)
        # Its own row, wrapped: beside the check box a long line would widen the window past a laptop screen.
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.setVisible(False)
        self.seed_label = QLabel()  # short: it keeps its place beside the check box
        self.seed_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header = QHBoxLayout()
        header.addWidget(self.colour_check)
        header.addStretch(1)
        header.addWidget(self.seed_label)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.info_label)
        layout.addWidget(self.tabs, 1)

        self._pending: dict[int, list[RunToken]] = {}
        self._schedule_append = qthrottled(self._append_pending, timeout=FLUSH_INTERVAL_MS, leading=False, parent=self)
        land_when_closed(self, self._schedule_append)
        self.begin(1)

    def _view(self, index: int) -> SequenceView:
        return self.tabs.widget(index)

    def views(self) -> list[SequenceView]:
        return [self._view(index) for index in range(self.tabs.count())]

    def begin(self, sequences: int, prefill: str = "") -> None:
        """Clear for a new generation of ``sequences`` return sequences, each answer starting with ``prefill``."""
        self._schedule_append.cancel()
        self._pending.clear()
        # The window's focus child, active or not (a popup may be the active window): a removed answer would
        # hand it down the focus chain, to the model combo box.
        old_views = self.views()
        focused = self.window().focusWidget() in old_views
        self.tabs.clear()  # takes the pages off the tabs but keeps them: each run would leak its answers
        for view in old_views:
            view.deleteLater()
        for index in range(sequences):
            view = SequenceView()
            view.colour_tokens = self.colour_check.isChecked()
            view.set_prefill(prefill)
            view.token_clicked.connect(lambda step, sequence=index: self.token_clicked.emit(sequence, step))
            view.token_menu_requested.connect(
                lambda step, anchor, sequence=index: self.token_menu_requested.emit(sequence, step, anchor))
            if self.marked[0] == index:
                view.marked = self.marked[1]
            title = self.tr("Output") if sequences == 1 else self.tr("Answer {0}").format(index + 1)
            self.tabs.addTab(view, title)
        self.set_info("")
        self.seed_label.clear()
        if focused:  # the new answer keeps the focus the old one had
            self.focus_answer()

    def focus_answer(self) -> bool:
        """Gives the answer on screen the focus; False when there is none yet."""
        if self.tabs.currentWidget() is None:
            return False
        self.tabs.currentWidget().setFocus()
        return True

    def select_token(self, sequence: int, step: int) -> None:
        """Mark token ``step`` of ``sequence`` (-1: none), now or when it arrives."""
        self.marked = (sequence, step)
        for index, view in enumerate(self.views()):
            view.mark_token(step if index == sequence else -1)

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

    def show_sequences(self, sequences: tuple[RunSequence, ...] | list[RunSequence], prefill: str = "") -> None:
        """The final (or restored) sequences replace whatever was streamed."""
        self.begin(max(1, len(sequences)), prefill)
        for index, sequence in enumerate(sequences):
            self._view(index).show_sequence(sequence)

    def set_info(self, text: str) -> None:
        """A line over the answer that explains it (empty: none)."""
        self.info_label.setText(text)
        self.info_label.setVisible(bool(text))

    def set_seed(self, text: str) -> None:
        self.seed_label.setText(text)

    def sequence_text(self, index: int | None = None) -> str:
        self.flush()
        view = self._view(self.tabs.currentIndex() if index is None else index)
        return view.shown_text if view is not None else ""

    def _set_colouring(self, enabled: bool) -> None:
        self.flush()
        for view in self.views():
            view.colour_tokens = enabled
            view.recolour()
