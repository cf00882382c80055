"""Induction heads form in a run of the workbench's own trainer (Olsson et al., 2022): a 2-layer GPT
learns a synthetic corpus of random word sequences, each said three times, and one of its layer-2 heads
comes to look at the token after the earlier occurrence of the current token."""

from __future__ import annotations

import random
import string

import pytest
import torch
from transformers import AutoTokenizer

from tests.core.test_training import run
from workbench.core.head_scores import head_scores
from workbench.core.training.events import EvalEvent
from workbench.core.training.modeling import new_model
from workbench.core.training.settings import TrainSettings


def repeated_random_sequences(path, groups: int = 30_000, seed: int = 0) -> None:
    """Random sequences of 2-5 random "words" (2-5 random letters, 300 of them), each written three
    times in a row. The words give a previous-token head something to do on its own (the next letter
    depends on the one before), the repeats then reward an induction head built on it."""
    rng = random.Random(seed)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 5))) for _ in range(300)]
    with open(path, "w", encoding="utf-8") as out:
        for group in range(groups):
            out.write("".join(rng.choices(words, k=rng.randint(2, 5))) * 3)
            if group % 20 == 19:
                out.write("\n")


@pytest.mark.slow
def test_an_induction_head_forms_in_layer_two(tmp_path):
    corpus = tmp_path / "repeats.txt"
    repeated_random_sequences(corpus)
    settings = TrainSettings(
        corpus=str(corpus), out_dir=str(tmp_path / "run"), n_layer=2, n_head=2, n_embd=64, block_size=32,
        batch_size=64, lr=3e-3, min_lr=3e-4, warmup_iters=50, max_iters=1250, eval_interval=125, eval_iters=5,
        sample_tokens=0, keep_last_checkpoints=0, keep_log_spaced_checkpoints=0, checkpoint_interval=0,
    )
    events, result = run(settings)
    induction = [event.head_scores.induction for event in events if isinstance(event, EvalEvent)]  # (L, H) each
    tokenizer = AutoTokenizer.from_pretrained(result.out_dir)
    torch.manual_seed(settings.seed)  # the model the run started from
    initial = head_scores((new_model(settings, vocab_size=len(tokenizer)), tokenizer), settings.block_size)
    assert initial.induction[1].max() < 0.1
    assert max(scores[1].max() for scores in induction) > 0.5
    assert induction[-1][0].max() < 0.1  # a layer-1 head cannot do it: it needs the previous-token head below
