"""The N-way comparison: columns stream in turn, the scored-by-each-model matrix equals plain forward
passes, KL of a model to itself is 0, another tokenizer is compared per character, models are loaded
once and freed when no column uses them, cancel stops, and the exports carry the same numbers."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from tests.conftest import make_tiny_loaded
from tests.core.test_compare import (
    bits_per_byte_by_hand,
    end_of_text_appending_loaded,
    other_tokenizer_loaded,
    padded_vocabulary_loaded,
)
from workbench.core import paths
from workbench.core.comparison import (
    BITS_PER_BYTE,
    MEAN_LOGPROB,
    ColumnFinished,
    ColumnStarted,
    ColumnToken,
    CompareColumn,
    ModelCache,
    ModelLoading,
    ScoringProgress,
    comparison_to_json,
    comparison_to_markdown,
    run_comparison,
    settings_summary,
)
from workbench.core.comparison_store import (
    column_to_data,
    columns_from_data,
    comparison_path,
    forget_comparison,
    open_comparison,
    save_comparison,
)
from workbench.core.decoding import DecodingSettings
from workbench.core.errors import CancelledError, InvalidInputError
from workbench.core.jobs import CancelToken, drain
from workbench.core.loading import LoadProgress

PROMPT = "The capital of France is"
GREEDY = DecodingSettings(mode="greedy", max_new_tokens=12, min_new_tokens=12)
SAMPLED = DecodingSettings(mode="sample", temperature=1.2, max_new_tokens=12, min_new_tokens=12)


def _named(loaded, ref: str):
    return replace(loaded, entry=replace(loaded.entry, id=ref, name=ref))


# "tiny" and "tiny-copy" are the same weights under two names; "other" has another tokenizer.
def short_context_loaded():
    """A pretrained model with a short context reads few tokens (one trained here reads past it, window by window)."""
    loaded = make_tiny_loaded(seed=3)
    loaded.model.config.max_position_embeddings = 16
    return loaded


FACTORIES = {
    "short": short_context_loaded,
    "tiny": lambda: make_tiny_loaded(seed=0),
    "tiny-copy": lambda: make_tiny_loaded(seed=0),
    "tiny-5": lambda: make_tiny_loaded(seed=5),
    "other": other_tokenizer_loaded,
    "padded": padded_vocabulary_loaded,
    "ending": end_of_text_appending_loaded,
}


class CountingLoader:
    def __init__(self) -> None:
        self.loads: list[str] = []

    def __call__(self, ref: str, cancel: CancelToken):
        self.loads.append(ref)
        yield LoadProgress(f"Loading {ref}")
        return _named(FACTORIES[ref](), ref)


COLUMNS = (
    CompareColumn("tiny", GREEDY, label="greedy"),
    CompareColumn("tiny", SAMPLED, seed=7, label="sampled"),
    CompareColumn("tiny-copy", GREEDY),
    CompareColumn("other", GREEDY),
)


@pytest.fixture(scope="module")
def compared():
    loader = CountingLoader()
    events = []
    comparison = drain(run_comparison(COLUMNS, PROMPT, ModelCache(loader), chat=False), events.append)
    return comparison, events, loader


def mean_logprob_by_forward_pass(loaded, text: str) -> float:
    ids = loaded.tokenizer(text)["input_ids"]
    with torch.inference_mode():
        log_probs = loaded.model(torch.tensor([ids])).logits[0, :-1].float().log_softmax(-1)  # (T-1, V)
    return float(log_probs.gather(1, torch.tensor(ids[1:])[:, None]).mean())


def test_columns_stream_in_turn_then_are_scored(compared):
    comparison, events, loader = compared
    assert loader.loads == ["tiny", "tiny-copy", "other"]  # a model two columns share loads once
    kinds = [type(event) for event in events]
    assert kinds[0] is ModelLoading and kinds.count(ColumnStarted) == 4 and kinds.count(ScoringProgress) == 4
    for index in range(4):
        started = events.index(next(e for e in events if isinstance(e, ColumnStarted) and e.column == index))
        finished = events.index(next(e for e in events if isinstance(e, ColumnFinished) and e.column == index))
        tokens = [e for e in events[started:finished] if isinstance(e, ColumnToken)]
        assert len(tokens) == 12 and all(token.column == index for token in tokens)
        stats = comparison.outcomes[index].stats
        assert stats.length == 12 and stats.tokens_per_s > 0 and stats.time_to_first_token_s is not None
        surprisals = [-math.log(token.token.prob) for token in tokens]
        assert stats.mean_surprisal == pytest.approx(sum(surprisals) / 12)
    assert comparison.outcomes[1].seed == 7
    assert settings_summary(SAMPLED) == "sample T 1.2 · top-k 50 · top-p 0.9 · exactly 12 tokens"


def test_the_summary_names_every_setting_that_changes_the_text():
    """Two columns whose summaries read the same make the same text: the beam preset's no-repeat, a minimum
    length, stop strings and a changed filter order all show."""
    from workbench.core.decoding import PRESETS

    assert settings_summary(PRESETS["Beam search"]) != settings_summary(DecodingSettings(mode="beam"))
    changed = replace(SAMPLED, min_new_tokens=4, stop_strings=("\n\n", "。"),
                      sampler_order=tuple(reversed(SAMPLED.sampler_order)))
    assert settings_summary(changed) == ("sample T 1.2 · top-k 50 · top-p 0.9 · own filter order · at least 4 tokens · "
                                         '12 tokens · stop at "\\n\\n", "。"')
    assert "no repeated 3-grams" in settings_summary(PRESETS["Beam search"])


def test_each_cell_is_a_plain_forward_pass_over_the_answer(compared):
    comparison, _, _ = compared
    matrix = comparison.matrix(MEAN_LOGPROB)
    assert matrix.shape == (4, 4)
    models = {ref: _named(factory(), ref) for ref, factory in FACTORIES.items()}
    for i, column in enumerate(COLUMNS):
        for j, outcome in enumerate(comparison.outcomes):
            expected = mean_logprob_by_forward_pass(models[column.model_ref], outcome.text)
            assert matrix[i, j] == pytest.approx(expected, abs=1e-5)
    bits = comparison.matrix(BITS_PER_BYTE)
    for i, column in enumerate(COLUMNS):
        for j, outcome in enumerate(comparison.outcomes):
            assert bits[i, j] == pytest.approx(bits_per_byte_by_hand(models[column.model_ref], outcome.text), rel=1e-5)


def test_kl_of_a_model_to_itself_is_zero_and_the_hover_has_both_top_fives(compared):
    comparison, _, _ = compared
    itself = comparison.disagreement(0, 2)  # the same weights under another name
    assert itself.per_token and itself.reference_values is None
    assert len(itself.values) == len(comparison.scores[0][0].token_ids) - 1 == len(itself.labels)
    np.testing.assert_allclose(itself.values, 0, atol=1e-6)
    reference_top, other_top = comparison.top_tokens(0, 0, 3), comparison.top_tokens(2, 0, 3)
    assert len(reference_top) == 5 and [label for label, _ in reference_top] == [label for label, _ in other_top]
    assert sum(prob for _, prob in reference_top) <= 1 and reference_top[0][1] >= reference_top[-1][1]


def test_the_kl_strip_is_kl_from_the_reference_columns_model_to_the_others_on_the_reference_answer():
    """Between two models of one tokenizer, with the second column as the reference: KL(its model || the first's)
    per position of its own answer, by torch from both models' forward passes."""
    columns = (CompareColumn("tiny", GREEDY), CompareColumn("tiny-5", GREEDY))
    comparison = drain(run_comparison(columns, PROMPT, ModelCache(CountingLoader()), chat=False))
    strip = comparison.disagreement(1, 0)
    ids = list(comparison.scores[1][1].token_ids)
    with torch.inference_mode():
        p_log, q_log = (FACTORIES[ref]().model(torch.tensor([ids])).logits[0, :-1].float().log_softmax(-1)
                        for ref in ("tiny-5", "tiny"))  # (T-1, V) each
    expected = (p_log.exp() * (p_log - q_log)).sum(-1).double().numpy()
    assert strip.per_token and expected.mean() > 0.01  # the two models do differ
    np.testing.assert_allclose(strip.values, expected, atol=1e-5)


def test_a_split_character_is_named_in_the_strip_and_the_top_fives(compared):
    """Chinese in an answer: each token of a split character names it (⟨e8 af:说⟩), in the strip as in the running
    text, and inside a begun character the top five name the character a completing byte makes."""
    from dataclasses import replace

    from workbench.core.attention_tokens import labels_after, token_sequence
    from workbench.core.compare import score_text
    from workbench.core.comparison import _labels

    comparison, _, _ = compared
    tiny, copy = _named(FACTORIES["tiny"](), "tiny"), _named(FACTORIES["tiny-copy"](), "tiny-copy")
    first, second = drain(score_text([tiny, copy], "光 on the 霰 and 说", top=5))
    scores = [list(row) for row in comparison.scores]
    scores[0][0], scores[2][0] = first, second
    chinese = replace(comparison, scores=tuple(tuple(row) for row in scores),
                      token_labels={**comparison.token_labels, "tiny": _labels(tiny, [first]),
                                    "tiny-copy": _labels(copy, [second])})
    tokenizer, ids = tiny.tokenizer, list(first.token_ids)
    running = token_sequence(tokenizer, ids).labels
    assert any(":霰⟩" in label for label in running)
    assert chinese.disagreement(0, 2).labels == running[1:]
    for position in range(len(ids) - 1):
        expected = labels_after(tokenizer, ids[: position + 1], [int(i) for i in first.top_ids[position]])
        assert [label for label, _ in chinese.top_tokens(0, 0, position)] == expected, position


def test_a_different_tokenizer_gets_surprisal_per_character(compared):
    comparison, _, _ = compared
    assert comparison.tokenizers_differ and not comparison.shares_tokenizer[0][3] and comparison.shares_tokenizer[0][2]
    text = comparison.outcomes[0].text
    strip = comparison.disagreement(0, 3)
    assert not strip.per_token and len(strip.values) == len(strip.reference_values) == len(text) == len(strip.labels)
    # Weighted by each character's bytes, the strip gives back the model's whole surprisal of the text.
    char_bytes = np.array([len(char.encode("utf-8")) for char in text])
    other_score = comparison.scores[3][0]
    assert np.nansum(strip.values * char_bytes) == pytest.approx(-other_score.logprobs.sum() / math.log(2), rel=1e-9)
    assert np.nansum(strip.values * char_bytes) / other_score.covered_bytes == pytest.approx(
        comparison.matrix(BITS_PER_BYTE)[3, 0], rel=1e-9)


def test_the_exports_carry_the_same_numbers(compared):
    comparison, _, _ = compared
    data = json.loads(comparison_to_json(comparison))
    assert data["prompt"] == PROMPT and data["tokenizers_differ"] is True
    for metric in (MEAN_LOGPROB, BITS_PER_BYTE):
        np.testing.assert_allclose(np.array(data["matrix"][metric], dtype=float), comparison.matrix(metric))
    for column, outcome in zip(data["columns"], comparison.outcomes):
        assert column["text"] == outcome.text and column["length"] == outcome.stats.length
        assert column["mean_surprisal"] == pytest.approx(outcome.stats.mean_surprisal)
    assert data["columns"][1]["seed"] == 7 and data["columns"][1]["settings"]["temperature"] == 1.2
    assert "temperature" not in data["columns"][0]["settings"]  # greedy: no knob it did not use
    markdown = comparison_to_markdown(comparison)
    for value in comparison.matrix(BITS_PER_BYTE).ravel():
        assert f"{value:.4f}" in markdown
    assert "only bits per byte compare" in markdown and "mean log-probability" not in markdown
    assert all(outcome.text in markdown for outcome in comparison.outcomes)


def test_the_cache_keeps_models_between_runs_and_frees_unused_ones():
    loader = CountingLoader()
    cache = ModelCache(loader)
    columns = [CompareColumn("tiny", GREEDY), CompareColumn("tiny-5", GREEDY)]
    drain(run_comparison(columns, PROMPT, cache, chat=False))
    kept = drain(cache.get("tiny", CancelToken()))
    dropped = drain(cache.get("tiny-5", CancelToken()))
    drain(run_comparison(columns[:1], PROMPT, cache, chat=False))
    assert loader.loads == ["tiny", "tiny-5"] and cache.refs == ["tiny"]
    assert drain(cache.get("tiny", CancelToken())) is kept
    assert next(dropped.model.parameters()).device.type == "meta"  # freed
    cache.clear()
    assert cache.refs == []


def test_cancel_while_a_column_streams_raises_cancelled():
    cancel = CancelToken()
    job = run_comparison(COLUMNS[:2], PROMPT, ModelCache(CountingLoader()), chat=False, cancel=cancel)
    with pytest.raises(CancelledError):
        for event in job:
            if isinstance(event, ColumnToken):
                cancel.cancel()
                assert event.column == 0


@pytest.mark.parametrize(("columns", "prompt", "message"), [
    ([], PROMPT, "1 to 6 columns"),
    ([CompareColumn("tiny", GREEDY)] * 7, PROMPT, "1 to 6 columns"),
    ([CompareColumn("tiny", GREEDY)], "  ", "The prompt is empty"),
])
def test_bad_requests_are_refused_before_any_load(columns, prompt, message):
    loader = CountingLoader()
    with pytest.raises(InvalidInputError, match=message):
        drain(run_comparison(columns, prompt, ModelCache(loader)))
    assert loader.loads == []


def test_an_answer_longer_than_one_model_reads_leaves_only_that_models_cells_empty():
    """Before, one model's refusal left the whole answer unscored by every model, and the page said "Done"."""
    columns = (CompareColumn("tiny", DecodingSettings(mode="greedy", max_new_tokens=20, min_new_tokens=20)),
               CompareColumn("short", DecodingSettings(mode="greedy", max_new_tokens=6, min_new_tokens=6)),
               CompareColumn("tiny-5", GREEDY))
    comparison = drain(run_comparison(columns, "The capital", ModelCache(CountingLoader()), chat=False))
    (own, short, other), scored_by_short = [row[0] for row in comparison.scores], comparison.scores[1]
    assert own is not None and other is not None and short is None
    assert "reads at most 16" in str(comparison.problem(1, 0)) and comparison.problem(0, 0) is None
    assert scored_by_short[1] is not None and scored_by_short[2] is not None  # the short answers it reads
    assert comparison.disagreement(0, 2) is not None and comparison.disagreement(0, 1) is None
    answer = comparison.outcomes[0].text
    assert own.mean_logprob == pytest.approx(mean_logprob_by_forward_pass(make_tiny_loaded(seed=0), answer), abs=1e-5)
    data = json.loads(comparison_to_json(comparison))
    assert data["matrix"][MEAN_LOGPROB][1][0] is None and "reads at most 16" in data["not_scored"][1][0]

    _assert_kept_whole(comparison)  # its problems too


def _assert_kept_whole(comparison) -> None:
    """What the Compare page shows of ``comparison`` reads the same after a restart: through the file and back."""
    save_comparison(comparison)
    kept, problem = open_comparison()
    assert problem is None
    assert [column_to_data(column) for column in kept.columns] == [column_to_data(c) for c in comparison.columns]
    assert (kept.prompt, kept.system_prompt, kept.chat) == (comparison.prompt, comparison.system_prompt,
                                                            comparison.chat)
    for metric in (MEAN_LOGPROB, BITS_PER_BYTE):
        np.testing.assert_array_equal(kept.matrix(metric), comparison.matrix(metric))
    assert kept.shares_tokenizer == comparison.shares_tokenizer and kept.token_labels == comparison.token_labels
    for saved, restored in zip(comparison.outcomes, kept.outcomes, strict=True):
        assert restored.sequence == saved.sequence and restored.seed == saved.seed
        assert (restored.model_id, restored.model_name) == (saved.model_id, saved.model_name)
        np.testing.assert_equal(dataclasses.astuple(restored.stats), dataclasses.astuple(saved.stats))  # nan too
    n = len(comparison.outcomes)
    for reference in range(n):
        for other in range(n):
            problem, problem_kept = comparison.problem(other, reference), kept.problem(other, reference)
            assert repr(problem_kept) == repr(problem)  # a marked text stays one: the window translates it
            if problem is not None:
                assert problem_kept.args[0].template == problem.args[0].template
            assert kept.top_tokens(other, reference, 0) == comparison.top_tokens(other, reference, 0)
            strip, strip_kept = comparison.disagreement(reference, other), kept.disagreement(reference, other)
            assert (strip is None) == (strip_kept is None)
            if strip is not None:
                np.testing.assert_array_equal(strip_kept.values, strip.values)
                assert strip_kept.labels == strip.labels


def test_the_last_comparison_is_kept_whole_for_the_next_start(compared):
    comparison, _, _ = compared
    _assert_kept_whole(comparison)
    assert comparison_path().parent == paths.data_dir()
    forget_comparison()
    assert open_comparison() == (None, None)


def test_a_damaged_kept_comparison_is_set_aside_with_one_line(compared):
    comparison, _, _ = compared
    save_comparison(comparison)
    data = json.loads(comparison_path().read_text(encoding="utf-8"))
    data["scores"][0][0]["logprobs"].pop()  # a score no longer as long as its tokens
    comparison_path().write_text(json.dumps(data), encoding="utf-8")
    kept, problem = open_comparison()
    assert kept is None and "The last comparison could not be read; its file was kept as" in problem
    assert not comparison_path().exists() and list(comparison_path().parent.glob("comparison.damaged-*.json"))


def test_saved_columns_read_back_and_a_damaged_one_is_left_out():
    saved = [column_to_data(column) for column in COLUMNS]
    damaged = [*saved, {"model": "tiny", "settings": {"temperature": -1}, "seed": None, "label": ""},
               {"model": "tiny"}, "not a column", {**saved[0], "seed": True}]
    assert columns_from_data(damaged) == list(COLUMNS)


def test_models_of_one_vocabulary_whose_scores_do_not_line_up_are_compared_per_character():
    columns = (CompareColumn("tiny", GREEDY), CompareColumn("padded", GREEDY), CompareColumn("ending", GREEDY))
    comparison = drain(run_comparison(columns, PROMPT, ModelCache(CountingLoader()), chat=False))
    assert comparison.shares_tokenizer == ((True, False, False), (False, True, False), (False, False, True))
    assert np.all(np.isfinite(comparison.matrix(BITS_PER_BYTE)[:, 0]))  # column 1's answer read by every model
    for other in (1, 2):
        assert not comparison.disagreement(0, other).per_token
    assert comparison.outcomes[2].text == ""  # the model that reads an end of text after the prompt ends at once
    assert [str(comparison.problem(scorer, 2)) for scorer in range(3)] == [
        "The answer is empty (the model ended the text at once): there is nothing to score."] * 3
