"""A JSON-lines file of a run with one object per record, each with its ``step``, flushed as written.
A resumed run first drops the lines after the step it resumes from, as the curves do."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workbench.core.atomic import write_text_atomic


def _records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Each record of the file with its line. A line that is not a whole record (the last one, cut short by
    a crash or a full disk) is left out: the run stays readable and resumable."""
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("step"), int):
            records.append((line, record))
    return records


class StepLog:
    def __init__(self, path: Path, resumed_step: int | None = None) -> None:
        if resumed_step is not None and path.exists():
            kept = [line for line, record in _records(path) if record["step"] <= resumed_step]
            write_text_atomic(path, "".join(line + "\n" for line in kept))
        self.path = path
        self._handle = open(path, "a", encoding="utf-8")

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def read_step_log(path: str | Path) -> list[dict[str, Any]]:
    return [record for _, record in _records(Path(path))]
