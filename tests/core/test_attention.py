"""Attention capture equals transformers' output_attentions; aggregations; export."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.core.attention import (
    CROSS,
    DECODER,
    ENCODER,
    SELF,
    CaptureProgress,
    CaptureSettings,
    attention_rollout,
    capture_attention,
    capture_job,
    estimate_capture,
    head_matrix,
    parse_head_view,
    save_matrix_csv,
    save_npz,
    text_token_ids,
)
from workbench.core.attention_tokens import (
    is_byte_chip,
    labels_after,
    labels_after_labels,
    labels_read_together,
    single_token_labels,
    text_of_labels,
    token_sequence,
)
from workbench.core.errors import CancelledError, InvalidInputError, InvalidSettingsError
from workbench.core.jobs import CancelToken, drain


def _reference(model, **inputs):
    with torch.no_grad():
        return model(**inputs, output_attentions=True)


def _ids(tokenizer, text="The quick brown fox jumps over the lazy dog."):
    return tokenizer(text)["input_ids"]


def test_decoder_capture_equals_output_attentions_fp32(tiny_loaded):
    ids = _ids(tiny_loaded.tokenizer)
    progress: list[CaptureProgress] = []
    capture = capture_attention(tiny_loaded, ids, on_progress=progress.append)
    reference = _reference(tiny_loaded.model, input_ids=torch.tensor([ids])).attentions
    expected = torch.stack(reference)[:, 0].numpy()  # (L, H, T, T)
    assert capture.stored_dtype == "float32" and [m.name for m in capture.maps] == [SELF]
    assert capture.main.weights.shape == expected.shape == (2, 4, len(ids), len(ids))
    assert np.abs(capture.main.weights - expected).max() < 1e-5
    assert capture.main.causal
    assert [p.layers_done for p in progress] == [1, 2] and progress[-1].layers_total == 2


def test_fp16_above_threshold_stays_within_1e3(tiny_loaded):
    ids = _ids(tiny_loaded.tokenizer)
    capture = capture_attention(tiny_loaded, ids, settings=CaptureSettings(fp32_limit_bytes=0))
    expected = torch.stack(_reference(tiny_loaded.model, input_ids=torch.tensor([ids])).attentions)[:, 0].numpy()
    assert capture.main.weights.dtype == np.float16
    assert np.abs(capture.main.weights.astype(np.float32) - expected).max() < 1e-3


def test_sdpa_model_is_switched_to_eager_and_back(tiny_loaded):
    model = tiny_loaded.model
    model.set_attn_implementation("sdpa")
    ids = _ids(tiny_loaded.tokenizer)
    capture = capture_attention((model, tiny_loaded.tokenizer), ids)
    assert model.config._attn_implementation == "sdpa"
    model.set_attn_implementation("eager")
    expected = torch.stack(_reference(model, input_ids=torch.tensor([ids])).attentions)[:, 0].numpy()
    assert np.abs(capture.main.weights - expected).max() < 1e-5


def test_bert_encoder_is_bidirectional_and_exact():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                        intermediate_size=64, attn_implementation="sdpa")
    model = BertModel(config).eval()
    tokenizer = _WordTokenizer()
    ids = [1, 17, 42, 5, 99, 2]
    capture = capture_attention((model, tokenizer), ids)
    model.set_attn_implementation("eager")
    expected = torch.stack(_reference(model, input_ids=torch.tensor([ids])).attentions)[:, 0].numpy()
    assert capture.main.weights.shape == (3, 4, 6, 6)
    assert np.abs(capture.main.weights - expected).max() < 1e-5
    assert not capture.main.causal


def test_t5_encoder_decoder_self_and_cross_attention():
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    config = T5Config(vocab_size=100, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=3,
                      num_heads=4, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    model = T5ForConditionalGeneration(config).eval()
    encoder_ids, decoder_ids = [5, 6, 7, 8, 1], [11, 12]
    capture = capture_attention((model, _WordTokenizer()), encoder_ids, decoder_input_ids=decoder_ids)
    model.set_attn_implementation("eager")
    reference = _reference(
        model, input_ids=torch.tensor([encoder_ids]), decoder_input_ids=torch.tensor([[0, *decoder_ids]])
    )
    assert [m.name for m in capture.maps] == [ENCODER, DECODER, CROSS]
    for name, expected in ((ENCODER, reference.encoder_attentions), (DECODER, reference.decoder_attentions),
                           (CROSS, reference.cross_attentions)):
        expected = torch.stack(expected)[:, 0].numpy()
        assert capture.map(name).weights.shape == expected.shape
        assert np.abs(capture.map(name).weights - expected).max() < 1e-5
    assert capture.map(CROSS).weights.shape == (3, 4, 3, 5)  # decoder start token + 2 decoder tokens
    assert capture.map(DECODER).causal and not capture.map(ENCODER).causal
    with pytest.raises(InvalidSettingsError):
        capture.map(CROSS).matrix(0, "rollout")


def test_rollout_on_hand_computed_two_layer_example():
    # Layer 0: two heads whose mean is [[1, 0], [0.5, 0.5]]; layer 1 mean is [[1, 0], [0, 1]].
    weights = np.array([
        [[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]],
        [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]],
    ], dtype=np.float32)  # (L=2, H=2, T=2, T=2)
    # Â0 = 0.5*[[1,0],[.5,.5]] + 0.5*I = [[1,0],[.25,.75]]; Â1 = I; rollout = Â1·Â0.
    rollouts = attention_rollout(weights)
    np.testing.assert_allclose(rollouts[0], [[1.0, 0.0], [0.25, 0.75]])
    np.testing.assert_allclose(rollouts[1], [[1.0, 0.0], [0.25, 0.75]])
    # A layer that sends token 1 entirely to token 0 carries the mix on: Â = [[1,0],[.5,.5]].
    weights[1] = [[[1.0, 0.0], [1.0, 0.0]]] * 2
    np.testing.assert_allclose(attention_rollout(weights)[1], [[1.0, 0.0], [0.625, 0.375]])


def test_head_aggregations():
    layer = np.array([[[0.2, 0.8], [0.6, 0.4]], [[0.4, 0.6], [1.0, 0.0]]], dtype=np.float16)  # (H, T, T)
    np.testing.assert_allclose(head_matrix(layer, "mean"), [[0.3, 0.7], [0.8, 0.2]], atol=1e-3)
    np.testing.assert_allclose(head_matrix(layer, "max"), [[0.4, 0.8], [1.0, 0.4]], atol=1e-3)
    assert head_matrix(layer, 1).dtype == np.float32
    with pytest.raises(InvalidSettingsError):
        head_matrix(layer, 2)
    assert parse_head_view("Rollout") == "rollout" and parse_head_view("3") == 3
    with pytest.raises(InvalidSettingsError):
        parse_head_view("all")


def test_estimate_switches_to_fp16_and_refuses_huge_captures(tiny_loaded):
    ids = list(range(3, 103))
    small = estimate_capture(tiny_loaded, ids)
    assert (small.layers, small.heads, small.stored_dtype) == (2, 4, "float32")
    assert small.fp32_bytes == 2 * 4 * 100 * 100 * 4
    half = estimate_capture(tiny_loaded, ids, settings=CaptureSettings(fp32_limit_bytes=1000))
    assert half.stored_dtype == "float16" and half.stored_bytes == small.fp32_bytes // 2
    with pytest.raises(InvalidInputError, match="shorter text"):
        estimate_capture(tiny_loaded, ids, settings=CaptureSettings(fp32_limit_bytes=0, max_bytes=1000))
    with pytest.raises(InvalidInputError, match="at most 128"):
        estimate_capture(tiny_loaded, list(range(3, 203)))
    with pytest.raises(InvalidInputError, match="empty"):
        estimate_capture(tiny_loaded, [])


def test_job_yields_estimate_then_returns_capture_and_cancels(tiny_loaded):
    ids = _ids(tiny_loaded.tokenizer)
    events = []
    capture = drain(capture_job(tiny_loaded, ids), events.append)
    assert events[0].tokens == len(ids) and capture.main.weights.shape[2] == len(ids)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(CancelledError):
        capture_attention(tiny_loaded, ids, cancel=cancel)


def test_readable_token_labels(tiny_tokenizer):
    ids = tiny_tokenizer("Hello world\n床前 x")["input_ids"] + [tiny_tokenizer.eos_token_id]
    tokens = token_sequence(tiny_tokenizer, ids)
    joined = "".join(tokens.labels)
    assert "␣" in joined and "↵" in joined and "Ġ" not in joined and "Ċ" not in joined
    # A token holding part of a character shows its bytes and the character they help make.
    assert any(label.startswith("⟨") and label.endswith(":床⟩") for label in tokens.labels), tokens.labels
    assert text_of_labels(tokens.labels[:-1]) == "Hello world\n床前 x"  # the labels are the text, exactly
    assert tokens.labels[-1] == "<|endoftext|>" and tokens.special[-1] and not any(tokens.special[:-1])


def test_alternatives_after_a_begun_character_name_the_character_they_make(tiny_tokenizer):
    """The lens's top five at a position inside a character, and its guess after an answer ending in one."""
    ids = tiny_tokenizer("光 on the 霰", add_special_tokens=False)["input_ids"]  # 霰: unseen, its bytes split
    last = ids[-1]
    alone = single_token_labels(tiny_tokenizer, [last])[0]
    assert alone.startswith("⟨") and ":" not in alone  # read alone, a byte names nothing
    assert labels_after(tiny_tokenizer, ids[:-1], [last]) == [token_sequence(tiny_tokenizer, ids).labels[-1]]
    assert labels_after(tiny_tokenizer, ids[:-1], [last])[0].endswith(":霰⟩")  # as the running text names it
    assert tiny_tokenizer.decode(ids[:-1]).endswith("\ufffd")
    whole = next(cut for cut in range(len(ids), 0, -1) if not tiny_tokenizer.decode(ids[:cut]).endswith("\ufffd")
                 and cut < len(ids))
    assert labels_after(tiny_tokenizer, ids[:whole], [last]) == [alone]  # after whole characters: alone


