"""Every setting is described once; the shared validation, the CLI flags and the session
round-trip all follow from that description."""

from __future__ import annotations

import dataclasses
import math

import pytest

from workbench.cli import build_parser
from workbench.core.attention import CaptureSettings
from workbench.core.decoding import MODE_DEFAULTS, PRESETS, SAMPLER_STAGES, DecodingSettings, with_mode
from workbench.core.errors import InvalidSettingsError
from workbench.core.genlab.settings import GenLabSettings
from workbench.core.sessions import settings_from_dict, settings_to_dict
from workbench.core.settings_fields import described_fields
from workbench.core.training.settings import TrainSettings

DEFAULTS = {
    DecodingSettings: DecodingSettings(),
    TrainSettings: TrainSettings(corpus="c.txt", out_dir="out"),
    GenLabSettings: GenLabSettings(),
    CaptureSettings: CaptureSettings(),
}


@pytest.mark.parametrize("settings_class", list(DEFAULTS), ids=lambda cls: cls.__name__)
def test_every_field_is_described_and_its_default_is_valid(settings_class):
    described = described_fields(settings_class)
    assert [field.name for field in described] == [field.name for field in dataclasses.fields(settings_class)]
    for field in described:
        assert field.info.label and field.info.help.endswith((".", ")")), field.name
        low, high = field.soft_range
        if field.info.minimum is not None:  # a form's control never offers a value validation refuses
            assert low is not None and low >= field.info.minimum, field.name
        if field.info.maximum is not None:
            assert high is not None and high <= field.info.maximum, field.name
    assert DEFAULTS[settings_class].problems() == []


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_refused_by_name(value):
    problems = DecodingSettings(temperature=value).problems()
    assert problems == [f"Temperature must be a finite number (it is {value})."]
    assert problems[0].field == "temperature"


def test_types_and_choices_are_checked_from_the_annotation():
    problems = GenLabSettings(epochs=2.5, model="diffusion", images=None).problems()
    assert problems == ["Model must be one of vae, gan (it is 'diffusion').",
                        "Epochs must be a whole number (it is 2.5)."]
    # 16.0 hand-edited into a saved state reads as what it is, not as the 16 it is refused against.
    assert GenLabSettings(latent_dim=16.0).problems() == ["Latent size must be a whole number (it is 16.0)."]
    assert TrainSettings(corpus="c", out_dir="o", lora="yes").problems() == [
        "LoRA (train small adapters only) must be true or false (it is 'yes')."]


def test_messages_join_into_one_error_line():
    with pytest.raises(InvalidSettingsError) as raised:
        TrainSettings(corpus="c", out_dir="o", n_layer=0, batch_size=0).validate()
    assert str(raised.value) == "Layers must be at least 1 (it is 0). Batch size must be at least 1 (it is 0)."


def test_rules_between_fields_wait_for_valid_fields():
    # n_head 0 is one problem, not also a division by zero in the divisibility rule.
    assert TrainSettings(corpus="c", out_dir="o", n_head=0).problems() == [
        "Attention heads must be at least 1 (it is 0)."]


@pytest.mark.parametrize(
    ("command", "settings_class"),
    [
        (["train", "--corpus", "c", "--out", "o"], TrainSettings),
        (["genlab", "--out", "o"], GenLabSettings),
        (["generate", "--prompt", "Hi"], DecodingSettings),
    ],
)
def test_every_described_field_has_a_flag_that_defaults_to_none(command, settings_class):
    args = vars(build_parser().parse_args(command))
    handled_by_mode_flags = {"mode", "num_beams"}  # generate's --greedy, --beams N and --preset
    for field in described_fields(settings_class):
        if field.name not in handled_by_mode_flags:
            assert field.name in args, field.name
            assert args[field.name] is None or field.required, field.name


def test_every_decoding_field_survives_a_session_round_trip():
    changed = DecodingSettings(mode="beam", temperature=1.3, top_k=7, top_p=0.8, min_p=0.1, typical_p=0.7,
                               repetition_penalty=1.2, no_repeat_ngram_size=2, max_new_tokens=9, min_new_tokens=3,
                               num_return_sequences=2, num_beams=5, seed=11, stop_strings=("a", "b"),
                               sampler_order=tuple(reversed(SAMPLER_STAGES)))
    assert all(getattr(changed, f.name) != getattr(DecodingSettings(), f.name) for f in dataclasses.fields(changed))
    assert settings_from_dict(settings_to_dict(changed)) == changed
    assert settings_from_dict({**settings_to_dict(changed), "from_a_later_version": 1}) == changed


def test_switching_mode_leaves_sampling_defaults_behind_and_keeps_choices():
    greedy = with_mode(PRESETS["Balanced"], "greedy")
    assert greedy == MODE_DEFAULTS["greedy"]  # Balanced's repetition penalty 1.1 stays with sampling
    chosen = dataclasses.replace(PRESETS["Balanced"], repetition_penalty=1.3, max_new_tokens=40)
    assert with_mode(chosen, "beam").repetition_penalty == 1.3
    assert with_mode(chosen, "beam").max_new_tokens == 40
    assert with_mode(with_mode(PRESETS["Balanced"], "greedy"), "sample") == PRESETS["Balanced"]
    # A preset's filter is the preset's, not the person's: Beam search's no-repeat 3 stays with beams.
    assert with_mode(PRESETS["Beam search"], "greedy") == MODE_DEFAULTS["greedy"]
    assert with_mode(PRESETS["Creative"], "greedy") == MODE_DEFAULTS["greedy"]


def test_sample_greedy_sample_comes_back_to_the_sampling_settings_left_there():
    # A penalty of 1.0 chosen while sampling is greedy's default too: without what was left in sampling,
    # coming back would take Balanced's 1.1 instead.
    sampling = dataclasses.replace(PRESETS["Balanced"], repetition_penalty=1.0, temperature=0.9)
    greedy = with_mode(sampling, "greedy")
    assert greedy.repetition_penalty == 1.0 and greedy.mode == "greedy"
    assert with_mode(greedy, "sample", left_there=sampling) == sampling
    longer = dataclasses.replace(greedy, max_new_tokens=300)  # changed while greedy: it comes along
    assert with_mode(longer, "sample", left_there=sampling) == dataclasses.replace(sampling, max_new_tokens=300)
