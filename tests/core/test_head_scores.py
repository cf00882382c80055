"""Head scores: the probe follows its definition, hand-made attention maps score as they must, and
on a real (tiny) model the scores equal the ones computed from transformers' own output_attentions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.core.errors import InvalidInputError
from workbench.core.head_scores import head_scores, repeated_probe, scores_from_attention


class _Tokenizer:
    """Just what the probe reads: a length, a BOS id and the special ids."""

    def __init__(self, size: int, bos: int | None, special: list[int]) -> None:
        self.size, self.bos_token_id, self.all_special_ids = size, bos, special

    def __len__(self) -> int:
        return self.size


def test_the_probe_of_a_large_vocabulary_follows_the_definition():
    probe = repeated_probe(_Tokenizer(50_000, bos=1, special=[0, 1, 2]), context_length=2048)
    drawn = torch.randint(1000, 10000, (50,), generator=torch.Generator().manual_seed(0)).tolist()
    assert (probe.offset, probe.repeat) == (1, 50)
    assert list(probe.token_ids) == [1] + drawn + drawn


def test_a_small_vocabulary_draws_its_ordinary_tokens_and_a_short_context_repeats_less():
    probe = repeated_probe(_Tokenizer(70, bos=None, special=[0, 5]), context_length=21)
    ordinary = [i for i in range(70) if i not in (0, 5)]
    drawn = [ordinary[i] for i in torch.randint(0, 68, (10,), generator=torch.Generator().manual_seed(0)).tolist()]
    assert (probe.offset, probe.repeat) == (0, 10)  # (21 - 0) // 2
    assert list(probe.token_ids) == drawn + drawn


def test_a_context_too_short_to_repeat_in_is_refused():
    with pytest.raises(InvalidInputError, match="too few"):
        repeated_probe(_Tokenizer(70, bos=3, special=[3]), context_length=4)


def _one_hot_attention(length: int, key_of_query) -> np.ndarray:
    weights = np.zeros((length, length), dtype=np.float32)
    for query in range(length):
        weights[query, key_of_query(query)] = 1.0
    return weights


def test_hand_made_heads_score_one_on_their_own_pattern_only():
    offset, repeat = 1, 4
    length = offset + 2 * repeat  # 9
    previous = _one_hot_attention(length, lambda t: max(t - 1, 0))
    induction = _one_hot_attention(length, lambda t: t - repeat + 1 if t >= offset + repeat else 0)
    sink = _one_hot_attention(length, lambda t: 0)
    uniform = np.tril(np.ones((length, length), dtype=np.float32))
    uniform /= uniform.sum(axis=1, keepdims=True)
    weights = np.stack([previous, induction, sink, uniform])[None]  # (1, 4, T, T)

    scores = scores_from_attention(weights, offset, repeat)

    np.testing.assert_allclose(scores.previous_token[0, :3], [1.0, 0.0, 0.0])  # from t = o + 1 = 2: never key 0
    np.testing.assert_allclose(scores.induction[0, :3], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(scores.sink[0, :3], [1 / 8, 4 / 8, 1.0])  # queries 1..8 on key 0
    # A uniform causal head: query t spreads 1/(t+1) over keys 0..t.
    np.testing.assert_allclose(scores.previous_token[0, 3], np.mean([1 / (t + 1) for t in range(2, 9)]), rtol=1e-6)
    np.testing.assert_allclose(scores.induction[0, 3], np.mean([1 / (t + 1) for t in range(5, 9)]), rtol=1e-6)
    np.testing.assert_allclose(scores.sink[0, 3], np.mean([1 / (t + 1) for t in range(1, 9)]), rtol=1e-6)


def assert_scores_from_output_attentions(scores, loaded) -> None:
    """``scores`` against the definitions, read from the model's own ``output_attentions`` on the probe."""
    probe = repeated_probe(loaded.tokenizer, loaded.context_length)
    model = loaded.model
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    with torch.inference_mode():
        outputs = model(torch.tensor([probe.token_ids]), output_attentions=True)
    attention = torch.cat(outputs.attentions).numpy()  # (L, H, T, T)
    n, o = probe.repeat, probe.offset
    second = np.arange(o + n, o + 2 * n)
    np.testing.assert_allclose(scores.induction, attention[:, :, second, second - n + 1].mean(-1), atol=1e-6)
    queries = np.arange(o + 1, o + 2 * n)
    np.testing.assert_allclose(scores.previous_token, attention[:, :, queries, queries - 1].mean(-1), atol=1e-6)
    np.testing.assert_allclose(scores.sink, attention[:, :, 1:, 0].mean(-1), atol=1e-6)


def test_scores_on_a_real_model_equal_those_from_transformers_output_attentions(tiny_loaded):
    scores = head_scores(tiny_loaded, tiny_loaded.context_length)
    assert_scores_from_output_attentions(scores, tiny_loaded)
    model = tiny_loaded.model
    assert scores.to_json()["layers"] == model.config.num_hidden_layers
    assert len(scores.to_json()["scores"]["induction"][0]) == model.config.num_attention_heads
