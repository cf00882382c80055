"""Capture the attention weights of every layer and head, aggregate them, export them.

Capture runs one forward pass with eager attention and forward hooks on the same
attention modules that transformers' ``output_attentions`` reads (the model's
``_can_record_outputs``). Each hook copies its layer's weights to the CPU as soon as
they exist, already in the stored dtype, so the full fp32 set never piles up on the
device: a 1,024-token SmolLM2 capture keeps 0.57 GB of fp16 instead of 1.13 GB of fp32.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Generator, Literal, Sequence

import numpy as np

from workbench.core.atomic import write_bytes_atomic, write_text_atomic
from workbench.core.attention_tokens import TokenSequence, token_sequence
from workbench.core.errors import InvalidInputError, InvalidSettingsError
from workbench.core.generation_data import chat_messages
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text
from workbench.core.jobs import CancelToken
from workbench.core.model_parts import attention_targets
from workbench.core.settings_fields import DescribedSettings, setting

HeadView = int | Literal["mean", "max", "rollout"]
HEAD_AGGREGATIONS = ("mean", "max", "rollout")

GIB = 1024**3
MIB = 1024**2

# Names of the attention sets; an encoder-decoder model has three, the others one.
SELF, ENCODER, DECODER, CROSS = "self", "encoder", "decoder", "cross"


@dataclass(frozen=True)
class CaptureSettings(DescribedSettings):
    # Up to this size the weights are kept exactly (fp32); above it as fp16 (half the memory, ~1e-3 error).
    fp32_limit_bytes: int = setting(
        512 * MIB,
        label=QT_TRANSLATE_NOOP("CaptureSettings", "Exact (fp32) capture limit"),
        minimum=0,
        help=QT_TRANSLATE_NOOP(
            "CaptureSettings",
            "Captures up to this many bytes keep the attention weights exactly; bigger ones keep them as fp16.",
        ),
    )
    # A capture that would need more than this (after fp16) is refused before it starts.
    max_bytes: int = setting(
        4 * GIB,
        label=QT_TRANSLATE_NOOP("CaptureSettings", "Capture memory limit"),
        minimum=1,
        help=QT_TRANSLATE_NOOP(
            "CaptureSettings", "A capture that would need more bytes than this is refused before it starts."
        ),
    )


@dataclass(frozen=True)
class CaptureEstimate:
    """How much memory a capture will keep, known before it runs (the panel shows it)."""

    tokens: int
    layers: int
    heads: int
    fp32_bytes: int
    stored_bytes: int
    stored_dtype: str  # "float32" or "float16"

    def describe(self) -> Text:
        return QT_TRANSLATE_NOOP(
            "CaptureEstimate", "{tokens} tokens, {layers} layers × {heads} heads: {size} as {dtype}"
        ).fill(
            tokens=self.tokens, layers=self.layers, heads=self.heads, size=format_bytes(self.stored_bytes),
            dtype=self.stored_dtype,
        )


@dataclass(frozen=True)
class CaptureProgress:
    layers_done: int
    layers_total: int


@dataclass(frozen=True, eq=False)
class AttentionMap:
    """One set of attention weights: ``weights`` is (layers, heads, queries, keys)."""

    name: str  # SELF, ENCODER, DECODER or CROSS
    weights: np.ndarray  # (L, H, Tq, Tk), float32 or float16
    queries: TokenSequence
    keys: TokenSequence

    @property
    def layers(self) -> int:
        return self.weights.shape[0]

    @property
    def heads(self) -> int:
        return self.weights.shape[1]

    @cached_property
    def causal(self) -> bool:
        """True when a query never sees later keys (decoders): the panel leaves that triangle empty."""
        first = self.weights[0, 0]  # (Tq, Tk)
        return first.shape[0] == first.shape[1] and not np.triu(first, k=1).any()

    @cached_property
    def _rollouts(self) -> np.ndarray:
        return attention_rollout(self.weights)  # (L, T, T), computed once on first use

    def matrix(self, layer: int, view: HeadView) -> np.ndarray:
        """The (Tq, Tk) float32 matrix shown for ``layer`` and a head index or an aggregation."""
        if not 0 <= layer < self.layers:
            raise InvalidSettingsError(
                QT_TRANSLATE_NOOP("Errors", "Layer {layer} does not exist: this model has layers 0 to {last}.").fill(
                    layer=layer, last=self.layers - 1
                )
            )
        if view == "rollout":
            if self.name == CROSS:
                raise InvalidSettingsError(
                    QT_TRANSLATE_NOOP("Errors", "Rollout needs self-attention; cross-attention mixes two sequences.")
                )
            return self._rollouts[layer]
        return head_matrix(self.weights[layer], view)


@dataclass(frozen=True, eq=False)
class AttentionCapture:
    model_name: str
    maps: tuple[AttentionMap, ...]  # (SELF,) or (ENCODER, DECODER, CROSS)
    stored_dtype: str
    elapsed_s: float

    def map(self, name: str) -> AttentionMap:
        for attention_map in self.maps:
            if attention_map.name == name:
                return attention_map
        raise KeyError(name)

    @property
    def main(self) -> AttentionMap:
        """The self-attention over the input: what a decoder or encoder shows first."""
        return self.maps[0]

    def nbytes(self) -> int:
        return sum(m.weights.nbytes for m in self.maps)


# --- aggregation ------------------------------------------------------------------


def head_matrix(layer_weights: np.ndarray, view: HeadView) -> np.ndarray:
    """One head, or the mean or max over heads, of a (H, Tq, Tk) layer as float32."""
    if view == "mean":
        return layer_weights.mean(axis=0, dtype=np.float32)
    if view == "max":
        return layer_weights.max(axis=0).astype(np.float32)
    if isinstance(view, (int, np.integer)) and 0 <= view < layer_weights.shape[0]:
        return layer_weights[view].astype(np.float32)
    raise InvalidSettingsError(
        QT_TRANSLATE_NOOP("Errors", "Unknown head '{view}': use a head number 0 to {last}, mean, max or rollout.").fill(
            view=view, last=layer_weights.shape[0] - 1
        )
    )


def attention_rollout(weights: np.ndarray) -> np.ndarray:
    """Abnar & Zuidema's rollout after every layer: R_l = Â_l · R_(l-1), where
    Â = rows renormalised (0.5·mean over heads + 0.5·I), which accounts for the residual path."""
    layers, _, tokens, _ = weights.shape
    identity = np.eye(tokens, dtype=np.float32)
    rollouts = np.empty((layers, tokens, tokens), dtype=np.float32)  # (L, T, T)
    current = identity
    for layer in range(layers):
        mixed = 0.5 * weights[layer].mean(axis=0, dtype=np.float32) + 0.5 * identity  # (T, T)
        mixed /= mixed.sum(axis=-1, keepdims=True)
        current = mixed @ current  # (T, T)
        rollouts[layer] = current
    return rollouts


def parse_head_view(text: str) -> HeadView:
    """A head number or 'mean' / 'max' / 'rollout', as typed on the command line."""
    text = text.strip().lower()
    if text in HEAD_AGGREGATIONS:
        return text  # type: ignore[return-value]
    try:
        return int(text)
    except ValueError:
        raise InvalidSettingsError(
            QT_TRANSLATE_NOOP("Errors", "Unknown head '{text}': use a head number, mean, max or rollout.").fill(
                text=text
            )
        ) from None


# --- capture ----------------------------------------------------------------------


def format_bytes(count: int) -> str:
    return f"{count / GIB:.2f} GB" if count >= GIB else f"{count / MIB:.1f} MB"


def _config_value(config, *names: str) -> int | None:
    for source in (config, config.get_text_config()):
        for name in names:
            value = getattr(source, name, None)
            if isinstance(value, int) and value > 0:
                return value
    return None


def _set_names(model, targets: list[tuple[str, object, int]]) -> list[str]:
    """The attention set each target feeds: SELF, or ENCODER/DECODER/CROSS for encoder-decoder models."""
    if not getattr(model.config, "is_encoder_decoder", False):
        return [CROSS if key == "cross_attentions" else SELF for key, _, _ in targets]
    encoder_modules = {id(m) for m in model.get_encoder().modules()}
    return [
        CROSS if key == "cross_attentions" else ENCODER if id(module) in encoder_modules else DECODER
        for key, module, _ in targets
    ]


@dataclass
class _Recorder:
    """Receives each layer's weights from a hook and stores them on the CPU in the chosen dtype."""

    layer_counts: dict[str, int]
    dtype: np.dtype
    cancel: CancelToken
    on_progress: Callable[[CaptureProgress], None] | None
    stored: dict[str, np.ndarray] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)

    def __call__(self, set_name: str, weights) -> None:
        import torch

        self.cancel.raise_if_cancelled()  # stops the forward pass between layers
        layer_weights = weights[0].detach()  # (H, Tq, Tk): batch of one
        if set_name not in self.stored:
            shape = (self.layer_counts[set_name], *layer_weights.shape)
            self.stored[set_name] = np.empty(shape, dtype=self.dtype)  # (L, H, Tq, Tk)
        torch_dtype = torch.float16 if self.dtype == np.float16 else torch.float32
        layer = self.filled.get(set_name, 0)
        self.stored[set_name][layer] = layer_weights.to("cpu", torch_dtype).numpy()
        self.filled[set_name] = layer + 1
        if self.on_progress is not None:
            done = sum(self.filled.values())
            self.on_progress(CaptureProgress(done, sum(self.layer_counts.values())))


