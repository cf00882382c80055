"""Generate text with a loaded model and stream what happens, token by token.

transformers' ``model.generate`` does the decoding; we listen in with small hooks:
the sampler chain (``sampler_chain.py``, a logits processor applying the filters in the
settings' order) keeps the raw scores and what the token is chosen from, and a stopping
criterion (called once per step, after the token is chosen) pairs them with the chosen
tokens, checks the cancel token and hands the step to the job, with the step's trace and
attention rows when asked for. ``generate`` runs in a helper thread; the job generator
yields events from a queue on the caller's thread.

Beam search reorders its hypotheses until the end, so it cannot stream: it reports
``BeamProgress`` per step and the beams, with per-token probabilities, at the end.
"""

from __future__ import annotations

import math
import os
import queue
import random
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Generator, Sequence

import torch
from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList
from transformers.generation.stopping_criteria import StopStringCriteria

from workbench.core.attention_tokens import (
    MAX_UNFINISHED_BYTES,
    is_byte_chip,
    single_token_labels,
    token_sequence,
    unfinished_character_tokens,
)
from workbench.core.decoding import MAX_SEED, DecodingSettings, to_generation_config
from workbench.core.devices import free_memory_bytes
from workbench.core.errors import InvalidInputError, InvalidSettingsError, WorkbenchError, is_out_of_memory
from workbench.core.generation_data import (
    AttentionRows,
    BeamProgress,
    GenerationRequest,
    GenerationResult,
    SequenceResult,
    TokenAlternative,
    TokenEvent,
    TokenTrace,
    prefill_token_ids,
    prompt_token_ids,
    require_generator,
)
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken
from workbench.core.loading import LoadedModel
from workbench.core.model_parts import checked_before_each, decoder_blocks
from workbench.core.random_stream import process_random_stream
from workbench.core.sampler_chain import SamplerChain, TraceNumbers, chain_stages, trace_numbers, without_chain
from workbench.core.text_stream import text_stream
from workbench.core.transformers_helpers import model_settings_limited_to_tokens

ALTERNATIVES = 5  # top alternatives reported with every token
# Prompt tokens kept as context for the first decoded pieces, so a leading space
# ("▁Paris" in SentencePiece vocabularies) is not lost at the start of the answer.
_DECODE_CONTEXT = 4


# --------------------------------------------------------------------------- probabilities


@dataclass(frozen=True)
class _StepNumbers:
    """One decoding step for every row, as plain CPU lists (what crosses the thread)."""

    step: int
    token_ids: list[int]  # (N,)
    probs: list[float]  # (N,)
    filtered_probs: list[float]  # (N,)
    alternative_ids: list[list[int]]  # (N, K)
    alternative_probs: list[list[float]]  # (N, K)
    alternative_filtered_probs: list[list[float]]  # (N, K)
    entropy: list[float]  # (N,) of the raw distribution, nats
    active: list[bool]  # (N,) False for rows already finished (their token is padding)
    trace: TraceNumbers | None = None


