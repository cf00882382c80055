"""The trees of generations of a window: which tree each finished generation joins, and where.

A generation started from the editor starts a tree for its prompt (model, prompt, system prompt and
chat mode), or joins the tree that prompt already has as another answer from the start. A fork, a
regenerated node or a node generated again for the inspector is announced here just before it
starts (``fork``, ``regenerate``, ``show_in_inspector``), so its result lands where it was asked for.
The keeper holds the data; the dock draws it and the window shows a node's answer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from workbench.core.decoding import DecodingSettings
from workbench.core.errors import InvalidInputError
from workbench.core.generation_data import GenerationRecord, GenerationRequest
from workbench.core.tree import GenerationTree, TreeNode
from workbench.qt.common.app_state import AppState, LiveGeneration
from workbench.qt.common.language import error_text
from workbench.qt.generation.controller import GenerationController
from workbench.qt.tree.fork_popup import ForkChoice


@dataclass(frozen=True)
class Branch:
    """A node to make: under ``parent_id`` of tree ``tree_id``, from ``fork_position`` of the parent's answer."""

    tree_id: str
    parent_id: str
    fork_position: int
    forced_text: str
    forced_prob: float | None


@dataclass(frozen=True)
class Replay:
    """A saved node generated again (same settings, seed and prefill) to have its tokens and trace."""

    tree_id: str
    node_id: str


