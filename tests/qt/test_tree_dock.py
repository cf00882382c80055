"""Fork at any token and the Tree dock, on a tiny random model: a clicked token's popup forks a branch
that streams under its parent; typed text forks too; the prefill field starts the answer; trees
survive a restart (a damaged one is dropped with a message); rename, collapse, delete; the JSON export
replays exactly; two branches side by side are scored by the model."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox

from tests.qt.test_main_window import accelerators_are_unique, set_prompt
from workbench.core.decoding import DecodingSettings
from workbench.core.jobs import drain
from workbench.core.sessions import session_path
from workbench.core.tree import GenerationTree, replay, weights_hash
from workbench.qt.main_window import MainWindow
from workbench.qt.tree.dock import shown_siblings
from workbench.qt.tree.fork_popup import ForkChoice

PROMPT = "The quick brown"
NEW_TOKENS = 10


def generate_root(qtbot, window: MainWindow, prompt: str = PROMPT, **settings):
    """A greedy answer from the editor: the root of the prompt's tree (or another answer in it)."""
    settings = {"mode": "greedy", "max_new_tokens": NEW_TOKENS, "min_new_tokens": NEW_TOKENS, **settings}
    set_prompt(window, prompt, **settings)
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000) as added:
        window.generate()
    tree, node_id = added.args
    return tree, tree.nodes[node_id]


def click_token(qtbot, window: MainWindow, step: int) -> None:
    view = window.output_view.views()[0]
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.token_spans[step][0])
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.cursorRect(cursor).center() + QPoint(2, 0))


def open_popup(qtbot, window: MainWindow, step: int):
    click_token(qtbot, window, step)
    qtbot.waitUntil(lambda: window.fork_popup is not None, timeout=3_000)
    popup = window.fork_popup
    if not popup.isVisible():
        # The offscreen platform closes a popup the moment it becomes the active window (a desktop
        # does not); shown again, it stays.
        popup.show()
    qtbot.waitUntil(popup.isVisible, timeout=1_000)
    return popup


def fork(qtbot, window: MainWindow, step: int, choice: ForkChoice):
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000) as added:
        assert window.fork_at(step, choice)
    tree, node_id = added.args
    return tree.nodes[node_id]


@pytest.fixture
def shown(window, qtbot):
    window.resize(1366, 768)
    window.show()
    window.activateWindow()  # a popup closes at once while its application has no active window
    qtbot.waitActive(window)
    return window


def test_a_clicked_token_forks_a_branch_that_streams_under_its_parent(qtbot, shown):
    window = shown
    tree, root = generate_root(qtbot, window)
    step = 3
    window.decoding_panel.set_settings(DecodingSettings(mode="greedy", max_new_tokens=40))
    popup = open_popup(qtbot, window, step)
    assert window.state.selected_token[1] == window.prompt_length + step  # the click selected it as well
    rows = [popup.list.topLevelItem(row) for row in range(popup.list.topLevelItemCount())]
    assert len(rows) == 20
    widest = max(popup.list.fontMetrics().horizontalAdvance(row.text(2)) for row in rows)
    assert popup.list.columnWidth(2) >= widest and not popup.list.horizontalScrollBar().isVisible()  # whole
    event = window.trees.records[root.id].result.sequences[0].tokens[step]
    assert [row.data(0, Qt.ItemDataRole.UserRole).token_id for row in rows] == [i for i, _ in event.trace.stages[0].top]
    wanted = rows[1].data(0, Qt.ItemDataRole.UserRole)
    popup.search.setText(wanted.text)
    assert not rows[1].isHidden() and any(row.isHidden() for row in rows)

    streamed = []
    window.state.token_streamed.connect(lambda _event: streamed.append(window.tree_dock_widget._placeholder.text(1)))
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000) as added:
        qtbot.mouseClick(popup.list.viewport(), Qt.MouseButton.LeftButton,
                         pos=popup.list.visualItemRect(rows[1]).center())
    child = tree.nodes[added.args[1]]
    assert streamed[:2] == ["1", "2"]  # the placeholder under the parent counted the tokens as they came
    assert child.parent == root.id and root.id in tree.nodes  # the original branch stays
    assert child.answer_ids[:step] == root.answer_ids[:step] and child.answer_ids[step] == wanted.token_id
    assert child.forced_prob == pytest.approx(wanted.raw_prob)
    assert window.output_view.sequence_text() == child.text  # the new branch's whole answer, prefill first
    assert window.output_view.views()[0].prefill and child.text.startswith(window.output_view.views()[0].prefill)
    assert window.tree_dock_widget.selected_node_ids() == [child.id]
    assert window.tree_dock_widget.item(child.id).parent() is window.tree_dock_widget.item(root.id)
    # The window's keyboard focus is back in the answer, not in the model combo box, where a keystroke would
    # search for a model (offscreen, the closed popup stays the active window: the window's own focus is read).
    assert window.focusWidget() is window.output_view.views()[0], window.focusWidget()


