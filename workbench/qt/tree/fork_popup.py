"""The popup a clicked token opens: the tokens the model could have written there (the raw top 20 of
the trace, with their raw and final probabilities), a search over them, and a field for any text.
Picking one asks for a fork; Esc or a click outside closes the popup, as any popup."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.generation_data import TokenEvent
from workbench.qt.common.probabilities import percent
from workbench.qt.generation.output_view import visible_token_text


@dataclass(frozen=True)
class Alternative:
    token_id: int
    text: str
    raw_prob: float
    final_prob: float | None  # after the sampler chain; None when below the last stage's top tokens


@dataclass(frozen=True)
class ForkChoice:
    """What to force at the fork: a listed token (its id and raw probability) or typed text (no ids yet)."""

    text: str
    token_ids: tuple[int, ...] = ()
    raw_prob: float | None = None


def alternatives(event: TokenEvent) -> list[Alternative]:
    """The raw stage's top tokens with their probability there and in the last stage (what was drawn from)."""
    trace = event.trace
    if trace is None:
        return []
    raw, final = trace.stages[0], trace.stages[-1]
    final_probs = dict(final.top)
    everything_listed = final.survivors <= len(final.top)  # a token missing from the list was cut: 0
    return [
        Alternative(token_id, trace.token_texts.get(token_id, ""), prob,
                    None if trace.beam else final_probs.get(token_id, 0.0 if everything_listed else None))
        for token_id, prob in raw.top  # beam search draws from no filtered distribution: nothing to show there
    ]


class ForkPopup(QFrame):
    chosen = Signal(object)  # ForkChoice

    def __init__(self, title: str, choices: list[Alternative], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        heading = QLabel(title)
        heading.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search the alternatives"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._pick_first_match)
        self.search.installEventFilter(self)  # Down goes on into the list
        self.list = QTreeWidget()
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels([self.tr("Token"), self.tr("Raw"), self.tr("Final")])
        self.list.headerItem().setToolTip(1, self.tr("The model's own probability for this token."))
        self.list.headerItem().setToolTip(2, self.tr(
            "The probability it was drawn with, after temperature and the filters (0: filtered out; —: not "
            "known, below the tokens recorded, or beam search, which draws from no such distribution)."))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.itemActivated.connect(self._pick_item)
        self.list.itemClicked.connect(self._pick_item)
        for choice in choices:
            final = "—" if choice.final_prob is None else percent(choice.final_prob)
            item = QTreeWidgetItem([visible_token_text(choice.text), percent(choice.raw_prob), final])
            item.setData(0, Qt.ItemDataRole.UserRole, choice)
            for column in (1, 2):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            self.list.addTopLevelItem(item)
        # The probabilities always whole; the token takes the width that is left (a long one elides).
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.list.setVisible(bool(choices))
        self.search.setVisible(bool(choices))
        self.typed = QLineEdit()
        self.typed.setPlaceholderText(self.tr("…or type your own text"))
        self.typed.returnPressed.connect(self._pick_typed)
        fork_button = QPushButton(self.tr("Fork"))
        fork_button.setToolTip(self.tr("Go on from here with the text typed, with the current decoding settings."))
        fork_button.clicked.connect(self._pick_typed)
        typed_row = QHBoxLayout()
        typed_row.addWidget(self.typed, 1)
        typed_row.addWidget(fork_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(heading)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addLayout(typed_row)
        self.resize(340, 420 if choices else self.sizeHint().height())
        (self.search if choices else self.typed).setFocus()

    def show_at(self, anchor: QPoint) -> None:
        """Open just under ``anchor`` (global), kept on its screen."""
        screen = self.screen().availableGeometry()
        x = min(max(anchor.x(), screen.left()), screen.right() - self.width())
        y = anchor.y() if anchor.y() + self.height() <= screen.bottom() else anchor.y() - self.height() - 24
        self.move(x, max(y, screen.top()))
        self.show()

    def _filter(self, text: str) -> None:
        needle = text.casefold()
        for row in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(row)
            item.setHidden(needle not in item.data(0, Qt.ItemDataRole.UserRole).text.casefold())

    def _matches(self) -> list[QTreeWidgetItem]:
        items = (self.list.topLevelItem(row) for row in range(self.list.topLevelItemCount()))
        return [item for item in items if not item.isHidden()]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # From the search, Down moves into the list at its first match, as in a completer's popup.
        if watched is self.search and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            matches = self._matches()
            if matches:
                self.list.setCurrentItem(matches[0])
                self.list.setFocus(Qt.FocusReason.TabFocusReason)
                return True
        return super().eventFilter(watched, event)

    def _pick_first_match(self) -> None:
        """Enter in the search forks at the likeliest token it still lists."""
        matches = self._matches()
        if matches:
            self._pick_item(matches[0])

    def _pick_item(self, item: QTreeWidgetItem) -> None:
        choice: Alternative = item.data(0, Qt.ItemDataRole.UserRole)
        self._pick(ForkChoice(choice.text, (choice.token_id,), choice.raw_prob))

    def _pick_typed(self) -> None:
        if self.typed.text():
            self._pick(ForkChoice(self.typed.text()))

    def _pick(self, choice: ForkChoice) -> None:
        self.close()
        self.chosen.emit(choice)
