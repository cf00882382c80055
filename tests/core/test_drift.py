"""Fine-tune drift: at every evaluation, per probe position, KL(base || current) of the next-token
distributions, equal to a direct computation with the base and the kept model; zero against itself."""

from __future__ import annotations

from dataclasses import replace

import torch

from tests.core.test_training_finetune import base_folder, settings  # noqa: F401  (fixtures)
from workbench.core.jobs import RunControl, drain
from workbench.core.loading import load_model_blocking
from workbench.core.training.events import EvalEvent
from workbench.core.training.probes import PROBES_FILE, probe_log_probs, probe_records, probe_token_ids, read_probes
from workbench.core.training.snapshots import snapshot_steps
from workbench.core.training.trainer import train

PROBE = "The capital of France is"


def evaluations(settings, resume=False):  # noqa: F811
    events = []
    drain(train(settings, RunControl(), resume), events.append)
    return [event for event in events if isinstance(event, EvalEvent)]


def kl_per_position(base, current, ids) -> torch.Tensor:
    with torch.no_grad():
        p = base.model(input_ids=ids).logits[0].log_softmax(-1)  # (T, V)
        q = current.model(input_ids=ids).logits[0].log_softmax(-1)  # (T, V)
    return (p.exp() * (p - q)).sum(-1)  # (T,)


def test_full_finetune_drift_equals_kl_of_the_base_to_the_kept_model(settings, base_folder):  # noqa: F811
    evals = evaluations(replace(settings, probes=(PROBE,)))
    record = evals[0].probes[0]
    base = load_model_blocking(str(base_folder))
    kept = load_model_blocking(str(snapshot_steps(settings.out_dir)[record.step]))
    ids = torch.tensor([probe_token_ids(base.tokenizer, PROBE, settings.block_size)])  # (1, T)
    expected = kl_per_position(base, kept, ids)
    assert len(record.drift) == ids.shape[1]
    torch.testing.assert_close(torch.tensor(record.drift), expected.clamp_min(0), atol=2e-3, rtol=2e-2)  # fp16 base
    assert max(record.drift) > 0  # it trained: the distributions moved
    assert read_probes(settings.out_dir + "/" + PROBES_FILE)[0].drift == record.drift


def test_the_drift_of_a_model_against_itself_is_zero(tiny_loaded):
    model, tokenizer = tiny_loaded.model, tiny_loaded.tokenizer
    base = probe_log_probs(model, tokenizer, (PROBE,), block_size=32)
    with torch.no_grad():
        (record,) = probe_records(model, tokenizer, (PROBE,), step=0, block_size=32, continuation_tokens=0,
                                  base_log_probs=base)
    assert len(record.drift) == len(probe_token_ids(tokenizer, PROBE, 32)) and max(record.drift) < 1e-3  # fp16 base


def test_lora_drift_is_measured_too(settings):  # noqa: F811
    evals = evaluations(replace(settings, lora=True, probes=(PROBE,)))
    assert max(evals[-1].probes[0].drift) > 0