def test_a_fork_keeps_its_forced_token_selected_and_a_new_prompt_selects_nothing(qtbot, shown):
    window = shown
    tree, root = generate_root(qtbot, window)
    step = 3
    click_token(qtbot, window, step)
    position = window.prompt_length + step
    assert window.state.selected_token == (0, position)
    fork(qtbot, window, step, ForkChoice("!"))
    assert window.state.selected_token == (0, position)  # the same context before it: the forced token
    assert window.output_view.views()[0].marked == -1  # now part of the answer's given start, not generated

    generate_root(qtbot, window, "Attention lets every")
    assert window.state.selected_token is None  # nothing of the new answer was clicked
    assert window.output_view.views()[0].marked == -1 and not window.entropy_strip.marker.isVisible()


def test_typed_text_forks_too(qtbot, shown):
    window = shown
    tree, root = generate_root(qtbot, window)
    popup = open_popup(qtbot, window, 2)
    qtbot.keyClicks(popup.typed, " fox jumps")
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000) as added:
        qtbot.keyClick(popup.typed, Qt.Key.Key_Return)
    child = tree.nodes[added.args[1]]
    forced = tuple(window.state.loaded_model.tokenizer(" fox jumps", add_special_tokens=False)["input_ids"])
    assert child.prefill_ids == root.answer_ids[:2] + forced
    assert child.forced_text == " fox jumps" and " fox jumps" in child.text


def test_a_double_click_selects_a_word_and_opens_no_popup(qtbot, shown):
    window = shown
    generate_root(qtbot, window)
    view = window.output_view.views()[0]
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.token_spans[4][0])
    pos = view.cursorRect(cursor).center() + QPoint(2, 0)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.wait(QApplication.doubleClickInterval() + 100)
    assert window.fork_popup is None


def test_the_prefill_field_starts_the_answer_and_counts_as_prompt(qtbot, window):
    window.prompt_editor.prefill_edit.setText(" jumps over")
    tree, root = generate_root(qtbot, window)
    view = window.output_view.views()[0]
    assert view.prefill == " jumps over" and view.toPlainText().startswith(" jumps over")
    assert window.output_view.sequence_text() == root.text
    record = window.trees.records[root.id]
    assert window.prompt_length == len(record.result.prompt_token_ids)  # the prefill's tokens are prompt positions
    assert view.token_spans[0][0] == len(" jumps over")  # generated token 0 starts after the plain prefill
    window.save_session_now()
    saved = json.loads(session_path().read_text(encoding="utf-8"))
    assert saved["editor"]["prefill"] == " jumps over"


def test_a_new_prompt_starts_a_tree_and_the_same_prompt_adds_an_answer(qtbot, window):
    tree, root = generate_root(qtbot, window)
    again_tree, again = generate_root(qtbot, window)
    assert again_tree is tree and again.parent == root.id and again.fork_position == 0
    other_tree, _ = generate_root(qtbot, window, "Attention lets every")
    assert window.trees.trees == [other_tree, tree]  # newest first
    dock = window.tree_dock_widget
    assert dock.selector.count() == 2 and dock.shown_tree is other_tree
    model = Path(tree.model).name  # the same prompt asked of two models makes two trees: the list tells them apart
    assert dock.selector.itemText(1) == f"{PROMPT} · 2 branches · {model}", dock.selector.itemText(1)
    list_view = dock.selector.view()  # the open list is wide enough for every entry, whatever the dock's width
    assert list_view.minimumWidth() >= list_view.sizeHintForColumn(0)
    dock.selector.setCurrentIndex(1)
    assert dock.shown_tree is tree and dock.item(again.id) is not None
    # Another answer to the prompt stands beside the first, both under the prompt, not under the first answer.
    prompt_item = dock.view.topLevelItem(0)
    assert dock.item(again.id).parent() is prompt_item and dock.item(root.id).parent() is prompt_item
    assert dock.item(again.id).text(0) == "answer 2" and dock.item(root.id).childCount() == 0  # numbered
    # What is listed beside a branch is what "Compare with sibling" offers.
    assert shown_siblings(tree, root) == [again] and shown_siblings(tree, again) == [root]
    _, third = generate_root(qtbot, window)
    dock.selector.setCurrentIndex(dock.selector.findData(tree.id))
    assert [dock.item(answer.id).text(0) for answer in (root, again, third)] == ["answer", "answer 2", "answer 3"]


