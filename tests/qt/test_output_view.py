"""OutputView: streamed tokens are appended by a ~30 Hz throttle, and the last ones always land."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer

from workbench.core.sessions import RunSequence, RunToken
from workbench.qt.generation.output_view import OutputView, token_tooltip


@pytest.fixture
def view(qtbot):
    widget = OutputView()
    qtbot.addWidget(widget)
    return widget


def tokens(*texts):
    return [RunToken(text, 0.5, ()) for text in texts]


def test_tokens_are_appended_together_after_the_interval(view, qtbot):
    appended = []
    original = view.views()[0].append_tokens
    view.views()[0].append_tokens = lambda batch: (appended.append(len(batch)), original(batch))
    for token in tokens("The", " fox", " jumps"):
        view.add_token(0, token)
    assert view.views()[0].toPlainText() == ""  # held back, not one redraw per token
    qtbot.waitUntil(lambda: view.views()[0].toPlainText() == "The fox jumps", timeout=2000)
    assert appended == [3]  # one append for the three tokens


def test_flush_and_close_land_what_is_held_back(view):
    view.add_token(0, tokens("Hello")[0])
    assert view.sequence_text() == "Hello"  # reading the text flushes
    view.add_token(0, tokens(" world")[0])
    view.close()
    assert view.views()[0].toPlainText() == "Hello world"
    assert not [timer for timer in view.findChildren(QTimer) if timer.isActive()]


def test_a_new_generation_drops_tokens_of_the_old_one(view):
    view.add_token(0, tokens("old")[0])
    view.begin(2)
    view.add_token(1, tokens("new")[0])
    view.flush()
    assert [v.toPlainText() for v in view.views()] == ["", "new"]


def test_the_text_is_kept_as_generated_carriage_returns_included(view):
    # The document turns "\r" into a line break; Continue must hand the model back what it wrote.
    view.begin(1, prefill="Sure:")
    for token in tokens(" a\r", "\r", "b"):
        view.add_token(0, token)
    assert view.sequence_text() == "Sure: a\r\rb"
    view.views()[0].recolour()
    assert view.sequence_text() == "Sure: a\r\rb"


def test_a_tokens_first_bytes_show_as_their_chip_in_the_hover():
    tip = token_tooltip(RunToken("", 0.4, (("⟨e5 ba⟩", 0.4),), label="⟨e5 ba⟩"))
    assert "<b>⟨e5 ba⟩</b>" in tip and "\ufffd" not in tip


def test_a_marked_token_stays_underlined_alone_while_tokens_stream_after_it(view):
    sequence = view.views()[0]
    sequence.append_tokens(tokens("The", " fox"))
    sequence.mark_token(1)  # " fox", the last token so far: its selection ends at the document's end
    sequence.append_tokens(tokens(" jumps", " over"))
    [selection] = sequence.extraSelections()
    assert (selection.cursor.selectionStart(), selection.cursor.selectionEnd()) == sequence.token_spans[1] == (3, 7)
    sequence.mark_token(4)  # marked before it arrives: drawn once it does, and only it
    assert sequence.extraSelections() == []
    sequence.append_tokens(tokens(" the", " dog"))
    [selection] = sequence.extraSelections()
    assert (selection.cursor.selectionStart(), selection.cursor.selectionEnd()) == sequence.token_spans[4] == (18, 22)


def shown_sequence(view, qtbot, *texts: str):
    """The first sequence of ``view`` on screen, holding one token per text."""
    sequence = view.views()[0]
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    sequence.append_tokens(tokens(*texts))
    return sequence


def test_a_click_beside_a_line_or_below_the_text_finds_no_token(view, qtbot):
    from PySide6.QtCore import QPoint

    sequence = shown_sequence(view, qtbot, "Hello", "\n", "world")
    sequence.moveCursor(sequence.textCursor().MoveOperation.Start)
    start = sequence.cursorRect()
    on_hello = start.center() + QPoint(8, 0)
    assert sequence.token_at(on_hello) == 0
    assert sequence.token_at(QPoint(sequence.viewport().width() - 5, on_hello.y())) == -1  # right of "Hello⏎"
    assert sequence.token_at(on_hello + QPoint(0, start.height())) == 2  # "world", the next line
    assert sequence.token_at(on_hello + QPoint(0, 4 * start.height())) == -1  # below the last line


def test_the_arrow_keys_select_tokens_and_enter_opens_the_menu(view, qtbot):
    """Forking needed a mouse: the caret now selects the token it stands on, and Enter asks for its menu."""
    from PySide6.QtCore import Qt

    sequence = shown_sequence(view, qtbot, "The", " cat", " sat")
    selected, menus = [], []
    sequence.token_clicked.connect(selected.append)
    sequence.token_menu_requested.connect(lambda index, anchor: menus.append(index))
    sequence.setFocus()
    sequence.moveCursor(sequence.textCursor().MoveOperation.Start)
    for _ in range(4):  # past "The" and the space: onto " cat"'s "c"
        qtbot.keyClick(sequence, Qt.Key.Key_Right)
    assert selected[-1] == 1
    qtbot.keyClick(sequence, Qt.Key.Key_End)
    assert selected[-1] == 2  # at the end: the last token
    qtbot.keyClick(sequence, Qt.Key.Key_Return)
    assert menus == [2]


def test_a_token_shows_its_whitespace_with_the_marks_the_attention_axes_use():
    from workbench.qt.generation.output_view import visible_token_text

    assert visible_token_text(" the\n") == "“␣the↵”" and visible_token_text("") == "“∅”"


def test_answers_replaced_on_screen_are_deleted(qtbot):
    from PySide6.QtCore import QCoreApplication, QEvent

    from workbench.qt.generation.output_view import SequenceView

    view = OutputView()
    qtbot.addWidget(view)
    for _ in range(5):  # each run shown, or each run clicked in the list
        view.show_sequences([RunSequence("some answer " * 20)])
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(view.findChildren(SequenceView)) == view.tabs.count() == 1


def test_each_token_is_tinted_by_its_probability_and_the_tint_turns_off_and_on(view):
    from PySide6.QtGui import QTextCursor

    from workbench.qt.common.theme import probability_background

    view.add_token(0, RunToken("Paris", 0.95, ((" Paris", 0.95), (" Lyon", 0.03))))
    view.add_token(0, RunToken(" banana", 0.02, ()))
    view.flush()
    sequence = view.views()[0]

    def backgrounds():
        found = []
        for start, _end in sequence.token_spans:
            cursor = QTextCursor(sequence.document())
            cursor.setPosition(start + 1)  # the format of the character before the cursor: the token's first
            brush = cursor.charFormat().background()
            found.append(brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else None)
        return found

    expected = [probability_background(sequence.palette(), prob).name() for prob in (0.95, 0.02)]
    assert backgrounds() == expected and expected[0] != expected[1]
    assert probability_background(sequence.palette(), 0.02).hue() < probability_background(sequence.palette(),
                                                                                              0.95).hue()  # red
    view.colour_check.setChecked(False)
    assert backgrounds() == [None, None] and sequence.toPlainText() == "Paris banana"
    view.colour_check.setChecked(True)
    assert backgrounds() == expected
    tip = token_tooltip(sequence.tokens[0])
    assert tip.startswith("<b>“Paris”</b> 95.0%<br>") and "<td>“␣Lyon”</td><td align='right'>3.0%</td>" in tip
