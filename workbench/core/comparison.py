"""One prompt answered by up to six columns (a model or checkpoint, decoding settings, a seed), then
every answer scored by every column's model.

The answers are generated one column after the other, each streamed as it comes. Then each answer
is scored by teacher forcing under every distinct model, **as text alone** (no prompt, no chat
template: the tokenizer's own special tokens only, as ``workbench compare`` does), so a cell says how
likely that model finds the answer itself, whatever prompt led to it. Cell (i, j) is column j's
answer under column i's model: the mean log-probability per token, and bits per byte, the number
that stays comparable when the tokenizers differ.

Each answer is scored with its own column's model first, so ``kl_to_first`` is already the
disagreement of every same-tokenizer model with that column taken as the reference; models with
another tokenizer are compared by their surprisal spread over the characters each token covers.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Generator, Sequence

import numpy as np

from workbench.core.attention_tokens import (
    labels_after_labels,
    labels_read_together,
    single_token_labels,
    visible_text,
)
from workbench.core.decoding import DecodingSettings
from workbench.core.errors import InvalidInputError
from workbench.core.generation_data import GenerationRequest, GenerationResult, TokenEvent, require_prompt
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken
from workbench.core.sessions import RunSequence, sequences_from_result

if TYPE_CHECKING:
    from workbench.core.catalog import Catalog
    from workbench.core.compare import TextScore
    from workbench.core.loading import LoadedModel, LoadProgress, LoadSettings

MAX_COLUMNS = 6
_EMPTY_ANSWER = QT_TRANSLATE_NOOP(
    "Errors", "The answer is empty (the model ended the text at once): there is nothing to score.")
TOP_TOKENS = 5  # alternatives kept at every scored position, for a reader comparing two models
MEAN_LOGPROB, BITS_PER_BYTE = "mean_logprob", "bits_per_byte"
JSON_FORMAT = "workbench-comparison/1"


@dataclass(frozen=True)
class CompareColumn:
    model_ref: str  # a catalog id, a model folder, a .gguf file or a hub id: what Catalog.resolve takes
    settings: DecodingSettings = DecodingSettings()
    seed: int | None = None  # replaces settings.seed; None: sampling draws one (reported in the result)
    label: str = ""

    def generation_settings(self) -> DecodingSettings:
        """What the column generates with: its seed, and one answer (a column shows one text)."""
        return replace(self.settings, seed=self.seed, num_return_sequences=1)


_MODE_WORDS = {
    "greedy": QT_TRANSLATE_NOOP("SettingsSummary", "greedy"),
    "sample": QT_TRANSLATE_NOOP("SettingsSummary", "sample"),
    "beam": QT_TRANSLATE_NOOP("SettingsSummary", "beam"),
}


def settings_summary(settings: DecodingSettings, translate: Callable[[str], str] = str) -> str:
    """Every setting that shapes a column's text, in a few words: "sample T 1.2 · top-k 50 · 24 tokens". The words
    are marked ``Text``s that ``translate`` puts in the window's language; the numbers and the filters' names
    (top-k, top-p) read the same in every language."""
    parts: list[str] = [_MODE_WORDS[settings.mode]]
    if settings.mode == "sample":
        parts.append(f"T {settings.temperature:g}")
        neutral = DecodingSettings(top_k=0, top_p=1.0, min_p=0.0, typical_p=1.0)
        parts += [
            f"{label} {getattr(settings, name):g}"
            for name, label in (("top_k", "top-k"), ("top_p", "top-p"), ("min_p", "min-p"), ("typical_p", "typical-p"))
            if getattr(settings, name) != getattr(neutral, name)
        ]
    elif settings.mode == "beam":
        parts.append(f"×{settings.num_beams}")
    if settings.repetition_penalty != 1.0:
        penalty = f"{settings.repetition_penalty:g}"
        parts.append(QT_TRANSLATE_NOOP("SettingsSummary", "rep {penalty}").fill(penalty=penalty))
    if settings.no_repeat_ngram_size:
        size = settings.no_repeat_ngram_size
        parts.append(QT_TRANSLATE_NOOP("SettingsSummary", "no repeated {n}-grams").fill(n=size))
    if settings.mode != "beam" and settings.sampler_order != DecodingSettings().sampler_order:
        parts.append(QT_TRANSLATE_NOOP("SettingsSummary", "own filter order"))  # the order changes the text
    if settings.min_new_tokens >= settings.max_new_tokens:  # the end of text is forbidden to the last token
        parts.append(QT_TRANSLATE_NOOP("SettingsSummary", "exactly {count} tokens").fill(count=settings.max_new_tokens))
    else:
        if settings.min_new_tokens:
            least = settings.min_new_tokens
            parts.append(QT_TRANSLATE_NOOP("SettingsSummary", "at least {count} tokens").fill(count=least))
        parts.append(QT_TRANSLATE_NOOP("SettingsSummary", "{count} tokens").fill(count=settings.max_new_tokens))
    if settings.stop_strings:
        shown = ", ".join(json.dumps(text, ensure_ascii=False) for text in settings.stop_strings)  # "\n" visible
        parts.append(QT_TRANSLATE_NOOP("SettingsSummary", "stop at {strings}").fill(strings=shown))
    parts = [translate(part) for part in parts]
    head = 2 if settings.mode != "greedy" else 1  # the mode and its temperature or beams read as one
    return " · ".join([" ".join(parts[:head]), *parts[head:]])


# --------------------------------------------------------------------------- models kept between runs


ModelLoad = Callable[[str, CancelToken], Generator["LoadProgress", None, "LoadedModel"]]


def catalog_loader(catalog: Catalog, settings: LoadSettings) -> ModelLoad:
    """Load a column's model reference the way the model bar would (a run's step is marked opened, as there)."""
    from workbench.core.loading import open_model

    return lambda ref, cancel: open_model(catalog.resolve(ref), settings, cancel)


class ModelCache:
    """The models the last comparison used, kept for the next one (loading is the slow part).
    Used from the comparison's thread; a new run waits while an abandoned one still loads."""

    def __init__(self, load: ModelLoad) -> None:
        self.load = load  # used for models not in the cache yet
        self._models: dict[str, LoadedModel] = {}
        self._lock = threading.RLock()

    @property
    def refs(self) -> list[str]:
        return list(self._models)

    def keep_only(self, refs: Sequence[str]) -> None:
        """Free every model but these (before loading new ones: memory first)."""
        with self._lock:
            for ref in [ref for ref in self._models if ref not in refs]:
                self._models.pop(ref).unload()

    def get(self, ref: str, cancel: CancelToken) -> Generator[LoadProgress, None, LoadedModel]:
        with self._lock:
            if ref not in self._models:
                self._models[ref] = yield from self.load(ref, cancel)
            return self._models[ref]

    def clear(self) -> None:
        self.keep_only(())


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class ModelLoading:
    column: int
    progress: LoadProgress


