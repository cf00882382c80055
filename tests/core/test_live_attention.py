"""Attention rows recorded during model.generate equal the post-hoc capture of the same text."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from workbench.core.attention import capture_attention
from workbench.core.errors import InvalidInputError
from workbench.core.generation_data import AttentionRows
from workbench.core.live_attention import LiveAttentionRecorder

NEW_TOKENS = 8


class _TakeEachStep(StoppingCriteria):
    def __init__(self, recorder: LiveAttentionRecorder, prompt_length: int) -> None:
        self.recorder = recorder
        self.prompt_length = prompt_length
        self.rows: list[AttentionRows | None] = []

    def __call__(self, input_ids, scores, **kwargs) -> torch.BoolTensor:
        step = input_ids.shape[1] - self.prompt_length - 1
        self.rows.append(self.recorder.take(step))
        return torch.zeros(input_ids.shape[0], dtype=torch.bool)


def _generate_with_rows(loaded, prompt_ids: list[int]) -> tuple[list[int], list[AttentionRows | None]]:
    model = loaded.model
    recorder = LiveAttentionRecorder(model)
    taker = _TakeEachStep(recorder, len(prompt_ids))
    ids = torch.tensor([prompt_ids])  # (1, P)
    with recorder, torch.inference_mode():
        output = model.generate(
            ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS, stopping_criteria=StoppingCriteriaList([taker]),
        )
    return output[0].tolist(), taker.rows


def test_live_rows_equal_the_post_hoc_capture(tiny_loaded):
    prompt_ids = tiny_loaded.tokenizer("The capital of France is")["input_ids"]
    token_ids, rows = _generate_with_rows(tiny_loaded, prompt_ids)
    total = len(token_ids)
    assert total == len(prompt_ids) + NEW_TOKENS and len(rows) == NEW_TOKENS
    assert [r.step for r in rows] == list(range(NEW_TOKENS))
    assert rows[0].first_query == 0 and rows[0].weights.shape[2] == len(prompt_ids)
    assert all(r.weights.shape[2] == 1 and r.first_query == len(prompt_ids) + r.step - 1 for r in rows[1:])
    assert all(r.weights.dtype == np.float16 for r in rows)

    layers, heads = rows[0].weights.shape[:2]
    live = np.zeros((layers, heads, total - 1, total - 1), dtype=np.float32)  # (L, H, T-1, T-1), keys padded
    for r in rows:
        queries, keys = r.weights.shape[2:]
        live[:, :, r.first_query : r.first_query + queries, :keys] = r.weights
    # The last generated token is never fed back, so it has no live row.
    captured = capture_attention(tiny_loaded, token_ids).main.weights[:, :, : total - 1, : total - 1]
    assert live.shape == captured.shape
    assert np.abs(live - captured).max() <= 1e-3
    assert not np.triu(live, k=1).any(), "no query sees a later key"
    np.testing.assert_allclose(live.sum(axis=-1), 1.0, atol=1e-2)  # every row filled: each sums to 1


def test_take_without_a_step_gives_nothing_and_detach_stops_recording(tiny_loaded):
    model = tiny_loaded.model
    recorder = LiveAttentionRecorder(model)
    assert recorder.take(0) is None
    with recorder, torch.inference_mode():
        model(torch.tensor([[3, 4, 5]]))
    assert recorder.take(0).weights.shape == (2, 4, 3, 3)
    with torch.inference_mode():
        model(torch.tensor([[3, 4, 5]]))
    assert recorder.take(1) is None, "detached: the hooks are gone"


def test_models_without_attention_weights_are_refused(tiny_loaded):
    from workbench.core.architectures import WorkbenchRecurrentConfig, WorkbenchRecurrentForCausalLM

    model = WorkbenchRecurrentForCausalLM(WorkbenchRecurrentConfig(vocab_size=300, cell="gru", n_embd=16))
    with pytest.raises(InvalidInputError, match="does not hand out its attention weights"):
        LiveAttentionRecorder(model)
    tiny_loaded.model.set_attn_implementation("sdpa")
    with pytest.raises(InvalidInputError, match="needs eager attention"):
        LiveAttentionRecorder(tiny_loaded.model)