def test_rename_collapse_and_delete(qtbot, window, monkeypatch):
    tree, root = generate_root(qtbot, window)
    child = fork(qtbot, window, 2, ForkChoice(" x", (7,)))
    dock = window.tree_dock_widget
    from PySide6.QtCore import QCoreApplication, QEvent, QTimer
    from PySide6.QtWidgets import QMenu

    shown = []

    enabled = {}

    def close_the_menu() -> None:
        menu = QApplication.activePopupWidget()
        shown.append([action.text() for action in menu.actions() if not action.isSeparator()])
        enabled.update((action.text().replace("&", ""), action.isEnabled()) for action in menu.actions())
        menu.close()

    for _ in range(3):  # right-clicks on the fork: the menu each time, none left behind
        QTimer.singleShot(50, close_the_menu)
        dock._open_menu(dock.view.visualItemRect(dock.item(child.id)).center())
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(shown) == 3 and "&Rename…" in shown[0] and dock.findChildren(QMenu) == []
    assert accelerators_are_unique(shown[0])  # the keyboard reaches every item by its letter
    # A greedy branch: another seed would give it again; the current settings may not.
    assert not enabled["Regenerate (new seed)"] and enabled["Regenerate with the current settings"]
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("my branch", True))
    dock.rename(tree, child.id)
    assert tree.nodes[child.id].label == "my branch" and dock.item(child.id).text(3) == "my branch"
    dock.view.clearSelection()
    dock.item(root.id).setSelected(True)
    dock.item(child.id).setSelected(True)
    assert dock.compare_button.isEnabled()
    dock.item(root.id).setExpanded(False)
    assert tree.nodes[root.id].collapsed
    # Folded out of sight, the fork is no longer one of the two Compare would read.
    assert dock.selected_node_ids() == [root.id] and not dock.compare_button.isEnabled()
    dock.item(child.id).setSelected(True)  # as a selection restored by a redraw would be
    dock.refresh()
    assert not dock.item(root.id).isExpanded() and dock.selected_node_ids() == [root.id]
    dock.item(root.id).setExpanded(True)
    dock.view.clearSelection()
    dock.item(child.id).setSelected(True)  # the fork's answer on screen again
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    assert window.shown_node[1] == child.id and window.output_view.sequence_text() == child.text
    dock.delete(tree, child.id)
    assert list(tree.nodes) == [root.id] and dock.item(child.id) is None
    # The answer on screen was the deleted branch's: it goes too, rather than stay with tokens that cannot fork.
    assert window.shown_node is None and window.output_view.sequence_text() == ""
    assert "deleted" in window.output_view.info_label.text()
    assert window.runs_panel.selected_run() is None  # no run claims to be the answer on screen
    dock.delete(tree, root.id)
    assert window.trees.trees == [] and dock.view.topLevelItemCount() == 0


def test_trees_survive_a_restart_and_a_damaged_one_is_dropped(qtbot, make_window, tiny_loaded):
    window = make_window(tiny_loaded)
    tree, root = generate_root(qtbot, window)
    child = fork(qtbot, window, 3, ForkChoice(" x", (7,)))
    window.close()
    again = make_window(tiny_loaded)
    [restored] = again.trees.trees
    assert restored.to_data() == tree.to_data()
    assert again.tree_dock_widget.item(child.id) is not None
    # A saved branch has no tokens: its text is shown, and "Show in inspector" generates it again, exactly.
    again.show_node(restored, child.id)
    assert again.output_view.sequence_text() == child.text
    assert "Show in inspector" in again.output_view.info_label.text()
    with qtbot.waitSignal(again.trees.node_replayed, timeout=15_000):
        assert again.trees.show_in_inspector(restored, child.id)
    assert child.id in again.trees.records and again.output_view.views()[0].tokens
    again.close()

    data = json.loads(session_path().read_text(encoding="utf-8"))
    data["trees"].append({**data["trees"][0], "nodes": []})  # no root: broken
    session_path().write_text(json.dumps(data), encoding="utf-8")
    third = make_window(tiny_loaded)
    assert [kept.id for kept in third.trees.trees] == [tree.id]
    assert "trees[1]" in third.banner.label.text()


def test_the_exported_tree_replays_exactly(qtbot, window, tiny_loaded, tmp_path, monkeypatch):
    tree, root = generate_root(qtbot, window)
    fork(qtbot, window, 4, ForkChoice(" y", (9,)))
    window.decoding_panel.set_settings(DecodingSettings(
        mode="sample", max_new_tokens=NEW_TOKENS))
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000):
        assert window.trees.regenerate(tree, root.id, window.decoding_panel.settings())  # sampled, with its seed
    path = tmp_path / "tree.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(path), ""))
    window.tree_dock_widget.export_shown()
    qtbot.waitUntil(path.exists, timeout=10_000)
    exported = GenerationTree.from_data(json.loads(path.read_text(encoding="utf-8")))
    assert exported.weights_hash == weights_hash(tiny_loaded) and len(exported.nodes) == 3
    assert [outcome.matches for outcome in drain(replay(tiny_loaded, exported))] == [True, True, True]