@dataclass(frozen=True)
class ColumnStarted:
    column: int
    model_name: str


@dataclass(frozen=True)
class ColumnToken:
    column: int
    token: TokenEvent


@dataclass(frozen=True)
class ColumnStats:
    time_to_first_token_s: float | None
    tokens_per_s: float
    length: int  # generated tokens
    mean_surprisal: float  # nats per generated token under the raw model; nan for an empty answer


@dataclass(frozen=True, eq=False)
class ColumnOutcome:
    """A column's answer as the window shows it, and is kept across restarts."""

    model_id: str
    model_name: str
    sequence: RunSequence
    seed: int | None  # the seed that reproduces a sampled answer
    stats: ColumnStats

    @property
    def text(self) -> str:
        return self.sequence.text


@dataclass(frozen=True)
class ColumnFinished:
    column: int
    outcome: ColumnOutcome


@dataclass(frozen=True)
class ScoringProgress:
    texts_done: int
    texts_total: int


def column_stats(result: GenerationResult) -> ColumnStats:
    tokens = result.sequences[0].tokens if result.sequences else ()
    surprisals = [token.surprisal for token in tokens]
    return ColumnStats(
        time_to_first_token_s=result.time_to_first_token_s,
        tokens_per_s=result.tokens_per_s,
        length=len(tokens),
        mean_surprisal=math.fsum(surprisals) / len(surprisals) if surprisals else math.nan,
    )


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class Disagreement:
    """Where the ``other`` column's model departs from the ``reference`` column's on the reference text."""

    reference: int
    other: int
    per_token: bool  # True: the models share a tokenizer and ``values`` is KL per token position
    # per_token: KL(reference || other) in nats at each position (T-1,), x = the token predicted there.
    # Otherwise: the other model's bits per byte at each character (C,), nan where no scored token covers it.
    values: np.ndarray
    reference_values: np.ndarray | None  # per character: the reference model's bits per byte (None per token)
    labels: tuple[str, ...]  # what each x is: the predicted token, or the character


