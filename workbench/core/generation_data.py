"""What a generation takes and what it streams back, and the tokens the model reads: plain
data and tokenizer calls, no torch, so the window imports them at start-up while
``generation.py`` (torch, transformers) waits until something is generated."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generator

from workbench.core.decoding import DecodingSettings
from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text
from workbench.core.transformers_helpers import unknown_token_count

if TYPE_CHECKING:
    from workbench.core.loading import LoadedModel


def surprisal(prob: float) -> float:
    """-log p in nats: how unexpected a token of probability ``prob`` was."""
    return -math.log(prob) if prob > 0 else math.inf


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    settings: DecodingSettings = DecodingSettings()
    system_prompt: str = ""
    chat: bool | None = None  # None: use the chat template when the model has one
    # The answer starts with this text, then these exact tokens (a fork's path); the model goes on from there.
    prefill: str = ""
    prefill_ids: tuple[int, ...] = ()
    trace: bool = False  # record every sampler stage of every token (TokenEvent.trace)
    live_attention: bool = False  # stream each step's attention rows (AttentionRows) for the first sequence


@dataclass(frozen=True)
class TokenAlternative:
    token_id: int
    text: str
    prob: float  # under the raw model
    filtered_prob: float = 0.0  # after the sampling filters (0 when filtered out)


@dataclass(frozen=True)
class StageTrace:
    """The distribution after one stage of the sampler chain ("raw": the model's own)."""

    name: str  # "raw" or a name of SAMPLER_STAGES
    survivors: int  # tokens whose score is still finite
    chosen_prob: float  # the chosen token's probability after this stage (0 when it was cut)
    top: tuple[tuple[int, float], ...]  # (token id, probability) of the likeliest tokens after it, best first


@dataclass(frozen=True)
class TokenTrace:
    """Why this token: the raw distribution, then each active stage in the order applied.
    The last stage is the distribution the token was drawn from (or the argmax of, in greedy)."""

    chosen_rank: int  # 0 when the chosen token was the raw model's likeliest
    stages: tuple[StageTrace, ...]
    token_texts: dict[int, str]  # the text of every token id in the stages' tops
    beam: bool = False  # beam search: the raw distribution only (the chain does not apply)


@dataclass(frozen=True)
class TokenEvent:
    sequence: int  # which return sequence (0 when there is one)
    step: int  # 0 for the first generated token
    token_id: int
    text: str  # the new text this token completes ("" while a character's bytes are incomplete)
    prob: float  # probability of this token under the raw model: softmax of its logits
    filtered_prob: float  # probability after temperature, top-k/p, penalties...: what was sampled from
    alternatives: tuple[TokenAlternative, ...]  # most likely tokens under the raw model, best first
    entropy: float = 0.0  # of the raw next-token distribution, in nats
    trace: TokenTrace | None = None  # with GenerationRequest.trace
    label: str = ""  # the token as a person reads it alone: its text, or a chip of a character's bytes (⟨e5 ba⟩)

    @property
    def surprisal(self) -> float:
        """-log p of the chosen token under the raw model, in nats."""
        return surprisal(self.prob)


@dataclass(frozen=True, eq=False)
class AttentionRows:
    """The attention of one forward step of the first sequence, from the step's own pass:
    ``weights`` (layers, heads, queries, keys) is the prompt's whole block at step 0, then one
    query row per step (the token fed in at position ``first_query``)."""

    step: int
    first_query: int  # position of the first query row in prompt + generated tokens
    weights: object  # numpy (L, H, Q, K) float16 on the CPU


@dataclass(frozen=True)
class BeamProgress:
    step: int  # steps done
    max_steps: int


@dataclass(frozen=True)
class SequenceResult:
    token_ids: tuple[int, ...]  # generated ids (end-of-sequence included when produced, no padding)
    text: str  # the prefill, then the decoded generated text cut before the first stop string
    tokens: tuple[TokenEvent, ...]


@dataclass(frozen=True)
class GenerationResult:
    prompt_token_ids: tuple[int, ...]  # what the model read: the prompt, then the prefill
    sequences: tuple[SequenceResult, ...]
    time_to_first_token_s: float | None
    tokens_per_s: float  # generated tokens (all sequences) per second of generation
    elapsed_s: float
    stopped: bool  # the user stopped it; the partial text is kept
    seed: int | None  # the seed that reproduces a sampled run
    prefill_text: str = ""  # what every sequence's text starts with
    prefill_length: int = 0  # the prefill's tokens: the last ones of prompt_token_ids

    @property
    def text(self) -> str:
        return self.sequences[0].text if self.sequences else ""


@dataclass(frozen=True)
class GenerationRecord:
    loaded: LoadedModel
    request: GenerationRequest
    result: GenerationResult


def uses_chat(loaded: LoadedModel, request: GenerationRequest) -> bool:
    if request.chat is None:
        return loaded.has_chat_template
    if request.chat and not loaded.has_chat_template:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "{model} has no chat template: switch chat mode off to complete raw text."
            ).fill(model=loaded.entry.name)
        )
    return request.chat