def _unpack(source) -> tuple[object, object, object]:
    """(model, tokenizer, lock or None) from a LoadedModel or a (model, tokenizer) pair."""
    if isinstance(source, tuple):
        model, tokenizer = source
        return model, tokenizer, None
    return source.model, source.tokenizer, source.lock


def _decoder_start(model, decoder_input_ids: Sequence[int] | None) -> list[int]:
    start = getattr(model.config, "decoder_start_token_id", None)
    ids = list(decoder_input_ids or [])
    if start is not None and (not ids or ids[0] != start):
        ids = [start, *ids]
    if not ids:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "This encoder-decoder model has no decoder start token: give decoder tokens.")
        )
    return ids


def _check_length(model, input_ids: Sequence[int]) -> None:
    if len(input_ids) == 0:
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "The text is empty: there is nothing to read."))
    limit = _config_value(model.config, "max_position_embeddings", "n_positions", "max_sequence_length")
    if limit is not None and len(input_ids) > limit:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "The text is {count} tokens long; this model reads at most {limit}.").fill(
                count=len(input_ids), limit=limit
            )
        )


def estimate_capture(
    source,
    input_ids: Sequence[int],
    decoder_input_ids: Sequence[int] | None = None,
    settings: CaptureSettings = CaptureSettings(),
) -> CaptureEstimate:
    """Size of a capture before running it; raises InvalidInputError when it is over the limit."""
    settings.validate()
    model, _, _ = _unpack(source)
    _check_length(model, input_ids)
    targets = attention_targets(model)
    names = _set_names(model, targets)
    heads = _config_value(model.config, "num_attention_heads", "num_heads", "n_head") or 1
    if not targets:  # no hooks known: the capture falls back to output_attentions
        names = [SELF] * (_config_value(model.config, "num_hidden_layers", "num_layers", "n_layer") or 1)
    encoder_tokens = len(input_ids)
    decoder_tokens = len(_decoder_start(model, decoder_input_ids)) if ENCODER in names else 0
    sizes = {
        SELF: encoder_tokens**2,
        ENCODER: encoder_tokens**2,
        DECODER: decoder_tokens**2,
        CROSS: decoder_tokens * encoder_tokens,
    }
    fp32 = sum(heads * sizes[name] * 4 for name in names)
    dtype = "float32" if fp32 <= settings.fp32_limit_bytes else "float16"
    stored = fp32 if dtype == "float32" else fp32 // 2
    if stored > settings.max_bytes:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "Capturing {count} tokens needs {size}, over the {limit} limit: use a shorter text."
            ).fill(count=len(input_ids), size=format_bytes(stored), limit=format_bytes(settings.max_bytes))
        )
    layers = names.count(SELF) or names.count(ENCODER)
    return CaptureEstimate(len(input_ids), layers, heads, fp32, stored, dtype)


