"""``workbench`` / ``python -m workbench``: the GUI with no arguments, the CLI with a subcommand.

Where there is no display, no arguments run a short command-line demo instead of the window.
The choice is made here, above both, so that neither the window nor the CLI imports the other.
"""

from __future__ import annotations

import os
import signal
import sys

DEMO_ARGS = ["generate", "--model", "smollm2-135m-instruct", "--prompt", "What is the capital of France?",
             "--greedy", "--max-new-tokens", "24"]


def has_display() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv or not has_display():
            # Imported in here: a Ctrl+C during the seconds torch takes to import is an interruption too.
            from workbench.cli import main as cli_main

            if not argv:
                print("No display found: running a short command-line demo instead.")
            return cli_main(argv or DEMO_ARGS)
        from workbench.qt.launch import launch_gui

        return launch_gui()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The process's entry (``workbench``, ``python -m workbench``): ``main``, then exit with its status."""
    status = main()
    # Done: a Ctrl+C from here on would land in the interpreter's shutdown, as a traceback and status 0.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(status)


if __name__ == "__main__":
    run()