def test_two_siblings_side_by_side_are_scored_by_the_model(qtbot, window):
    tree, root = generate_root(qtbot, window)
    event = window.trees.records[root.id].result.sequences[0].tokens[3]
    (first_id, first_prob), (second_id, second_prob) = event.trace.stages[0].top[1:3]
    first = fork(qtbot, window, 3, ForkChoice("a", (first_id,), first_prob))
    assert window.runs_panel.selected_run() is not None  # the fork's run, just made
    window.show_node(tree, root.id)
    assert window.runs_panel.selected_run() is None  # a branch chosen in the Tree is no run of the list
    second = fork(qtbot, window, 3, ForkChoice("b", (second_id,), second_prob))
    dock = window.tree_dock_widget
    dock.view.clearSelection()
    dock.item(first.id).setSelected(True)
    dock.item(second.id).setSelected(True)
    assert dock.compare_button.isEnabled()
    view = window.side_by_side
    with qtbot.waitSignal(view._job.finished, timeout=10_000):
        dock.compare_button.click()
        assert view.busy.isVisibleTo(view)  # something moves while the model reads both branches
    qtbot.waitUntil(lambda: not view.busy.isVisibleTo(view))
    assert window.side_by_side_dock.isVisible() or not window.isVisible()
    for column, node in zip(view.columns, (first, second)):
        score = column.score
        assert score.start == 3 and len(score.logprobs) == len(node.token_ids) + 1
        # The forced token's log-probability, then the branch's own generation: the model's own numbers.
        assert score.total_logprob == pytest.approx(math.log(node.forced_prob) + sum(node.logprobs), abs=1e-3)
        assert f"{score.total_logprob:.2f}" in column.totals.text()
        surprisals = [token.surprisal for token in column.strip.tokens]
        assert -sum(surprisals) == pytest.approx(score.total_logprob)
    assert "The model prefers" in view.heading.text()
    generate_root(qtbot, window)  # another answer to the same prompt: its tree, the comparison stays
    assert not window.side_by_side_dock.isHidden()
    generate_root(qtbot, window, prompt="Another prompt")  # another prompt's tree: these branches are not its
    assert window.side_by_side_dock.isHidden()
    window.tree_dock_widget.show_tree(tree.id)
    # A compared branch deleted from the Tree takes the comparison with it: no score of a branch that is gone.
    window.trees.delete_subtree(tree, second.id)
    assert all(column.score is None and column.strip.tokens == [] for column in view.columns)
    assert "deleted" in view.heading.text()
    assert view.columns[0].text.shown_text == ""


def test_a_branch_is_labelled_by_what_it_adds_from_its_fork():
    from workbench.core.tree import GenerationTree, TreeNode
    from workbench.qt.tree.dock import added_text

    def node(node_id, parent, text, fork_position=0, forced=""):
        return TreeNode(id=node_id, parent=parent, fork_position=fork_position, prefill_ids=(), forced_text=forced,
                        forced_prob=None, settings=DecodingSettings(), seed=None, token_ids=(), logprobs=(), text=text)

    tree = GenerationTree(model="m", weights_hash="h", prompt="Name three colours.")
    for made in (node("root", None, "1. Blue: This is a fundamental colour."),
                 node("again", "root", "1. Blue: This is a fundamental hue."),  # another answer from the start
                 node("short", "root", "1. Blue"),  # a stopped re-run: all of it is shared with the first
                 node("fork", "root", "1. Blue: This is the sky.", fork_position=5, forced=" the"),
                 node("then", "root", "1. Blue: This is then red.", fork_position=5, forced=" then")):
        tree.nodes[made.id] = made
    assert added_text(tree, tree.nodes["root"]) == "1. Blue: This is a fundamental colour."
    assert added_text(tree, tree.nodes["again"]) == "1. Blue: This is a fundamental hue."
    assert added_text(tree, tree.nodes["short"]) == "1. Blue"
    assert added_text(tree, tree.nodes["fork"]) == " the sky."
    assert added_text(tree, tree.nodes["then"]) == " then red."  # not "n red.": the forced token begins it