class _EagerAttention:
    """Switch a model to eager attention for the capture (SDPA returns no weights), then back."""

    def __init__(self, model) -> None:
        self.model = model
        self.previous = getattr(model.config, "_attn_implementation", "eager")

    def __enter__(self) -> None:
        if self.previous != "eager":
            self.model.set_attn_implementation("eager")

    def __exit__(self, *exc) -> None:
        if self.previous != "eager":
            self.model.set_attn_implementation(self.previous)


def _forward_inputs(model, input_ids: list[int], decoder_ids: list[int] | None) -> dict:
    import torch

    device = next(model.parameters()).device
    inputs = {"input_ids": torch.tensor([input_ids], device=device)}  # (1, T)
    if decoder_ids is not None:
        inputs["decoder_input_ids"] = torch.tensor([decoder_ids], device=device)  # (1, Td)
    if getattr(model.config, "use_cache", False):
        inputs["use_cache"] = False
    return inputs


def _run_forward(model, inputs: dict, targets, names, recorder: _Recorder) -> None:
    import torch

    def hook_for(set_name: str, index: int):
        def hook(module, args, output) -> None:
            weights = output[index] if isinstance(output, tuple) else output
            if weights is not None:
                recorder(set_name, weights)

        return hook

    handles = [module.register_forward_hook(hook_for(name, index)) for (_, module, index), name in zip(targets, names)]
    # The base model skips the language-model head: no (T, vocab) logits to hold.
    runner = model if getattr(model.config, "is_encoder_decoder", False) else model.base_model
    try:
        with torch.inference_mode(), _EagerAttention(model):
            runner(**inputs)
    finally:
        for handle in handles:
            handle.remove()