def per_character_bits(score: TextScore, text: str) -> np.ndarray:
    """Each token's surprisal (bits) spread over the characters it covers in proportion to their UTF-8
    bytes, per byte of each character: (C,), nan where no scored token covers a character. Summed with
    the characters' byte counts as weights, it gives back the surprisal of every scored token."""
    char_bytes = np.array([len(char.encode("utf-8")) for char in text], dtype=np.float64)  # (C,)
    bits = np.zeros(len(text))
    covered = np.zeros(len(text), dtype=bool)
    for (start, end), logprob in zip(score.offsets[1:], score.logprobs):  # the first token is not scored
        if end <= start:
            continue  # a special token covers no text
        share = char_bytes[start:end] / char_bytes[start:end].sum()
        bits[start:end] += -logprob / math.log(2) * share
        covered[start:end] = True
    per_byte = bits / np.maximum(char_bytes, 1)
    per_byte[~covered] = np.nan
    return per_byte


@dataclass(frozen=True, eq=False)
class Comparison:
    prompt: str
    system_prompt: str
    chat: bool | None
    columns: tuple[CompareColumn, ...]
    outcomes: tuple[ColumnOutcome, ...]
    # scores[i][j]: column j's answer under column i's model; None where it could not score it, and then
    # problems[i][j] says why (one token long, or longer than the model reads).
    scores: tuple[tuple[TextScore | None, ...], ...]
    shares_tokenizer: tuple[tuple[bool, ...], ...]  # (i, j): column i's and column j's models share a tokenizer
    token_labels: dict[str, dict[int, str]]  # per model id: readable text of every token a hover can show
    problems: tuple[tuple[InvalidInputError | None, ...], ...] = ()

    def problem(self, scorer: int, text: int) -> InvalidInputError | None:
        return self.problems[scorer][text] if self.problems else None

    @property
    def tokenizers_differ(self) -> bool:
        return not all(all(row) for row in self.shares_tokenizer)

    def matrix(self, metric: str) -> np.ndarray:
        """(n, n) ``metric`` (MEAN_LOGPROB or BITS_PER_BYTE) of answer j under model i; nan when unscored."""
        return np.array(
            [[getattr(score, metric) if score is not None else math.nan for score in row] for row in self.scores]
        )

    def disagreement(self, reference: int, other: int) -> Disagreement | None:
        """None when the reference answer could not be scored."""
        reference_score, other_score = self.scores[reference][reference], self.scores[other][reference]
        if reference_score is None or other_score is None:
            return None
        text = self.outcomes[reference].text
        if self.shares_tokenizer[reference][other] and other_score.kl_to_first is not None:
            labels = self.token_labels[reference_score.model]
            return Disagreement(
                reference,
                other,
                True,
                other_score.kl_to_first,
                None,
                tuple(labels_read_together([labels[token_id] for token_id in reference_score.token_ids])[1:]),
            )
        return Disagreement(
            reference,
            other,
            False,
            per_character_bits(other_score, text),
            per_character_bits(reference_score, text),
            tuple(visible_text(char) for char in text),
        )

    def top_tokens(self, scorer: int, text: int, position: int) -> list[tuple[str, float]]:
        """Model ``scorer``'s likeliest next tokens at ``position`` of answer ``text``: (label, probability)."""
        score = self.scores[scorer][text]
        if score is None or score.top_ids is None:
            return []
        labels = self.token_labels[score.model]
        # Inside a character the text has begun, a byte that completes it names the character it makes.
        context = [labels[token_id] for token_id in score.token_ids[: position + 1]]
        alone = [labels[int(token_id)] for token_id in score.top_ids[position]]
        return list(zip(labels_after_labels(context, alone), (math.exp(p) for p in score.top_logprobs[position])))


# --------------------------------------------------------------------------- the job


def _validate(columns: Sequence[CompareColumn], prompt: str) -> None:
    require_prompt(prompt)
    if not 1 <= len(columns) <= MAX_COLUMNS:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "A comparison has 1 to {maximum} columns (got {count}).").fill(
                maximum=MAX_COLUMNS, count=len(columns)
            )
        )
    for column in columns:
        column.generation_settings().validate()


