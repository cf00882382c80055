"""A JSON-lines file of a run with one object per record, each with its ``step``, flushed as written.
A resumed run first drops the lines after the step it resumes from, as the curves do."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class StepLog:
    def __init__(self, path: Path, resumed_step: int | None = None) -> None:
        if resumed_step is not None and path.exists():
            kept = [line for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip() and json.loads(line)["step"] <= resumed_step]
            path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        self.path = path
        self._handle = open(path, "a", encoding="utf-8")

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def read_step_log(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