def _run_output_attentions(model, inputs: dict, recorder: _Recorder) -> None:
    """For models without ``_can_record_outputs`` (custom architectures): ask for output_attentions."""
    import torch

    with torch.inference_mode(), _EagerAttention(model):
        outputs = model(**inputs, output_attentions=True)
    attentions = getattr(outputs, "attentions", None)
    if not attentions:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "This model does not report attention weights (it may have no attention layers)."
            )
        )
    for layer_weights in attentions:
        recorder(SELF, layer_weights)


def capture_attention(
    source,
    input_ids: Sequence[int],
    *,
    decoder_input_ids: Sequence[int] | None = None,
    settings: CaptureSettings = CaptureSettings(),
    cancel: CancelToken | None = None,
    on_progress: Callable[[CaptureProgress], None] | None = None,
) -> AttentionCapture:
    """Attention weights of every layer and head for ``input_ids`` on a LoadedModel (its lock is
    held) or a (model, tokenizer) pair. Encoder-decoder models also read ``decoder_input_ids``
    (the decoder start token is added when missing). ``on_progress`` is called after each layer,
    on the calling thread; ``cancel`` is checked between layers."""
    model, tokenizer, lock = _unpack(source)
    cancel = cancel or CancelToken()
    started = time.perf_counter()
    input_ids = [int(i) for i in input_ids]
    estimate = estimate_capture(source, input_ids, decoder_input_ids, settings)
    encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
    decoder_ids = _decoder_start(model, decoder_input_ids) if encoder_decoder else None
    targets = attention_targets(model)
    names = _set_names(model, targets)
    counts = {name: names.count(name) for name in names} or {SELF: estimate.layers}
    recorder = _Recorder(counts, np.dtype(estimate.stored_dtype), cancel, on_progress)
    inputs = _forward_inputs(model, input_ids, decoder_ids)
    if lock is not None:
        lock.acquire()
    try:
        if targets:
            _run_forward(model, inputs, targets, names, recorder)
        else:
            _run_output_attentions(model, inputs, recorder)
    finally:
        if lock is not None:
            lock.release()
    if not recorder.stored:
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "This model produced no attention weights to capture."))
    encoder_tokens = token_sequence(tokenizer, input_ids)
    decoder_tokens = token_sequence(tokenizer, decoder_ids) if decoder_ids is not None else encoder_tokens
    token_pairs = {
        SELF: (encoder_tokens, encoder_tokens),
        ENCODER: (encoder_tokens, encoder_tokens),
        DECODER: (decoder_tokens, decoder_tokens),
        CROSS: (decoder_tokens, encoder_tokens),
    }
    order = [name for name in (SELF, ENCODER, DECODER, CROSS) if name in recorder.stored]
    maps = tuple(AttentionMap(name, recorder.stored[name], *token_pairs[name]) for name in order)
    model_name = getattr(getattr(source, "entry", None), "name", None) or type(model).__name__
    return AttentionCapture(model_name, maps, estimate.stored_dtype, time.perf_counter() - started)


