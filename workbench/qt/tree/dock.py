"""The Tree dock: the trees of generations, one shown at a time (newest first in the selector).

The top item is the prompt; under it each node is a branch: the edge into it (the forced token and
its raw probability), its label or the text it added, how many tokens it generated and their
cumulative log-probability under the raw model. A fork being generated shows as a growing
placeholder under its parent. Selecting one node shows its answer; selecting two compares them.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.atomic import write_json_atomic
from workbench.core.generation_data import TokenEvent
from workbench.core.tree import GenerationTree, TreeNode, weights_hash
from workbench.qt.common.app_state import AppState
from workbench.qt.common.eliding_combo import ElidingComboBox
from workbench.qt.common.empty_hint import HintedTreeWidget
from workbench.qt.common.export import ask_and_save
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import translated
from workbench.qt.common.probabilities import percent
from workbench.qt.common.tooltips import literal
from workbench.qt.generation.model_picker import trained_model_names
from workbench.qt.generation.output_view import visible_token_text
from workbench.qt.tree.keeper import Branch, TreeKeeper

_NODE_ID = Qt.ItemDataRole.UserRole
FORK, TOKENS, LOGPROB, BRANCH = range(4)  # the columns: the text last, where the width to spare goes


FORCED_SHOWN = 24  # columns of a branch's forced text in the Fork column, a CJK character two (the tooltip: whole)


def forced_shown(text: str) -> str:
    """A branch's forced text as the Fork column shows it: at most FORCED_SHOWN columns wide, a wide (CJK)
    character counting two, cut with "…". Continue forces the whole answer so far, and the column is sized to
    its text: 20 Chinese characters pushed log p and Branch out of a 1366-wide window."""
    shown = visible_token_text(text)
    widths = [2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in shown]
    if sum(widths) <= FORCED_SHOWN:
        return shown
    kept, used = 0, 0
    while used + widths[kept] <= FORCED_SHOWN - 1:  # room for the "…"
        used += widths[kept]
        kept += 1
    return shown[:kept] + "…"


def one_line(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def starts_over(fork_position: int, forced_text: str) -> bool:
    """A branch that keeps none of its parent's answer and forces nothing: another answer to the prompt, shown
    beside the first answer rather than under it."""
    return fork_position == 0 and not forced_text


def _with_descendants(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    """``item``, then every item under it."""
    items, stack = [], [item]
    while stack:
        item = stack.pop()
        items.append(item)
        stack += [item.child(index) for index in range(item.childCount())]
    return items


def _in_sight(item: QTreeWidgetItem) -> bool:
    """No item above ``item`` is folded."""
    parent = item.parent()
    while parent is not None:
        if not parent.isExpanded():
            return False
        parent = parent.parent()
    return True


def shown_siblings(tree: GenerationTree, node: TreeNode) -> list[TreeNode]:
    """The branches listed beside ``node``: the other answers to the prompt for an answer from the start (the
    first one included), its parent's other forks otherwise."""
    def from_start(other: TreeNode) -> bool:
        return other.parent is None or starts_over(other.fork_position, other.forced_text)

    if from_start(node):
        return [other for other in tree.nodes.values() if other.id != node.id and from_start(other)]
    return [other for other in tree.children(node.parent) if other.id != node.id and not from_start(other)]


def added_text(tree: GenerationTree, node: TreeNode) -> str:
    """What the node's answer adds to its parent's: the text after the part they share."""
    if node.parent is None or starts_over(node.fork_position, node.forced_text):
        return node.text
    shared = len(os.path.commonprefix([tree.nodes[node.parent].text, node.text]))
    if node.forced_text:  # the added text begins with the forced token, even where it starts like the parent's
        start = node.text.rfind(node.forced_text, 0, shared + len(node.forced_text))
        shared = min(shared, start) if start >= 0 else shared
    return node.text[shared:]


def edge_text(tree: GenerationTree, node: TreeNode) -> str:
    """The edge into ``node``: the token forced at its fork and its raw probability; the prompt's other answers
    are numbered in the order they were made (they were all "another answer", told apart only by their text)."""
    if node.parent is None:
        return QCoreApplication.translate("TreeDock", "answer")
    if starts_over(node.fork_position, node.forced_text):
        others = [other.id for other in tree.nodes.values()
                  if other.parent == node.parent and starts_over(other.fork_position, other.forced_text)]
        return QCoreApplication.translate("TreeDock", "answer {0}").format(others.index(node.id) + 2)
    prob = f" {percent(node.forced_prob)}" if node.forced_prob is not None else ""
    return forced_shown(node.forced_text) + prob