def test_a_continued_answers_fork_cell_is_short_and_its_tooltip_whole(qtbot, window):
    """Continue forces the whole answer so far: the Fork column was as wide as it, and the token counts, log p
    and branch names were pushed out of the dock, with no scroll bar to reach them."""
    from workbench.core.tree import GenerationTree, TreeNode
    from workbench.qt.tree.dock import FORCED_SHOWN, FORK, edge_text, forced_shown

    answer = "The tales of dragons and knights can be very captivating indeed. Let's start with the tale."
    tree = GenerationTree(model="m", weights_hash="h", prompt="Tell me a story.")
    for made in (TreeNode(id="root", parent=None, fork_position=0, prefill_ids=(), forced_text="", forced_prob=None,
                          settings=DecodingSettings(), seed=None, token_ids=(1,), logprobs=(-1.0,), text=answer),
                 TreeNode(id="more", parent="root", fork_position=0, prefill_ids=(), forced_text=answer,
                          forced_prob=None, settings=DecodingSettings(), seed=None, token_ids=(2,), logprobs=(-1.0,),
                          text=answer + " It ends.")):
        tree.nodes[made.id] = made
    shown = edge_text(tree, tree.nodes["more"])
    assert len(shown) == FORCED_SHOWN and shown.endswith("…") and shown.startswith("“The␣tales")
    window.trees.set_trees([tree])
    dock = window.tree_dock_widget
    item = next(item for item in dock._node_items() if item.data(FORK, Qt.ItemDataRole.UserRole) == "more")
    assert item.text(FORK) == shown and item.toolTip(FORK).startswith("“The␣tales") and "tale." in item.toolTip(FORK)
    fork_width = dock.view.columnWidth(FORK)
    assert fork_width < dock.view.fontMetrics().horizontalAdvance(shown) + 80
    # A Chinese answer: each character is two columns wide, so 20 of them were under the limit and twice too wide.
    chinese = forced_shown("在这重高度，迄自认为不可能。你说明一下，")
    assert chinese == "“在这重高度，迄自认为不…"  # 1 + 11 x 2 + 1 columns
    assert sum(2 if "\u3000" <= char else 1 for char in chinese) == FORCED_SHOWN


def test_a_run_restored_from_the_runs_list_shows_its_prompts_tree(qtbot, window):
    first, _ = generate_root(qtbot, window, "The quick brown")
    second, _ = generate_root(qtbot, window, "Once upon a time")
    assert window.tree_dock_widget.shown_tree_id == second.id
    run = next(run for run in window.runs_panel.runs() if run.prompt == "The quick brown")
    window.restore_run(run)
    assert window.tree_dock_widget.shown_tree_id == first.id
    assert window.tree_dock_widget.selected_node_ids() == [first.root.id]  # the branch of that answer
    assert window.shown_node == (first, first.root.id)  # so a click on one of its tokens forks it


def test_regenerate_with_a_new_seed_draws_again_with_the_branchs_own_settings(qtbot, window):
    from PySide6.QtCore import QTimer

    tree, root = generate_root(qtbot, window, mode="sample", temperature=1.0)
    window.decoding_panel.set_settings(DecodingSettings(mode="greedy", max_new_tokens=NEW_TOKENS))
    dock = window.tree_dock_widget

    def choose() -> None:
        menu = QApplication.activePopupWidget()
        next(action for action in menu.actions() if action.text() == "Regenerate (&new seed)").trigger()
        menu.close()

    QTimer.singleShot(50, choose)
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000) as added:
        dock._open_menu(dock.view.visualItemRect(dock.item(root.id)).center())
    again = tree.nodes[added.args[1]]
    assert again.settings.mode == "sample" and again.settings.temperature == 1.0  # not the greedy panel's
    assert again.seed is not None and again.seed != root.seed


def test_regenerating_a_greedy_branch_with_its_own_settings_is_refused_with_a_reason(qtbot, window):
    """Greedy and beam search do not draw: the same settings would only add an identical sibling."""
    tree, root = generate_root(qtbot, window)
    with qtbot.waitSignal(window.trees.message) as said:
        assert not window.trees.regenerate(tree, root.id, replace(root.settings, seed=12345))
    assert "Change a setting first" in said.args[0] and len(tree.nodes) == 1
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000):  # another setting: another answer
        assert window.trees.regenerate(tree, root.id, replace(root.settings, repetition_penalty=1.5))
    assert len(tree.nodes) == 2


def test_regenerate_on_a_forked_answer_draws_a_sibling_where_it_forked(qtbot, window):
    """Ctrl+R ran the fork's request (its forced path) again and filed it as an answer from the start: the tree
    showed it beside the root while its text began with the fork's tokens."""
    tree, root = generate_root(qtbot, window, mode="sample", temperature=1.0)
    child = fork(qtbot, window, 2, ForkChoice(" x", (7,)))
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000) as added:
        window.regenerate()
    again = tree.nodes[added.args[1]]
    assert (again.parent, again.fork_position, again.forced_text) == (root.id, child.fork_position, " x")
    assert again.prefill_ids == child.prefill_ids and again.seed != child.seed