def capture_job(
    source,
    input_ids: Sequence[int],
    *,
    decoder_input_ids: Sequence[int] | None = None,
    settings: CaptureSettings = CaptureSettings(),
    cancel: CancelToken | None = None,
    on_progress: Callable[[CaptureProgress], None] | None = None,
) -> Generator[CaptureEstimate, None, AttentionCapture]:
    """The capture as a job: first yields the size estimate (so a panel can show it while the
    forward pass runs), then returns the capture."""
    yield estimate_capture(source, input_ids, decoder_input_ids, settings)
    return capture_attention(
        source,
        input_ids,
        decoder_input_ids=decoder_input_ids,
        settings=settings,
        cancel=cancel,
        on_progress=on_progress,
    )


# --- export -----------------------------------------------------------------------

# NPZ layout. Decoder or encoder models: ``attentions`` (L, H, T, T), ``tokens``, ``token_ids``,
# ``special``. Encoder-decoder models: ``attentions`` is the encoder self-attention over
# ``tokens``; ``decoder_attentions`` (L, H, Td, Td) is over ``decoder_tokens``;
# ``cross_attentions`` (L, H, Td, T) has decoder queries and encoder keys.
_NPZ_NAMES = {SELF: "attentions", ENCODER: "attentions", DECODER: "decoder_attentions", CROSS: "cross_attentions"}


def npz_arrays(capture: AttentionCapture) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for attention_map in capture.maps:
        arrays[_NPZ_NAMES[attention_map.name]] = attention_map.weights
    main = capture.main.queries
    arrays.update(
        tokens=np.array(main.labels, dtype=str),
        token_ids=np.array(main.ids, dtype=np.int64),
        special=np.array(main.special, dtype=bool),
    )
    if len(capture.maps) > 1:
        decoder = capture.map(DECODER).queries
        arrays.update(
            decoder_tokens=np.array(decoder.labels, dtype=str),
            decoder_token_ids=np.array(decoder.ids, dtype=np.int64),
            decoder_special=np.array(decoder.special, dtype=bool),
        )
    return arrays


def save_npz(capture: AttentionCapture, path: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **npz_arrays(capture))  # uncompressed: a 0.5 GB capture saves in a second
    write_bytes_atomic(Path(path), buffer.getvalue())


def save_matrix_csv(matrix: np.ndarray, queries: Sequence[str], keys: Sequence[str], path: Path) -> None:
    """The matrix shown, with a header row of key tokens and a first column of query tokens."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["query \\ key", *keys])
    for label, row in zip(queries, matrix):
        writer.writerow([label, *("" if np.isnan(v) else f"{v:.6g}" for v in row)])
    write_text_atomic(Path(path), text.getvalue())


def text_token_ids(loaded, text: str, chat: bool = False) -> list[int]:
    """The ids to capture for ``text``: raw, or as a user turn in the model's chat template.
    (Unlike a generation prompt: no system prompt and no room kept for new tokens.)"""
    if not text.strip():
        raise InvalidInputError(QT_TRANSLATE_NOOP("Errors", "The text is empty: there is nothing to read."))
    tokenizer = loaded.tokenizer
    if not chat:
        return list(tokenizer(text)["input_ids"])
    if not loaded.has_chat_template:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{model} has no chat template: capture the raw text instead.").fill(
                model=loaded.entry.name
            )
        )
    encoded = tokenizer.apply_chat_template(
        chat_messages(text), add_generation_prompt=True, tokenize=True, return_dict=True
    )
    return list(encoded["input_ids"])
