"""Prefill: the answer starts with given text or tokens (the primitive a fork is built on)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from tests.core.test_generation import GREEDY, PROMPT, run
from workbench.cli import main
from workbench.core.generation import prompt_token_ids
from workbench.core.generation_data import GenerationRequest


def test_a_fork_at_position_k_keeps_the_first_k_tokens_then_the_forced_one(tiny_loaded):
    _, parent = run(tiny_loaded, GREEDY)
    parent_ids = list(parent.sequences[0].token_ids)
    k = 5
    forced = parent.sequences[0].tokens[k].alternatives[1].token_id  # the runner-up at step k
    _, child = run(tiny_loaded, replace(GREEDY, max_new_tokens=8), prefill_ids=(*parent_ids[:k], forced))
    assert list(child.prompt_token_ids) == [*parent.prompt_token_ids, *parent_ids[:k], forced]
    assert child.prefill_length == k + 1
    # The child's text starts with the parent's first k tokens and the forced one, as text.
    assert child.sequences[0].text.startswith(tiny_loaded.tokenizer.decode([*parent_ids[:k], forced]))
    # ...and goes on greedily from there, as model.generate does from the same tokens.
    ids = torch.tensor([child.prompt_token_ids])
    with torch.inference_mode():
        expected = tiny_loaded.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                              max_new_tokens=8, pad_token_id=tiny_loaded.tokenizer.pad_token_id)
    generated = expected[0, ids.shape[1]:].tolist()
    assert list(child.sequences[0].token_ids) == generated[: len(child.sequences[0].token_ids)]


def test_chat_prefill_follows_the_opening_of_the_assistant_turn(tiny_loaded):
    request = GenerationRequest(PROMPT, GREEDY, chat=True, prefill="Sure:")
    plain = prompt_token_ids(tiny_loaded, replace(request, prefill=""))
    with_prefill = prompt_token_ids(tiny_loaded, request)
    assert with_prefill[: len(plain)] == plain
    assert tiny_loaded.tokenizer.decode(with_prefill[len(plain):]) == "Sure:"
    _, result = run(tiny_loaded, replace(GREEDY, max_new_tokens=4), chat=True, prefill="Sure:")
    assert result.sequences[0].text.startswith("Sure:") and result.prefill_text == "Sure:"


def test_cli_streams_and_reports_the_whole_answer(tiny_folder, capsys):
    arguments = ["generate", "--model", str(tiny_folder), "--prompt", PROMPT, "--raw", "--greedy",
                 "--max-new-tokens", "5", "--prefill", " is the"]
    assert main(arguments) == 0
    streamed = capsys.readouterr().out
    assert main([*arguments, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert streamed.startswith(" is the") and report["text"].startswith(" is the")
    assert streamed.rstrip("\n") == report["text"]


def test_bad_prefill_ids_are_one_line(tiny_folder, capsys):
    code = main(["generate", "--model", str(tiny_folder), "--prompt", PROMPT, "--prefill-ids", "5,99999"])
    err = capsys.readouterr().err
    assert code == 2 and "Prefill token ids must be between 0 and" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("ids", [",", " ", "1,x"])
def test_prefill_ids_that_name_no_token_are_refused_not_dropped(ids, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["generate", "--prompt", PROMPT, "--prefill-ids", ids])
    assert exited.value.code == 2
    assert f"token ids are whole numbers separated by commas, not {ids!r}" in capsys.readouterr().err