def _step_numbers(
    step: int, raw_logits: torch.Tensor, processed: torch.Tensor, chosen: torch.Tensor, active: Sequence[bool]
) -> _StepNumbers:
    """Probabilities of the chosen tokens and the top alternatives, raw and filtered.

    raw_logits, processed: (N, V); chosen: (N,); active: N flags. One transfer to the CPU per step: on a GPU whose
    host launches every kernel of a small model (SmolLM2 on an H200), each operation here costs the generation
    about what a kernel of the model does, so they are as few as the numbers allow.
    """
    # One log-softmax per distribution (a single fused kernel each; the filtered one is the raw one when no
    # filter is active), then only the few needed entries are exponentiated: the engine's per-token cost.
    raw_log_probs = raw_logits.float().log_softmax(dim=-1)  # (N, V)
    # Entropy -sum(p log p), negated on the CPU: a token ruled out (log p = -inf, p = 0) adds nothing, and a NaN
    # stays NaN.
    sum_p_log_p = torch.linalg.vecdot(
        raw_log_probs.exp(), raw_log_probs.nan_to_num(nan=math.nan, neginf=0.0)
    )[:, None]  # (N, 1)
    _, alternative_ids = raw_log_probs.topk(ALTERNATIVES, dim=-1)  # (N, K)
    ids = torch.cat([chosen[:, None], alternative_ids], dim=1)  # (N, 1 + K): the chosen token, then the likeliest
    columns = [
        ids.to(raw_log_probs.dtype),  # float32 holds token ids exactly up to 2**24
        raw_log_probs.gather(1, ids).exp(),  # (N, 1 + K)
        sum_p_log_p,
    ]
    filtered = processed is not raw_logits
    if filtered:
        columns.insert(2, processed.float().log_softmax(dim=-1).gather(1, ids).exp())  # (N, 1 + K)
    rows = torch.cat(columns, dim=1).tolist()  # N lists of 2 or 3 (1 + K) + 1 numbers: one transfer
    width = 1 + ALTERNATIVES
    ids_of = [[int(token_id) for token_id in row[:width]] for row in rows]
    probs_of = [row[width : 2 * width] for row in rows]
    filtered_of = [row[2 * width : 3 * width] for row in rows] if filtered else probs_of
    return _StepNumbers(
        step=step,
        token_ids=[ids[0] for ids in ids_of],
        probs=[probs[0] for probs in probs_of],
        filtered_probs=[probs[0] for probs in filtered_of],
        alternative_ids=[ids[1:] for ids in ids_of],
        alternative_probs=[probs[1:] for probs in probs_of],
        alternative_filtered_probs=[probs[1:] for probs in filtered_of],
        entropy=[0.0 - row[-1] for row in rows],  # 0 - sum keeps a certain pick's entropy at +0 (not -0)
        active=list(active),
    )


# --------------------------------------------------------------------------- hooks into generate


class _Interrupted(Exception):
    """Raised inside the forward pass to stop it between two layers."""


class _NotFinite(Exception):
    """Raised by the step watcher when a row's scores hold NaN or +inf (its entropy is NaN then)."""


def _not_finite(scores: torch.Tensor | None) -> bool:
    """Whether ``scores`` hold NaN or +inf (-inf is a token ruled out)."""
    return scores is not None and bool((scores.isnan() | scores.isposinf()).any())


class _StepWatcher(StoppingCriteria):
    """Called once per step after the token is chosen: cancels within one token and
    reports the step (a ``_StepNumbers`` and the step's ``AttentionRows`` when streaming,
    ``BeamProgress`` for beams)."""

    def __init__(
        self,
        chain: SamplerChain | None,  # None for beams: they stream nothing
        attention,  # a LiveAttentionRecorder, or None
        max_steps: int,
        prompt_length: int,
        outbox: queue.Queue,
        cancel: CancelToken,
        abandon: threading.Event,
        eos_token_ids: list[int],
        stop_criteria: StoppingCriteria | None,
    ) -> None:
        self.chain = chain
        self.attention = attention
        self.max_steps = max_steps
        self.prompt_length = prompt_length
        self.outbox = outbox
        self.cancel = cancel
        self.abandon = abandon
        # Which rows have finished, so the padding generate appends to them is never reported as tokens: an end
        # token is seen in the chosen ids the step's numbers bring to the CPU anyway, a stop string by our copy
        # of generate's criteria (a second transfer a step, only when stop strings are set).
        self.eos_token_ids = frozenset(eos_token_ids)
        self.stop_criteria = stop_criteria
        self.finished: list[bool] | None = None  # (N,)
        self._answers: dict[tuple[int, bool], torch.BoolTensor] = {}  # (N, stopping) -> what __call__ returns
        self.first_token_time: float | None = None

    def interrupt_if_stopping(self) -> None:
        """Called before every block (``checked_before_each``): a Stop lands within one layer's work,
        prefill included, instead of waiting for the whole next token."""
        if self.cancel.cancelled or self.abandon.is_set():
            raise _Interrupted

    def interrupt_while_reading_the_prompt(self) -> None:
        """Beam search's check before every block: its beams are kept whole, so they stop between steps, but a
        Stop while a long prompt is read (seconds) lands within a layer; nothing was chosen yet."""
        if self.first_token_time is None:
            self.interrupt_if_stopping()

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        stopping = self.cancel.cancelled or self.abandon.is_set()
        step = input_ids.shape[1] - self.prompt_length - 1
        if self.first_token_time is None:
            self.first_token_time = time.perf_counter()
        if self.chain is not None:
            self._report_tokens(step, input_ids)
        else:
            self.outbox.put(BeamProgress(step=step + 1, max_steps=self.max_steps))
        key = (input_ids.shape[0], stopping)
        if key not in self._answers:  # made once: a new device tensor every step would be one more kernel
            self._answers[key] = torch.full(key[:1], stopping, dtype=torch.bool, device=input_ids.device)
        return self._answers[key]

    def _report_tokens(self, step: int, input_ids: torch.LongTensor) -> None:
        if self.finished is None:
            self.finished = [False] * input_ids.shape[0]
        chain, chosen = self.chain, input_ids[:, -1]
        active = [not finished for finished in self.finished]
        numbers = _step_numbers(step, chain.raw, chain.final, chosen, active)
        if any(active and math.isnan(entropy) for entropy, active in zip(numbers.entropy, numbers.active)):
            raise _NotFinite  # greedy would go on from the argmax of NaN, silently
        if chain.record:
            numbers = replace(numbers, trace=trace_numbers(chain.raw, chain.recorded, chosen))
        self.outbox.put(numbers)
        if self.attention is not None:
            rows = self.attention.take(step)  # taken even when unused: a finished first row pads on
            if rows is not None and active[0]:
                self.outbox.put(rows)
        stopped = self.stop_criteria(input_ids, None).tolist() if self.stop_criteria is not None else None
        self.finished = [
            finished or token_id in self.eos_token_ids or (stopped is not None and stopped[row])
            for row, (finished, token_id) in enumerate(zip(self.finished, numbers.token_ids))
        ]


