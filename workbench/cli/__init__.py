"""Headless commands. Each subcommand lives in its own module with ``add_parser`` and ``run``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
import traceback
from typing import NoReturn

from workbench.cli.interrupt import INTERRUPTED
from workbench.core import paths
from workbench.core.errors import WorkbenchError, plain_error

FAULT_REPORT = "last-cli-fault.txt"  # in the data folder: the traceback of an unexpected failure
# The exit status of a fault of ours: sysexits' EX_SOFTWARE, apart from 1, which `tree replay` and `heads`
# give when their work was done and its answer is "not all" (some nodes differ, some checkpoints unreadable).
FAULT = 70

# Module names, one per command, in the order --help lists them.
COMMANDS = (
    "models", "generate", "inspection", "compare", "tree", "attention", "heads", "train", "perplexity", "genlab",
)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes read like every other error: one line, exit 2 (the usage is one --help away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="workbench",
        description="Generation Workbench. With no arguments it opens the window; with a command it runs headless.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"workbench.cli.{name}")
        module.add_parser(subparsers)
    return parser


def _command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the (sub)command ``args`` chose, whose --help explains its arguments."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(args, action.dest, None) in action.choices:
            return _command_parser(action.choices[getattr(args, action.dest)], args)
    return parser


def _not_utf8(argv: list[str]) -> str | None:
    """The first argument that is not UTF-8 text (a Latin-1 prompt or file name reaches Python as surrogates,
    which fail deep inside a run, after its folder is made), shown with its bad bytes replaced."""
    for argument in argv:
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            try:  # bytes the system could not decode: shown as U+FFFD
                return argument.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            except UnicodeEncodeError:  # other lone surrogates (handed over directly): shown escaped
                return argument.encode("utf-8", "backslashreplace").decode("utf-8")
    return None


def leave_now_if_work_goes_on(status: int) -> None:
    """Ends the process with ``status`` at once when a thread is still at work: a model load that Ctrl+C left
    deep in transformers goes on in its thread, and the interpreter's shutdown would tear the native libraries
    down under it ("terminate called without an active exception", status 134 instead of 130)."""
    if any(thread.is_alive() for thread in threading.enumerate() if thread is not threading.main_thread()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    bad = _not_utf8(sys.argv[1:] if argv is None else argv)
    if bad is not None:
        print(f"error: the argument “{bad}” is not UTF-8 text: retype it, or rename the file it names", file=sys.stderr)
        return 2
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser, which points to the command's --help
        _command_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    if sys.stdout is None:  # started with its standard output closed (`>&-`): what it prints would be lost
        print("error: standard output is closed: run it with its output going to a terminal, a file or a pipe",
              file=sys.stderr)
        return 2
    try:
        status = args.run(args) or 0
        sys.stdout.flush()  # here, not at exit: a reader gone (`| head`) is then the quiet exit below, not status 120
        return status
    except WorkbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (say `| head`) went away: no traceback, but not "done" either: what it printed was cut.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return INTERRUPTED
    except OSError as error:  # a file or folder the system refused: one line, as for any other mistake
        where = f": {error.filename}" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # On a terminal the ^C echo lands after streamed text: the word starts a line of its own.
        print(("\n" if sys.stderr.isatty() else "") + "interrupted", file=sys.stderr)
        leave_now_if_work_goes_on(INTERRUPTED)
        return INTERRUPTED
    except Exception as error:  # a fault of ours: one line here, the whole story in a file for the report
        plain = plain_error(error)  # unless it is a full disk or too little memory
        if plain is not None:
            print(f"error: {plain}", file=sys.stderr)
            return 2
        report = paths.data_dir() / FAULT_REPORT
        try:
            report.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
            where = f"the details are in {report}"
        except OSError:  # a data folder that cannot be written: the trace goes with the line
            where = "".join(traceback.format_exception(error)).rstrip()
        print(f"error: unexpected {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''} "
              f"(a fault of the workbench; {where})", file=sys.stderr)
        return FAULT