def test_regenerate_runs_the_last_prompt_on_the_model_loaded_now_and_again_when_greedy(qtbot, window):
    """Regenerate stays the editor's: the last prompt on whichever model is loaded (to compare two models), and a
    greedy answer runs again (the Tree's own Regenerate refuses that)."""
    from tests.conftest import make_tiny_loaded

    generate_root(qtbot, window)  # greedy
    with qtbot.waitSignal(window.generation.finished, timeout=15_000):
        window.regenerate()
    other = make_tiny_loaded(seed=1)
    other = replace(other, entry=replace(other.entry, id="other-model", name="Other"))
    window.use_loaded_model(other)
    with qtbot.waitSignal(window.generation.finished, timeout=15_000) as finished:
        window.regenerate()
    assert finished.args[0].loaded is other


def test_regenerate_after_a_fork_that_failed_draws_that_fork_again(qtbot, window, monkeypatch):
    from workbench.core import generation
    from workbench.core.errors import WorkbenchError

    tree, root = generate_root(qtbot, window, mode="sample", temperature=1.0)
    real = generation.generate

    def failing_once(loaded, request, cancel=None):
        monkeypatch.setattr(generation, "generate", real)
        raise WorkbenchError("The model ran out of memory.")
        yield

    monkeypatch.setattr(generation, "generate", failing_once)
    with qtbot.waitSignal(window.generation.failed, timeout=15_000):
        assert window.fork_at(2, ForkChoice(" x", (7,)))
    with qtbot.waitSignal(window.trees.node_added, timeout=15_000) as added:
        window.regenerate()
    again = tree.nodes[added.args[1]]
    assert (again.parent, again.forced_text) == (root.id, " x")


def test_a_fork_is_told_from_its_original_in_the_runs_list(qtbot, window):
    tree, root = generate_root(qtbot, window)
    fork(qtbot, window, 2, ForkChoice(" x", (7,)))
    items = [window.runs_panel.list.item(index) for index in range(window.runs_panel.list.count())]
    titles = [item.text() for item in items]
    assert len(set(titles)) == 2  # the same time, model, length and prompt: the fork names its start
    forked = next(item for item in items if "⟶" in item.text())
    start = forked.data(Qt.ItemDataRole.UserRole).prefill_text  # the kept answer, then the forced token
    assert " ".join(start.split()).endswith(forked.text().split(" ⟶ ")[1].lstrip("…"))
    assert forked.toolTip().endswith("The answer starts with: " + start)


def test_a_fork_whose_tree_is_deleted_while_it_generates_does_not_bring_the_tree_back(qtbot, window):
    tree, root = generate_root(qtbot, window)
    window.decoding_panel.set_settings(replace(root.settings, mode="sample", max_new_tokens=100, min_new_tokens=100))
    assert window.fork_at(2, ForkChoice(" x", (7,)))
    qtbot.waitUntil(lambda: window.generation.streamed_tokens >= 1, timeout=15_000)
    window.trees.delete_subtree(tree, root.id)
    with qtbot.waitSignal(window.trees.message, timeout=15_000) as said:
        window.stop()
    assert window.trees.trees == [] and "kept in the Runs list only" in said.args[0]
    assert [run.stopped for run in window.runs_panel.runs()].count(True) == 1
    window.regenerate()  # the fork's request, whose branch is gone: said, not filed as a new tree
    assert not window.generation.is_running and window.trees.trees == []


def test_show_in_inspector_of_a_saved_branch_sends_it_to_the_pages_once(qtbot, window):
    tree, root = generate_root(qtbot, window)
    window.trees.records.clear()  # as after a restart: the node keeps its text only
    sent = []
    window.state.generation_finished.connect(sent.append)
    with qtbot.waitSignal(window.trees.node_replayed, timeout=15_000):
        window.trees.show_in_inspector(tree, root.id)
    assert len(sent) == 1 and sent[0] is window.trees.records[root.id]
    assert window.shown_node == (tree, root.id)


def test_a_token_of_an_answer_without_its_tokens_says_how_to_fork_it(qtbot, window):
    generate_root(qtbot, window)
    window.restore_run(window.runs_panel.runs()[0])  # made in this session: its branch keeps its tokens
    window.open_fork_popup(0, 2, QPoint(10, 10))
    assert window.fork_popup is not None
    window.fork_popup.close()
    window.fork_popup = None
    window.trees.records.clear()  # as after a restart: the run's text, no tokens to fork from
    window.restore_run(window.runs_panel.runs()[0])
    assert "Show in inspector" in window.output_view.info_label.text()
    window.open_fork_popup(0, 2, QPoint(10, 10))
    assert window.fork_popup is None and "Show in inspector" in window.statusBar().currentMessage()
    window.open_fork_popup(1, 2, QPoint(10, 10))
    assert window.fork_popup is None and "first answer" in window.statusBar().currentMessage()