def _hash_weights(loaded):
    def job(_cancel):
        yield from ()  # nothing to report on the way: one pass over the weights
        with loaded.lock:
            return weights_hash(loaded)

    return job


class TreeDock(QWidget):
    node_chosen = Signal(object, str)  # (GenerationTree, node id): show this node's answer
    # (GenerationTree, node id, DecodingSettings or None): again from its fork, with these settings or the current ones
    regenerate_requested = Signal(object, str, object)
    compare_requested = Signal(object, list)  # (GenerationTree, [node id, node id])
    tree_changed = Signal(object)  # the id of the tree now shown (None: none)
    message = Signal(str)  # one line for the status bar

    def __init__(self, state: AppState, keeper: TreeKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.keeper = keeper
        self.shown_tree_id: str | None = None
        self._announced_tree_id: str | None = None  # the shown tree tree_changed last said
        self._placeholder: QTreeWidgetItem | None = None

        self.selector = ElidingComboBox()
        self.selector.setToolTip(self.tr("One tree per prompt, newest first."))
        self.selector.currentIndexChanged.connect(self._on_tree_picked)
        self.export_button = QPushButton(self.tr("Export JSON…"))
        self.export_button.setToolTip(self.tr(
            "Save this tree with everything needed to generate it again: model, weights hash, settings, seeds, "
            "forced tokens. `workbench tree replay FILE` checks it."))
        self.export_button.clicked.connect(self.export_shown)
        top = QHBoxLayout()
        top.addWidget(self.selector, 1)
        top.addWidget(self.export_button)

        self.view = HintedTreeWidget()
        self.view.set_empty_hint(self.tr("Each prompt grows a tree here: click a token of an answer to fork a "
                                         "branch from it, and select two branches to compare them."))
        self.view.setHeaderLabels([self.tr("Fork"), self.tr("Tokens"), self.tr("log p (nats)"), self.tr("Branch")])
        header = self.view.headerItem()
        header.setToolTip(FORK, self.tr("The token forced where this branch left its parent, and its raw probability."))
        header.setToolTip(TOKENS, self.tr("Tokens this branch generated (the forced ones not counted)."))
        header.setToolTip(LOGPROB, self.tr(
            "Cumulative log-probability (natural log, nats) of its generated tokens under the raw model: the sum, "
            "not a mean, so longer branches read lower. The side-by-side view counts from where two branches part."))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setIndentation(12)  # deep forks keep room for their text
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the text elides instead
        self.view.setToolTip(self.tr(
            "Click a branch to show its answer; Ctrl+click a second one to compare the two. "
            "Right-click for more. Click a token in the output to fork there."))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._open_menu)
        self.view.itemSelectionChanged.connect(self._on_selection_changed)
        self.view.itemCollapsed.connect(lambda item: self._set_collapsed(item, True))
        self.view.itemExpanded.connect(lambda item: self._set_collapsed(item, False))

        self.compare_button = QPushButton(self.tr("Compare the two selected"))
        self.compare_button.setToolTip(self.tr("Both branches after their fork, side by side, scored by the model."))
        self.compare_button.clicked.connect(self._compare_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.compare_button)

        self._exporting: GenerationTree | None = None  # the tree whose weights hash is being computed
        self._hash_job = Job(state.jobs, parent=self)
        self._hash_job.finished.connect(self._hashed)
        self._hash_job.failed.connect(self.message)
        keeper.changed.connect(self.refresh)
        state.token_streamed.connect(self._on_token)
        self.refresh()

    # --- what is shown ----------------------------------------------------------------

    @property
    def shown_tree(self) -> GenerationTree | None:
        return self.keeper.tree(self.shown_tree_id) if self.shown_tree_id else None

    def show_tree(self, tree_id: str) -> None:
        self.shown_tree_id = tree_id
        self.refresh()

    def select_node(self, tree: GenerationTree, node_id: str) -> None:
        """Show ``tree`` with ``node_id`` selected, without asking for it to be shown again."""
        self.shown_tree_id = tree.id
        self.refresh()
        item = self.item(node_id)
        if item is not None:
            self.view.blockSignals(True)
            self.view.clearSelection()
            self.view.setCurrentItem(item)
            self.view.blockSignals(False)
            self.view.scrollToItem(item)
            self._update_buttons()

    def deselect(self) -> None:
        """No branch selected, without asking for anything to be shown: the answer on screen is none of them."""
        self.view.blockSignals(True)
        self.view.clearSelection()
        self.view.blockSignals(False)
        self._update_buttons()

    def item(self, node_id: str) -> QTreeWidgetItem | None:
        found = [item for item in self._node_items() if item.data(FORK, _NODE_ID) == node_id]
        return found[0] if found else None

    def selected_node_ids(self) -> list[str]:
        return [item.data(FORK, _NODE_ID) for item in self.view.selectedItems() if item.data(FORK, _NODE_ID)]

    def _node_items(self) -> list[QTreeWidgetItem]:
        return [item for top in range(self.view.topLevelItemCount()) for item in _with_descendants(
            self.view.topLevelItem(top))]

    # --- drawing ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw from the keeper, keeping the tree shown and the selection."""
        trees = self.keeper.trees
        if self.shown_tree is None:
            self.shown_tree_id = trees[0].id if trees else None
        self.selector.blockSignals(True)
        self.selector.clear()
        # A run's step by its name ("poems — checkpoint, step 300"), not its folder's ("checkpoint").
        names = trained_model_names(self.state.catalog) if any(os.sep in tree.model for tree in trees) else {}
        for tree in trees:
            branches = self.tr("{0} · 1 branch") if len(tree.nodes) == 1 else self.tr("{0} · {1} branches")
            # The model too: the same prompt asked of two models makes two trees.
            model = names.get(tree.model) or Path(tree.model).name or tree.model  # else a folder's name, or an id
            # The model last: cut first in a narrow dock, it tells trees apart less often than the prompt does.
            self.selector.addItem(f"{branches.format(one_line(tree.prompt, 40), len(tree.nodes))} · {model}", tree.id)
            self.selector.setItemData(self.selector.count() - 1, f"{tree.prompt}\n\n{tree.model}",
                                      Qt.ItemDataRole.ToolTipRole)
        # The open list shows every entry whole, however narrow the dock.
        list_view = self.selector.view()
        list_view.setMinimumWidth(list_view.sizeHintForColumn(0) + list_view.verticalScrollBar().sizeHint().width())
        self.selector.setCurrentIndex(self.selector.findData(self.shown_tree_id))
        self.selector.blockSignals(False)
        if self.shown_tree_id != self._announced_tree_id:
            self._announced_tree_id = self.shown_tree_id
            self.tree_changed.emit(self.shown_tree_id)

        selected = set(self.selected_node_ids())
        self.view.blockSignals(True)
        self.view.clear()
        self._placeholder = None
        tree = self.shown_tree
        if tree is not None and tree.root is not None:
            prompt_item = QTreeWidgetItem([self.tr("Prompt"), "", "", one_line(tree.prompt)])
            prompt_item.setToolTip(BRANCH, literal(tree.prompt))
            prompt_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.view.addTopLevelItem(prompt_item)
            self._add_node(prompt_item, prompt_item, tree, tree.root)
            prompt_item.setExpanded(True)
            self._add_placeholder(tree)
            for item in self._node_items():  # a parent before its children: whether it is folded is known
                node_id = item.data(FORK, _NODE_ID)
                item.setSelected(node_id in selected and _in_sight(item))
                if node_id in tree.nodes:
                    item.setExpanded(not tree.nodes[node_id].collapsed)
        for column in (FORK, TOKENS, LOGPROB):
            self.view.resizeColumnToContents(column)
        self.view.blockSignals(False)
        self.export_button.setEnabled(tree is not None)
        self._update_buttons()

    def _add_node(self, prompt_item: QTreeWidgetItem, parent_item: QTreeWidgetItem, tree: GenerationTree,
                  node: TreeNode) -> None:
        item = QTreeWidgetItem(parent_item, [
            edge_text(tree, node),
            str(len(node.token_ids)),
            f"{node.cumulative_logprob:.2f}",
            node.label or one_line(added_text(tree, node)),
        ])
        item.setData(FORK, _NODE_ID, node.id)
        for column in (TOKENS, LOGPROB):
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(BRANCH, literal(self._node_tooltip(tree, node)))
        if forced_shown(node.forced_text) != visible_token_text(node.forced_text):
            item.setToolTip(FORK, literal(visible_token_text(node.forced_text)))
        for child in tree.children(node.id):
            under = prompt_item if starts_over(child.fork_position, child.forced_text) else item
            self._add_node(prompt_item, under, tree, child)

    def _node_tooltip(self, tree: GenerationTree, node: TreeNode) -> str:
        settings = node.settings
        if settings.mode == "sample":
            mode = self.tr("sampled, seed {0}").format(node.seed)
        else:  # greedy and beam search draw nothing: no seed
            mode = self.tr("greedy") if settings.mode == "greedy" else self.tr("beam search, {0} beams").format(
                settings.num_beams)
        mean = node.cumulative_logprob / len(node.logprobs) if node.logprobs else 0.0
        return self.tr(
            "{0}\n\nForked after {1} tokens of its parent's answer. {2} tokens generated ({3}); "
            "log p {4:.2f} in all, {5:.2f} per token."
        ).format(one_line(node.text, 400), node.fork_position, len(node.token_ids), mode, node.cumulative_logprob,
                 mean)

    def _add_placeholder(self, tree: GenerationTree) -> None:
        running = self.keeper.running
        if not (self.keeper.generation.is_running and isinstance(running, Branch) and running.tree_id == tree.id):
            return
        if starts_over(running.fork_position, running.forced_text):
            parent = self.view.topLevelItem(0)  # the prompt
        else:
            parent = self.item(running.parent_id)
        if parent is not None:
            self._placeholder = QTreeWidgetItem(parent, [visible_token_text(running.forced_text), "0", "",
                                                         self.tr("generating…")])
            self._placeholder.setFlags(Qt.ItemFlag.ItemIsEnabled)
            parent.setExpanded(True)

    def _on_token(self, event: TokenEvent) -> None:
        if self._placeholder is not None and event.sequence == 0:
            self._placeholder.setText(TOKENS, str(event.step + 1))

    # --- choosing ---------------------------------------------------------------------------

    def _on_tree_picked(self, index: int) -> None:
        self.show_tree(self.selector.itemData(index))

    def _on_selection_changed(self) -> None:
        self._update_buttons()
        ids = self.selected_node_ids()
        if len(ids) == 1 and self.shown_tree is not None:
            self.node_chosen.emit(self.shown_tree, ids[0])

    def _update_buttons(self) -> None:
        self.compare_button.setEnabled(len(self.selected_node_ids()) == 2)

    def _compare_selected(self) -> None:
        if self.shown_tree is not None and len(self.selected_node_ids()) == 2:
            self.compare_requested.emit(self.shown_tree, self.selected_node_ids())

    def _set_collapsed(self, item: QTreeWidgetItem, collapsed: bool) -> None:
        node_id, tree = item.data(FORK, _NODE_ID), self.shown_tree
        if collapsed:  # a branch folded out of sight is not one of the two that Compare reads
            for hidden in _with_descendants(item)[1:]:
                hidden.setSelected(False)
        if tree is not None and node_id in tree.nodes:
            self.keeper.set_collapsed(tree, node_id, collapsed)

    # --- the context menu -------------------------------------------------------------------

    def _open_menu(self, pos: QPoint) -> None:
        item, tree = self.view.itemAt(pos), self.shown_tree
        node_id = item.data(FORK, _NODE_ID) if item is not None else None
        if tree is None or node_id not in tree.nodes:
            return
        node = tree.nodes[node_id]
        menu = QMenu(self)
        menu.addAction(self.tr("Show in &inspector"), lambda: self._show_in_inspector(tree, node_id)).setToolTip(
            self.tr("Send this branch to the Attention, Token and Lens pages (a saved branch is generated again, "
                    "exactly, first)."))
        again = menu.addAction(self.tr("Regenerate (&new seed)"), lambda: self.regenerate_requested.emit(
            tree, node_id, replace(node.settings, seed=None)))
        sampled = node.settings.mode == "sample"
        again.setEnabled(sampled)  # greedy and beam search give the same answer whatever the seed
        again.setToolTip(self.tr("The same settings, another draw: a sibling beside this branch.") if sampled else
                         self.tr("This branch was not sampled: another seed would give the same answer."))
        menu.addAction(self.tr("Regenerate with the current &settings"),
                       lambda: self.regenerate_requested.emit(tree, node_id, None)).setToolTip(
            self.tr("From the same fork, with the decoding settings on the left: a sibling beside this branch."))
        menu.setToolTipsVisible(True)
        siblings = shown_siblings(tree, node)
        compare_menu = menu.addMenu(self.tr("&Compare with sibling"))
        for sibling in siblings:
            compare_menu.addAction(
                f"{edge_text(tree, sibling)}  {sibling.label or one_line(added_text(tree, sibling), 40)}",
                lambda sibling_id=sibling.id: self.compare_requested.emit(tree, [node_id, sibling_id]))
        compare_menu.setEnabled(bool(siblings))
        menu.addSeparator()
        menu.addAction(self.tr("&Rename…"), lambda: self.rename(tree, node_id))
        if tree.children(node_id):
            menu.addAction(self.tr("&Expand") if node.collapsed else self.tr("C&ollapse"),
                           lambda: item.setExpanded(node.collapsed))
        menu.addAction(self.tr("&Delete branch and its forks…"), lambda: self.delete(tree, node_id))
        menu.exec(self.view.viewport().mapToGlobal(pos))
        menu.deleteLater()  # owned by the dock: each right-click would otherwise leave a menu behind

    def _show_in_inspector(self, tree: GenerationTree, node_id: str) -> None:
        if self.keeper.inspectable(node_id):  # the output too, as a click does: every view on the same branch
            self.node_chosen.emit(tree, node_id)
        else:  # a saved branch is generated again first, then shown
            self.keeper.show_in_inspector(tree, node_id)

    def rename(self, tree: GenerationTree, node_id: str) -> None:
        label, accepted = QInputDialog.getText(self, self.tr("Rename branch"), self.tr("Label (empty: its text):"),
                                               text=tree.nodes[node_id].label)
        if accepted:
            self.keeper.rename(tree, node_id, label.strip())

    def delete(self, tree: GenerationTree, node_id: str) -> None:
        forked = len(tree.subtree_ids(node_id)) - 1  # below this node
        if tree.nodes[node_id].parent is None:
            question = self.tr("Delete this whole tree (1 branch)?") if not forked else self.tr(
                "Delete this whole tree ({0} branches)?").format(forked + 1)
        elif forked:
            question = self.tr("Delete this branch and the {0} forked from it?").format(forked)
        else:
            question = self.tr("Delete this branch?")
        if QMessageBox.question(self, self.tr("Delete"), question) == QMessageBox.StandardButton.Yes:
            self.keeper.delete_subtree(tree, node_id)

    # --- export ----------------------------------------------------------------------------

    def export_shown(self) -> None:
        """Save the shown tree as JSON; first its model's weights hash, in a job, when that model is loaded."""
        tree, loaded = self.shown_tree, self.state.loaded_model
        if tree is None:
            return
        if loaded is None or loaded.entry.id != tree.model:
            if not tree.weights_hash:
                self.message.emit(self.tr("{0} is not loaded: the export has no weights hash to check a replay "
                                          "against.").format(tree.model))
            self._save(tree)
            return
        self._exporting = tree
        self.message.emit(self.tr("Hashing the weights of {0}…").format(translated(loaded.entry.name)))
        self._hash_job.start(_hash_weights(loaded))

    def _hashed(self, digest: str) -> None:
        tree, self._exporting = self._exporting, None
        tree.weights_hash = digest
        self.keeper.changed.emit()  # the session keeps the hash too
        self._save(tree)

    def _save(self, tree: GenerationTree) -> None:
        ask_and_save(self, self.tr("Export tree"), str(Path.home() / f"tree-{tree.id[:8]}.json"),
                     self.tr("JSON (*.json)"), lambda path: write_json_atomic(path, tree.to_data()),
                     lambda text, _problem: self.message.emit(text))
