"""The sampler chain and its trace: stages in the settings' order, each equal to transformers' own
processor applied to the same scores; the last stage reproduces the run; survivor counts by hand."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from transformers import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from tests.core.test_generation import reference_generate, run
from workbench.core.decoding import SAMPLER_STAGES, DecodingSettings
from workbench.core.generation import prompt_token_ids
from workbench.core.generation_data import GenerationRequest
from workbench.core.sampler_chain import STAGE_TOP, SamplerChain, chain_stages, trace_numbers

FILTERED = DecodingSettings(
    mode="sample", temperature=0.8, top_k=12, top_p=0.9, min_p=0.05, repetition_penalty=1.3,
    max_new_tokens=12, seed=11,
)
# llama.cpp's habit: temperature last, after the cut-offs
TEMPERATURE_LAST = replace(FILTERED, sampler_order=(
    "repetition_penalty", "no_repeat_ngram", "min_new_tokens", "top_k", "top_p", "min_p", "typical_p", "temperature",
))


def prompt_ids(loaded, settings) -> torch.Tensor:
    return torch.tensor([prompt_token_ids(loaded, GenerationRequest("The capital of France", settings, chat=False))])


def independent_processors(settings: DecodingSettings) -> dict:
    """transformers' processors for the active stages of FILTERED, built here, not by the engine."""
    return {
        "repetition_penalty": RepetitionPenaltyLogitsProcessor(settings.repetition_penalty),
        "temperature": TemperatureLogitsWarper(settings.temperature),
        "top_k": TopKLogitsWarper(settings.top_k),
        "top_p": TopPLogitsWarper(settings.top_p),
        "min_p": MinPLogitsWarper(settings.min_p),
    }