def test_the_side_by_side_strips_say_they_wait_for_the_scores_not_for_a_stream(qtbot):
    from workbench.qt.common.app_state import AppState
    from workbench.qt.generation.entropy_strip import EntropyStrip
    from workbench.qt.tree.side_by_side import SideBySideView

    view = SideBySideView(AppState())
    qtbot.addWidget(view)
    assert [strip.readout.text() for strip in view.findChildren(EntropyStrip)] == [
        "Drawn once both branches are scored."] * 2


def test_two_identical_branches_are_said_to_be_the_same_not_a_mean_of_nothing(qtbot):
    from workbench.core.tree import BranchScore, GenerationTree, TreeNode
    from workbench.qt.common.app_state import AppState
    from workbench.qt.tree.side_by_side import SideBySideView

    tree = GenerationTree(model="m", weights_hash="h", prompt="Name a colour.")
    for node_id in ("first", "again"):  # greedy twice: the same answer
        tree.nodes[node_id] = TreeNode(id=node_id, parent=None, fork_position=0, prefill_ids=(), forced_text="",
                                       forced_prob=None, settings=DecodingSettings(mode="greedy"), seed=None,
                                       token_ids=(1, 2), logprobs=(-0.5, -0.25), text="Blue.")
    view = SideBySideView(AppState())
    qtbot.addWidget(view)
    view._tree, view._compared = tree, list(tree.nodes.values())
    view._on_scored([BranchScore(node_id, 2, (), (), ()) for node_id in tree.nodes])
    assert view.heading.text() == "The two branches hold the same text: there is nothing to compare."
    assert [column.totals.text() for column in view.columns] == ["After the fork: no tokens."] * 2
    shorter = BranchScore("again", 1, (".",), (-0.25,), (0.1,))
    view._on_scored([BranchScore("first", 2, (), (), ()), shorter])
    assert "One branch ends where they part" in view.heading.text()
    assert "nan" not in view.columns[0].totals.text() and "1 tokens" in view.columns[1].totals.text()


def test_a_tree_too_long_for_the_narrow_dock_ends_in_an_ellipsis_not_mid_word(qtbot, window):
    """It was cut at the frame: "…colours are · 3 branches · s"."""
    from workbench.qt.common.eliding_combo import ElidingComboBox

    assert isinstance(window.tree_dock_widget.selector, ElidingComboBox)
    selector = ElidingComboBox()
    qtbot.addWidget(selector)
    selector.addItem("The three primary colours are · 3 branches · smollm2-135m-instruct")
    selector.setCurrentIndex(selector.count() - 1)
    selector.resize(240, selector.sizeHint().height())
    shown = selector.shown_text()
    assert shown.endswith("…") and selector.currentText().startswith(shown[:-1])
    selector.resize(900, selector.sizeHint().height())
    assert selector.shown_text() == selector.currentText()
    selector.addItem("The three primary colours and… · 3 branches · smollm2")  # a prompt the dock cut itself
    selector.setCurrentIndex(selector.count() - 1)
    cut = selector.fontMetrics().horizontalAdvance("The three primary colours and…")
    for width in range(cut - 20, cut + 60, 2):  # wherever the field ends, one ellipsis
        selector.resize(width, selector.sizeHint().height())
        assert "……" not in selector.shown_text()


def test_the_fork_popups_search_goes_down_into_its_list_and_enter_forks_at_the_first_match(qtbot):
    """Down in the search left the list without a current row and Enter did nothing: Tab was needed first."""
    from workbench.qt.tree.fork_popup import Alternative, ForkPopup

    choices = [Alternative(5, " the", 0.5, 0.6), Alternative(7, " three", 0.2, 0.3),
               Alternative(9, " theory", 0.1, 0.1)]
    popup = ForkPopup("At token 3", choices)
    qtbot.addWidget(popup)
    popup.search.setText("thr")  # " three" is the only match left
    qtbot.keyClick(popup.search, Qt.Key.Key_Down)
    assert popup.list.currentItem().data(0, Qt.ItemDataRole.UserRole).token_id == 7
    with qtbot.waitSignal(popup.chosen) as chosen:
        qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert chosen.args[0].token_ids == (7,) and chosen.args[0].raw_prob == 0.2


def test_show_in_inspector_shows_the_branch_in_the_output_too(qtbot, window):
    """The inspector pages and the output read the same branch: the Token page showed the other branch's token
    at the selected position while the output still showed the first."""
    tree, root = generate_root(qtbot, window)
    child = fork(qtbot, window, 2, ForkChoice(" x", (7,)))
    window.show_node(tree, root.id)
    assert window.output_view.sequence_text() == root.text
    shown = []
    window.state.generation_finished.connect(lambda record: shown.append(record))
    window.tree_dock_widget._show_in_inspector(tree, child.id)
    assert window.shown_node == (tree, child.id) and window.output_view.sequence_text() == child.text
    assert shown and shown[-1] is window.trees.records[child.id]