def test_labels_kept_without_the_tokenizer_name_characters_as_the_tokenizer_does(tiny_tokenizer):
    """Compare keeps each token's label read alone (its comparison.json has no tokenizer): its strip and its
    top fives name the characters a split one makes, as the running text and the Token page do."""
    ids = tiny_tokenizer("光 on the 霰 and 说 雹", add_special_tokens=False)["input_ids"]
    alone = single_token_labels(tiny_tokenizer, ids)
    assert labels_read_together(alone) == list(token_sequence(tiny_tokenizer, ids).labels)
    assert any(":霰⟩" in label for label in labels_read_together(alone))
    candidates = sorted(set(ids))
    for cut in range(1, len(ids)):
        # Each candidate as the running text after the whole context labels it, where a byte of it completes a
        # character begun there; read alone otherwise (a byte that starts or continues one names nothing yet).
        expected = []
        for token_id, label in zip(candidates, single_token_labels(tiny_tokenizer, candidates)):
            running = token_sequence(tiny_tokenizer, [*ids[:cut], token_id]).labels[-1]
            expected.append(running if is_byte_chip(label) and ":" in running else label)
        assert labels_after_labels(alone[:cut], single_token_labels(tiny_tokenizer, candidates)) == expected, cut
        assert labels_after(tiny_tokenizer, ids[:cut], candidates) == expected, cut


