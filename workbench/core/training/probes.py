"""Probe texts: what the model makes of a few fixed texts at every evaluation of a run.

For each probe: its loss (the mean next-token cross-entropy over its tokens, as transformers' own
``labels=`` loss measures it: after a ``<bos>`` the tokenizer puts first, the first token counts too,
predicted from ``<bos>``, where a validation block's first token is only read), the model's greedy
continuation of it, and the five likeliest next tokens at its end. Without probes of its own a
run probes the first lines of its validation text, which the model never trains on.
``probes.jsonl`` in the run's folder keeps one line per evaluation and probe (a ``StepLog``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.text_stream import complete_text
from workbench.core.training.step_log import read_step_log
from workbench.core.transformers_helpers import leading_special_ids, model_settings_limited_to_tokens, pad_token_id

PROBES_FILE = "probes.jsonl"
DEFAULT_PROBES = 3
TOP = 5


@dataclass(frozen=True)
class ProbeRecord:
    step: int
    probe: int  # index in the run's probe list
    text: str
    loss: float  # nats per predicted token
    continuation: str  # greedy
    top: tuple[tuple[str, float], ...]  # the likeliest next tokens after the text, with probabilities
    drift: tuple[float, ...] = ()  # fine-tuning: KL(base || current) of the next-token distribution per position
    tokens: tuple[str, ...] = ()  # the probe's tokens as a person reads them, one per position


def default_probes(val_text: str, count: int = DEFAULT_PROBES, max_characters: int = 200) -> tuple[str, ...]:
    """The first ``count`` non-empty lines of the validation text (held out from training). The text is decoded
    from token ids split at any token, so a character cut at either end reads as U+FFFD: it is left out."""
    lines = [line.strip().strip("\ufffd").strip()[:max_characters] for line in val_text.splitlines()]
    return tuple(line for line in lines if len(line) > 1)[:count]


def probe_token_ids(tokenizer, text: str, block_size: int) -> list[int]:
    """The probe's tokens, cut to the context so that the continuation still has room, after the tokenizer's
    start-of-text token where it has one (Gemma's <bos>): a probe is read as a text's start, as the model
    reads one."""
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])[: max(2, block_size // 2)]
    return leading_special_ids(tokenizer) + ids


def probe_log_probs(model, tokenizer, probes: Sequence[str], block_size: int) -> list:
    """The model's next-token log-probabilities at every position of each probe ((T, V) float32 tensors
    on the CPU; None for a probe too short to read): the base a fine-tune's drift is measured from. Kept
    in float32: float16 put a floor of ~3e-4 nats under the drift, as large as an early fine-tune's."""
    import torch

    device = next(model.parameters()).device
    read = []
    with torch.no_grad():
        for text in probes:
            ids = probe_token_ids(tokenizer, text, block_size)
            if len(ids) < 2:
                read.append(None)
                continue
            logits = model(input_ids=torch.tensor([ids], device=device)).logits[0].float()  # (T, V)
            read.append(logits.log_softmax(dim=-1).cpu())
    return read


def probe_records(model, tokenizer, probes: Sequence[str], step: int, block_size: int,
                  continuation_tokens: int, base_log_probs: Sequence | None = None) -> tuple[ProbeRecord, ...]:
    """Each probe read by ``model`` as it is now (it must be in eval mode; the caller holds no_grad).
    torch is imported here: the events that carry the records cross to the window, which must not
    import it at start-up."""
    import torch
    import torch.nn.functional as F
    from transformers import GenerationConfig

    from workbench.core.attention_tokens import single_token_labels, token_sequence
    from workbench.core.divergence import kl_divergence

    device = next(model.parameters()).device
    records = []
    for index, text in enumerate(probes):
        ids = probe_token_ids(tokenizer, text, block_size)
        if len(ids) < 2:
            continue
        inputs = torch.tensor([ids], device=device)  # (1, T)
        logits = model(input_ids=inputs).logits[0].float()  # (T, V)
        loss = F.cross_entropy(logits[:-1], inputs[0, 1:]).item()
        probs = logits[-1].softmax(dim=-1)  # (V,)
        top = probs.topk(min(TOP, probs.numel()))
        room = max(0, min(continuation_tokens, block_size - len(ids)))
        continuation = ""
        if room:
            config = GenerationConfig(do_sample=False, max_new_tokens=room, pad_token_id=pad_token_id(tokenizer))
            with model_settings_limited_to_tokens(model):  # greedy: no filter of a base model's own config
                output = model.generate(input_ids=inputs, attention_mask=torch.ones_like(inputs),
                                        generation_config=config)
            continuation = complete_text(tokenizer, output[0, len(ids):].tolist(), context_ids=ids)
        # Labelled as every top-k list is: a piece of a character reads as its bytes (⟨e5 ba⟩), not as "\ufffd".
        top_tokens = tuple(zip(single_token_labels(tokenizer, top.indices.tolist()),
                               (round(p, 6) for p in top.values.tolist())))
        drift: tuple[float, ...] = ()
        if base_log_probs is not None and base_log_probs[index] is not None:
            base = base_log_probs[index].to(device).float()  # (T, V)
            current = logits.log_softmax(dim=-1)  # (T, V)
            kl = kl_divergence(base, current)  # (T,)
            drift = tuple(round(value, 7) for value in kl.tolist())
        records.append(ProbeRecord(step, index, text, float(np.float32(loss)), continuation, top_tokens, drift,
                                   token_sequence(tokenizer, ids).labels))
    return tuple(records)


def read_probes(path: str | Path) -> list[ProbeRecord]:
    """The records of a run's ``probes.jsonl``."""
    records = []
    for data in read_step_log(path):
        data["top"] = tuple(tuple(pair) for pair in data["top"])
        data["drift"] = tuple(data.get("drift", ()))
        data["tokens"] = tuple(data.get("tokens", ()))
        records.append(ProbeRecord(**data))
    return records