def chat_messages(prompt: str, system_prompt: str = "") -> list[dict[str, str]]:
    """The conversation a chat template is applied to: a system turn when there is one, then the user's."""
    messages = [{"role": "user", "content": prompt}]
    if system_prompt.strip():
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


def require_prompt(prompt: str) -> None:
    """An empty prompt is refused before any work (a model load included) is done for it."""
    if not prompt.strip():
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "The prompt is empty: type some text first."))


def _refuse_an_encoder(can_generate: bool, why: Text) -> None:
    """An encoder (BERT, MiniLM) refused before any work is done on it, in the words of what was asked of it."""
    if not can_generate:
        raise InvalidInputError(why)


def require_generator(name: str, can_generate: bool) -> None:
    _refuse_an_encoder(can_generate, QT_TRANSLATE_NOOP(
        "Errors", "{name} is an encoder: it reads text but cannot generate it. Pick a generative model."
    ).fill(name=name))


def require_next_token_model(name: str, can_generate: bool) -> None:
    """Perplexity is a next-token measure: an encoder has none."""
    _refuse_an_encoder(can_generate, QT_TRANSLATE_NOOP(
        "Errors", "{name} is an encoder: it does not predict the next token, so it has no perplexity. "
        "Pick a generative model."
    ).fill(name=name))


def require_scoring_model(name: str, can_generate: bool) -> None:
    """Scoring a text reads each token's probability given the ones before: an encoder gives none."""
    _refuse_an_encoder(can_generate, QT_TRANSLATE_NOOP(
        "Errors", "{model} is an encoder: it cannot score the next token."
    ).fill(model=name))


def prefill_token_ids(loaded: LoadedModel, request: GenerationRequest) -> list[int]:
    """The tokens the answer is made to start with: the prefill text's, then the given ids."""
    tokenizer = loaded.tokenizer
    ids = list(tokenizer(request.prefill, add_special_tokens=False)["input_ids"]) if request.prefill else []
    vocabulary = len(tokenizer)
    wrong = [token_id for token_id in request.prefill_ids if not 0 <= token_id < vocabulary]
    if wrong:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "Prefill token ids must be between 0 and {last} for {model} (got {wrong})."
            ).fill(last=vocabulary - 1, model=loaded.entry.name, wrong=wrong[0])
        )
    return ids + list(request.prefill_ids)


COUNTING_TOKENS = QT_TRANSLATE_NOOP("StatusEvent", "Counting the prompt's tokens…")


def prompt_token_count(loaded: LoadedModel, request: GenerationRequest) -> Generator[str, None, tuple[int, int]]:
    """How many tokens the model will see, and how many of them its tokenizer does not know (read as its
    unknown token), as a job: a prompt of a million characters takes a second to encode."""
    yield COUNTING_TOKENS
    ids = prompt_token_ids(loaded, request)
    return len(ids), unknown_token_count(loaded.tokenizer, ids)


def prompt_token_ids(loaded: LoadedModel, request: GenerationRequest) -> list[int]:
    """The ids the model will see: chat template applied (system + user) or raw text, then the prefill."""
    require_prompt(request.prompt)
    tokenizer = loaded.tokenizer
    if uses_chat(loaded, request):
        messages = chat_messages(request.prompt, request.system_prompt)
        encoded = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
        ids = list(encoded["input_ids"])
    else:
        ids = list(tokenizer(request.prompt)["input_ids"])
    ids += prefill_token_ids(loaded, request)
    limit = loaded.context_length
    wanted = len(ids) + request.settings.max_new_tokens
    if limit is not None and wanted > limit and not loaded.slides_past_context:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "The prompt is {count} tokens and {new_tokens} new tokens were asked for, "
                "but {model} reads at most {limit} tokens: shorten the prompt or lower max new tokens.",
            ).fill(count=len(ids), new_tokens=request.settings.max_new_tokens, model=loaded.entry.name, limit=limit)
        )
    return ids
