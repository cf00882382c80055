"""Scoring one text under several models: log-probs equal a plain forward pass, KL to itself is 0,
bits per byte by hand, and `workbench compare --json` on model folders."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from transformers.convert_slow_tokenizer import bytes_to_unicode

from tests.conftest import make_tiny_llama, make_tiny_loaded
from workbench.cli import main
from workbench.core.compare import same_token_space, score_text
from workbench.core.errors import InvalidInputError
from workbench.core.jobs import CancelToken, drain

BYTE_DECODER = {char: byte for byte, char in bytes_to_unicode().items()}
TEXT = "The moon 月光 shines on the frost, and the capital of France is Paris."


def forward_log_probs(loaded, ids) -> torch.Tensor:
    with torch.inference_mode():
        return loaded.model(torch.tensor([ids])).logits[0, :-1].float().log_softmax(-1)  # (T-1, V)


def other_tokenizer_loaded():
    """A tiny model whose tokenizer differs (a smaller vocabulary): positions do not line up."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from tests.conftest import TINY_TEXT

    base = Tokenizer(models.BPE())
    base.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    base.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=270, special_tokens=["<|endoftext|>", "<|pad|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    base.train_from_iterator([TINY_TEXT], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=base, eos_token="<|endoftext|>", pad_token="<|pad|>")
    loaded = make_tiny_loaded()
    return type(loaded)(entry=loaded.entry, model=make_tiny_llama(tokenizer, seed=3), tokenizer=tokenizer,
                        device=loaded.device, dtype=loaded.dtype)


def test_log_probs_equal_a_plain_forward_pass_and_bits_per_byte_by_hand(tiny_loaded):
    [score] = drain(score_text([tiny_loaded], TEXT))
    ids = tiny_loaded.tokenizer(TEXT)["input_ids"]
    assert list(score.token_ids) == ids
    expected = forward_log_probs(tiny_loaded, ids).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
    np.testing.assert_allclose(score.logprobs, expected.double().numpy(), atol=1e-5)
    assert score.mean_logprob == pytest.approx(float(expected.mean()), abs=1e-5)
    first_piece = tiny_loaded.tokenizer.decode(ids[:1])
    covered = len(TEXT.encode("utf-8")) - len(first_piece.encode("utf-8"))
    assert score.covered_bytes == covered
    assert score.bits_per_byte == pytest.approx(-float(expected.sum()) / math.log(2) / covered, rel=1e-6)


def test_a_model_trained_here_scores_a_text_past_its_context_from_its_last_window(short_context_loaded, tiny_loaded):
    """It generates past its 8 tokens reading its last 8: a longer text is scored the same way, token by token from
    its own window, not refused; a pretrained model still refuses a text longer than it reads."""
    loaded = short_context_loaded
    long_text = "the cat sat on the mat and the dog sat on the log."
    assert len(loaded.tokenizer(long_text)["input_ids"]) > 12
    for length in (8, 9, 10, None):  # its context, one more (read in one pass, without the last), two more, all
        ids = loaded.tokenizer(long_text)["input_ids"][:length]
        [score] = drain(score_text([loaded], loaded.tokenizer.decode(ids)))
        assert list(score.token_ids) == ids
        with torch.inference_mode():
            expected = [float(loaded.model(torch.tensor([ids[max(0, j - 8) : j]])).logits[0, -1].log_softmax(-1)[
                ids[j]]) for j in range(1, len(ids))]
        np.testing.assert_allclose(score.logprobs, expected, atol=1e-5)
    limit = tiny_loaded.model.config.max_position_embeddings
    with pytest.raises(InvalidInputError, match=f"which reads at most {limit}: shorten it"):
        drain(score_text([tiny_loaded], "word " * limit * 2))


def test_bits_per_byte_counts_the_bytes_after_a_first_token_that_is_part_of_a_character(tiny_loaded):
    """床 split into byte tokens: the bytes the first token holds are left out, the rest of 床 counted."""
    text = "床前明月光，疑是地上霜。"
    tokenizer = tiny_loaded.tokenizer
    [score] = drain(score_text([tiny_loaded], text))
    ids = list(score.token_ids)
    pieces = [tokenizer.convert_ids_to_tokens(i) for i in ids]
    first = bytes(BYTE_DECODER[char] for char in pieces[0])  # byte-level BPE spells bytes as letters
    assert len(first) < len("床".encode())  # the case at hand: 床 is split
    assert score.covered_bytes == len(text.encode("utf-8")) - len(first)
    expected = forward_log_probs(tiny_loaded, ids).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
    assert score.bits_per_byte == pytest.approx(-float(expected.sum()) / math.log(2) / score.covered_bytes, rel=1e-6)


def test_kl_to_itself_is_zero_and_to_another_model_is_its_definition(tiny_loaded):
    other = make_tiny_loaded(seed=5)
    first, itself, different = drain(score_text([tiny_loaded, tiny_loaded, other], TEXT))
    assert np.all(first.kl_to_first == 0) and np.allclose(itself.kl_to_first, 0, atol=1e-6)
    ids = list(first.token_ids)
    p_log, q_log = forward_log_probs(tiny_loaded, ids), forward_log_probs(other, ids)
    expected = (p_log.exp() * (p_log - q_log)).sum(-1).double().numpy()
    np.testing.assert_allclose(different.kl_to_first, expected, atol=1e-5)
    assert different.kl_to_first.min() >= 0 and different.kl_to_first.mean() > 0


def bits_per_byte_by_hand(loaded, text: str) -> float:
    """-sum log2 p of the tokens after the first, over the UTF-8 bytes after the first token's own (byte-level
    tokenizers: a token's bytes are its characters through the byte map, a part of a character too)."""
    ids = loaded.tokenizer(text)["input_ids"]
    nats = -float(forward_log_probs(loaded, ids).gather(1, torch.tensor(ids[1:])[:, None]).sum())
    first = bytes(BYTE_DECODER[char] for char in loaded.tokenizer.convert_ids_to_tokens(ids[0]))
    return nats / math.log(2) / (len(text.encode("utf-8")) - len(first))


def test_a_different_tokenizer_gets_bits_per_byte_and_no_kl(tiny_loaded):
    other = other_tokenizer_loaded()
    assert not same_token_space(tiny_loaded, other)
    first, second = drain(score_text([tiny_loaded, other], TEXT))
    assert second.kl_to_first is None and len(second.token_ids) != len(first.token_ids)
    assert second.bits_per_byte == pytest.approx(bits_per_byte_by_hand(other, TEXT), rel=1e-5)
    assert "kl_to_first" not in second.to_json()


def padded_vocabulary_loaded():
    """The tiny model with 20 more rows of scores than its tokenizer has tokens, as the sizes of one family often
    differ (Qwen2.5 0.5B and 7B: 151,936 and 152,064)."""
    loaded = make_tiny_loaded(seed=5)
    loaded.model.resize_token_embeddings(len(loaded.tokenizer) + 20)
    return loaded


def end_of_text_appending_loaded():
    """The tiny model whose tokenizer appends its end of text to every text, as fine-tunes saved with
    ``add_eos_token`` do: the same vocabulary, one more position."""
    from tokenizers import processors

    loaded = make_tiny_loaded(seed=5)
    eos = loaded.tokenizer.eos_token
    loaded.tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"$A {eos}", special_tokens=[(eos, loaded.tokenizer.eos_token_id)])
    return loaded


