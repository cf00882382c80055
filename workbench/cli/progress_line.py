"""A count rewritten on one line of stderr while long work goes on (blocks read, nodes generated again, models
scored), on a terminal only: in a log or a pipe, carriage returns are noise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def progress_line(describe: Callable[[Any], str]) -> Iterator[Callable[[Any], None] | None]:
    """A callback for ``drain`` that shows ``describe(event)`` in place of the last one, and ends the line when the
    work ends; None off a terminal."""
    if not sys.stderr.isatty():
        yield None
        return

    def show(event: Any) -> None:
        print(f"\r{describe(event)}", end="", file=sys.stderr, flush=True)

    try:
        yield show
    finally:
        print(file=sys.stderr)
