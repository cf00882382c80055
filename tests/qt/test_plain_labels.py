"""Labels show their text as written, unless made rich on purpose; tooltips keep their rich text."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QToolTip, QWidget


def test_a_label_left_to_qts_guess_shows_a_tag_as_written_and_a_rich_one_stays_rich(qtbot):
    plain = QLabel("Fork at token 2 “<blockquote>”: rewrite as…")
    rich = QLabel("<b>A</b>")
    rich.setTextFormat(Qt.TextFormat.RichText)
    for label in (plain, rich):
        qtbot.addWidget(label)
        label.show()
        qtbot.waitExposed(label)
    assert plain.textFormat() == Qt.TextFormat.PlainText
    # Drawn whole on one line: as HTML, "<blockquote>" was swallowed and its quote put on lines of its own.
    assert plain.sizeHint().height() < 2 * plain.fontMetrics().lineSpacing()
    assert plain.sizeHint().width() >= plain.fontMetrics().horizontalAdvance(plain.text())
    assert rich.textFormat() == Qt.TextFormat.RichText


def test_a_tooltip_keeps_its_rich_text(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    qtbot.waitExposed(owner)
    QToolTip.showText(owner.mapToGlobal(QPoint(5, 5)), "<b>token</b> 50%", owner)
    tip = next(widget for widget in QApplication.topLevelWidgets() if widget.metaObject().className() == "QTipLabel")
    qtbot.waitUntil(tip.isVisible)
    assert tip.textFormat() != Qt.TextFormat.PlainText
    QToolTip.hideText()
