"""Sessions: atomic save and restore, damaged files set aside, run export."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest

from workbench.core.errors import InvalidInputError
from workbench.core.sessions import (
    HISTORY_LIMIT,
    EditorState,
    Run,
    RunSequence,
    RunToken,
    Session,
    export_run,
    open_session,
    run_to_markdown,
    save_session,
    session_path,
    session_to_data,
    settings_from_dict,
)


def make_run(prompt: str = "What is the capital of France?") -> Run:
    tokens = (
        RunToken(" Paris", 0.8, ((" Paris", 0.8), (" Lyon", 0.1)), entropy=0.9),
        RunToken(".", 0.6, ((".", 0.6), ("!", 0.2)), entropy=1.25, label="."),
    )
    return Run(
        model_id="smollm2-135m-instruct",
        model_name="SmolLM2-135M-Instruct",
        prompt=prompt,
        system_prompt="Be brief.",
        chat=True,
        settings={"mode": "sample", "temperature": 0.7, "stop_strings": ["```"]},
        seed=1234,
        sequences=(RunSequence(" Paris.", tokens),),
        prompt_tokens=12,
        stopped=False,
        time_to_first_token_s=0.05,
        tokens_per_s=31.5,
        elapsed_s=0.2,
    )


def test_a_run_ended_at_its_first_step_has_no_new_text_and_was_not_stopped():
    run = make_run()
    assert not run.ended_at_first_step  # " Paris."
    ended = replace(run, sequences=(RunSequence("", (RunToken("", 0.9, entropy=0.4),)),))  # the end of text
    assert ended.ended_at_first_step
    assert not replace(ended, stopped=True).ended_at_first_step  # Stop pressed at once: not the model's choice
    prefilled = replace(ended, sequences=(RunSequence("Sure", (RunToken("", 0.9),)),), prefill_text="Sure")
    assert prefilled.ended_at_first_step  # the given start of the answer is not new text
    assert not replace(run, sequences=()).ended_at_first_step  # a damaged session's run with no answers at all


def test_no_file_gives_a_fresh_session():
    opened = open_session()
    assert opened.problem is None
    assert opened.session.runs == [] and opened.session.editor.prompt == ""


def test_save_and_open_round_trip():
    editor = EditorState(prompt="Once upon a time", system_prompt="You are terse.", chat=False,
                         settings={"temperature": 1.3}, seed_locked=True, history=["a", "b"],
                         page_texts={"attention": "The cat sat", "compare": "Name a colour."})
    session = Session(editor=editor, runs=[make_run(), make_run("Second")])
    save_session(session)
    opened = open_session()
    assert opened.problem is None
    assert opened.session == session
    assert opened.session.runs[0].sequences[0].tokens[0].alternatives[1] == (" Lyon", 0.1)
    assert opened.session.runs[0].new_tokens == 2
    assert [token.entropy for token in opened.session.runs[0].sequences[0].tokens] == [0.9, 1.25]


def test_a_trained_models_name_comes_back_as_the_marked_text_a_window_translates():
    """A run made with "poems (checkpoint, step 50)" is listed in Chinese after a restart too; a name edited by hand
    in the file is shown as it is."""
    from workbench.core.i18n import Text
    from workbench.core.training.trainer import CHECKPOINT_NAME

    name = CHECKPOINT_NAME.fill(run="poems", step=50)
    save_session(Session(runs=[replace(make_run(), model_name=name), make_run("Second")]))
    trained, packaged = open_session().session.runs
    assert isinstance(trained.model_name, Text) and trained.model_name == "poems (checkpoint, step 50)"
    assert (trained.model_name.template, trained.model_name.values) == (name.template, name.values)
    assert not isinstance(packaged.model_name, Text)
    data = json.loads(session_path().read_text(encoding="utf-8"))
    data["runs"][0]["model_name"] = "My poems"
    session_path().write_text(json.dumps(data), encoding="utf-8")
    edited = open_session().session.runs[0].model_name
    assert edited == "My poems" and not isinstance(edited, Text)


def test_token_labels_are_kept_and_older_runs_load_without_them():
    first_bytes = RunToken("", 0.4, (("⟨e5 ba⟩", 0.4),), entropy=2.0, label="⟨e5 ba⟩")  # a character's first bytes
    run = make_run()
    run = replace(run, sequences=(RunSequence(" Paris.", run.sequences[0].tokens + (first_bytes,)),))
    save_session(Session(runs=[run]))
    assert open_session().session.runs[0].sequences[0].tokens[-1] == first_bytes
    data = session_to_data(Session(runs=[make_run()]))
    for token in data["runs"][0]["sequences"][0]["tokens"]:
        del token["label"]
    session_path().write_text(json.dumps(data), encoding="utf-8")
    assert [token.label for token in open_session().session.runs[0].sequences[0].tokens] == ["", ""]


def test_runs_saved_before_entropies_were_kept_load_without_them():
    session = Session(runs=[make_run()])
    data = session_to_data(session)
    for token in data["runs"][0]["sequences"][0]["tokens"]:
        del token["entropy"]
    session_path().write_text(json.dumps(data), encoding="utf-8")
    opened = open_session()
    assert opened.problem is None
    tokens = opened.session.runs[0].sequences[0].tokens
    assert [token.entropy for token in tokens] == [None, None]
    assert tokens[0].surprisal == pytest.approx(-math.log(0.8))


def test_damaged_file_is_set_aside_with_a_message():
    path = session_path()
    path.write_text('{"version": 1, "editor": {"prompt": "half', encoding="utf-8")
    opened = open_session()
    assert opened.problem is not None and "damaged" in opened.problem
    assert opened.session.runs == []
    assert not path.exists()
    aside = list(path.parent.glob("session.damaged-*.json"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8").endswith("half")


def test_wrong_shape_is_also_set_aside():
    session_path().write_text(json.dumps({"version": 1, "runs": [{"prompt": "no other fields"}]}), encoding="utf-8")
    opened = open_session()
    assert opened.problem is not None
    assert list(session_path().parent.glob("session.damaged-*.json"))


def test_history_keeps_most_recent_first_without_duplicates():
    editor = EditorState()
    for prompt in ["one", "two", "one", "  "]:
        editor.remember_prompt(prompt)
    assert editor.history == ["one", "two"]
    for index in range(HISTORY_LIMIT + 5):
        editor.remember_prompt(f"p{index}")
    assert len(editor.history) == HISTORY_LIMIT and editor.history[0] == f"p{HISTORY_LIMIT + 4}"


def test_export_json_and_markdown(tmp_path):
    run = make_run()
    export_run(run, tmp_path / "run.json")
    data = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert data["prompt"] == run.prompt and data["seed"] == 1234
    export_run(run, tmp_path / "run.md")
    markdown = (tmp_path / "run.md").read_text(encoding="utf-8")
    assert "## Prompt" in markdown and " Paris." in markdown and "31.5 tokens/s" in markdown
    # a stop string containing ``` must not break the fences
    assert "````text" in run_to_markdown(run)
    with pytest.raises(InvalidInputError):
        export_run(run, tmp_path / "run.txt")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_during_autosave_loop_leaves_a_readable_file(tmp_path):
    """A process killed while it saves over and over leaves the old or the new session, never half."""
    script = textwrap.dedent(
        """
        from workbench.core.sessions import EditorState, Session, save_session
        import sys
        index = 0
        print("ready", flush=True)
        while True:
            index += 1
            save_session(Session(editor=EditorState(prompt="x" * 20000 + str(index))))
        """
    )
    env = {**os.environ}
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    assert process.stdout.readline().strip() == b"ready"
    import time

    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    opened = open_session()
    assert opened.problem is None
    assert opened.session.editor.prompt.startswith("x" * 20000)


def _write_session(editor: dict, runs: list | None = None, trees: list | None = None) -> None:
    data = {"version": 1, "editor": editor, "runs": runs or [], "trees": trees or []}
    session_path().write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("editor", "dropped"),
    [
        ({"prompt": "kept", "chat": "yes"}, "editor.chat"),
        ({"prompt": "kept", "system_prompt": 5}, "editor.system_prompt"),
        ({"prompt": "kept", "settings": {"top_k": "abc", "temperature": 0.3}}, "editor.settings.top_k"),
    ],
)
def test_a_field_of_the_wrong_type_is_reset_and_the_rest_kept(editor, dropped):
    _write_session(editor)
    opened = open_session()
    assert opened.problem is not None and dropped in opened.problem
    assert opened.session.editor.prompt == "kept"
    [kept_copy] = session_path().parent.glob("session.damaged-*.json")  # the original, word for word
    assert json.loads(kept_copy.read_text(encoding="utf-8"))["editor"] == editor
    if "settings" in editor:
        assert opened.session.editor.settings == {"temperature": 0.3}
        assert settings_from_dict(opened.session.editor.settings).temperature == 0.3


def test_an_unreadable_run_is_dropped_and_the_other_runs_kept():
    good = session_to_data(Session(runs=[make_run()]))["runs"][0]
    _write_session({"prompt": "p"}, runs=[good, {"model_id": "x"}])
    opened = open_session()
    assert [run.id for run in opened.session.runs] == [good["id"]]
    assert opened.problem is not None and "runs[1]" in opened.problem


@pytest.mark.parametrize("field, value", [
    ("prompt", 123), ("created", 5), ("tokens_per_s", "fast"), ("time_to_first_token_s", "x"), ("chat", "yes"),
    ("prefill_text", 5), ("system_prompt", ["a"]), ("seed", "abc"), ("prompt_tokens", True), ("settings", []),
])
def test_a_run_with_a_field_of_the_wrong_type_is_dropped_not_shown(field, value):
    """The window would fail on it (at start-up, for the run on screen): dropped with a message, the rest kept."""
    good = session_to_data(Session(runs=[make_run()]))["runs"][0]
    bad = {**session_to_data(Session(runs=[make_run("other")]))["runs"][0], field: value}
    _write_session({"prompt": "p"}, runs=[good, bad])
    opened = open_session()
    assert [run.id for run in opened.session.runs] == [good["id"]]
    assert opened.problem is not None and "runs[1]" in opened.problem


@pytest.mark.parametrize("key, value", [
    ("prob", float("nan")), ("prob", 1.5), ("prob", float("inf")), ("entropy", float("nan")), ("entropy", -1.0),
    ("alternatives", [[" Paris", float("nan")]]),
])
def test_a_run_with_a_token_number_that_cannot_be_is_dropped_not_shown(key, value):
    """json reads NaN and Infinity: a NaN probability stopped the window at every start (the colour of its token)."""
    good = session_to_data(Session(runs=[make_run()]))["runs"][0]
    bad = session_to_data(Session(runs=[make_run("other")]))["runs"][0]
    bad["sequences"][0]["tokens"][0][key] = value
    _write_session({"prompt": "p"}, runs=[good, bad])
    opened = open_session()
    assert [run.id for run in opened.session.runs] == [good["id"]]
    assert opened.problem is not None and "runs[1]" in opened.problem


def test_a_runs_unreadable_setting_takes_its_default_and_the_run_stays():
    data = session_to_data(Session(runs=[make_run()]))["runs"][0]
    data["settings"] = {**data["settings"], "temperature": "hot"}
    _write_session({"prompt": "p"}, runs=[data])
    opened = open_session()
    assert opened.session.runs[0].settings == {"mode": "sample", "stop_strings": ["```"]}
    assert "runs[0].settings.temperature" in opened.problem


def test_absurdly_nested_json_is_set_aside_like_any_damaged_file():
    session_path().write_text("[" * 100_000, encoding="utf-8")
    opened = open_session()
    assert opened.problem is not None and "new one was started" in opened.problem


def test_two_damaged_files_set_aside_in_the_same_second_keep_both():
    for content in ("{broken one", "{broken two"):
        session_path().write_text(content, encoding="utf-8")
        assert open_session().problem is not None
    aside = sorted(session_path().parent.glob("session.damaged-*.json"))
    assert len(aside) == 2
    assert {path.read_text(encoding="utf-8") for path in aside} == {"{broken one", "{broken two"}


def _tree_data(prompt: str) -> dict:
    """A one-node tree as the window saves it (no model needed: the node is written by hand)."""
    node = {"id": "root", "parent": None, "prefill_ids": [5], "settings": {"mode": "greedy"}, "token_ids": [7, 8],
            "logprobs": [-0.5, None], "text": "A B C"}
    return {"format": "workbench-tree/1", "model": "tiny", "weights_hash": "", "prompt": prompt, "nodes": [node]}


def test_trees_and_the_prefill_survive_a_save_and_open():
    from workbench.core.tree import GenerationTree

    tree = GenerationTree.from_data(_tree_data("Colours"))
    tree.replace_node(replace(tree.root, label="first"))
    session = Session(editor=EditorState(prompt="p", prefill="Sure,"), trees=[tree])
    save_session(session)
    opened = open_session()
    assert opened.problem is None
    assert opened.session.editor.prefill == "Sure,"
    [again] = opened.session.trees
    assert again.to_data() == tree.to_data() and again.root.label == "first"


def test_a_damaged_tree_is_dropped_with_a_message_and_the_other_trees_kept():
    broken = _tree_data("Broken")
    broken["nodes"][0]["parent"] = "nowhere"  # no root left
    _write_session({"prompt": "p"}, trees=[_tree_data("Kept"), broken, "not a tree"])
    opened = open_session()
    assert [tree.prompt for tree in opened.session.trees] == ["Kept"]
    assert opened.problem is not None and "trees[1], trees[2]" in opened.problem
    assert opened.session.editor.prompt == "p"


def test_an_autosave_turns_only_new_runs_into_json(monkeypatch):
    """A session of many long runs took seconds to save at every autosave: each run's text is made once, and
    the file reads back as the session."""
    from workbench.core import sessions

    made = []
    to_data = sessions._run_to_data
    monkeypatch.setattr(sessions, "_run_to_data", lambda run: made.append(run.prompt) or to_data(run))
    session = Session(runs=[make_run("first"), make_run("second")])
    save_session(session)
    session.runs.append(make_run("third"))
    save_session(session)
    assert made == ["first", "second", "third"]
    assert json.loads(session_path().read_text(encoding="utf-8")) == json.loads(json.dumps(session_to_data(session)))
    assert [run.prompt for run in open_session().session.runs] == ["first", "second", "third"]
