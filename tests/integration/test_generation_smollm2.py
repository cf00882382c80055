"""The engine on the real packaged SmolLM2 (one shared load, see conftest.py)."""

from __future__ import annotations

import pytest
import torch

from workbench.core.decoding import DecodingSettings, to_generation_config
from workbench.core.generation import GenerationRequest, TokenEvent, generate, prompt_token_ids
from workbench.core.jobs import drain
from workbench.core.text_stream import text_stream

pytestmark = pytest.mark.integration

GREEDY = DecodingSettings(mode="greedy", max_new_tokens=12)


def test_greedy_chat_answer_knows_the_capital_of_france(smollm2):
    events = []
    request = GenerationRequest("What is the capital of France?", GREEDY)
    result = drain(generate(smollm2, request), events.append)
    answer = result.sequences[0].text
    assert "Paris" in answer
    assert "".join(event.text for event in events if isinstance(event, TokenEvent)) == answer
    # Each streamed probability is the model's own: one pass, no cache, over the prompt and the answer.
    prompt, answer_ids = prompt_token_ids(smollm2, request), list(result.sequences[0].token_ids)
    with torch.inference_mode():
        logits = smollm2.model(torch.tensor([prompt + answer_ids], device=smollm2.device)).logits[0]  # (T, V)
    probs = logits[len(prompt) - 1 : -1].float().softmax(-1)  # (N, V)
    expected = probs.gather(1, torch.tensor(answer_ids, device=probs.device)[:, None])[:, 0].tolist()
    assert [event.prob for event in events if isinstance(event, TokenEvent)] == pytest.approx(expected, abs=1e-4)


def test_greedy_equals_model_generate(smollm2):
    request = GenerationRequest("The three primary colours are", GREEDY, chat=False)
    result = drain(generate(smollm2, request))
    ids = torch.tensor([prompt_token_ids(smollm2, request)], device=smollm2.device)  # (1, T)
    with torch.inference_mode():
        output = smollm2.model.generate(
            ids, attention_mask=torch.ones_like(ids), generation_config=to_generation_config(GREEDY, smollm2.tokenizer)
        )
    assert list(result.sequences[0].token_ids) == output[0, ids.shape[1]:].tolist()


def test_streamed_text_equals_the_decoded_text_on_the_real_tokenizer(smollm2):
    tokenizer = smollm2.tokenizer
    text = "Paris: 床前明月光，疑是地上霜。 🦊 done."
    ids = tokenizer(text)["input_ids"] + [tokenizer.eos_token_id]
    stream = text_stream(tokenizer)
    pieces = [stream.add(token_id) for token_id in ids]
    assert "".join(pieces) == tokenizer.decode(ids, skip_special_tokens=True) == text
    assert "" in pieces and not any("\ufffd" in piece for piece in pieces)
