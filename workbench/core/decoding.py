"""Decoding settings: how the next token is chosen. Validated with plain messages and
mapped to a transformers ``GenerationConfig`` in one place (``to_generation_config``)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.settings_fields import ESCAPED, DescribedSettings, Problem, setting, settings_to_data
from workbench.core.transformers_helpers import pad_token_id

if TYPE_CHECKING:
    from transformers import GenerationConfig

DecodingMode = Literal["greedy", "sample", "beam"]
# The sampler chain's stages, in the order transformers applies them (GenerationMixin._get_logits_processor).
SAMPLER_STAGES: dict[str, str] = {
    "repetition_penalty": QT_TRANSLATE_NOOP("DecodingSettings", "Repetition penalty"),
    "no_repeat_ngram": QT_TRANSLATE_NOOP("DecodingSettings", "No-repeat n-gram"),
    "min_new_tokens": QT_TRANSLATE_NOOP("DecodingSettings", "Min new tokens"),
    "temperature": QT_TRANSLATE_NOOP("DecodingSettings", "Temperature"),
    "top_k": QT_TRANSLATE_NOOP("DecodingSettings", "Top-k"),
    "top_p": QT_TRANSLATE_NOOP("DecodingSettings", "Top-p"),
    "min_p": QT_TRANSLATE_NOOP("DecodingSettings", "Min-p"),
    "typical_p": QT_TRANSLATE_NOOP("DecodingSettings", "Typical-p"),
}
# torch.manual_seed takes any 64-bit value; keep to 32 bits so seeds are easy to type and share.
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class DecodingSettings(DescribedSettings):
    """Every knob of one generation. Filters at their neutral value are off
    (top-k 0, top-p 1, min-p 0, typical-p 1, repetition penalty 1, no-repeat n-gram 0)."""

    mode: DecodingMode = setting(
        "sample",
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Mode"),
        choices={
            "greedy": QT_TRANSLATE_NOOP("DecodingSettings", "Greedy"),
            "sample": QT_TRANSLATE_NOOP("DecodingSettings", "Sample"),
            "beam": QT_TRANSLATE_NOOP("DecodingSettings", "Beam search"),
        },
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "How the next token is chosen from the model's probabilities. Greedy: always take the single "
            "likeliest token (same prompt, same answer). Sample: draw it at random from the filtered distribution. "
            "Beam search: follow several candidate texts at once and keep those likeliest per token.",
        ),
    )
    temperature: float = setting(
        0.7,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Temperature"),
        minimum=0.01,  # the scores are divided by it: near 0 they overflow to inf and no token can be drawn
        soft_minimum=0.05,
        soft_maximum=2.0,
        decimals=2,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Sampling"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Divides the scores before they become probabilities. Below 1 the likeliest tokens get even likelier "
            "(safer text); above 1 the distribution flattens and unlikely tokens are picked more often (wilder text).",
        ),
    )
    top_k: int = setting(
        50,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Top-k"),
        minimum=0,
        soft_maximum=200,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Sampling"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Keep only the k likeliest next tokens (and any tied with the k-th) and share the probability among them. "
            "0 turns this filter off.",
        ),
    )
    top_p: float = setting(
        0.9,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Top-p"),
        minimum=0,
        exclusive_minimum=True,
        maximum=1,
        soft_minimum=0.01,
        decimals=2,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Sampling"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Nucleus sampling: keep the smallest set of likeliest tokens whose probabilities add up to p, "
            "drop the long tail. 1 turns it off.",
        ),
    )
    min_p: float = setting(
        0.0,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Min-p"),
        minimum=0,
        maximum=1,
        decimals=2,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Sampling"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Drop every token less likely than this fraction of the top token's probability: strict when the "
            "model is sure, loose when it is not. 0 turns it off.",
        ),
    )
    typical_p: float = setting(
        1.0,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Typical-p"),
        minimum=0,
        exclusive_minimum=True,
        maximum=1,
        soft_minimum=0.01,
        decimals=2,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Sampling"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Keep tokens whose surprise is close to the average surprise of the distribution, up to this much "
            "probability (and any tied with the last one kept). 1 turns it off.",
        ),
    )
    repetition_penalty: float = setting(
        1.0,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Repetition penalty"),
        minimum=0.01,  # seen tokens' positive scores are divided by it: near 0 they overflow to inf
        soft_minimum=0.5,
        soft_maximum=2.0,
        decimals=2,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Repetition"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Makes every token already in the text less likely (above 1) or more likely (below 1). 1 turns it off.",
        ),
    )
    no_repeat_ngram_size: int = setting(
        0,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "No-repeat n-gram"),
        minimum=0,
        soft_maximum=10,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Repetition"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings", "Forbids any run of this many tokens from appearing twice. 0 turns it off."
        ),
    )
    max_new_tokens: int = setting(
        128,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Max new tokens"),
        minimum=1,
        soft_maximum=2048,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Length"),
        help=QT_TRANSLATE_NOOP("DecodingSettings", "Generation stops after this many new tokens."),
    )
    min_new_tokens: int = setting(
        0,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Min new tokens"),
        minimum=0,
        soft_maximum=2048,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Length"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings", "The end-of-text token is forbidden until this many new tokens have been generated."
        ),
    )
    # Each answer or beam is one more row the model runs at every step: past 64 a step takes minutes
    # on a CPU, and generate checks the memory the rows need before it starts.
    num_return_sequences: int = setting(
        1,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Return sequences"),
        minimum=1,
        maximum=64,
        soft_maximum=8,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Beams and answers"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "How many separate answers to produce from the same prompt (in the window, each gets its own tab). "
            "Each one is run at every step, so time and memory grow with it (at most 64).",
        ),
    )
    num_beams: int = setting(  # used in beam mode only
        4,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Beams"),
        minimum=1,
        maximum=64,
        soft_maximum=16,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Beams and answers"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Beam search keeps this many candidate continuations at every step and returns the ones with the best "
            "score: the sum of their tokens' log-probabilities divided by their length (transformers' length penalty "
            "1), so an answer does not win by being short. Each beam is run at every step, so time and memory grow "
            "with it (at most 64).",
        ),
    )
    seed: int | None = setting(  # None: a fresh seed each run (reported in the result)
        None,
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Seed"),
        minimum=0,
        maximum=MAX_SEED,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Seed and stop strings"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Where the random number generator starts. The same seed, prompt and settings sample the same text again. "
            "Left out: each run draws a new one, and reports it.",
        ),
    )
    sampler_order: tuple[str, ...] = setting(
        tuple(SAMPLER_STAGES),
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Sampler order"),
        choices=SAMPLER_STAGES,
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Sampler order"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "The order in which the filters are applied to the model's scores (only the active ones run). The "
            "default is transformers' order; llama.cpp, for one, applies temperature last. Order changes the "
            "result: top-p after temperature keeps a different set than top-p before it.",
        ),
    )
    stop_strings: tuple[str, ...] = setting(
        (),
        label=QT_TRANSLATE_NOOP("DecodingSettings", "Stop strings"),
        kind=ESCAPED,  # "\n", the commonest one, is a new line
        section=QT_TRANSLATE_NOOP("DecodingSettings", "Seed and stop strings"),
        help=QT_TRANSLATE_NOOP(
            "DecodingSettings",
            "Generation stops as soon as one of these strings appears at the end of the text (transformers' check: "
            "the newest token may run past it, and the prompt's last characters count). Where it lies within the "
            "answer, it is cut off.",
        ),
    )

    def unused_settings(self) -> dict[str, str]:
        """The knobs that do nothing in this mode: the sampling filters and the seed outside sampling, the beam
        count outside beam search."""
        unused = {}
        if self.mode != "sample":
            unused.update(dict.fromkeys(SAMPLING_ONLY, "only sampling draws at random"))
        if self.mode != "beam":
            unused["num_beams"] = "only beam search keeps beams"
        return unused

    def applied_settings(self) -> dict[str, Any]:
        """The settings as plain data without those the mode does not use, for a report of what was run."""
        unused = self.unused_settings()
        return {name: value for name, value in settings_to_data(self).items() if name not in unused}

    def combination_problems(self) -> list[Problem]:
        found = []
        if self.min_new_tokens > self.max_new_tokens:
            found.append(
                Problem(
                    QT_TRANSLATE_NOOP(
                        "SettingsProblem", "Min new tokens must be at most max new tokens ({maximum})."
                    ).fill(maximum=self.max_new_tokens),
                    "min_new_tokens",
                )
            )
        if self.mode == "greedy" and self.num_return_sequences > 1:
            found.append(
                Problem(
                    QT_TRANSLATE_NOOP(
                        "SettingsProblem",
                        "Greedy decoding gives one answer: use sampling or beam search for several sequences.",
                    ),
                    "num_return_sequences",
                )
            )
        if self.mode == "beam":
            if self.num_beams < 2:
                found.append(
                    Problem(QT_TRANSLATE_NOOP("SettingsProblem", "Beam search needs at least 2 beams."), "num_beams")
                )
            elif self.num_return_sequences > self.num_beams:
                found.append(
                    Problem(
                        QT_TRANSLATE_NOOP("SettingsProblem", "Return sequences cannot exceed the number of beams."),
                        "num_return_sequences",
                    )
                )
        if any(not stop for stop in self.stop_strings):
            found.append(Problem(QT_TRANSLATE_NOOP("SettingsProblem", "Stop strings cannot be empty."), "stop_strings"))
        return found


# The knobs that shape the random draw: greedy and beam search never draw, so these do nothing there.
SAMPLING_ONLY = ("temperature", "top_k", "top_p", "min_p", "typical_p", "seed")

# The names are the presets' keys in saved settings: English ``Text``s, shown translated by the window.
PRESETS: dict[str, DecodingSettings] = {
    QT_TRANSLATE_NOOP("Presets", "Greedy"): DecodingSettings(mode="greedy"),
    QT_TRANSLATE_NOOP("Presets", "Balanced"): DecodingSettings(
        mode="sample", temperature=0.7, top_k=50, top_p=0.9, repetition_penalty=1.1
    ),
    QT_TRANSLATE_NOOP("Presets", "Creative"): DecodingSettings(
        mode="sample", temperature=1.1, top_k=0, top_p=0.95, min_p=0.05
    ),
    QT_TRANSLATE_NOOP("Presets", "Beam search"): DecodingSettings(mode="beam", num_beams=4, no_repeat_ngram_size=3),
}
# What each mode starts from when nothing else is chosen. Greedy and beam search keep every filter
# off: a sampling default such as Balanced's repetition penalty must not follow them there.
MODE_DEFAULTS: dict[str, DecodingSettings] = {
    "greedy": PRESETS["Greedy"],
    "sample": PRESETS["Balanced"],
    "beam": DecodingSettings(mode="beam"),
}


def with_mode(settings: DecodingSettings, mode: str, left_there: DecodingSettings | None = None) -> DecodingSettings:
    """``settings`` in another mode: values still at the old mode's default, or at a value one of its presets
    gives (Beam search's no-repeat 3), take the new mode's default or the value left in that mode
    (``left_there``: the settings last shown in it); values the person chose stay. So Sample -> Greedy -> Sample
    comes back to the same sampling settings, and a preset's filters never follow into another mode."""
    new = left_there or MODE_DEFAULTS[mode]
    givens = [MODE_DEFAULTS[settings.mode], *(preset for preset in PRESETS.values() if preset.mode == settings.mode)]
    kept_at_default = {
        field.name: getattr(new, field.name)
        for field in fields(DecodingSettings)
        if any(getattr(settings, field.name) == getattr(given, field.name) for given in givens)
    }
    return replace(settings, **{**kept_at_default, "mode": mode})


def to_generation_config(settings: DecodingSettings, tokenizer) -> GenerationConfig:
    """The one place where our settings become a transformers GenerationConfig.

    Neutral values are written out explicitly so that a model's own defaults
    (its generation_config.json) never switch on a filter the user turned off.
    """
    from transformers import GenerationConfig  # seconds to import: only when generating, not at start-up

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
