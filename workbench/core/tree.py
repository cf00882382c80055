"""A tree of generations for one prompt: the root answers it; every other node forks at a position of
its parent's answer with a forced token (or typed text) and goes on with its own settings and seed.

A node's answer is its prefill (the parent's answer up to the fork, then the forced tokens) followed by
what it generated. Everything needed to generate a node again is in the tree: the model id and a hash
of its weights, the prompt, each node's settings, seed and prefill ids. ``replay`` regenerates every
node and says which answers came out the same (greedy and seeded runs do, on the same machine).
``score_branches`` reads branches back through the model, so two continuations of one fork compare
by the model's own log-probabilities.
"""

from __future__ import annotations

import math
import uuid
import zlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generator

from workbench.core.decoding import MAX_SEED, DecodingSettings
from workbench.core.errors import CancelledError, InvalidInputError
from workbench.core.generation_data import GenerationRequest, GenerationResult, prompt_token_ids
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken
from workbench.core.settings_fields import field_problems, settings_from_data, settings_to_data

if TYPE_CHECKING:
    from workbench.core.loading import LoadedModel

TREE_FORMAT = "workbench-tree/1"


@dataclass(frozen=True)
class TreeNode:
    id: str
    parent: str | None  # None for the root
    fork_position: int  # how many tokens of the parent's answer the prefill keeps (0 for the root)
    prefill_ids: tuple[int, ...]  # the answer's forced start: the parent's answer to the fork, then the forced
    forced_text: str  # what was forced at the fork, as text ("" for the root)
    forced_prob: float | None  # the raw probability of the first forced token at the fork, when known
    settings: DecodingSettings
    seed: int | None  # the seed that reproduces a sampled node
    token_ids: tuple[int, ...]  # generated after the prefill
    logprobs: tuple[float, ...]  # raw log-probability of each generated token
    text: str  # the whole answer: prefill then generated
    label: str = ""
    collapsed: bool = False

    @property
    def answer_ids(self) -> tuple[int, ...]:
        return self.prefill_ids + self.token_ids

    @property
    def cumulative_logprob(self) -> float:
        """Log-probability of the generated tokens under the raw model (the forced ones excluded)."""
        return math.fsum(self.logprobs)


