"""Which of the processes ``torchrun`` started this one is: read from its environment, without torch, so the
command line says a mistake once (by each machine's first process) before anything heavy is imported."""

from __future__ import annotations

import os
from dataclasses import dataclass

from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP


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
    """Which of the processes ``torchrun`` started this one is (one process when not under torchrun). A variable
    torchrun sets that is missing or not a number (one left in a shell or a job script) is a mistake to fix,
    said as one line, not a fault of the workbench."""
    world_size = _whole_number("WORLD_SIZE", "1")
    if world_size <= 1:
        return Processes()
    _variable("MASTER_ADDR")  # where the processes meet: torchrun sets both
    _whole_number("MASTER_PORT")
    rank = _whole_number("RANK")
    if not 0 <= rank < world_size:
        raise _not_from_torchrun("RANK", str(rank))
    return Processes(rank, _whole_number("LOCAL_RANK", "0"), world_size)


def _variable(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise InvalidInputError(QT_TRANSLATE_NOOP(
            "Errors", "WORLD_SIZE is set but {name} is not: start a run of several processes with torchrun, or "
            "unset WORLD_SIZE to train in one."
        ).fill(name=name))
    return value


def _whole_number(name: str, default: str | None = None) -> int:
    value = _variable(name, default)
    try:
        return int(value)
    except ValueError:
        raise _not_from_torchrun(name, value) from None


def _not_from_torchrun(name: str, value: str) -> InvalidInputError:
    return InvalidInputError(QT_TRANSLATE_NOOP(
        "Errors", "{name}={value} in the environment is not one torchrun sets: start a run of several processes with "
        "torchrun, or unset WORLD_SIZE, RANK and LOCAL_RANK to train in one."
    ).fill(name=name, value=value))
