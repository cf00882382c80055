"""Training on several processes with ``torchrun``: which process this is, and what the processes agree on.

``torchrun --nproc-per-node N -m workbench train ...`` starts N copies of the same command with
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` set (on several machines, with ``--nnodes`` and
``--rdzv-endpoint``). Each copy trains a replica under DistributedDataParallel on its own batches;
gradients are averaged at every step, so the replicas stay equal. Rank 0 alone writes the run's files.
Without those variables the run is one process and nothing here does anything.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from workbench.core.training.processes import Processes

GROUP_TIMEOUT = timedelta(hours=2)
GLOO_CLEANUP_S = 0.2  # the workers need microseconds once they hold the lock: ample on a loaded machine


def process_device(processes: Processes, device: torch.device) -> torch.device:
    """Each process of a machine takes its own GPU (``LOCAL_RANK``); CPUs are shared."""
    if processes.distributed and device.type == "cuda":
        return torch.device("cuda", processes.local_rank)
    return device


def start_group(processes: Processes, device: torch.device) -> bool:
    """Join the processes' group (nccl between GPUs, gloo between CPUs); True when this call started it."""
    if not processes.distributed or dist.is_initialized():
        return False
    if device.type == "cuda":
        torch.cuda.set_device(device)
    # The others wait in a collective while rank 0 alone learns the BPE vocabulary, evaluates or writes a
    # checkpoint: minutes on a big corpus or model, past the 10-minute default.
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo", timeout=GROUP_TIMEOUT)
    return True


def end_group() -> None:
    if dist.is_initialized():
        # A gloo worker frees a collective's tensors just after reporting it done, and freeing a tensor made in
        # Python takes the interpreter lock. The group's destructor joins its workers while holding that lock
        # (it runs when DDP's reducer or the group is released), so a worker still freeing the last barrier's
        # tensors then waits for the lock forever: seen as a process that never exits, about one run in eight.
        # Sleeping hands the workers the lock to finish first.
        time.sleep(GLOO_CLEANUP_S)
        dist.destroy_process_group()


def from_main(processes: Processes, value: Any) -> Any:
    """Rank 0's ``value`` on every process (any picklable object), so all ranks use the same one."""
    if not processes.distributed:
        return value
    box = [value if processes.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def on_main(processes: Processes, value: Any) -> list[Any] | None:
    """Every process's ``value`` (any picklable object), in rank order, on rank 0; None on the others."""
    if not processes.distributed:
        return [value]
    gathered = [None] * processes.world_size if processes.is_main else None
    dist.gather_object(value, gathered, dst=0)
    return gathered


def wait_for_all(processes: Processes) -> None:
    if processes.distributed:
        dist.barrier()


class StepAgreement:
    """A step's loss averaged over the processes and whether any of them was asked to stop, on its way to
    the host: one all-reduce, so every rank logs the same loss and stops (or diverges) at the same step.
    Nothing here waits for the device: on a GPU the two numbers are copied to pinned memory behind the
    step's work, and ``read`` waits for that copy alone, so the next step can be queued first."""

    def __init__(self, processes: Processes, loss: torch.Tensor, stop: bool) -> None:
        dtype = torch.float32 if loss.device.type == "mps" else torch.float64  # MPS has no float64
        # new_full fills on the device; a tensor made from a Python number would be copied there, and wait.
        both = torch.stack([loss.to(dtype), loss.new_full((), float(stop), dtype=dtype)])  # (2,)
        if processes.distributed:
            dist.all_reduce(both, op=dist.ReduceOp.SUM)
        self.non_finite = (~torch.isfinite(both[0])).float()  # (): on the device, for the optimizer to skip
        self._world_size = processes.world_size
        self._copied: torch.cuda.Event | None = None
        if both.is_cuda:
            # On the loss's own GPU and its stream: the process's current device may be another one (cuda:1
            # trained in one process), whose stream knows nothing of this copy.
            with torch.cuda.device(both.device):
                self._host = torch.empty(2, dtype=dtype, pin_memory=True)
                self._host.copy_(both, non_blocking=True)
                self._copied = torch.cuda.Event()
                self._copied.record(torch.cuda.current_stream(both.device))
        else:
            self._host = both

    def read(self) -> tuple[float, bool]:
        """(the loss averaged over the processes, whether any of them was asked to stop)."""
        if self._copied is not None:
            self._copied.synchronize()
        total, stops = self._host.tolist()
        return total / self._world_size, stops > 0


def shard_model(model: torch.nn.Module, device: torch.device, world_size: int) -> None:
    """FSDP (``fully_shard``): each decoder block, then the rest, split over the processes, so each
    holds a slice of the weights, gradients and optimizer state and gathers a block's weights only
    while it computes. The blocks are the classes the model names in ``_no_split_modules``. Each call
    moves its module to ``device`` whole, then keeps this process's slice: one block at a time."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    # The mesh of the training device: without one FSDP takes the machine's accelerator, which a
    # ``--device cpu`` run on a GPU machine (gloo) cannot use.
    mesh = init_device_mesh(device.type, (world_size,))
    block_names = set(getattr(model, "_no_split_modules", None) or ())
    for module in [module for module in model.modules() if type(module).__name__ in block_names]:
        fully_shard(module, mesh=mesh)
    fully_shard(model, mesh=mesh)


def full_model_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Every weight whole, on the CPU (gathered from the shards: every process must call this; rank 0
    receives the weights, the others an empty dict)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def full_optimizer_state(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """The optimizer's state keyed by parameter name, whole and on the CPU: the same for one process,
    DDP and FSDP, so a checkpoint resumes in any of them (collective under FSDP, like ``full_model_state``)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

    return get_optimizer_state_dict(model, optimizer, options=StateDictOptions(full_state_dict=True,
                                                                                cpu_offload=True))


def load_full_optimizer_state(model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: dict) -> None:
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

    set_optimizer_state_dict(model, optimizer, state, options=StateDictOptions(full_state_dict=True))
