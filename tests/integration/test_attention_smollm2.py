"""Attention capture on the real SmolLM2 equals transformers' output_attentions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.core.attention import CaptureSettings, capture_attention, text_token_ids

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def chat_ids_and_reference(smollm2):
    ids = text_token_ids(smollm2, "Why is the sky blue? 天空为什么是蓝色的？", chat=True)
    with smollm2.lock, torch.no_grad():
        reference = smollm2.model(torch.tensor([ids], device=smollm2.device), output_attentions=True).attentions
    return ids, torch.stack(reference)[:, 0].float().cpu().numpy()  # (L, H, T, T)


def test_fp32_and_fp16_captures_match_output_attentions(smollm2, chat_ids_and_reference):
    ids, expected = chat_ids_and_reference
    exact = capture_attention(smollm2, ids)
    assert exact.main.weights.shape == (30, 9, len(ids), len(ids)) == expected.shape
    assert exact.stored_dtype == "float32"
    assert np.abs(exact.main.weights - expected).max() < 1e-5
    half = capture_attention(smollm2, ids, settings=CaptureSettings(fp32_limit_bytes=0))
    assert half.stored_dtype == "float16"
    assert np.abs(half.main.weights.astype(np.float32) - expected).max() < 1e-3


def test_chat_tokens_are_readable(smollm2, chat_ids_and_reference):
    ids, _ = chat_ids_and_reference
    tokens = capture_attention(smollm2, ids[:40]).main.queries
    joined = "".join(tokens.labels)
    assert "<|im_start|>" in tokens.labels and tokens.special[tokens.labels.index("<|im_start|>")]
    assert "Ġ" not in joined and "␣" in joined and "↵" in joined
    assert any("天" in label for label in tokens.labels)  # Chinese shows as characters, not byte soup