def run_comparison(
    columns: Sequence[CompareColumn],
    prompt: str,
    cache: ModelCache,
    system_prompt: str = "",
    chat: bool | None = None,
    cancel: CancelToken | None = None,
) -> Generator[ModelLoading | ColumnStarted | ColumnToken | ColumnFinished | ScoringProgress, None, Comparison]:
    """Generate every column in turn, then score every answer under every column's model.
    Cancel raises ``CancelledError`` (between loads, within a token while generating, between scorings)."""
    from workbench.core.compare import same_token_space, score_text, scoring_problem
    from workbench.core.generation import generate

    _validate(columns, prompt)
    cancel = cancel or CancelToken()
    refs = list(dict.fromkeys(column.model_ref for column in columns))  # distinct, in column order
    cache.keep_only(refs)
    models: dict[str, LoadedModel] = {}
    outcomes: list[ColumnOutcome] = []
    for index, column in enumerate(columns):
        if column.model_ref not in models:
            loading = cache.get(column.model_ref, cancel)
            models[column.model_ref] = yield from _tagged(
                loading, lambda progress, index=index: ModelLoading(index, progress)
            )
            cancel.raise_if_cancelled()
        loaded = models[column.model_ref]
        yield ColumnStarted(index, loaded.entry.name)
        request = GenerationRequest(prompt, column.generation_settings(), system_prompt, chat)
        # Beam search streams no tokens (only its progress): its column fills when it finishes.
        result = yield from _tagged(
            generate(loaded, request, cancel),
            lambda event, index=index: ColumnToken(index, event) if isinstance(event, TokenEvent) else None,
        )
        cancel.raise_if_cancelled()  # a stopped column would score a partial text
        [sequence] = sequences_from_result(result)  # a column generates one answer
        outcome = ColumnOutcome(loaded.entry.id, loaded.entry.name, sequence, result.seed, column_stats(result))
        outcomes.append(outcome)
        yield ColumnFinished(index, outcome)

    column_models = [models[column.model_ref] for column in columns]
    distinct = list(models.values())
    by_model: dict[int, dict[int, TextScore]] = {id(loaded): {} for loaded in distinct}  # model -> text -> score
    problems: dict[int, dict[int, InvalidInputError]] = {id(loaded): {} for loaded in distinct}
    for text_index, outcome in enumerate(outcomes):
        own = column_models[text_index]
        ordered = [own] + [loaded for loaded in distinct if loaded is not own]  # KL is to the first: this column's
        # A model that cannot read this answer (one token; more than its context) leaves only its own cells empty.
        empty = not outcome.text.strip()  # (scoring_problem's words are for a text a person gives)
        for loaded in ordered:
            problem = InvalidInputError(_EMPTY_ANSWER) if empty else scoring_problem(loaded, outcome.text)
            if problem is not None:
                problems[id(loaded)][text_index] = problem
        scoring = [loaded for loaded in ordered if text_index not in problems[id(loaded)]]
        scores = []
        if scoring:
            scores = yield from _tagged(score_text(scoring, outcome.text, cancel, top=TOP_TOKENS), lambda _: None)
        if scoring and scoring[0] is not own:  # the KL would be to another column's model than this column's
            scores = [replace(score, kl_to_first=None) for score in scores]
        cancel.raise_if_cancelled()
        for loaded, score in zip(scoring, scores):
            by_model[id(loaded)][text_index] = score
        yield ScoringProgress(text_index + 1, len(outcomes))

    shares = {(id(a), id(b)): same_token_space(a, b) for a in distinct for b in distinct}
    return Comparison(
        prompt=prompt,
        system_prompt=system_prompt,
        chat=chat,
        columns=tuple(columns),
        outcomes=tuple(outcomes),
        scores=tuple(tuple(by_model[id(scorer)].get(j) for j in range(len(outcomes))) for scorer in column_models),
        shares_tokenizer=tuple(tuple(shares[id(a), id(b)] for b in column_models) for a in column_models),
        token_labels={loaded.entry.id: _labels(loaded, by_model[id(loaded)].values()) for loaded in distinct},
        problems=tuple(tuple(problems[id(scorer)].get(j) for j in range(len(outcomes))) for scorer in column_models),
    )


def _tagged(job: Generator, tag: Callable[[object], object | None]) -> Generator:
    """Pass ``job``'s events on as ``tag`` makes them (None drops one) and return ``job``'s value."""
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        tagged = tag(event)
        if tagged is not None:
            yield tagged