class TreeKeeper(QObject):
    changed = Signal()  # a tree or a node was added, edited or removed, or a branch started or ended
    folding_changed = Signal()  # a node was collapsed or expanded: worth saving, already drawn
    node_added = Signal(object, str)  # (GenerationTree, node id): a finished generation became this node
    node_replayed = Signal(object, str)  # (GenerationTree, node id): a saved node has its tokens again
    message = Signal(str)  # one line for the person

    def __init__(self, state: AppState, generation: GenerationController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.generation = generation
        self.trees: list[GenerationTree] = []  # newest first
        self.records: dict[str, GenerationRecord] = {}  # node id -> its generation in this session (with the trace)
        self._announced: Branch | Replay | None = None  # what the next generation to start is for
        self.running: Branch | Replay | None = None  # what the running generation is for
        self.last_started: Branch | Replay | None = None  # what the last generation started was for (Regenerate)
        state.generation_started.connect(self._on_started)
        generation.finished.connect(self._on_finished)
        generation.running_changed.connect(lambda _running: self.changed.emit())

    # --- finding -----------------------------------------------------------------------

    def tree(self, tree_id: str) -> GenerationTree | None:
        return next((tree for tree in self.trees if tree.id == tree_id), None)

    def set_trees(self, trees: list[GenerationTree]) -> None:
        self.trees = list(trees)
        self.records.clear()
        self.changed.emit()

    # --- making nodes --------------------------------------------------------------------

    def fork(
        self, tree: GenerationTree, node_id: str, step: int, choice: ForkChoice, settings: DecodingSettings
    ) -> bool:
        """Fork node ``node_id`` at its generated token ``step``: keep its answer before that token, force
        ``choice`` (typed text is tokenized as the model reads it, without special tokens), go on with
        ``settings``. False, with a message, when it cannot start."""
        loaded = self.state.loaded_model
        if not self._can_extend(tree):
            return False
        node = tree.nodes[node_id]
        forced_ids = choice.token_ids or tuple(loaded.tokenizer(choice.text, add_special_tokens=False)["input_ids"])
        position = len(node.prefill_ids) + step
        forced_prob = choice.raw_prob if choice.token_ids else self._raw_prob(node_id, step, forced_ids)
        try:
            request = tree.fork_request(node_id, position, forced_ids, settings)
        except InvalidInputError as error:
            self.message.emit(error_text(error))
            return False
        return self._start(request, Branch(tree.id, node_id, position, choice.text, forced_prob))

    def regenerate(self, tree: GenerationTree, node_id: str, settings: DecodingSettings) -> bool:
        """The node's answer again from where it forked, with ``settings`` (a new seed unless locked):
        a sibling, so the original and its subtree stay. The root gets another answer from the start."""
        if not self._can_extend(tree):
            return False
        node = tree.nodes[node_id]
        if settings.mode != "sample" and dataclasses.replace(settings, seed=None) == dataclasses.replace(
                node.settings, seed=None):
            self.message.emit(self.tr("Greedy and beam search do not draw: these settings give this branch's answer "
                                      "again. Change a setting first."))
            return False
        request = dataclasses.replace(tree.request(node), settings=settings)
        if node.parent is None:
            branch = Branch(tree.id, node.id, 0, "", None)
        else:
            branch = Branch(tree.id, node.parent, node.fork_position, node.forced_text, node.forced_prob)
        return self._start(request, branch)

    def inspectable(self, node_id: str) -> bool:
        """Whether the node's generation of this session can go to the inspector pages: its model is the one loaded
        (a model unloaded since has its weights freed)."""
        record = self.records.get(node_id)
        return record is not None and record.loaded is self.state.loaded_model

    def show_in_inspector(self, tree: GenerationTree, node_id: str) -> bool:
        """Send the node's generation to the inspector panels; a saved node (no tokens kept) is generated
        again first with its own settings, seed and prefill, which gives the same tokens on this machine."""
        if self.inspectable(node_id):
            self.state.generation_finished.emit(self.records[node_id])
            return True
        if not self._can_extend(tree):
            return False
        return self._start(tree.request(tree.nodes[node_id]), Replay(tree.id, node_id))

    def _can_extend(self, tree: GenerationTree) -> bool:
        loaded = self.state.loaded_model
        if loaded is None or loaded.entry.id != tree.model:
            self.message.emit(self.tr("This tree was made with {0}: load it to generate in this tree.").format(
                tree.model))
            return False
        if self.generation.is_running:
            self.message.emit(self.tr("A generation is running: wait for it or stop it first."))
            return False
        return True

    def _raw_prob(self, node_id: str, step: int, forced_ids: tuple[int, ...]) -> float | None:
        """The raw probability of the first forced token where the node's trace lists it."""
        record = self.records.get(node_id)
        tokens = record.result.sequences[0].tokens if record is not None else ()
        trace = tokens[step].trace if step < len(tokens) else None
        return dict(trace.stages[0].top).get(forced_ids[0]) if trace is not None and forced_ids else None

    def _start(self, request: GenerationRequest, purpose: Branch | Replay) -> bool:
        self._announced = purpose
        started = self.generation.generate(request)
        self._announced = None
        return started

    def _on_started(self, _live: LiveGeneration) -> None:
        self.running = self.last_started = self._announced  # None: a generation from the editor

    def regenerate_last(self, request: GenerationRequest, settings: DecodingSettings) -> bool | None:
        """Regenerate (Ctrl+R) of the last generation, ``request``, when it grew from a fork (its request forces the
        fork's path): a sibling where it forked, as its tree shows it. None for an answer from the start, which the
        editor's way files in its prompt's tree (on whichever model is loaded now); False, said, when it cannot."""
        if not request.prefill_ids:
            return None
        purpose = self.last_started
        tree = self.tree(purpose.tree_id) if purpose is not None else None
        if isinstance(purpose, Replay) and tree is not None and purpose.node_id in tree.nodes:
            node = tree.nodes[purpose.node_id]
            purpose = Branch(tree.id, node.parent, node.fork_position, node.forced_text, node.forced_prob)
        if not isinstance(purpose, Branch) or tree is None or purpose.parent_id not in tree.nodes:
            self.message.emit(self.tr("The branch of the last answer was deleted from the Tree: fork again to draw "
                                      "another."))
            return False
        if not self._can_extend(tree):  # the forced tokens are the tree model's
            return False
        return self._start(dataclasses.replace(request, settings=settings), purpose)

    def _on_finished(self, record: GenerationRecord, _run) -> None:
        purpose, self.running = self.running, None
        tree = self.tree(purpose.tree_id) if purpose is not None else None
        if isinstance(purpose, Replay):
            self._replayed(tree, purpose.node_id, record)
            return
        if isinstance(purpose, Branch):
            if tree is None or purpose.parent_id not in tree.nodes:
                # Filed from the editor it would start the deleted tree again, rooted at the fork's forced tokens.
                self.message.emit(self.tr("The branch this answer grew from was deleted while it generated: the "
                                          "answer is kept in the Runs list only."))
                return
            node = tree.add_result(record.request, record.result, purpose.parent_id, purpose.fork_position,
                                   purpose.forced_text, purpose.forced_prob)
        else:
            tree, node = self._add_from_editor(record)
        self.records[node.id] = record
        self.changed.emit()
        self.node_added.emit(tree, node.id)

    def tree_of(self, model: str, prompt: str, system_prompt: str, chat: bool | None) -> GenerationTree | None:
        """The tree of answers to this prompt, as written in the editor, by this model."""
        key = (model, prompt, system_prompt, chat)
        return next((tree for tree in self.trees if (tree.model, tree.prompt, tree.system_prompt, tree.chat) == key),
                    None)

    def _add_from_editor(self, record: GenerationRecord) -> tuple[GenerationTree, TreeNode]:
        request = record.request
        key = (record.loaded.entry.id, request.prompt, request.system_prompt, request.chat)
        tree = self.tree_of(*key)
        if tree is None:
            # The weights hash waits for an export: hashing every parameter on each new prompt is not free.
            tree = GenerationTree(model=key[0], weights_hash="", prompt=request.prompt,
                                  system_prompt=request.system_prompt, chat=request.chat)
            self.trees.insert(0, tree)
            return tree, tree.add_result(request, record.result)
        return tree, tree.add_result(request, record.result, tree.root.id, 0, request.prefill)

    def _replayed(self, tree: GenerationTree | None, node_id: str, record: GenerationRecord) -> None:
        if tree is None or node_id not in tree.nodes:
            return  # deleted while it was generated again
        if record.result.sequences[0].token_ids != tree.nodes[node_id].token_ids:
            self.message.emit(self.tr(
                "Generated again, this node came out differently (another device or other weights?): "
                "the output shows the new answer; the node keeps its saved one."))
            return
        self.records[node_id] = record
        self.node_replayed.emit(tree, node_id)

    # --- editing ---------------------------------------------------------------------------

    def rename(self, tree: GenerationTree, node_id: str, label: str) -> None:
        tree.replace_node(dataclasses.replace(tree.nodes[node_id], label=label))
        self.changed.emit()

    def set_collapsed(self, tree: GenerationTree, node_id: str, collapsed: bool) -> None:
        if tree.nodes[node_id].collapsed != collapsed:
            tree.replace_node(dataclasses.replace(tree.nodes[node_id], collapsed=collapsed))
            self.folding_changed.emit()

    def delete_subtree(self, tree: GenerationTree, node_id: str) -> None:
        """Remove the node and everything forked from it; the root takes its tree with it."""
        removed = tree.subtree_ids(node_id)
        if tree.nodes[node_id].parent is None:
            self.trees.remove(tree)
        else:
            tree.remove_subtree(node_id)
        for gone in removed:
            self.records.pop(gone, None)
        self.changed.emit()