@dataclass
class GenerationTree:
    model: str  # catalog id, folder or hub id: what `load_model` takes
    weights_hash: str  # weights_hash() of the model the nodes were generated with
    prompt: str
    system_prompt: str = ""
    chat: bool | None = None
    nodes: dict[str, TreeNode] = field(default_factory=dict)  # in the order they were made
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    # --- shape ----------------------------------------------------------------------------

    @property
    def root(self) -> TreeNode | None:
        return next((node for node in self.nodes.values() if node.parent is None), None)

    def children(self, node_id: str) -> list[TreeNode]:
        return [node for node in self.nodes.values() if node.parent == node_id]

    def path(self, node_id: str) -> list[TreeNode]:
        """The nodes from the root down to ``node_id``."""
        path = []
        node = self.nodes.get(node_id)
        while node is not None:
            path.append(node)
            node = self.nodes.get(node.parent) if node.parent else None
        return path[::-1]

    def node_with_answer(self, text: str, seed: int | None) -> TreeNode | None:
        """The newest node whose whole answer is ``text``, drawn with ``seed``: the node a run of the Runs
        list was added as (a run keeps no node id; both come from the same generation's first sequence)."""
        return next((node for node in reversed(self.nodes.values()) if node.text == text and node.seed == seed),
                    None)

    def subtree_ids(self, node_id: str) -> list[str]:
        found = [node_id]
        for child in self.children(node_id):
            found += self.subtree_ids(child.id)
        return found

    # --- editing ------------------------------------------------------------------------------

    def request(self, node: TreeNode) -> GenerationRequest:
        """The request that generates ``node`` (again): as long as the node, no longer, so a branch stopped short
        comes out the same (beam search keeps its own length: its beams are ranked with the length it had)."""
        settings = replace(node.settings, seed=node.seed) if node.settings.mode == "sample" else node.settings
        length = len(node.token_ids)
        if settings.mode != "beam" and 0 < length < settings.max_new_tokens:
            settings = replace(settings, max_new_tokens=length, min_new_tokens=min(settings.min_new_tokens, length))
        return GenerationRequest(self.prompt, settings, self.system_prompt, self.chat, prefill_ids=node.prefill_ids)

    def fork_request(
        self, parent_id: str, position: int, forced_ids: tuple[int, ...], settings: DecodingSettings
    ) -> GenerationRequest:
        """Generate from the parent's answer cut after ``position`` tokens, then ``forced_ids``."""
        parent = self.nodes[parent_id]
        if not 0 <= position <= len(parent.answer_ids):
            raise InvalidInputError(
                QT_TRANSLATE_NOOP(
                    "Errors", "The fork position {position} is outside the answer (0 to {count} tokens)."
                ).fill(position=position, count=len(parent.answer_ids))
            )
        if not forced_ids:
            raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "A fork needs a token or some text to force."))
        prefill = parent.answer_ids[:position] + tuple(forced_ids)
        return GenerationRequest(self.prompt, settings, self.system_prompt, self.chat, prefill_ids=prefill)

    def add_result(
        self,
        request: GenerationRequest,
        result: GenerationResult,
        parent_id: str | None = None,
        fork_position: int = 0,
        forced_text: str = "",
        forced_prob: float | None = None,
    ) -> TreeNode:
        """A node for a generation's first sequence (the root when ``parent_id`` is None)."""
        if parent_id is None and self.root is not None:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP("Errors", "This tree has a root already: fork from one of its nodes.")
            )
        sequence = result.sequences[0]
        node = TreeNode(
            id=uuid.uuid4().hex[:12],
            parent=parent_id,
            fork_position=fork_position,
            # the prefill as tokens (a typed prefill too), so the node replays from exactly these
            prefill_ids=result.prompt_token_ids[len(result.prompt_token_ids) - result.prefill_length :],
            forced_text=forced_text,
            forced_prob=forced_prob,
            settings=request.settings,
            seed=result.seed,
            token_ids=tuple(sequence.token_ids),
            logprobs=tuple(math.log(token.prob) if token.prob > 0 else -math.inf for token in sequence.tokens),
            text=sequence.text,
        )
        self.nodes[node.id] = node
        return node

    def replace_node(self, node: TreeNode) -> None:
        self.nodes[node.id] = node

    def remove_subtree(self, node_id: str) -> None:
        for removed in self.subtree_ids(node_id):
            del self.nodes[removed]

    # --- plain data (the session and the export) --------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        return {
            "format": TREE_FORMAT,
            "id": self.id,
            "model": self.model,
            "weights_hash": self.weights_hash,
            "prompt": self.prompt,
            "system_prompt": self.system_prompt,
            "chat": self.chat,
            "nodes": [_node_to_data(node) for node in self.nodes.values()],
        }

    @classmethod
    def from_data(cls, data: Any) -> GenerationTree:
        """A tree saved by ``to_data``; InvalidInputError naming what is wrong otherwise."""
        if not isinstance(data, dict) or data.get("format") != TREE_FORMAT:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP("Errors", "This is not a generation tree (its format is not {format}).").fill(
                    format=TREE_FORMAT
                )
            )
        try:
            tree = cls(
                model=_typed(data["model"], str, "model"),
                weights_hash=_typed(data["weights_hash"], str, "weights_hash"),
                prompt=_typed(data["prompt"], str, "prompt"),
                system_prompt=_typed(data.get("system_prompt", ""), str, "system_prompt"),
                chat=_typed(data.get("chat"), bool, "chat", optional=True),
                id=_typed(data.get("id", uuid.uuid4().hex), str, "id"),
            )
            for index, node_data in enumerate(_typed(data["nodes"], list, "nodes")):
                node = _node_from_data(node_data, index)
                if node.id in tree.nodes:  # kept, the second would silently replace the first
                    raise InvalidInputError(
                        QT_TRANSLATE_NOOP("Errors", "The tree's nodes[{index}].id {id!r:.40} is used twice.").fill(
                            index=index, id=node.id
                        )
                    )
                tree.nodes[node.id] = node
        except KeyError as missing:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP("Errors", "The tree has no {key}.").fill(key=missing.args[0])
            ) from None
        roots = [node for node in tree.nodes.values() if node.parent is None]
        if len(roots) != 1 or len(_reached_from_root(tree)) != len(tree.nodes):
            raise InvalidInputError(
                QT_TRANSLATE_NOOP(
                    "Errors",
                    "The tree is broken: it needs exactly one root, and every node's parents must lead to it.",
                )
            )
        for index, node in enumerate(tree.nodes.values()):
            parent = tree.nodes.get(node.parent) if node.parent is not None else None
            if parent is not None and node.fork_position > len(parent.answer_ids):
                raise InvalidInputError(
                    QT_TRANSLATE_NOOP(
                        "Errors", "The tree's nodes[{index}].fork_position {position} is past the end of its parent's "
                        "answer ({count} tokens)."
                    ).fill(index=index, position=node.fork_position, count=len(parent.answer_ids))
                )
        return tree


