"""Two branches side by side: each one's tokens after the point where they part, coloured by the
probability the model gives them when it reads the branch back (forced tokens included), with the
total and mean log-probability and a per-token entropy and surprisal strip. The heading says which
continuation the model preferred, per token, so branches of different lengths compare fairly."""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel

from workbench.core.sessions import RunSequence, RunToken
from workbench.core.tree import BranchScore, GenerationTree, TreeNode, score_branches
from workbench.qt.common.app_state import AppState
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import translated
from workbench.qt.common.tooltips import literal
from workbench.qt.generation.entropy_strip import EntropyStrip
from workbench.qt.generation.output_view import SequenceView
from workbench.qt.tree.dock import added_text, edge_text, one_line

NAMES = ("A", "B")


class BranchColumn(QWidget):
    """One branch: its title, its totals, its tokens and its strip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.score: BranchScore | None = None
        # One line each, the whole in the tooltip: on a laptop screen the strip below needs the height.
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.RichText)  # the branch's letter in bold
        self.title = QElidingLabel()
        self.totals = QLabel()
        self.totals.setWordWrap(True)  # two columns share the output's width: neither may push the page wider
        # Two lines in a laptop's column, and asked for: the dock opens at least this tall, so the strip is whole.
        self.totals.setMinimumHeight(2 * self.totals.fontMetrics().lineSpacing())
        self.totals.setToolTip(self.tr("Log-probabilities (nats) of the branch's tokens after the fork, forced "
                                       "ones included, as the model reads them back."))
        self.text = SequenceView()
        # Three lines at least (it scrolls), not Qt's 70 px: on a 1280x680 screen the strip needs the height.
        margins = 2 * (self.text.frameWidth() + round(self.text.document().documentMargin()))
        self.text.setMinimumHeight(3 * self.text.fontMetrics().lineSpacing() + margins)
        self.strip = EntropyStrip(readout_below=True)
        self.strip.empty_text = self.tr("Drawn once both branches are scored.")
        self.strip.show_sequences([])
        # The text and the strip mark the same token.
        self.text.token_clicked.connect(lambda step: self.strip.select_token(0, step))
        self.strip.token_clicked.connect(lambda _sequence, step: self.text.mark_token(step))
        title_row = QHBoxLayout()
        title_row.setSpacing(4)
        title_row.addWidget(self.name)
        title_row.addWidget(self.title, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(title_row)
        layout.addWidget(self.totals)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.strip)

    def clear(self) -> None:
        self.score = None
        self.name.clear()
        self.title.setText("")
        self.title.setToolTip("")
        self.totals.clear()
        self.text.show_sequence(RunSequence("", ()))
        self.strip.show_sequences([])

    def show_score(self, name: str, title: str, score: BranchScore) -> None:
        self.score = score
        self.name.setText(f"<b>{html.escape(name)}</b>")
        self.title.setText(title)
        self.title.setToolTip(literal(title))
        if score.logprobs:
            totals = self.tr("After the fork: log p {0:.2f} nats in all · {1:.3f} per token · {2} tokens")
            self.totals.setText(totals.format(score.total_logprob, score.mean_logprob, len(score.logprobs)))
        else:  # a mean of no tokens is no number
            self.totals.setText(self.tr("After the fork: no tokens."))
        tokens = tuple(RunToken(text, math.exp(logprob), entropy=entropy)
                       for text, logprob, entropy in zip(score.token_texts, score.logprobs, score.entropies))
        sequence = RunSequence("".join(score.token_texts), tokens)
        self.text.show_sequence(sequence)
        self.strip.show_sequences([sequence])


class SideBySideView(QWidget):
    message = Signal(str)  # one line for the status bar

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.heading = QLabel(self.tr("Select two branches in the Tree dock and press Compare."))
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy = QProgressBar()  # scoring takes seconds on a CPU: something moves meanwhile
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(120)
        self.busy.setVisible(False)
        self.columns = (BranchColumn(), BranchColumn())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for column in self.columns:
            self.splitter.addWidget(column)
        # Where the window has not the height for both columns whole (Chinese on a 1280x680 screen), they scroll
        # rather than squash their strips or push the window taller than the screen.
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.splitter)
        heading_row = QHBoxLayout()
        heading_row.addWidget(self.heading, 1)
        heading_row.addWidget(self.busy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(heading_row)
        layout.addWidget(self.scroll, 1)
        self._compared: list[TreeNode] = []
        self._tree: GenerationTree | None = None
        self._job = Job(state.jobs, parent=self)
        self._job.finished.connect(self._on_scored)
        self._job.failed.connect(self.heading.setText)
        self._job.ended.connect(lambda: self.busy.setVisible(False))

    def whole_height(self) -> int:
        """The height the view needs to show both columns whole, without scrolling."""
        margins = self.layout().contentsMargins()
        return (margins.top() + margins.bottom() + self.layout().spacing() + self.heading.minimumSizeHint().height()
                + self.splitter.minimumSizeHint().height())

    def compare(self, tree: GenerationTree, node_ids: list[str]) -> bool:
        """Score the two nodes after the start they share, in a job; False when the tree's model is not loaded."""
        loaded = self.state.loaded_model
        if loaded is None or loaded.entry.id != tree.model:
            self.heading.setText(self.tr("Load {0} to score these branches: the model reads them back.").format(
                tree.model))
            return False
        self._tree, self._compared = tree, [tree.nodes[node_id] for node_id in node_ids]
        self.heading.setText(self.tr("Scoring both branches under {0}…").format(translated(loaded.entry.name)))
        started = self._job.start(lambda cancel: score_branches(loaded, tree, list(node_ids), cancel))
        self.busy.setVisible(started)
        return started

    def forget_deleted(self, trees: list[GenerationTree]) -> None:
        """A compared branch was deleted (or its tree, or the session's trees replaced): its column goes, a
        score of a branch that no longer exists would mislead."""
        if not self._compared or (self._tree in trees and all(node.id in self._tree.nodes for node in self._compared)):
            return
        self._job.abandon()  # a score on its way would fill the columns again
        self.busy.setVisible(False)
        self._tree, self._compared = None, []
        for column in self.columns:
            column.clear()
        self.heading.setText(self.tr("A compared branch was deleted from the Tree. Select two branches in the Tree "
                                     "dock and press Compare."))

    def shows_another_tree(self, tree_id: str | None) -> bool:
        """Whether the branches compared are of another tree than ``tree_id`` (the Tree dock moved to it)."""
        return self._tree is not None and self._tree.id != tree_id

    def _on_scored(self, scores: list[BranchScore]) -> None:
        for name, column, node, score in zip(NAMES, self.columns, self._compared, scores):
            label = node.label or one_line(added_text(self._tree, node), 60)
            column.show_score(name, f"· {edge_text(self._tree, node)} · {label}", score)
        first, second = scores
        if not (first.logprobs or second.logprobs):
            self.heading.setText(self.tr("The two branches hold the same text: there is nothing to compare."))
            return
        if not (first.logprobs and second.logprobs):
            self.heading.setText(self.tr("One branch ends where they part: there is nothing to compare."))
            return
        preferred = 0 if first.mean_logprob >= second.mean_logprob else 1
        # The totals are each column's own line: the heading keeps to one line on a laptop screen.
        self.heading.setText(self.tr("The model prefers {0}: {1:.3f} against {2:.3f} nats per token after the fork.")
                             .format(NAMES[preferred], scores[preferred].mean_logprob,
                                     scores[1 - preferred].mean_logprob))