def test_npz_and_csv_exports_reload_equal(tiny_loaded, tmp_path):
    ids = _ids(tiny_loaded.tokenizer, "床前明月光 fox")
    capture = capture_attention(tiny_loaded, ids)
    save_npz(capture, tmp_path / "a.npz")
    with np.load(tmp_path / "a.npz", allow_pickle=False) as data:
        np.testing.assert_array_equal(data["attentions"], capture.main.weights)
        assert list(data["tokens"]) == list(capture.main.queries.labels)
        assert list(data["token_ids"]) == ids
    matrix = capture.main.matrix(1, "mean")
    save_matrix_csv(matrix, capture.main.queries.labels, capture.main.keys.labels, tmp_path / "m.csv")
    import csv

    rows = list(csv.reader(open(tmp_path / "m.csv", encoding="utf-8")))
    assert rows[0][1:] == list(capture.main.keys.labels)
    np.testing.assert_allclose(np.array(rows[1:][2][1:], dtype=float), matrix[2], rtol=1e-5)


def test_text_token_ids_raw_or_chat(tiny_loaded):
    tokenizer = tiny_loaded.tokenizer
    assert text_token_ids(tiny_loaded, "The fox") == tokenizer("The fox")["input_ids"]
    chat = text_token_ids(tiny_loaded, "The fox", chat=True)
    assert tokenizer.decode(chat) == "<|user|>The fox<|end|><|assistant|>"
    with pytest.raises(InvalidInputError, match="empty"):
        text_token_ids(tiny_loaded, "  ")


class _WordTokenizer:
    """Just enough tokenizer for models built from a config with no vocabulary."""

    all_special_ids = [0, 1]

    def convert_ids_to_tokens(self, ids):
        return [f"w{i}" for i in ids]


def test_visible_text_marks_whitespace_but_not_the_spaces_of_a_byte_chip():
    from workbench.core.attention_tokens import visible_text

    assert visible_text(" a\tb\n") == "␣a⇥b↵" and visible_text("") == "∅"
    assert visible_text("\x1d\x08\r\x7f") == "␝␈␍␡"  # control bytes, which would draw as nothing or a box
    # The same chip reads the same on every page (the Token page's chain wrote ⟨e5␣a5⟩, the Lens axis ⟨e5 a5⟩).
    assert visible_text("⟨e5 a5⟩") == "⟨e5 a5⟩"
    assert visible_text(" ⟨e8 af:请⟩ x") == "␣⟨e8 af:请⟩␣x"