def _reached_from_root(tree: GenerationTree) -> set[str]:
    """The nodes whose parents lead to a root: not one whose parent is missing, nor a cycle of parents."""
    children: dict[str | None, list[str]] = {}
    for node in tree.nodes.values():
        children.setdefault(node.parent, []).append(node.id)
    reached: set[str] = set()
    waiting = list(children.get(None, []))
    while waiting:
        node_id = waiting.pop()
        if node_id not in reached:
            reached.add(node_id)
            waiting += children.get(node_id, [])
    return reached


_NUMBER = (int, float)


def _typed(value: Any, kind: type | tuple[type, ...], name: str, optional: bool = False) -> Any:
    """``value`` when it is a ``kind`` (``_NUMBER``: an int or a float; never a bool), or None where ``optional``."""
    if optional and value is None:
        return value
    wrong_number = kind is _NUMBER and isinstance(value, float) and math.isnan(value)  # json reads NaN too
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool or wrong_number:
        kind_name = "a number" if kind is _NUMBER else kind.__name__
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The tree's {name} must be {kind} (it is {value!r:.40}).").fill(
                name=name, kind=kind_name, value=value
            )
        )
    return value


def _position(value: Any, name: str) -> int:
    if _typed(value, int, name) < 0:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The tree's {name} must be at least 0 (it is {value}).").fill(
                name=name, value=value
            )
        )
    return value


def _node_to_data(node: TreeNode) -> dict[str, Any]:
    return {
        "id": node.id,
        "parent": node.parent,
        "fork_position": node.fork_position,
        "prefill_ids": list(node.prefill_ids),
        "forced_text": node.forced_text,
        "forced_prob": node.forced_prob,
        "settings": settings_to_data(node.settings),
        "seed": node.seed,
        "token_ids": list(node.token_ids),
        "logprobs": [value if math.isfinite(value) else None for value in node.logprobs],
        "text": node.text,
        "label": node.label,
        "collapsed": node.collapsed,
    }


def _seed(value: Any, where: str) -> int | None:
    seed = _typed(value, int, where, optional=True)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The tree's {where} must be between 0 and {maximum} (it is {value}).").fill(
                where=where, maximum=MAX_SEED, value=seed
            )
        )
    return seed


def _node_from_data(data: Any, index: int) -> TreeNode:
    where = f"nodes[{index}]"
    data = _typed(data, dict, where)
    settings = settings_from_data(DecodingSettings, _typed(data["settings"], dict, f"{where}.settings"))
    problems = field_problems(settings)
    if problems:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The tree's {where}.settings are not valid: {problem}").fill(
                where=where, problem=problems[0]
            )
        )
    ids = [_position(token, f"{where}.token_ids") for token in _typed(data["token_ids"], list, f"{where}.token_ids")]
    prefill = [_position(token, f"{where}.prefill_ids")
               for token in _typed(data["prefill_ids"], list, f"{where}.prefill_ids")]
    logprobs = [-math.inf if value is None else float(_typed(value, _NUMBER, f"{where}.logprobs"))
                for value in _typed(data["logprobs"], list, f"{where}.logprobs")]
    forced_prob = _typed(data.get("forced_prob"), _NUMBER, f"{where}.forced_prob", optional=True)
    return TreeNode(
        id=_typed(data["id"], str, f"{where}.id"),
        parent=_typed(data.get("parent"), str, f"{where}.parent", optional=True),
        fork_position=_position(data.get("fork_position", 0), f"{where}.fork_position"),
        prefill_ids=tuple(prefill),
        forced_text=_typed(data.get("forced_text", ""), str, f"{where}.forced_text"),
        forced_prob=None if forced_prob is None else float(forced_prob),
        settings=settings,
        seed=_seed(data.get("seed"), f"{where}.seed"),
        token_ids=tuple(ids),
        logprobs=tuple(logprobs),
        text=_typed(data["text"], str, f"{where}.text"),
        label=_typed(data.get("label", ""), str, f"{where}.label"),
        collapsed=_typed(data.get("collapsed", False), bool, f"{where}.collapsed"),
    )


# --- weights and replay ---------------------------------------------------------------------------------