# --------------------------------------------------------------------------- text assembly


class _DecodedStopStrings(StoppingCriteria):
    """Stops a row once a stop string ends within its newest token's text, as ``StopStringCriteria`` decides, found
    by decoding the row. That criteria reads each token's text by decoding it after the letters "abcdef", which a
    character vocabulary without one of them cannot spell (a model trained here on Chinese text)."""

    def __init__(self, tokenizer, stop_strings: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.stop_strings = tuple(stop_strings)
        # The rows' last tokens read: enough for the longest stop string at a quarter of a character a token (a byte
        # of a character), so the work per step stays the same however long the answer grows.
        self.tail = 4 * max(len(stop) for stop in self.stop_strings) + 8
        self._last: tuple[tuple, torch.BoolTensor] | None = None  # the step's answer: it is asked twice a step

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        step = (input_ids.data_ptr(), *input_ids.shape)
        if self._last is not None and self._last[0] == step:
            return self._last[1]
        ended = []
        for row in input_ids[:, -self.tail:].tolist():
            text = self.tokenizer.decode(row)
            # Where the newest token's text begins: a character it completes read as U+FFFD before it came.
            newest = len(os.path.commonprefix([self.tokenizer.decode(row[:-1]), text]))
            ended.append(any(text.find(stop, max(0, newest - len(stop) + 1)) >= 0 for stop in self.stop_strings))
        answer = torch.tensor(ended, dtype=torch.bool, device=input_ids.device)
        self._last = (step, answer)
        return answer


def stop_string_criteria(tokenizer, stop_strings: Sequence[str]) -> StoppingCriteria:
    """transformers' ``StopStringCriteria``, or the decoding one for a vocabulary it cannot read."""
    try:
        return StopStringCriteria(tokenizer, list(stop_strings))
    except ValueError:  # "substring not found": the vocabulary cannot spell its "abcdef"
        return _DecodedStopStrings(tokenizer, stop_strings)


def _cut_at_stop_string(text: str, stop_strings: Sequence[str]) -> str:
    cuts = [text.find(stop) for stop in stop_strings]
    cuts = [cut for cut in cuts if cut >= 0]
    return text[: min(cuts)] if cuts else text


class _SequenceBuilder:
    """Collects one sequence's tokens and events as they stream."""

    def __init__(self, index: int, token_texts: _TokenTexts, context_ids: Sequence[int]) -> None:
        self.index = index
        self.token_texts = token_texts
        self.text_stream = text_stream(token_texts.tokenizer, context_ids)
        self.events: list[TokenEvent] = []
        # The tokens of a character begun but not yet whole (a branch may be forced to a character's first token).
        self.pending_ids = unfinished_character_tokens(token_texts.tokenizer, context_ids)

    def add(
        self, numbers: _StepNumbers, row: int, step: int, alternative_texts: list[str], trace: TokenTrace | None
    ) -> TokenEvent:
        token_id = numbers.token_ids[row]
        text = self.text_stream.add(token_id)
        event = TokenEvent(
            sequence=self.index,
            step=step,
            token_id=token_id,
            text=text,
            prob=numbers.probs[row],
            filtered_prob=numbers.filtered_probs[row],
            alternatives=tuple(
                TokenAlternative(token_id=alt_id, text=alt_text, prob=prob, filtered_prob=filtered)
                for alt_id, alt_text, prob, filtered in zip(
                    numbers.alternative_ids[row],
                    alternative_texts,
                    numbers.alternative_probs[row],
                    numbers.alternative_filtered_probs[row],
                )
            ),
            entropy=numbers.entropy[row],
            trace=trace,
            label=self.token_texts.label(token_id),
        )
        self.events.append(event)
        if text:  # the stream gives text only once every character in it is whole
            self.pending_ids = ()
        elif token_id not in self.token_texts.special_ids:
            self.pending_ids = (*self.pending_ids, token_id)[-MAX_UNFINISHED_BYTES:]  # a token holds a byte at least
        return event

    def texts_here(self, texts: dict[int, str], token_ids: list[int]) -> dict[int, str]:
        """``texts`` (holding ``token_ids``) as this sequence shows them at its next token: after a character's
        first bytes, the tokens that would complete it name the character (``_TokenTexts.texts_after``)."""
        return self.token_texts.texts_after(self.pending_ids, token_ids) if self.pending_ids else texts

    def result(self, stop_strings: Sequence[str], prefill_text: str) -> SequenceResult:
        token_ids = tuple(event.token_id for event in self.events)
        # The streamed pieces are the text, so what was shown token by token is what is kept.
        text = "".join(event.text for event in self.events)
        return SequenceResult(
            token_ids=token_ids, text=prefill_text + _cut_at_stop_string(text, stop_strings), tokens=tuple(self.events)
        )


class _TokenTexts:
    """Tokens' texts on their own and their labels, decoded once per generation: the same alternatives come
    back step after step, and decoding them was the consumer's main cost per token (it competes with the
    generating thread for the interpreter)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.special_ids = frozenset(getattr(tokenizer, "all_special_ids", None) or ())
        self._texts: dict[int, str] = {}
        self._labels: dict[int, str] = {}
        self._labels_after: dict[tuple[tuple[int, ...], int], str] = {}

    def texts(self, token_ids: Sequence[int]) -> dict[int, str]:
        """A mapping that holds every one of ``token_ids``. A token that holds only part of a character
        (a Chinese character's first bytes) decodes to U+FFFD: it is shown as a chip of its bytes instead."""
        missing = [token_id for token_id in dict.fromkeys(token_ids) if token_id not in self._texts]
        if missing:
            decoded = dict(zip(missing, self.tokenizer.batch_decode([[token_id] for token_id in missing])))
            partial = [token_id for token_id, text in decoded.items() if "\ufffd" in text]
            decoded.update(zip(partial, single_token_labels(self.tokenizer, partial)))
            self._texts.update(decoded)
        return self._texts

    def label(self, token_id: int) -> str:
        """The token as a label: its text, or a chip of its bytes (``single_token_labels``)."""
        if token_id not in self._labels:
            self._labels[token_id] = single_token_labels(self.tokenizer, [token_id])[0]
        return self._labels[token_id]

    def texts_after(self, pending_ids: tuple[int, ...], token_ids: Sequence[int]) -> dict[int, str]:
        """The texts of ``token_ids`` (all in ``texts``) where they would follow ``pending_ids``, the first
        bytes of a character (a Chinese character split across tokens): a token that completes it shows the
        character it makes, ``⟨97:北⟩`` after ``⟨e5 8c⟩``, rather than its bare byte ``⟨97⟩``."""
        here = {}
        for token_id in token_ids:
            text = self._texts[token_id]
            if is_byte_chip(text):
                key = (pending_ids, token_id)
                if key not in self._labels_after:
                    self._labels_after[key] = token_sequence(self.tokenizer, [*pending_ids, token_id]).labels[-1]
                text = self._labels_after[key]
            here[token_id] = text
        return here


def _row_trace(numbers: TraceNumbers, row: int, texts: dict[int, str], beam: bool = False) -> TokenTrace:
    stages = numbers.stages(row)
    return TokenTrace(
        chosen_rank=numbers.chosen_rank[row],
        stages=stages,
        token_texts={token_id: texts[token_id] for stage in stages for token_id, _ in stage.top},
        beam=beam,
    )


def _trace_ids(trace: TraceNumbers | None, rows: Sequence[int]) -> list[int]:
    if trace is None:
        return []
    return [token_id for row in rows for stage in trace.top_ids[row] for token_id in stage]


def _events_for_step(
    numbers: _StepNumbers, builders: list[_SequenceBuilder], token_texts: _TokenTexts
) -> list[TokenEvent]:
    rows = [row for row, active in enumerate(numbers.active) if active]
    alternative_ids = [alt for row in rows for alt in numbers.alternative_ids[row]]
    texts = token_texts.texts(alternative_ids + _trace_ids(numbers.trace, rows))
    events = []
    for row in rows:
        here = builders[row].texts_here(texts, list(numbers.alternative_ids[row]) + _trace_ids(numbers.trace, [row]))
        events.append(builders[row].add(
            numbers,
            row,
            numbers.step,
            [here[alt] for alt in numbers.alternative_ids[row]],
            None if numbers.trace is None else _row_trace(numbers.trace, row, here),
        ))
    return events


# --------------------------------------------------------------------------- the job


def _eos_token_ids(loaded: LoadedModel, config) -> list[int]:
    for candidate in (config.eos_token_id, loaded.model.generation_config.eos_token_id, loaded.tokenizer.eos_token_id):
        if candidate is not None:
            return [candidate] if isinstance(candidate, int) else list(candidate)
    return []


class _Finished:
    def __init__(self, output=None, error: BaseException | None = None) -> None:
        self.output = output
        self.error = error


def prefill_text(loaded: LoadedModel, request: GenerationRequest, prompt_ids: list[int] | None = None) -> str:
    """The prefill as the answer shows it: the typed text as typed, then the forced tokens decoded
    in the context of what precedes them (so a leading space is kept)."""
    if not request.prefill_ids:
        return request.prefill
    prompt_ids = prompt_ids if prompt_ids is not None else prompt_token_ids(loaded, request)
    forced_start = len(prompt_ids) - len(request.prefill_ids)
    stream = text_stream(loaded.tokenizer, prompt_ids[max(0, forced_start - _DECODE_CONTEXT) : forced_start])
    return request.prefill + "".join(stream.add(token_id) for token_id in request.prefill_ids)


def _live_attention(model: torch.nn.Module):
    """A recorder of each step's attention rows, or None when the model cannot hand them out (fused
    attention kernels): the generation itself does not need them."""
    from workbench.core.live_attention import LiveAttentionRecorder

    try:
        return LiveAttentionRecorder(model)
    except InvalidInputError:
        return None


def generation_memory_bytes(loaded: LoadedModel, settings: DecodingSettings, prompt_length: int) -> int | None:
    """About what one run holds beyond the weights: the attention cache of every row (beam or
    answer) at full length, plus, in beam mode, each step's scores and logits. None when the
    model's config does not say its shape."""
    config = loaded.model.config.get_text_config()
    layers, heads = getattr(config, "num_hidden_layers", None), getattr(config, "num_attention_heads", None)
    hidden = getattr(config, "hidden_size", None)
    if not (layers and heads and hidden):
        return None
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or hidden // heads
    beam = settings.mode == "beam"
    rows = settings.num_beams if beam else settings.num_return_sequences
    element = next(loaded.model.parameters()).element_size()
    cache = 2 * layers * rows * (prompt_length + settings.max_new_tokens) * kv_heads * head_dim * element  # keys+values
    scores = 2 * settings.max_new_tokens * rows * config.vocab_size * 4 if beam else 0  # fp32 scores and logits
    return cache + scores


def _check_memory(loaded: LoadedModel, settings: DecodingSettings, prompt_length: int) -> None:
    needed = generation_memory_bytes(loaded, settings, prompt_length)
    free = free_memory_bytes(loaded.device)
    if needed is None or free is None or needed <= 0.8 * free:  # leave room for activations and the rest
        return
    if settings.mode == "beam":
        message = QT_TRANSLATE_NOOP(
            "Errors",
            "{rows} beams of {new_tokens} new tokens would need about {needed_gb:.1f} GB beyond the weights, "
            "more than the {free_gb:.1f} GB free on {device}: use fewer, or fewer new tokens.",
        )
        rows = settings.num_beams
    else:
        message = QT_TRANSLATE_NOOP(
            "Errors",
            "{rows} return sequences of {new_tokens} new tokens would need about {needed_gb:.1f} GB beyond the "
            "weights, more than the {free_gb:.1f} GB free on {device}: use fewer, or fewer new tokens.",
        )
        rows = settings.num_return_sequences
    raise InvalidSettingsError(
        message.fill(
            rows=rows,
            new_tokens=settings.max_new_tokens,
            needed_gb=needed / 2**30,
            free_gb=free / 2**30,
            device=loaded.device.type,
        )
    )


def generate(
    loaded: LoadedModel, request: GenerationRequest, cancel: CancelToken | None = None
) -> Generator[TokenEvent | BeamProgress, None, GenerationResult]:
    """Stream a generation: TokenEvents (BeamProgress in beam mode), then the result.

    Stopping (the cancel token) ends the run within one token and returns the
    partial text with ``stopped=True``. Holds ``loaded.lock`` while running.
    """
    settings = request.settings
    settings.validate()
    require_generator(loaded.entry.name, loaded.can_generate)
    prompt_ids = prompt_token_ids(loaded, request)
    prefill_length = len(prefill_token_ids(loaded, request))
    answer_start = prefill_text(loaded, request, prompt_ids)
    cancel = cancel or CancelToken()
    tokenizer = loaded.tokenizer
    config = to_generation_config(settings, tokenizer)
    beam = settings.mode == "beam"
    seed = None  # only a draw has one: greedy and beam search report none, whatever their settings hold
    if settings.mode == "sample":
        seed = random.randint(0, MAX_SEED) if settings.seed is None else settings.seed
    stop_strings = settings.stop_strings
    eos_token_ids = _eos_token_ids(loaded, config)
    # generate stops where the engine does, also when only the tokenizer names the end (models trained here)
    config.eos_token_id = eos_token_ids or None
    _check_memory(loaded, settings, len(prompt_ids))

    with loaded.lock:
        model = loaded.model
        device = loaded.device
        outbox: queue.Queue = queue.Queue()
        abandon = threading.Event()  # set when the consumer goes away early
        stop_criteria = stop_string_criteria(tokenizer, stop_strings) if stop_strings else None
        config.stop_strings = None  # given to generate as ``stop_criteria``, which it would otherwise build again
        chain = None
        if not beam:  # beams keep transformers' own processors: each beam's chain is not one token's story
            chain = SamplerChain(chain_stages(settings, len(prompt_ids), eos_token_ids, device), record=request.trace)
            config = without_chain(config)
        attention = _live_attention(model) if request.live_attention and not beam else None
        watcher = _StepWatcher(
            chain=chain,
            attention=attention,
            max_steps=settings.max_new_tokens,
            prompt_length=len(prompt_ids),
            outbox=outbox,
            cancel=cancel,
            abandon=abandon,
            eos_token_ids=eos_token_ids,
            stop_criteria=None if beam else stop_criteria,
        )
        input_ids = torch.tensor([prompt_ids], dtype=torch.long, device=device)  # (1, T)
        if beam:
            # Beams are reordered every step: keep every step's distributions and
            # pick each final beam's rows at the end (beam_indices).
            config.update(return_dict_in_generate=True, output_scores=True, output_logits=True)
        started = time.perf_counter()

        def run_generate() -> None:
            blocks = decoder_blocks(model)
            interrupt = watcher.interrupt_while_reading_the_prompt if beam else watcher.interrupt_if_stopping
            if attention is not None:
                attention.attach()
            # A draw holds the process's random stream from its seed to its last token: a run training meanwhile
            # on another thread draws its dropout from the same one (``random_stream``).
            drawn = process_random_stream(watcher.interrupt_if_stopping) if seed is not None else nullcontext()
            try:
                with (drawn, torch.inference_mode(), checked_before_each(blocks, interrupt),
                      model_settings_limited_to_tokens(model)):
                    if seed is not None:
                        torch.manual_seed(seed)
                    output = model.generate(
                        input_ids=input_ids,
                        attention_mask=torch.ones_like(input_ids),
                        generation_config=config,
                        logits_processor=LogitsProcessorList([] if beam else [chain]),
                        stopping_criteria=StoppingCriteriaList([watcher, *([stop_criteria] if stop_criteria else [])]),
                    )
                outbox.put(_Finished(output=output))
            except BaseException as error:  # handed to the job's thread and raised there
                outbox.put(_Finished(error=error))
            finally:
                if attention is not None:
                    attention.detach()

        worker = threading.Thread(target=run_generate, name="workbench-generate", daemon=True)
        worker.start()
        token_texts = _TokenTexts(tokenizer)
        builders = [
            _SequenceBuilder(index, token_texts, prompt_ids[-_DECODE_CONTEXT:])
            for index in range(settings.num_return_sequences)
        ]
        try:
            while True:
                item = outbox.get()
                if isinstance(item, _Finished):
                    break
                if isinstance(item, (BeamProgress, AttentionRows)):
                    yield item
                else:
                    yield from _events_for_step(item, builders, token_texts)
        finally:
            abandon.set()
            worker.join()
        elapsed = time.perf_counter() - started

    # Sampling fails on NaN probabilities before the watcher sees the step; beams carry on from them.
    # Only torch's sampling error is checked against the scores: any other (out of memory, a CUDA fault)
    # must not be masked, nor answered by more work on the device.
    sampling_failed = isinstance(item.error, RuntimeError) and "probability tensor" in str(item.error)
    if isinstance(item.error, _NotFinite) or (sampling_failed and chain is not None and _not_finite(chain.raw)):
        raise loaded.not_finite()
    if beam and item.error is None and any(_not_finite(step) for step in item.output.logits):
        raise loaded.not_finite()
    if item.error is not None and not isinstance(item.error, _Interrupted):
        if is_out_of_memory(item.error):
            raise WorkbenchError(
                QT_TRANSLATE_NOOP(
                    "Errors", "The model ran out of memory: lower max new tokens, beams or return sequences."
                )
            )
        raise item.error
    if beam and item.output is None:  # stopped while the prompt was read: no beam has a token yet
        sequences = [builder.result(stop_strings, answer_start) for builder in builders]
    elif beam:
        sequences = _beam_sequences(item.output, tokenizer, prompt_ids, stop_strings, request.trace, answer_start)
    else:
        sequences = [builder.result(stop_strings, answer_start) for builder in builders]
    generated = sum(len(sequence.token_ids) for sequence in sequences)
    first = watcher.first_token_time
    return GenerationResult(
        prompt_token_ids=tuple(prompt_ids),
        sequences=tuple(sequences),
        time_to_first_token_s=None if first is None or beam else first - started,
        tokens_per_s=generated / elapsed if elapsed > 0 else 0.0,
        elapsed_s=elapsed,
        stopped=cancel.cancelled,
        seed=seed,
        prefill_text=answer_start,
        prefill_length=prefill_length,
    )


def _beam_sequences(
    output, tokenizer, prompt_ids: list[int], stop_strings: Sequence[str], trace: bool, prefill_text: str
) -> list[SequenceResult]:
    """Rebuild each returned beam with the probabilities of its tokens at the step it chose them."""
    prompt_length = len(prompt_ids)
    token_texts = _TokenTexts(tokenizer)
    sequences = []
    for row, beam_rows in enumerate(output.beam_indices):  # beam_rows: (steps,), -1 after the beam ended
        steps = int((beam_rows >= 0).sum())
        chosen = output.sequences[row, prompt_length : prompt_length + steps]  # (S,)
        raw = torch.stack([output.logits[step][beam_rows[step]] for step in range(steps)])  # (S, V)
        processed = torch.stack([output.scores[step][beam_rows[step]] for step in range(steps)])  # (S, V)
        # Each step of this beam is one row here.
        numbers = _step_numbers(0, raw, processed, chosen, [True] * steps)
        raw_trace = trace_numbers(raw, [], chosen) if trace else None  # the chain does not apply to beams
        alternative_ids = [alt for alternatives in numbers.alternative_ids for alt in alternatives]
        texts = token_texts.texts(alternative_ids + _trace_ids(raw_trace, range(steps)))
        builder = _SequenceBuilder(row, token_texts, prompt_ids[-_DECODE_CONTEXT:])
        for step in range(steps):
            here = builder.texts_here(texts, list(numbers.alternative_ids[step]) + _trace_ids(raw_trace, [step]))
            step_trace = None if raw_trace is None else _row_trace(raw_trace, step, here, beam=True)
            builder.add(numbers, step, step, [here[alt] for alt in numbers.alternative_ids[step]], step_trace)
        sequences.append(builder.result(stop_strings, prefill_text))
    return sequences
