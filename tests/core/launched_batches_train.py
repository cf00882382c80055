"""`workbench train` whose training batches are recorded or replayed: under torchrun each process saves the
batch it drew; in one process the batch is every process's recorded one, joined. A test then checks that the
processes read different blocks and that one DDP step equals one step of one process on all of them (the
gradients it applies are kept too). Run by
tests/core/test_distributed_training.py under torchrun and alone, for one step (not a test module itself)."""

import os
import sys
from pathlib import Path

import torch

from workbench.cli import main
from workbench.core.training import trainer

folder = Path(os.environ["WORKBENCH_TEST_BATCHES"])
drawn = trainer.TokenBatches.sample


def recorded(batches, generator):
    batch = drawn(batches, generator)
    torch.save(batch, folder / f"rank{os.environ['RANK']}.pt")
    return batch


def replayed(batches, generator):
    parts = [torch.load(path) for path in sorted(folder.glob("rank*.pt"))]
    return tuple(torch.cat(halves) for halves in zip(*parts, strict=True))  # (inputs, targets), each (2B, T)


stepped = torch.optim.AdamW.step


def step_keeping_gradients(optimizer, *args, **kwargs):
    """Keep the gradients the step applies (under DDP, averaged over the processes): rank 0's, or the lone one's."""
    if os.environ.get("RANK", "0") == "0":
        gradients = [parameter.grad.clone() for group in optimizer.param_groups for parameter in group["params"]]
        torch.save(gradients, folder / ("gradients-two.pt" if "WORLD_SIZE" in os.environ else "gradients-one.pt"))
    return stepped(optimizer, *args, **kwargs)


trainer.TokenBatches.sample = recorded if "WORLD_SIZE" in os.environ else replayed
torch.optim.AdamW.step = step_keeping_gradients
sys.exit(main(["train", *sys.argv[1:]]))
