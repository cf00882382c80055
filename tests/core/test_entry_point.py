"""``python -m workbench``: a command goes to the CLI; no command opens the window (the CLI demo without a display)."""

from __future__ import annotations

import sys

import pytest

import workbench.cli
from workbench import __main__ as entry


@pytest.fixture
def cli_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(workbench.cli, "main", lambda argv: calls.append(argv) or 0)
    return calls


def test_no_display_prints_one_line_and_runs_the_cli_demo(monkeypatch, capsys, cli_calls):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert not entry.has_display()
    assert entry.main([]) == 0
    assert cli_calls == [entry.DEMO_ARGS]
    assert capsys.readouterr().out == "No display found: running a short command-line demo instead.\n"


def test_a_command_goes_to_the_cli_and_prints_nothing_else(capsys, cli_calls):
    assert entry.main(["models", "--json"]) == 0
    assert cli_calls == [["models", "--json"]]
    assert capsys.readouterr().out == ""



def test_ctrl_c_while_the_libraries_import_is_an_interruption_not_a_traceback(monkeypatch, capsys):
    import types

    class Importing(types.ModuleType):
        """The CLI still importing torch when Ctrl+C comes."""

        def __getattr__(self, name):
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "workbench.cli", Importing("workbench.cli"))
    assert entry.main(["generate", "--prompt", "hi"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_process_entry_ignores_a_ctrl_c_once_the_command_is_done_and_main_leaves_it_be(cli_calls):
    """After the command, a Ctrl+C would land in the interpreter's shutdown as a traceback: the process entry
    ignores it from there. ``main`` leaves the handler as it was (a test run, a caller, its children keep Ctrl+C)."""
    import signal
    import subprocess

    before = signal.getsignal(signal.SIGINT)
    assert entry.main(["models", "--json"]) == 0 and signal.getsignal(signal.SIGINT) is before
    code = ("import signal, sys, workbench.cli; from workbench import __main__ as entry\n"
            "workbench.cli.main = lambda argv: 3\n"
            "try:\n    entry.run()\n"
            "except SystemExit as done:\n    print(done.code, signal.getsignal(signal.SIGINT) is signal.SIG_IGN)")
    done = subprocess.run([sys.executable, "-c", code, "models"], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["3", "True"], done.stderr[-2000:]
