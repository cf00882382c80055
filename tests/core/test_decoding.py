"""Decoding settings: validation messages and the mapping to GenerationConfig."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workbench.core.decoding import PRESETS, DecodingSettings, to_generation_config
from workbench.core.errors import InvalidSettingsError


@pytest.mark.parametrize("name", ["Greedy", "Balanced", "Creative", "Beam search"])
def test_presets_are_valid(name):
    assert PRESETS[name].problems() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode": "nucleus"}, "Mode must be one of greedy, sample, beam (it is 'nucleus')."),
        ({"temperature": 0.0}, "Temperature must be at least 0.01 (it is 0)."),
        ({"temperature": 1e-45}, "Temperature must be at least 0.01 (it is 1e-45)."),
        ({"top_k": -1}, "Top-k must be at least 0 (it is -1)."),
        ({"top_p": 0.0}, "Top-p must be greater than 0 and at most 1 (it is 0)."),
        ({"top_p": 1.5}, "Top-p must be greater than 0 and at most 1 (it is 1.5)."),
        ({"min_p": -0.1}, "Min-p must be between 0 and 1 (it is -0.1)."),
        ({"typical_p": 0.0}, "Typical-p must be greater than 0 and at most 1 (it is 0)."),
        ({"repetition_penalty": 0.0}, "Repetition penalty must be at least 0.01 (it is 0)."),
        ({"repetition_penalty": 1e-39}, "Repetition penalty must be at least 0.01 (it is 1e-39)."),
        ({"no_repeat_ngram_size": -2}, "No-repeat n-gram must be at least 0 (it is -2)."),
        ({"max_new_tokens": 0}, "Max new tokens must be at least 1 (it is 0)."),
        ({"min_new_tokens": 200}, "Min new tokens must be at most max new tokens (128)."),
        ({"num_return_sequences": 0}, "Return sequences must be between 1 and 64 (it is 0)."),
        ({"mode": "beam", "num_beams": 1000}, "Beams must be between 1 and 64 (it is 1000)."),
        ({"mode": "greedy", "num_return_sequences": 2}, "Greedy decoding gives one answer"),
        ({"mode": "beam", "num_beams": 1}, "Beam search needs at least 2 beams."),
        ({"mode": "beam", "num_beams": 2, "num_return_sequences": 3},
         "Return sequences cannot exceed the number of beams."),
        ({"seed": -1}, "Seed must be between 0 and 4294967295 (it is -1)."),
        ({"stop_strings": ("",)}, "Stop strings cannot be empty."),
    ],
)
def test_each_problem_has_a_plain_message(changes, message):
    settings = replace(DecodingSettings(), **changes)
    problems = settings.problems()
    assert len(problems) == 1 and message in problems[0]
    with pytest.raises(InvalidSettingsError) as raised:
        settings.validate()
    assert message.lower() in str(raised.value).lower()
    assert "\n" not in str(raised.value)


def test_several_problems_are_reported_together():
    settings = DecodingSettings(top_p=2.0, temperature=-1.0)
    assert len(settings.problems()) == 2
    with pytest.raises(InvalidSettingsError, match="Top-p"):
        settings.validate()


def test_sampling_maps_every_knob(tiny_tokenizer):
    settings = DecodingSettings(
        mode="sample", temperature=0.8, top_k=20, top_p=0.85, min_p=0.05, typical_p=0.9,
        repetition_penalty=1.2, no_repeat_ngram_size=3, max_new_tokens=40, min_new_tokens=5,
        num_return_sequences=3, stop_strings=("\n\n",),
    )
    config = to_generation_config(settings, tiny_tokenizer)
    assert config.do_sample is True and config.num_beams == 1
    sampling = (config.temperature, config.top_k, config.top_p, config.min_p, config.typical_p)
    assert sampling == (0.8, 20, 0.85, 0.05, 0.9)
    assert config.repetition_penalty == 1.2 and config.no_repeat_ngram_size == 3
    assert (config.max_new_tokens, config.min_new_tokens, config.num_return_sequences) == (40, 5, 3)
    assert config.stop_strings == ["\n\n"]
    assert config.pad_token_id == tiny_tokenizer.pad_token_id


def test_greedy_and_beam_leave_sampling_filters_unset(tiny_tokenizer):
    greedy = to_generation_config(PRESETS["Greedy"], tiny_tokenizer)
    assert greedy.do_sample is False and greedy.num_beams == 1
    assert greedy.top_k is None and greedy.top_p is None and greedy.temperature is None
    beam = to_generation_config(PRESETS["Beam search"], tiny_tokenizer)
    assert beam.do_sample is False and beam.num_beams == 4 and beam.no_repeat_ngram_size == 3


def test_min_p_zero_means_off(tiny_tokenizer):
    assert to_generation_config(DecodingSettings(min_p=0.0), tiny_tokenizer).min_p is None


def test_invalid_settings_never_reach_transformers(tiny_tokenizer):
    with pytest.raises(InvalidSettingsError):
        to_generation_config(DecodingSettings(top_p=0.0), tiny_tokenizer)