def weights_hash(loaded: LoadedModel) -> str:
    """A CRC-32 over every parameter and buffer, by name, with the dtype: the same weights loaded the
    same way hash the same, whatever file they came from."""
    import torch

    crc = 0
    with torch.inference_mode():
        for name, tensor in sorted(loaded.model.state_dict().items()):
            crc = zlib.crc32(name.encode(), crc)
            crc = zlib.crc32(tensor.detach().contiguous().cpu().view(torch.uint8).numpy().tobytes(), crc)
    return f"crc32:{crc:08x}:{str(loaded.dtype).removeprefix('torch.')}"


@dataclass(frozen=True)
class NodeReplay:
    node_id: str
    label: str
    matches: bool
    saved_text: str
    replayed_text: str


@dataclass(frozen=True)
class ReplayProgress:
    nodes_done: int
    nodes_total: int


def replay(
    loaded: LoadedModel, tree: GenerationTree, cancel: CancelToken | None = None
) -> Generator[ReplayProgress, None, list[NodeReplay]]:
    """Generate every node again, in the order they were made, and compare the generated tokens."""
    from workbench.core.generation import generate
    from workbench.core.jobs import drain

    cancel = cancel or CancelToken()
    for node in tree.nodes.values():  # every node's ids checked for this model before the first is generated
        prompt_token_ids(loaded, tree.request(node))
    outcomes = []
    for index, node in enumerate(tree.nodes.values()):
        if cancel.cancelled:
            break
        result = drain(generate(loaded, tree.request(node), cancel))
        sequence = result.sequences[0]
        outcomes.append(
            NodeReplay(node.id, node.label, tuple(sequence.token_ids) == node.token_ids, node.text, sequence.text)
        )
        yield ReplayProgress(index + 1, len(tree.nodes))
    return outcomes


# --- branches scored by the model ----------------------------------------------------------------------


@dataclass(frozen=True)
class BranchScore:
    """A node's answer after its first ``start`` tokens, read back by the model (teacher forcing): the
    log-probability of each token under the raw model and the entropy of the distribution it came from."""

    node_id: str
    start: int  # answer tokens before the first scored one: the start the compared branches share
    token_texts: tuple[str, ...]
    logprobs: tuple[float, ...]  # nats
    entropies: tuple[float, ...]  # nats

    @property
    def total_logprob(self) -> float:
        return math.fsum(self.logprobs)

    @property
    def mean_logprob(self) -> float:
        return self.total_logprob / len(self.logprobs) if self.logprobs else math.nan


def shared_start(tree: GenerationTree, node_ids: list[str]) -> int:
    """How many answer tokens the nodes have in common from the start: where their branches part."""
    answers = [tree.nodes[node_id].answer_ids for node_id in node_ids]
    length = min(len(answer) for answer in answers)
    return next((index for index in range(length) if len({answer[index] for answer in answers}) > 1), length)


def score_branches(
    loaded: LoadedModel, tree: GenerationTree, node_ids: list[str], cancel: CancelToken | None = None
) -> Generator[ReplayProgress, None, list[BranchScore]]:
    """Score every node's answer after the start they share, read as its generation read it (one forward pass
    each; windows past the context of a model trained here): forced tokens included, so "which continuation did
    the model prefer" covers the whole branch."""
    import torch

    from workbench.core.reading import next_token_logits
    from workbench.core.text_stream import text_stream

    cancel = cancel or CancelToken()
    start = shared_start(tree, node_ids)
    scores = []
    for index, node_id in enumerate(node_ids):
        if cancel.cancelled:
            raise CancelledError("Scoring stopped.")
        node = tree.nodes[node_id]
        with_prefill = prompt_token_ids(loaded, tree.request(node))
        context = with_prefill[: len(with_prefill) - len(node.prefill_ids)]  # the prompt as the model read it
        ids = context + list(node.answer_ids)
        first = len(context) + start  # position of the first scored token
        with loaded.lock, torch.inference_mode():
            log_p = next_token_logits(loaded, ids, first).float().log_softmax(dim=-1)  # (N, V): predicts first + i
            targets = torch.tensor(ids[first:], device=log_p.device)[:, None]  # (N, 1)
            picked = log_p.gather(1, targets)[:, 0].double().cpu().tolist()
            entropies = (-(log_p.exp() * log_p).nansum(dim=-1)).double().cpu().tolist()
        stream = text_stream(loaded.tokenizer, ids[:first])
        texts = tuple(stream.add(token_id) for token_id in ids[first:])
        scores.append(BranchScore(node_id, start, texts, tuple(picked), tuple(entropies)))
        yield ReplayProgress(index + 1, len(node_ids))
    return scores
