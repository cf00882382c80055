"""Decoding settings: how the next token is chosen. Validated with plain messages and
mapped to a transformers ``GenerationConfig`` in one place (``to_generation_config``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from transformers import GenerationConfig

from workbench.core.errors import InvalidSettingsError
from workbench.core.transformers_helpers import pad_token_id

DecodingMode = Literal["greedy", "sample", "beam"]
MODES: tuple[str, ...] = ("greedy", "sample", "beam")
# torch.manual_seed takes any 64-bit value; keep to 32 bits so seeds are easy to type and share.
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class DecodingSettings:
    """Every knob of one generation. Filters at their neutral value are off
    (top-k 0, top-p 1, min-p 0, typical-p 1, repetition penalty 1, no-repeat n-gram 0)."""

    mode: DecodingMode = "sample"
    temperature: float = 0.7
    top_k: int = 50
    top_p: float = 0.9
    min_p: float = 0.0
    typical_p: float = 1.0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    max_new_tokens: int = 128
    min_new_tokens: int = 0
    num_return_sequences: int = 1
    num_beams: int = 4  # used in beam mode only
    seed: int | None = None  # None: a fresh seed each run (reported in the result)
    stop_strings: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        """Every reason these settings cannot be used, one sentence each; [] when valid."""
        found: list[str] = []
        if self.mode not in MODES:
            found.append(f"decoding mode must be one of {', '.join(MODES)} (got {self.mode!r})")
        if not self.temperature > 0:
            found.append("temperature must be greater than 0")
        if not (isinstance(self.top_k, int) and self.top_k >= 0):
            found.append("top-k must be a whole number, 0 or more (0 turns it off)")
        if not 0 < self.top_p <= 1:
            found.append("top-p must be in (0, 1]")
        if not 0 <= self.min_p <= 1:
            found.append("min-p must be in [0, 1]")
        if not 0 < self.typical_p <= 1:
            found.append("typical-p must be in (0, 1]")
        if not self.repetition_penalty > 0:
            found.append("repetition penalty must be greater than 0 (1 turns it off)")
        if self.no_repeat_ngram_size < 0:
            found.append("no-repeat n-gram size must be 0 or more (0 turns it off)")
        if self.max_new_tokens < 1:
            found.append("max new tokens must be at least 1")
        if not 0 <= self.min_new_tokens <= max(self.max_new_tokens, 0):
            found.append("min new tokens must be between 0 and max new tokens")
        if self.num_return_sequences < 1:
            found.append("number of return sequences must be at least 1")
        elif self.mode == "greedy" and self.num_return_sequences > 1:
            found.append("greedy decoding gives one answer: use sampling or beam search for several sequences")
        if self.mode == "beam":
            if self.num_beams < 2:
                found.append("beam search needs at least 2 beams")
            elif self.num_return_sequences > self.num_beams:
                found.append("number of return sequences cannot exceed the number of beams")
        if self.seed is not None and not 0 <= self.seed <= MAX_SEED:
            found.append(f"seed must be between 0 and {MAX_SEED}")
        if any(not stop for stop in self.stop_strings):
            found.append("stop strings cannot be empty")
        return found

    def validate(self) -> None:
        found = self.problems()
        if found:
            message = "; ".join(found)
            raise InvalidSettingsError(message[0].upper() + message[1:] + ".")


PRESETS: dict[str, DecodingSettings] = {
    "Greedy": DecodingSettings(mode="greedy"),
    "Balanced": DecodingSettings(mode="sample", temperature=0.7, top_k=50, top_p=0.9, repetition_penalty=1.1),
    "Creative": DecodingSettings(mode="sample", temperature=1.1, top_k=0, top_p=0.95, min_p=0.05),
    "Beam search": DecodingSettings(mode="beam", num_beams=4, no_repeat_ngram_size=3),
}


def to_generation_config(settings: DecodingSettings, tokenizer) -> GenerationConfig:
    """The one place where our settings become a transformers GenerationConfig.

    Neutral values are written out explicitly so that a model's own defaults
    (its generation_config.json) never switch on a filter the user turned off.
    """
    settings.validate()
    sampling = settings.mode == "sample"
    return GenerationConfig(
        do_sample=sampling,
        num_beams=settings.num_beams if settings.mode == "beam" else 1,
        num_return_sequences=settings.num_return_sequences,
        max_new_tokens=settings.max_new_tokens,
        min_new_tokens=settings.min_new_tokens or None,
        # Sampling filters are left unset unless sampling: greedy and beam search ignore
        # them, and transformers warns about flags that have no effect.
        temperature=settings.temperature if sampling else None,
        top_k=settings.top_k if sampling else None,
        top_p=settings.top_p if sampling else None,
        min_p=settings.min_p if sampling and settings.min_p > 0 else None,
        typical_p=settings.typical_p if sampling else None,
        repetition_penalty=settings.repetition_penalty,
        no_repeat_ngram_size=settings.no_repeat_ngram_size,
        stop_strings=list(settings.stop_strings) or None,
        pad_token_id=pad_token_id(tokenizer),
    )