def _labels(loaded: LoadedModel, scores) -> dict[int, str]:
    """Readable text of every token a hover over ``loaded``'s scores can show."""
    ids = sorted({int(token_id) for score in scores for token_id in (*score.token_ids, *score.top_ids.ravel())})
    return dict(zip(ids, single_token_labels(loaded.tokenizer, ids)))


# --------------------------------------------------------------------------- export


def _number(value: float | None) -> float | None:
    """JSON has no nan or infinity: they become null."""
    return value if value is not None and math.isfinite(value) else None


def comparison_to_data(comparison: Comparison) -> dict:
    return {
        "format": JSON_FORMAT,
        "prompt": comparison.prompt,
        "system_prompt": comparison.system_prompt,
        "chat": comparison.chat,
        "columns": [
            {
                "label": column.label,
                "model": column.model_ref,
                "model_name": outcome.model_name,
                "settings": column.generation_settings().applied_settings(),
                "seed": outcome.seed,
                "text": outcome.text,
                "time_to_first_token_s": _number(outcome.stats.time_to_first_token_s),
                "tokens_per_s": _number(outcome.stats.tokens_per_s),
                "length": outcome.stats.length,
                "mean_surprisal": _number(outcome.stats.mean_surprisal),
            }
            for column, outcome in zip(comparison.columns, comparison.outcomes)
        ],
        "tokenizers_differ": comparison.tokenizers_differ,
        "shares_tokenizer": [list(row) for row in comparison.shares_tokenizer],
        # Row i: scored by column i's model; column j: column j's answer.
        "matrix": {
            metric: [[_number(value) for value in row] for row in comparison.matrix(metric).tolist()]
            for metric in (MEAN_LOGPROB, BITS_PER_BYTE)
        },
        # Why a cell is null: the answer was one token, or longer than that row's model reads.
        "not_scored": [[None if problem is None else str(problem) for problem in row] for row in comparison.problems],
    }


def comparison_to_json(comparison: Comparison) -> str:
    return json.dumps(comparison_to_data(comparison), ensure_ascii=False, indent=2)


def column_title(comparison: Comparison, index: int) -> str:
    label = comparison.columns[index].label
    return f"{index + 1}. {label or comparison.outcomes[index].model_name}"


def _cell(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "–"


def comparison_to_markdown(comparison: Comparison) -> str:
    n = len(comparison.outcomes)
    titles = [column_title(comparison, index) for index in range(n)]
    lines = ["# Comparison", "", "**Prompt**", "", _fence(comparison.prompt), ""]
    if comparison.system_prompt:
        lines += ["**System prompt**", "", _fence(comparison.system_prompt), ""]
    lines += [
        "| Column | Model | Settings | Seed | First token (s) | Tokens/s | Length | Mean surprisal (nats) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for index, (column, outcome) in enumerate(zip(comparison.columns, comparison.outcomes)):
        stats = outcome.stats
        ttft = _cell(stats.time_to_first_token_s, 3) if stats.time_to_first_token_s is not None else "–"
        seed = "–" if outcome.seed is None else str(outcome.seed)
        lines.append(
            f"| {titles[index]} | {outcome.model_name} | {settings_summary(column.settings)} | {seed} | "
            f"{ttft} | {_cell(stats.tokens_per_s, 1)} | {stats.length} | {_cell(stats.mean_surprisal)} |"
        )
    metrics = (BITS_PER_BYTE,) if comparison.tokenizers_differ else (MEAN_LOGPROB, BITS_PER_BYTE)
    headings = {MEAN_LOGPROB: "mean log-probability per token (nats)", BITS_PER_BYTE: "bits per byte"}
    for metric in metrics:
        lines += [
            "",
            f"## Scored by each model: {headings[metric]}",
            "",
            "Row: the model scoring; column: the answer scored (teacher forcing on the answer alone).",
            "",
        ]
        if metric == BITS_PER_BYTE and comparison.tokenizers_differ:
            lines += ["The tokenizers differ, so only bits per byte compare across models.", ""]
        lines += ["| scored by \\ answer | " + " | ".join(titles) + " |", "|---" * (n + 1) + "|"]
        for title, row in zip(titles, comparison.matrix(metric)):
            lines.append(f"| {title} | " + " | ".join(_cell(value) for value in row) + " |")
    lines += ["", "## Answers"]
    for title, outcome in zip(titles, comparison.outcomes):
        lines += ["", f"### {title}", "", _fence(outcome.text)]
    return "\n".join(lines) + "\n"


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"
