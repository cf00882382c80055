"""The tree of generations: forks keep their parent's path, the export round-trips and replays,
damaged exports are refused in one line."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace

import pytest

from tests.core.test_generation import GREEDY, PROMPT
from workbench.cli import main
from workbench.core.decoding import DecodingSettings
from workbench.core.errors import InvalidInputError
from workbench.core.generation import generate
from workbench.core.generation_data import GenerationRequest, prompt_token_ids
from workbench.core.jobs import drain
from workbench.core.tree import GenerationTree, replay, score_branches, shared_start, weights_hash

SEEDED = DecodingSettings(mode="sample", temperature=1.0, top_k=20, top_p=0.95, max_new_tokens=10, seed=None)


def grown_tree(loaded, model="tiny") -> GenerationTree:
    """A root (greedy), a fork at token 3 with the runner-up (greedy), and a sampled fork of that fork."""
    tree = GenerationTree(model=model, weights_hash=weights_hash(loaded), prompt=PROMPT, chat=False)
    request = GenerationRequest(PROMPT, replace(GREEDY, max_new_tokens=10), chat=False)
    root_result = drain(generate(loaded, request))
    root = tree.add_result(request, root_result)
    alternative = root_result.sequences[0].tokens[3].alternatives[1]
    fork = tree.fork_request(root.id, 3, (alternative.token_id,), request.settings)
    child = tree.add_result(fork, drain(generate(loaded, fork)), root.id, 3, alternative.text, alternative.prob)
    sampled_fork = tree.fork_request(child.id, 6, (child.answer_ids[6],), SEEDED)
    tree.add_result(sampled_fork, drain(generate(loaded, sampled_fork)), child.id, 6, "")
    return tree


@pytest.mark.parametrize("cell", ["gpt", "lstm"])
def test_branches_past_a_short_context_are_scored_as_they_were_generated(tiny_loaded, cell):
    """A model trained here generates past its context reading its last ``block_size`` tokens: the branch scores
    read each token from the same window, where one pass over the whole branch would fail (a GPT) or differ (an
    LSTM, by 0.2 nats)."""
    import torch

    from tests.core.test_lens import _loaded
    from workbench.core.architectures import (
        WorkbenchGPTConfig,
        WorkbenchGPTForCausalLM,
        WorkbenchRecurrentConfig,
        WorkbenchRecurrentForCausalLM,
    )

    torch.manual_seed(0)
    vocab = len(tiny_loaded.tokenizer)
    model = (WorkbenchGPTForCausalLM(WorkbenchGPTConfig(vocab_size=vocab, block_size=8, n_layer=1, n_head=2, n_embd=16))
             if cell == "gpt" else WorkbenchRecurrentForCausalLM(
                 WorkbenchRecurrentConfig(vocab_size=vocab, cell=cell, n_layer=1, n_embd=16, block_size=8)))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(8.0)  # peaked distributions, so another window shows in the numbers
    loaded = _loaded(model, tiny_loaded.tokenizer, cell)
    tree = grown_tree(loaded, model=cell)
    root, child, _ = tree.nodes.values()
    assert len(prompt_token_ids(loaded, tree.request(root))) + len(root.answer_ids) > 8 + 3  # windows slide
    root_score, child_score = drain(score_branches(loaded, tree, [root.id, child.id]))
    assert root_score.logprobs == pytest.approx(root.logprobs[3:], abs=1e-4)
    assert child_score.logprobs[1:] == pytest.approx(child.logprobs, abs=1e-4)


def test_a_fork_keeps_its_parents_path_and_forced_token(tiny_loaded):
    tree = grown_tree(tiny_loaded)
    root, child, grandchild = tree.nodes.values()
    assert child.answer_ids[:3] == root.answer_ids[:3] and child.answer_ids[3] != root.answer_ids[3]
    assert child.prefill_ids == root.answer_ids[:3] + (child.answer_ids[3],)
    assert grandchild.answer_ids[:7] == child.answer_ids[:7]
    assert grandchild.seed is not None and root.seed is None
    assert [node.id for node in tree.path(grandchild.id)] == [root.id, child.id, grandchild.id]
    assert child.cumulative_logprob < 0 and child.forced_prob > 0
    tree.remove_subtree(child.id)
    assert list(tree.nodes) == [root.id]


def test_a_runs_answer_finds_the_node_it_was_added_as(tiny_loaded):
    tree = grown_tree(tiny_loaded)
    root, child, grandchild = tree.nodes.values()
    assert tree.node_with_answer(child.text, None) is child
    assert tree.node_with_answer(grandchild.text, grandchild.seed) is grandchild
    assert tree.node_with_answer(grandchild.text, grandchild.seed + 1) is None  # another draw, another run
    again = tree.add_result(tree.request(root), drain(generate(tiny_loaded, tree.request(root))), root.id)
    assert again.text == root.text and tree.node_with_answer(root.text, None) is again  # the newest


def test_the_export_round_trips_and_every_node_replays_exactly(tiny_loaded):
    tree = grown_tree(tiny_loaded)
    again = GenerationTree.from_data(json.loads(json.dumps(tree.to_data())))
    assert again.to_data() == tree.to_data()
    outcomes = drain(replay(tiny_loaded, again))
    assert [outcome.matches for outcome in outcomes] == [True, True, True]
    assert [outcome.replayed_text for outcome in outcomes] == [node.text for node in tree.nodes.values()]


def test_replay_tells_a_changed_node(tiny_loaded):
    tree = grown_tree(tiny_loaded)
    root = tree.root
    tree.replace_node(replace(root, token_ids=root.token_ids[:-1] + (root.token_ids[-1] + 1,)))
    outcomes = drain(replay(tiny_loaded, tree))
    assert [outcome.matches for outcome in outcomes] == [False, True, True]


def test_weights_hash_tells_other_weights(tiny_loaded):
    from tests.conftest import make_tiny_loaded

    assert weights_hash(tiny_loaded) == weights_hash(make_tiny_loaded())
    assert weights_hash(tiny_loaded) != weights_hash(make_tiny_loaded(seed=1))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data.update(format="other"), "not a generation tree"),
        (lambda data: data.pop("prompt"), "The tree has no prompt"),
        (lambda data: data["nodes"][1].update(parent="nowhere"), "every node's parents must lead to it"),
        (lambda data: data["nodes"][1].update(parent=data["nodes"][1]["id"]), "every node's parents must lead"),
        (lambda data: (data["nodes"][1].update(parent=data["nodes"][2]["id"]),
                       data["nodes"][2].update(parent=data["nodes"][1]["id"])), "every node's parents must lead"),
        (lambda data: data["nodes"][0]["settings"].update(top_k=-1), "Top-k must be at least 0"),
        (lambda data: data["nodes"][0].update(token_ids=["a"]), "token_ids must be int"),
        (lambda data: data["nodes"][0].update(token_ids="abc"), r"nodes\[0\].token_ids must be list"),
        (lambda data: data["nodes"][0].update(token_ids=[-3]), r"nodes\[0\].token_ids must be at least 0"),
        (lambda data: data["nodes"][0].update(logprobs=["a"]), r"nodes\[0\].logprobs must be a number \(it is 'a'\)"),
        (lambda data: data["nodes"][0].update(logprobs=[True]), "logprobs must be a number"),
        (lambda data: data["nodes"][0].update(logprobs=[float("nan")]), "logprobs must be a number"),
        (lambda data: data["nodes"][1].update(forced_prob="high"), r"nodes\[1\].forced_prob must be a number"),
        (lambda data: data["nodes"][1].update(fork_position=-1), r"nodes\[1\].fork_position must be at least 0"),
        (lambda data: data["nodes"][1].update(fork_position=10_000), r"nodes\[1\].fork_position 10000 is past the end"),
        (lambda data: data["nodes"][2].update(id=data["nodes"][1]["id"]), r"nodes\[2\].id '.*' is used twice"),
        (lambda data: data["nodes"][1].update(parent=7), r"nodes\[1\].parent must be str"),
        (lambda data: data.update(chat="yes"), "The tree's chat must be bool"),
        (lambda data: data["nodes"][2].update(seed=-5), r"nodes\[2\].seed must be between 0 and 4294967295"),
    ],
)
def test_a_damaged_tree_is_refused_with_what_is_wrong(tiny_loaded, change, message):
    data = grown_tree(tiny_loaded).to_data()
    change(data)
    with pytest.raises(InvalidInputError, match=message):
        GenerationTree.from_data(data)


def test_cli_replay_reports_matches_and_exit_status(tiny_folder, tiny_loaded, tmp_path, capsys, monkeypatch):
    tree = grown_tree(tiny_loaded, model=str(tiny_folder))
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(tree.to_data()), encoding="utf-8")
    assert main(["tree", "replay", str(path), "--device", "cpu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [node["matches"] for node in report["nodes"]] == [True, True, True]
    data = tree.to_data()
    data["nodes"][2]["token_ids"][0] += 1
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["tree", "replay", str(path), "--device", "cpu"]) == 1
    assert "2 of 3 nodes match" in capsys.readouterr().out
    data["weights_hash"] = "0" * 64  # made with other weights: said on stderr, the report on stdout unchanged
    path.write_text(json.dumps(data), encoding="utf-8")
    for as_json in ([], ["--json"]):
        assert main(["tree", "replay", str(path), "--device", "cpu", *as_json]) == 1
        said = capsys.readouterr()
        assert said.err == f"note: the weights of {tiny_folder} differ from the ones the tree was made with\n"
        assert (json.loads(said.out)["same_weights"] is False) if as_json else said.out.startswith("match ")
    # On a terminal, a count of the nodes generated again: a big tree takes minutes, which were silent.
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["tree", "replay", str(path), "--device", "cpu"]) == 1
    assert capsys.readouterr().err.endswith(
        "\rgenerated again: node 1/3\rgenerated again: node 2/3\rgenerated again: node 3/3\n"
        f"note: the weights of {tiny_folder} differ from the ones the tree was made with\n")
    monkeypatch.undo()
    path.write_text("{broken", encoding="utf-8")
    assert main(["tree", "replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is not JSON" in err and len(err.strip().splitlines()) == 1
    path.write_text("[" * 100_000, encoding="utf-8")  # nested beyond what the JSON reader recurses into
    assert main(["tree", "replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err and len(err.strip().splitlines()) == 1


def test_a_branch_stopped_short_replays_to_its_own_length_and_matches(tiny_loaded):
    tree = GenerationTree(model="tiny", weights_hash="", prompt=PROMPT, chat=False)
    request = GenerationRequest(PROMPT, replace(GREEDY, max_new_tokens=10, min_new_tokens=10), chat=False)
    whole = tree.add_result(request, drain(generate(tiny_loaded, request)))
    stopped = replace(whole, token_ids=whole.token_ids[:4], logprobs=whole.logprobs[:4])  # Stop after 4 of 10
    tree.replace_node(stopped)
    assert tree.request(stopped).settings.max_new_tokens == 4
    (outcome,) = drain(replay(tiny_loaded, tree))
    assert outcome.matches, (outcome.saved_text, outcome.replayed_text)


def test_replay_checks_every_nodes_ids_for_the_model_before_it_generates_any(tiny_loaded, monkeypatch):
    from workbench.core import generation

    data = grown_tree(tiny_loaded).to_data()
    data["nodes"][2]["prefill_ids"] = [10**9]  # the last node: a check as it comes would replay the others first
    generated = []
    monkeypatch.setattr(generation, "generate", lambda *args, **kwargs: generated.append(args) or iter(()))
    with pytest.raises(InvalidInputError, match="Prefill token ids must be between 0 and"):
        drain(replay(tiny_loaded, GenerationTree.from_data(data)))
    assert generated == []


def test_branches_scored_by_the_model_match_their_generation(tiny_loaded):
    tree = grown_tree(tiny_loaded)
    root, child, _grandchild = tree.nodes.values()
    root_score, child_score = drain(score_branches(tiny_loaded, tree, [root.id, child.id]))
    assert shared_start(tree, [root.id, child.id]) == 3 == root_score.start == child_score.start
    # After the fork: the forced token, then what the child generated, read back with the logprobs it was made with.
    assert len(child_score.logprobs) == len(child.answer_ids) - 3
    assert child_score.logprobs[1:] == pytest.approx(child.logprobs, abs=1e-4)
    assert math.exp(child_score.logprobs[0]) == pytest.approx(child.forced_prob, abs=1e-5)
    assert root_score.logprobs == pytest.approx(root.logprobs[3:], abs=1e-4)
    assert child_score.total_logprob == pytest.approx(sum(child_score.logprobs))
    import torch

    assert not root.prefill_ids  # its request's ids are the prompt as the model read it
    ids = prompt_token_ids(tiny_loaded, tree.request(root)) + list(child.answer_ids)
    with torch.inference_mode():
        logits = tiny_loaded.model(torch.tensor([ids])).logits[0, -len(child.answer_ids) + 3 - 1 : -1]  # (N, V)
    entropies = torch.distributions.Categorical(logits=logits.float()).entropy().double().tolist()
    assert child_score.entropies == pytest.approx(entropies, abs=1e-5)
    assert "".join(child_score.token_texts) == child.text[len(tiny_loaded.tokenizer.decode(root.answer_ids[:3])):]
