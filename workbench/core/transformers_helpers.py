"""How the workbench uses transformers' defaults, in one place for loading, decoding and training."""

from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager
from typing import Iterator

import numpy as np

# transformers resolves its names lazily, module by module. Two threads importing it at once can each
# meet the other's half-imported modules ("cannot import name 'GenerationConfig' from 'transformers'"),
# so the first imports (a model load, an inspector panel built while it loads) take turns.
_importing = threading.RLock()


@contextmanager
def imports_in_turn() -> Iterator[None]:
    """Import torch or transformers inside this block: no other thread imports through it meanwhile."""
    with _importing:
        yield


# transformers builds a model by patching class-wide state for the length of the build: ``from_pretrained``
# switches ``PreTrainedModel.tie_weights`` off and sets torch's default dtype. Two builds on two threads
# interleave those patches: one can restore the other's "off", and from then on no tied model ties its
# output layer (its ``lm_head`` stays on the meta device, or trains untied). So models are built in turn.
_building = threading.RLock()


@contextmanager
def models_built_in_turn() -> Iterator[None]:
    """Build (load, convert, construct or wrap) a model inside this block: no other thread builds one meanwhile."""
    with _building:
        yield


def quiet_transformers() -> None:
    """Library warnings and progress bars ("Loading weights", "writing shards") go to the log,
    not onto the person's terminal, where they would garble the CLI's output."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    # peft asks the model through a name transformers 5 deprecates; the person can do nothing about it.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


def pad_token_id(tokenizer) -> int | None:
    """The tokenizer's padding token, or its end-of-text token for the many causal LMs that have none."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def unknown_token_count(tokenizer, ids) -> int:
    """How many of ``ids`` are the tokenizer's unknown token: text it has no token for (a character-level model
    trained on Chinese poems reading English). 0 where the unknown token doubles as another special token."""
    unknown = tokenizer.unk_token_id
    if unknown is None or unknown in {tokenizer.eos_token_id, tokenizer.bos_token_id, tokenizer.pad_token_id}:
        return 0
    return int(np.count_nonzero(np.asarray(ids) == unknown))


def leading_special_ids(tokenizer) -> list[int]:
    """The ids the tokenizer puts before any text it encodes: the start-of-text token of Llama or Gemma,
    which those models read first in training and expect there; none for GPT-2, SmolLM2 or the
    tokenizers trained here."""
    plain = list(tokenizer("a", add_special_tokens=False)["input_ids"])
    marked = list(tokenizer("a")["input_ids"])
    for start in range(len(marked) - len(plain) + 1):
        if plain and marked[start : start + len(plain)] == plain:
            return marked[:start]
    return []


@contextmanager
def fused_attention(model) -> Iterator[None]:
    """While the context lasts (the model's lock held), a model loaded with eager attention (for the
    attention pages) runs transformers' fused kernel (SDPA) instead, where its class has one: work that
    reads no attention weights (perplexity) then keeps no (T, T) score matrix per head."""
    if getattr(model.config, "_attn_implementation", None) != "eager" or not getattr(model, "_supports_sdpa", False):
        yield
        return
    model.set_attn_implementation("sdpa")
    try:
        yield
    finally:
        model.set_attn_implementation("eager")


def context_length_of(model, tokenizer) -> int | None:
    """Longest sequence ``model`` was built for, or None when neither it nor its tokenizer says."""
    config = model.config
    for name in ("max_position_embeddings", "n_positions", "block_size", "max_sequence_length"):
        value = getattr(config, name, None) or getattr(config.get_text_config(), name, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < 10**7 else None


# What ``generate`` may take from a model's own generation_config.json: its special tokens (a translation model's
# forced first token names the target language) and cache. transformers fills every setting the request's config
# leaves unset from there, and a filter of the model's (a repetition penalty, suppress_tokens, a temperature...)
# would act on every token unseen: outside the chain the trace shows, and in greedy (the engine's, a training
# probe's), which takes the likeliest token of the model's own scores.
_TAKEN_FROM_THE_MODEL = (
    "bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id", "forced_bos_token_id",
    "cache_implementation",
)


@contextmanager
def model_settings_limited_to_tokens(model) -> Iterator[None]:
    """While the context lasts (no other thread generating with ``model``), its generation config keeps only
    its tokens, so a ``generate`` call does exactly what its own config says."""
    from transformers import GenerationConfig

    own = getattr(model, "generation_config", None)
    if own is None:  # not a transformers model: nothing of its own to leak
        yield
        return
    kept = {name: getattr(own, name) for name in _TAKEN_FROM_THE_MODEL if getattr(own, name, None) is not None}
    model.generation_config = GenerationConfig(**kept)
    try:
        yield
    finally:
        model.generation_config = own
