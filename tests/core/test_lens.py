"""The logit lens against the model's own output and an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.conftest import make_tiny_tokenizer
from workbench.core.catalog import FOLDER, ModelEntry
from workbench.core.errors import CancelledError, InvalidInputError
from workbench.core.jobs import CancelToken, drain
from workbench.core.lens import LensProgress, logit_lens
from workbench.core.loading import LoadedModel

TEXT = "The capital of France is Paris. The quick brown fox jumps over the lazy dog."


def _loaded(model, tokenizer, name: str) -> LoadedModel:
    entry = ModelEntry(id=name, name=name, source=FOLDER, architecture=model.config.model_type,
                       parameters=0, can_generate=True, installed=True)
    return LoadedModel(entry=entry, model=model.eval(), tokenizer=tokenizer, device=torch.device("cpu"),
                       dtype=torch.float32)


def _workbench_gpt(tokenizer) -> LoadedModel:
    from workbench.core.architectures import WorkbenchGPTConfig, WorkbenchGPTForCausalLM

    torch.manual_seed(0)
    config = WorkbenchGPTConfig(vocab_size=len(tokenizer), block_size=64, n_layer=3, n_head=2, n_embd=32)
    model = WorkbenchGPTForCausalLM(config)
    with torch.no_grad():  # a random final norm, so a lens that skipped it would not pass
        model.transformer.ln_f.weight.uniform_(0.5, 2.0)
    return _loaded(model, tokenizer, "Tiny GPT")


@pytest.fixture(params=["llama", "workbench-gpt"])
def lens_model(request, tiny_loaded):
    if request.param == "llama":
        with torch.no_grad():
            tiny_loaded.model.model.norm.weight.uniform_(0.5, 2.0)
        return tiny_loaded
    return _workbench_gpt(tiny_loaded.tokenizer)


def _ids(loaded) -> list[int]:
    return loaded.tokenizer(TEXT)["input_ids"][:40]


def _layer_logits(loaded, ids: list[int], layer: int) -> torch.Tensor:
    """(T, V) scores of one layer from output_hidden_states + final norm + head."""
    model = loaded.model
    norm = model.model.norm if hasattr(model, "model") else model.transformer.ln_f
    with torch.no_grad():
        hidden = model(torch.tensor([ids]), output_hidden_states=True).hidden_states[layer]  # (1, T, C)
        return model.get_output_embeddings()(norm(hidden))[0]  # (T, V)


def _independent(loaded, ids: list[int], layer: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """Next-token probabilities and ranks of one layer, and its scores after the last position."""
    logits = _layer_logits(loaded, ids, layer)  # (T, V)
    probs, wanted = logits.softmax(-1), torch.tensor(ids[1:])[:, None]  # (T, V), (T-1, 1)
    ranks = (logits[:-1] > logits[:-1].gather(1, wanted)).sum(-1)  # (T-1,): by logits, which never round to a tie
    return probs[:-1].gather(1, wanted)[:, 0].numpy(), ranks.numpy(), logits[-1]


def test_last_layer_is_the_model_output(lens_model):
    ids = _ids(lens_model)
    progress: list[LensProgress] = []
    lens = drain(logit_lens(lens_model, ids), progress.append)
    layers = len(lens.layers)
    # The blocks numbered from 0, as the Attention page numbers them: the last row is the last block's output.
    assert lens.layers[0] == "embed" and lens.layers[1] == "0" and lens.layers[-1] == str(layers - 2)
    assert progress == [LensProgress(done, layers) for done in range(1, layers + 1)]
    with torch.no_grad():
        probs = lens_model.model(torch.tensor([ids])).logits[0].softmax(-1)  # (T, V)
    expected_next = probs[:-1].gather(1, torch.tensor(ids[1:])[:, None])[:, 0].numpy()  # (T-1,)
    assert np.abs(lens.next_token_prob[-1, :-1] - expected_next).max() <= 1e-5
    expected_top = probs.topk(5, dim=-1)  # (T, 5)
    assert np.array_equal(lens.top_ids[-1], expected_top.indices.numpy())
    assert np.abs(lens.top_probs[-1] - expected_top.values.numpy()).max() <= 1e-5
    # After the last position: the model's own likeliest token, which its last layer ranks first.
    assert lens.guess_id == int(probs[-1].argmax()) and lens.guess_rank[-1] == 0
    assert abs(lens.guess_prob[-1] - float(probs[-1].max())) <= 1e-5


def test_middle_layer_equals_hidden_states_through_norm_and_head(lens_model):
    ids = _ids(lens_model)
    lens = drain(logit_lens(lens_model, ids))
    for layer in (0, 1):
        probs, ranks, after_last = _independent(lens_model, ids, layer)
        assert np.abs(lens.next_token_prob[layer, :-1] - probs).max() <= 1e-5
        assert np.array_equal(lens.next_token_rank[layer, :-1], ranks)
        guess = after_last[lens.guess_id]
        assert abs(lens.guess_prob[layer] - float(after_last.softmax(-1)[lens.guess_id])) <= 1e-5
        assert lens.guess_rank[layer] == int((after_last > guess).sum())
        top = _layer_logits(lens_model, ids, layer).softmax(-1).topk(5, dim=-1)  # (T, 5)
        assert np.array_equal(lens.top_ids[layer], top.indices.numpy())
        assert np.abs(lens.top_probs[layer] - top.values.numpy()).max() <= 1e-5


def test_ranks_hold_where_probabilities_round_to_zero(tiny_loaded):
    """A peaked layer (SmolLM2's embedding row is one) gives most tokens a probability of exactly 0 in float32:
    counted by probability, a next token there would tie with all of them and rank far too high."""
    with torch.no_grad():
        tiny_loaded.model.model.norm.weight.mul_(400.0)  # logits 400 times apart: softmax underflows
    ids = _ids(tiny_loaded)
    lens = drain(logit_lens(tiny_loaded, ids))
    probs, ranks, after_last = _independent(tiny_loaded, ids, 1)
    rounded = probs == 0
    assert rounded.sum() >= 3  # the case at hand: next tokens whose probability is 0
    assert np.array_equal(lens.next_token_rank[1, :-1], ranks)
    assert (lens.next_token_prob[1, :-1][rounded] == 0).all()
    assert lens.guess_rank[1] == int((after_last > after_last[lens.guess_id]).sum())


def test_last_position_has_no_next_token(tiny_loaded):
    ids = _ids(tiny_loaded)
    lens = drain(logit_lens(tiny_loaded, ids))
    assert np.isnan(lens.next_token_prob[:, -1]).all() and (lens.next_token_rank[:, -1] == -1).all()
    assert not np.isnan(lens.next_token_prob[:, :-1]).any() and (lens.next_token_rank[:, :-1] >= 0).all()
    data = lens.to_json()
    assert set(data) == {"layers", "token_ids", "next_token_prob", "next_token_rank", "top", "guess"}
    assert data["guess"] == {"token_id": lens.guess_id, "prob": lens.guess_prob.tolist(),
                             "rank": lens.guess_rank.tolist()}
    assert data["token_ids"] == ids and data["layers"] == ["embed", "0", "1"]
    assert all(row[-1] is None for row in data["next_token_prob"] + data["next_token_rank"])
    assert math.isclose(data["next_token_prob"][1][3], float(lens.next_token_prob[1, 3]))
    assert data["top"][2][0][0] == [int(lens.top_ids[2, 0, 0]), float(lens.top_probs[2, 0, 0])]
    assert len(data["top"]) == 3 and len(data["top"][0]) == len(ids) and len(data["top"][0][0]) == 5


def test_chunks_give_the_same_numbers_as_one_chunk(tiny_loaded):
    ids = _ids(tiny_loaded)
    whole = drain(logit_lens(tiny_loaded, ids, chunk_positions=len(ids)))
    chunked = drain(logit_lens(tiny_loaded, ids, chunk_positions=7))
    np.testing.assert_allclose(chunked.next_token_prob, whole.next_token_prob, atol=1e-6)
    np.testing.assert_allclose(chunked.top_probs, whole.top_probs, atol=1e-6)
    assert np.array_equal(chunked.next_token_rank, whole.next_token_rank)
    assert np.array_equal(chunked.top_ids, whole.top_ids)
    np.testing.assert_allclose(chunked.guess_prob, whole.guess_prob, atol=1e-6)
    assert np.array_equal(chunked.guess_rank, whole.guess_rank) and chunked.guess_id == whole.guess_id


def test_cancel_stops_between_layers(tiny_loaded):
    cancel = CancelToken()
    job = logit_lens(tiny_loaded, _ids(tiny_loaded), cancel)
    assert next(job) == LensProgress(1, 3)
    cancel.cancel()
    with pytest.raises(CancelledError):
        next(job)
    assert tiny_loaded.lock.acquire(blocking=False), "the lock is released after a cancel"
    tiny_loaded.lock.release()


def test_cancel_before_start_stops_the_forward_pass(tiny_loaded):
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(CancelledError):
        drain(logit_lens(tiny_loaded, _ids(tiny_loaded), cancel))
    assert not any(block._forward_hooks for block in tiny_loaded.model.model.layers), "hooks are removed"


def test_recurrent_model_is_refused():
    from workbench.core.architectures import WorkbenchRecurrentConfig, WorkbenchRecurrentForCausalLM

    tokenizer = make_tiny_tokenizer()
    model = WorkbenchRecurrentForCausalLM(WorkbenchRecurrentConfig(vocab_size=len(tokenizer), cell="lstm", n_embd=16))
    loaded = _loaded(model, tokenizer, "Tiny LSTM")
    with pytest.raises(InvalidInputError, match="Tiny LSTM has no stack of transformer blocks"):
        drain(logit_lens(loaded, [1, 2, 3]))


def test_empty_and_too_long_texts_are_refused(tiny_loaded):
    with pytest.raises(InvalidInputError, match="empty"):
        drain(logit_lens(tiny_loaded, []))
    with pytest.raises(InvalidInputError, match="reads at most 128"):
        drain(logit_lens(tiny_loaded, [5] * 129))