def independent_stages(loaded, settings: DecodingSettings, ids: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """Each active stage's (1, V) scores after ``ids`` (1, T): a full pass, no cache, then the processors in order."""
    processors = independent_processors(settings)
    with torch.inference_mode():
        scores = loaded.model(ids).logits[:, -1].float()  # (1, V)
    stages = [("raw", scores)]
    for name in (name for name in settings.sampler_order if name in processors):
        scores = processors[name](ids, scores)
        stages.append((name, scores))
    return stages


@pytest.mark.parametrize("settings", [FILTERED, TEMPERATURE_LAST], ids=["transformers-order", "temperature-last"])
def test_stages_equal_transformers_processors_and_the_last_stage_reproduces_the_run(tiny_loaded, settings):
    _, result = run(tiny_loaded, settings, trace=True)
    tokens = result.sequences[0].tokens
    ids = prompt_ids(tiny_loaded, settings)
    torch.manual_seed(result.seed)
    for token in tokens:
        stages = independent_stages(tiny_loaded, settings, ids)
        assert [stage.name for stage in token.trace.stages] == [name for name, _ in stages]
        for recorded, (_, expected) in zip(token.trace.stages, stages):
            probs = expected.softmax(-1)[0]  # (V,)
            assert recorded.survivors == int(expected.isfinite().sum())
            assert recorded.chosen_prob == pytest.approx(float(probs[token.token_id]), abs=1e-5)
            top = probs.topk(STAGE_TOP)
            expected_top = [(int(i), float(p)) for i, p in zip(top.indices, top.values) if p > 0]
            assert [i for i, _ in recorded.top] == [i for i, _ in expected_top]
            assert [p for _, p in recorded.top] == pytest.approx([p for _, p in expected_top], abs=1e-5)
        drawn = torch.multinomial(stages[-1][1].softmax(-1), 1)  # as generate draws, with the run's seed
        assert int(drawn) == token.token_id
        assert token.filtered_prob == pytest.approx(token.trace.stages[-1].chosen_prob, abs=1e-6)
        ids = torch.cat([ids, drawn], dim=1)


def test_the_default_order_samples_what_model_generate_samples(tiny_loaded):
    _, traced = run(tiny_loaded, FILTERED, trace=True)
    _, plain = run(tiny_loaded, FILTERED)
    expected = reference_generate(tiny_loaded, FILTERED, seed=FILTERED.seed)
    assert [list(traced.sequences[0].token_ids)] == [list(plain.sequences[0].token_ids)] == expected


def test_the_order_changes_what_is_sampled_from(tiny_loaded):
    _, first = run(tiny_loaded, FILTERED, trace=True)
    _, second = run(tiny_loaded, TEMPERATURE_LAST, trace=True)
    first_stages = [s.survivors for s in first.sequences[0].tokens[0].trace.stages]
    second_stages = [s.survivors for s in second.sequences[0].tokens[0].trace.stages]
    assert first_stages != second_stages  # top-p on a sharper distribution keeps fewer tokens


def hand_made(probabilities: list[float]) -> torch.Tensor:
    return torch.tensor([probabilities]).log()  # (1, V)


def chain_survivors(settings: DecodingSettings, scores: torch.Tensor) -> dict[str, int]:
    chain = SamplerChain(chain_stages(settings, 1, [0], torch.device("cpu")), record=True)
    final = chain(torch.tensor([[1]]), scores)
    numbers = trace_numbers(chain.raw, chain.recorded, final.argmax(-1))
    return dict(zip(numbers.names, numbers.survivors[0]))


SAMPLING_OFF = DecodingSettings(mode="sample", temperature=1.0, top_k=0, top_p=1.0)


def test_survivor_counts_on_hand_made_logits():
    scores = hand_made([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    assert chain_survivors(replace(SAMPLING_OFF, top_k=3), scores) == {"raw": 6, "top_k": 3}
    # min-p 0.3 keeps p >= 0.3 * 0.4 = 0.12: three tokens
    assert chain_survivors(replace(SAMPLING_OFF, min_p=0.3), scores) == {"raw": 6, "min_p": 3}
    # top-p 0.7 keeps the smallest set reaching 0.7: 0.4 + 0.25 + 0.15
    assert chain_survivors(replace(SAMPLING_OFF, top_p=0.7), scores) == {"raw": 6, "top_p": 3}
    both = replace(SAMPLING_OFF, top_k=4, min_p=0.3)
    assert chain_survivors(both, scores) == {"raw": 6, "top_k": 4, "min_p": 3}


def test_greedy_runs_only_the_penalties_and_takes_the_argmax(tiny_loaded):
    settings = DecodingSettings(mode="greedy", repetition_penalty=1.5, max_new_tokens=8)
    _, result = run(tiny_loaded, settings, trace=True)
    for token in result.sequences[0].tokens:
        names = [stage.name for stage in token.trace.stages]
        assert names == ["raw", "repetition_penalty"]
        assert token.trace.stages[-1].top[0][0] == token.token_id  # the likeliest after the penalty


def test_entropy_and_surprisal_are_the_raw_distributions(tiny_loaded):
    settings = DecodingSettings(mode="greedy", max_new_tokens=4)
    _, result = run(tiny_loaded, settings, trace=True)
    ids = prompt_ids(tiny_loaded, settings)
    for token in result.sequences[0].tokens:
        with torch.inference_mode():
            probs = tiny_loaded.model(ids).logits[0, -1].float().softmax(-1)  # (V,)
        assert token.entropy == pytest.approx(float(-(probs * probs.log()).sum()), abs=1e-4)
        assert token.surprisal == pytest.approx(-math.log(float(probs[token.token_id])), abs=1e-4)
        assert token.trace.chosen_rank == 0
        ids = torch.cat([ids, torch.tensor([[token.token_id]])], dim=1)


def test_every_return_sequence_has_its_own_trace(tiny_loaded):
    _, result = run(tiny_loaded, replace(FILTERED, num_return_sequences=3), trace=True)
    assert len(result.sequences) == 3 and len({sequence.token_ids for sequence in result.sequences}) > 1
    prompt = list(result.prompt_token_ids)
    for sequence in result.sequences:  # each against its own text: a row of another sequence would read as one
        for step, token in enumerate(sequence.tokens):
            ids = torch.tensor([prompt + list(sequence.token_ids[:step])])  # (1, T)
            stages = independent_stages(tiny_loaded, FILTERED, ids)
            for recorded, (_, expected) in zip(token.trace.stages, stages, strict=True):
                assert recorded.chosen_prob == pytest.approx(float(expected.softmax(-1)[0, token.token_id]), abs=1e-5)


def test_beam_search_traces_the_raw_distribution_only(tiny_loaded):
    settings = DecodingSettings(mode="beam", num_beams=3, num_return_sequences=3, max_new_tokens=6)
    _, result = run(tiny_loaded, settings, trace=True)
    token = result.sequences[0].tokens[0]
    assert token.trace.beam and [stage.name for stage in token.trace.stages] == ["raw"]
    assert token.trace.stages[0].chosen_prob == pytest.approx(token.prob, abs=1e-6)
    # Every token of every returned beam, against the model's own forward pass over that beam's text: beams are
    # reordered each step, and a row taken from the wrong beam would still look like a probability.
    prompt = list(result.prompt_token_ids)
    for sequence in result.sequences:
        ids = torch.tensor([prompt + list(sequence.token_ids)])  # (1, T)
        with torch.no_grad():
            probs = tiny_loaded.model(ids).logits[0, len(prompt) - 1 : -1].float().softmax(-1)  # (steps, V)
        for step, token in enumerate(sequence.tokens):
            assert token.trace.stages[0].chosen_prob == pytest.approx(probs[step, token.token_id].item(), abs=1e-5)
            top = probs[step].topk(5)
            assert [token_id for token_id, _ in token.trace.stages[0].top[:5]] == top.indices.tolist()


def test_no_trace_unless_asked(tiny_loaded):
    _, result = run(tiny_loaded, FILTERED)
    assert all(token.trace is None for token in result.sequences[0].tokens)


def test_sampler_order_must_name_each_stage_once():
    assert replace(FILTERED, sampler_order=tuple(reversed(SAMPLER_STAGES))).problems() == []
    problems = replace(FILTERED, sampler_order=("top_k", "top_k")).problems()
    assert "repeated top_k" in problems[0] and "missing" in problems[0]


def test_step_numbers_of_masked_certain_and_broken_distributions():
    # Compared with torch.distributions: tokens a processor ruled out (-inf) add nothing to the entropy, a
    # certain pick has entropy +0 (not -0), and a row of NaN logits (an fp16 overflow) reads NaN, not 0.
    from workbench.core.generation import ALTERNATIVES, _step_numbers

    torch.manual_seed(0)
    raw = torch.randn(4, 50)  # (N, V)
    raw[1, 10:] = -math.inf
    raw[2] = -math.inf
    raw[2, 7] = 0.0
    raw[3] = math.nan
    filtered = raw.clone()
    filtered[0, :25] = -math.inf
    chosen = torch.tensor([30, 3, 7, 0])
    numbers = _step_numbers(0, raw, filtered, chosen, [True, True, True, False])
    for row in (0, 1):
        expected = torch.distributions.Categorical(logits=raw[row])
        assert numbers.entropy[row] == pytest.approx(float(expected.entropy()), abs=1e-5)
        assert numbers.probs[row] == pytest.approx(float(expected.probs[chosen[row]]), abs=1e-6)
        top = expected.probs.topk(ALTERNATIVES)
        assert numbers.alternative_ids[row] == top.indices.tolist()
        assert numbers.alternative_probs[row] == pytest.approx(top.values.tolist(), abs=1e-6)
    assert numbers.filtered_probs[0] == pytest.approx(float(filtered[0].softmax(-1)[30]), abs=1e-6)
    assert numbers.entropy[2] == 0.0 and math.copysign(1.0, numbers.entropy[2]) == 1.0 and numbers.probs[2] == 1.0
    assert math.isnan(numbers.entropy[3]) and math.isnan(numbers.probs[3])
    assert numbers.active == [True, True, True, False]
    assert numbers.token_ids == chosen.tolist() and all(isinstance(i, int) for i in numbers.token_ids)
    # Without a filter (the same tensor) the filtered numbers are the raw ones.
    unfiltered = _step_numbers(0, raw, raw, chosen, [True] * 4)
    assert unfiltered.filtered_probs[:3] == unfiltered.probs[:3] == numbers.probs[:3]
    assert unfiltered.alternative_filtered_probs[:3] == unfiltered.alternative_probs[:3]
