"""A model that computes NaN or infinity (damaged weights, a 16-bit overflow) is said so in one line by
every command that reads its scores, instead of a crash in sampling, a silent greedy answer or bare NaN in JSON."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from tests.conftest import make_tiny_loaded
from workbench.cli import main
from workbench.core.compare import score_text
from workbench.core.decoding import DecodingSettings
from workbench.core.errors import NonFiniteScoresError
from workbench.core.generation import GenerationRequest, generate
from workbench.core.head_scores import head_scores
from workbench.core.jobs import drain
from workbench.core.training.perplexity import perplexity

TEXT = "The quick brown fox jumps over the lazy dog."
MESSAGE = "Tiny random Llama computed numbers that are not finite (NaN or infinity) in float32"


def _damaged(how: str):
    loaded = make_tiny_loaded()
    with torch.no_grad():
        if how == "nan":
            loaded.model.model.embed_tokens.weight.fill_(float("nan"))  # every activation NaN, attention too
        else:
            loaded.model.lm_head.weight[5].fill_(float("inf"))  # one token's score +inf or NaN: no distribution
    return loaded


@pytest.mark.parametrize("how", ["nan", "inf"])
@pytest.mark.parametrize(
    "settings",
    [DecodingSettings(mode="greedy"), DecodingSettings(mode="sample", seed=1),
     DecodingSettings(mode="beam", num_beams=2)],
    ids=["greedy", "sample", "beam"],
)
def test_generation_says_the_scores_are_not_finite(how, settings):
    loaded = _damaged(how)
    events = []
    with pytest.raises(NonFiniteScoresError) as raised:
        drain(generate(loaded, GenerationRequest(TEXT, replace(settings, max_new_tokens=4))), events.append)
    assert str(raised.value).startswith(MESSAGE) and "\n" not in str(raised.value)
    assert not [event for event in events if hasattr(event, "token_id")]  # no token from NaN was shown


@pytest.mark.parametrize(
    "score",
    [lambda loaded: drain(perplexity(loaded, TEXT * 3)), lambda loaded: drain(score_text([loaded], TEXT)),
     lambda loaded: head_scores(loaded, loaded.context_length)],
    ids=["perplexity", "compare", "heads"],
)
def test_scoring_says_the_scores_are_not_finite(score):
    with pytest.raises(NonFiniteScoresError, match="not finite"):
        score(_damaged("nan"))


def test_the_intact_model_still_scores():
    loaded = make_tiny_loaded()
    assert drain(perplexity(loaded, TEXT * 3)).mean_loss > 0
    assert head_scores(loaded, loaded.context_length).previous_token.shape == (2, 4)


def test_the_cli_prints_one_line_and_no_json(tmp_path, capsys):
    loaded = _damaged("nan")
    folder = tmp_path / "damaged"
    loaded.model.save_pretrained(folder)
    loaded.tokenizer.save_pretrained(folder)
    capsys.readouterr()  # the save's own progress bar
    for command in (["generate", "--model", str(folder), "--prompt", "hi", "--greedy", "--max-new-tokens", "3"],
                    ["compare", "--model", str(folder), "--model", str(folder), "--text", TEXT, "--json"]):
        assert main(command) == 2
        captured = capsys.readouterr()
        assert "NaN" not in captured.out
        [line] = captured.err.strip().splitlines()
        assert line.startswith("error: ") and "computed numbers that are not finite" in line


def test_the_16_bit_overflow_hint_is_given_only_for_16_bit_types():
    for dtype in ("float16", "bfloat16"):
        assert "load it in float32" in str(NonFiniteScoresError("M", dtype))
    full = str(NonFiniteScoresError("M", "float32"))
    assert full.endswith("its weights may be damaged (reinstall or retrain it).") and "16-bit" not in full


def test_a_loss_too_large_for_exp_gives_an_infinite_perplexity():
    """A diverged model's loss passed ~709.8 nats: exp overflowed (exit 70 on the CLI), and training printed a
    305-digit perplexity, exp of a loss clamped to 700."""
    import math

    from workbench.core.training.events import perplexity_of

    loaded = make_tiny_loaded()
    with torch.no_grad():
        loaded.model.lm_head.weight.mul_(1e6)  # finite, huge scores: a loss of millions of nats
    result = drain(perplexity(loaded, TEXT * 3))
    assert result.mean_loss > 1000 and math.isfinite(result.mean_loss) and result.perplexity == math.inf
    assert perplexity_of(700.0) == pytest.approx(math.exp(700.0)) and perplexity_of(720.0) == math.inf
