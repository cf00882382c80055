"""The sampler chain: the filters between the model's scores and the chosen token.

transformers builds its filters from a ``GenerationConfig`` in a fixed order. To apply them in the
order the settings give (``DecodingSettings.sampler_order``) and to see what each one did, the
engine builds the same transformers processors here, runs them as one ``SamplerChain`` processor,
and hands ``generate`` a config with every one of them neutral (``without_chain``), so nothing is
applied twice. With ``record=True`` the chain keeps each stage's scores for the step, and
``trace_numbers`` turns them, once the token is chosen, into the numbers of a ``TokenTrace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from transformers import (
    GenerationConfig,
    LogitsProcessor,
    MinNewTokensLengthLogitsProcessor,
    MinPLogitsWarper,
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
    TypicalLogitsWarper,
)

from workbench.core.decoding import DecodingSettings
from workbench.core.generation_data import StageTrace

STAGE_TOP = 20  # likeliest tokens kept for every stage of a trace
RAW = "raw"


def chain_stages(
    settings: DecodingSettings, prompt_length: int, eos_token_ids: Sequence[int], device: torch.device
) -> list[tuple[str, LogitsProcessor]]:
    """The active stages, as transformers' own processors, in ``settings.sampler_order``.
    Built with the arguments transformers gives them for one unpadded prompt and no beams."""
    sampling = settings.mode == "sample"
    built: dict[str, LogitsProcessor] = {}
    if settings.repetition_penalty != 1.0:
        built["repetition_penalty"] = RepetitionPenaltyLogitsProcessor(settings.repetition_penalty)
    if settings.no_repeat_ngram_size > 0:
        built["no_repeat_ngram"] = NoRepeatNGramLogitsProcessor(settings.no_repeat_ngram_size)
    if settings.min_new_tokens > 0 and eos_token_ids:
        built["min_new_tokens"] = MinNewTokensLengthLogitsProcessor(
            prompt_length, settings.min_new_tokens, list(eos_token_ids), device=device
        )
    if sampling:  # greedy takes the likeliest token: the sampling filters would not change it
        if settings.temperature != 1.0:
            built["temperature"] = TemperatureLogitsWarper(settings.temperature)
        if settings.top_k:
            built["top_k"] = TopKLogitsWarper(top_k=settings.top_k)
        if settings.top_p < 1.0:
            built["top_p"] = TopPLogitsWarper(top_p=settings.top_p)
        if settings.min_p > 0:
            built["min_p"] = MinPLogitsWarper(min_p=settings.min_p)
        if settings.typical_p < 1.0:
            built["typical_p"] = TypicalLogitsWarper(mass=settings.typical_p)
    return [(name, built[name]) for name in settings.sampler_order if name in built]


def without_chain(config: GenerationConfig) -> GenerationConfig:
    """``config`` with every filter of the chain neutral, so ``generate`` applies none of them. Neutral
    values are explicit where one adds no work; min_p and min_new_tokens have none (a 0 still builds a
    processor), and None stays None as the engine generates with the model's own generation config limited
    to its tokens."""
    neutral = GenerationConfig(**config.to_dict())
    neutral.update(
        repetition_penalty=1.0, no_repeat_ngram_size=0, min_new_tokens=None,
        temperature=1.0, top_k=0, top_p=1.0, typical_p=1.0, min_p=None,
    )
    return neutral


class SamplerChain(LogitsProcessor):
    """Applies the stages in order; with ``record`` keeps this step's input and every stage's output."""

    def __init__(self, stages: list[tuple[str, LogitsProcessor]], record: bool) -> None:
        self.stages = stages
        self.record = record
        self.raw: torch.Tensor | None = None  # (N, V) the scores the chain received
        self.final: torch.Tensor | None = None  # (N, V) what the token is chosen from
        self.recorded: list[tuple[str, torch.Tensor]] = []  # (name, (N, V)) per active stage

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.raw = scores
        recorded = []
        for name, stage in self.stages:
            scores = stage(input_ids, scores)  # transformers' processors return a new tensor
            if self.record:
                recorded.append((name, scores))
        self.recorded = recorded
        self.final = scores
        return scores


@dataclass(frozen=True)
class TraceNumbers:
    """The trace of one step for every row, on the CPU: what becomes each row's ``TokenTrace``."""

    names: tuple[str, ...]  # "raw", then the recorded stages
    chosen_rank: list[int]  # (N,)
    survivors: list[list[int]]  # (N, S)
    chosen_probs: list[list[float]]  # (N, S)
    top_ids: list[list[list[int]]]  # (N, S, STAGE_TOP)
    top_probs: list[list[list[float]]]  # (N, S, STAGE_TOP), 0 where fewer tokens survive

    def stages(self, row: int) -> tuple[StageTrace, ...]:
        return tuple(
            StageTrace(
                name=name,
                survivors=self.survivors[row][index],
                chosen_prob=self.chosen_probs[row][index],
                top=tuple(
                    (token_id, prob)
                    for token_id, prob in zip(self.top_ids[row][index], self.top_probs[row][index])
                    if prob > 0
                ),
            )
            for index, name in enumerate(self.names)
        )


def trace_numbers(
    raw: torch.Tensor, recorded: Sequence[tuple[str, torch.Tensor]], chosen: torch.Tensor
) -> TraceNumbers:
    """Each stage's survivors, chosen-token probability and top tokens, in one transfer to the CPU.

    raw and every recorded score: (N, V); chosen: (N,)."""
    names = (RAW, *(name for name, _ in recorded))
    scores = torch.stack([raw.float(), *(stage.float() for _, stage in recorded)], dim=1)  # (N, S, V)
    chosen = chosen[:, None, None].expand(-1, scores.shape[1], 1)  # (N, S, 1)
    log_norm = scores.logsumexp(dim=-1, keepdim=True)  # (N, S, 1)
    top = min(STAGE_TOP, scores.shape[-1])
    top_scores, top_ids = scores.topk(top, dim=-1)  # (N, S, K)
    raw_chosen = raw.float().gather(1, chosen[:, 0])  # (N, 1)
    packed = torch.cat(
        [
            (raw.float() > raw_chosen).sum(dim=-1, keepdim=True)[:, None].expand(-1, scores.shape[1], 1).float(),
            scores.isfinite().sum(dim=-1, keepdim=True).float(),
            (scores.gather(2, chosen) - log_norm).exp(),
            top_ids.float(),  # float32 holds token ids exactly up to 2**24
            (top_scores - log_norm).exp(),
        ],
        dim=-1,
    ).cpu()  # (N, S, 3 + 2K)
    return TraceNumbers(
        names=names,
        chosen_rank=packed[:, 0, 0].long().tolist(),
        survivors=packed[:, :, 1].long().tolist(),
        chosen_probs=packed[:, :, 2].tolist(),
        top_ids=packed[:, :, 3 : 3 + top].long().tolist(),
        top_probs=packed[:, :, 3 + top :].tolist(),
    )
