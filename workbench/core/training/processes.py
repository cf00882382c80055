"""Which of the processes ``torchrun`` started this one is: read from its environment, without torch, so the
command line says a mistake once (by each machine's first process) before anything heavy is imported."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Processes:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """The process that writes the run's files and reports its progress."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def launched_processes() -> Processes:
    """Which of the processes ``torchrun`` started this one is (one process when not under torchrun)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Processes()
    return Processes(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0")), world_size)