@pytest.mark.parametrize("other", [padded_vocabulary_loaded, end_of_text_appending_loaded])
def test_a_shared_vocabulary_whose_positions_or_scores_differ_is_compared_per_byte(tiny_loaded, other):
    """Both crashed the comparison with a RuntimeError on the KL's shapes, after every column was generated."""
    other = other()
    assert same_token_space(tiny_loaded, make_tiny_loaded(seed=5)) and not same_token_space(tiny_loaded, other)
    first, second = drain(score_text([tiny_loaded, other], TEXT))
    assert second.kl_to_first is None
    assert second.bits_per_byte == pytest.approx(bits_per_byte_by_hand(other, TEXT), rel=1e-5)
    ids = list(second.token_ids)
    assert second.mean_logprob == pytest.approx(float(forward_log_probs(other, ids).gather(
        1, torch.tensor(ids[1:])[:, None]).mean()), abs=1e-5)


def test_cancel_stops_between_models(tiny_loaded):
    cancel = CancelToken()
    job = score_text([tiny_loaded, tiny_loaded], TEXT, cancel)
    next(job)
    cancel.cancel()
    with pytest.raises(StopIteration) as stopped:
        next(job)
    assert len(stopped.value.value) == 1


def test_cli_prints_the_documented_json(tiny_folder, tmp_path, capsys):
    text_file = tmp_path / "text.txt"
    text_file.write_text(TEXT, encoding="utf-8-sig")  # the byte-order mark is no text to score
    code = main(["compare", "--model", str(tiny_folder), "--model", str(tiny_folder), "--text-file", str(text_file),
                 "--device", "cpu", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [m["model"] for m in report["models"]] == [str(tiny_folder)] * 2
    for model in report["models"]:
        assert set(model) == {"model", "token_ids", "logprobs", "mean_logprob", "bits_per_byte", "unknown_tokens",
                              "kl_to_first"}
        assert model["unknown_tokens"] == 0
        assert len(model["logprobs"]) == len(model["token_ids"]) - 1
    assert report["models"][1]["kl_to_first"] == pytest.approx([0.0] * len(report["models"][1]["logprobs"]))
    assert main(["compare", "--model", str(tiny_folder), "--model", str(tiny_folder), "--text", TEXT, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == report  # the file's text is the same text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--text", "Hi"], "Comparing needs at least two models"),
        (["--model", "{folder}", "--text", "   "], "The text is empty"),
        (["--model", "{folder}", "--text-file", "missing.txt"], "No such file or directory"),
        (["--model", "{folder}", "--text-file", "blob.txt"], "blob.txt is not a text file: it has a NUL byte"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tiny_folder, tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blob.txt").write_bytes(b"text\x00\x01")  # valid UTF-8, yet binary: refused as the corpus reader does
    arguments = [argument.format(folder=tiny_folder) for argument in arguments]
    code = main(["compare", "--model", str(tiny_folder), *arguments])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
