"""``workbench`` / ``python -m workbench``: the GUI with no arguments, the CLI with a subcommand."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        from workbench.cli import main as cli_main

        return cli_main(argv)
    from workbench.qt.launch import launch_gui

    return launch_gui()


if __name__ == "__main__":
    sys.exit(main())