def test_a_tree_made_with_a_runs_step_is_listed_by_its_name_not_its_folder(qtbot, window, tiny_folder, tmp_path):
    """Its folder is "checkpoint" or "step-0000020": the list names it as the model picker does."""
    from tests.qt.test_model_picker import _run

    run = _run(tiny_folder, tmp_path / "poems", final=True, step=60, modified=2_000)
    checkpoint = str((run / "checkpoint").resolve())
    window.trees.set_trees([GenerationTree(model=checkpoint, weights_hash="h", prompt="床前明月光"),
                            GenerationTree(model="smollm2-135m-instruct", weights_hash="h", prompt="Hello")])
    dock = window.tree_dock_widget
    texts = [dock.selector.itemText(index) for index in range(dock.selector.count())]
    assert texts[0].endswith(" · poems — checkpoint, step 60") and texts[1].endswith(" · smollm2-135m-instruct"), texts


def test_a_branchs_tooltip_names_its_mode_and_a_seed_only_for_a_draw(qtbot, window):
    """It read "beam, seed None" (and "sample", untranslated): beam search draws nothing."""
    from workbench.core.tree import GenerationTree, TreeNode
    from workbench.qt.tree.dock import BRANCH, FORK

    tree = GenerationTree(model="m", weights_hash="h", prompt="Name a colour.")
    for node_id, parent, settings, seed in (("drawn", None, DecodingSettings(mode="sample"), 7),
                                            ("beams", "drawn", DecodingSettings(mode="beam", num_beams=3), None),
                                            ("greedy", "drawn", DecodingSettings(mode="greedy"), None)):
        tree.nodes[node_id] = TreeNode(id=node_id, parent=parent, fork_position=0, prefill_ids=(), forced_text="",
                                       forced_prob=None, settings=settings, seed=seed, token_ids=(1,),
                                       logprobs=(-1.0,), text="Blue.")
    window.trees.set_trees([tree])
    tips = {item.data(FORK, Qt.ItemDataRole.UserRole): item.toolTip(BRANCH)
            for item in window.tree_dock_widget._node_items()}
    assert "(sampled, seed 7)" in tips["drawn"]
    assert "(beam search, 3 beams)" in tips["beams"] and "seed" not in tips["beams"]
    assert "(greedy)" in tips["greedy"]


def test_a_branch_of_a_model_unloaded_since_is_not_sent_to_the_inspector_pages(qtbot, window, tiny_loaded):
    """Loading another model frees the one before (its weights go to the meta device): sending its branch to the
    pages ran the freed model, and they showed "Unexpected error: RuntimeError: ... meta tensors"."""
    from tests.conftest import make_tiny_loaded

    tree, root = generate_root(qtbot, window)
    window.use_loaded_model(make_tiny_loaded())  # the same model, loaded again: another LoadedModel
    assert next(tiny_loaded.model.parameters()).device.type == "meta"
    sent = []
    window.state.generation_finished.connect(sent.append)
    window.show_node(tree, root.id)
    assert window.output_view.sequence_text() == root.text and not sent
    assert "Show in inspector" in window.output_view.info_label.text()
    # "Show in inspector" generates it again with the model loaded now, which gives the same tokens.
    with qtbot.waitSignal(window.generation.finished, timeout=15_000):
        window.tree_dock_widget._show_in_inspector(tree, root.id)  # its menu's "Show in inspector"
    qtbot.waitUntil(lambda: bool(sent), timeout=5_000)
    assert sent[-1].loaded is window.state.loaded_model
    assert sent[-1].result.sequences[0].token_ids == root.token_ids


def test_no_other_answer_takes_the_output_while_one_streams_into_it(qtbot, window):
    """A run or a branch picked while a generation streamed: the new tokens went on into the answer put back,
    and Regenerate then took that answer's prompt. Now the pick is refused with a line, the output and the
    request stay the streaming answer's."""
    tree, root = generate_root(qtbot, window, "Name a colour.")
    first_run = window.runs_panel.runs()[-1]
    set_prompt(window, "Tell me a story.", mode="greedy", max_new_tokens=100, min_new_tokens=100)
    with qtbot.waitSignal(window.state.generation_finished, timeout=30_000) as finished:
        window.generate()
        assert window.generation.is_running
        window.restore_run(first_run)
        window.tree_dock_widget.select_node(tree, root.id)  # as a click leaves it
        window.show_node(tree, root.id)
        assert "A generation is running" in window.statusBar().currentMessage()
        assert window.tree_dock_widget.selected_node_ids() == []  # so a click on it later still shows it
    answer = finished.args[0].result.sequences[0].text
    assert window.output_view.sequence_text() == answer
    assert window.generation.last_request.prompt == "Tell me a story."
    assert window.shown_run_id == window.runs_panel.runs()[-1].id
