"""The set-up installs system packages only with consent, and names them when it will not."""

from __future__ import annotations

import io

import pytest

from workbench import bootstrap


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def missing_packages(monkeypatch, packages: list[str]) -> None:
    monkeypatch.setattr(bootstrap, "missing_linux_packages", lambda: packages)


@pytest.fixture
def apt_calls(monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(bootstrap.platform, "system", lambda: "Linux")
    missing_packages(monkeypatch, ["libxcb-cursor0", "libegl1"])
    monkeypatch.setattr(bootstrap.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(bootstrap.os, "geteuid", lambda: 0)
    monkeypatch.setattr(bootstrap, "run", lambda command, **kwargs: calls.append(command))
    return calls


def test_without_a_terminal_it_says_what_and_why_then_installs(apt_calls, monkeypatch, capsys):
    monkeypatch.setattr(bootstrap.sys, "stdin", io.StringIO())
    bootstrap.ensure_system_libraries(allow_install=True, opens_window=False)
    assert apt_calls[-1][-2:] == ["libxcb-cursor0", "libegl1"] and "install" in apt_calls[-1]
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "libxcb-cursor0 libegl1" in out[0] and "Qt needs" in out[0]


def test_on_a_terminal_a_no_installs_nothing_and_names_the_packages(apt_calls, monkeypatch, capsys):
    monkeypatch.setattr(bootstrap.sys, "stdin", Terminal("n\n"))
    with pytest.raises(SystemExit) as exit_info:
        bootstrap.ensure_system_libraries(allow_install=True, opens_window=False)
    assert exit_info.value.code == 1
    assert apt_calls == []
    assert "libxcb-cursor0 libegl1" in capsys.readouterr().out


def test_on_a_terminal_a_yes_installs(apt_calls, monkeypatch):
    monkeypatch.setattr(bootstrap.sys, "stdin", Terminal("y\n"))
    bootstrap.ensure_system_libraries(allow_install=True, opens_window=False)
    assert any("install" in call for call in apt_calls)


def test_no_system_packages_never_asks_or_installs(apt_calls, monkeypatch, capsys):
    monkeypatch.setattr(bootstrap.sys, "stdin", Terminal(""))  # reading it would raise EOFError
    with pytest.raises(SystemExit) as exit_info:
        bootstrap.ensure_system_libraries(allow_install=False, opens_window=False)
    assert exit_info.value.code == 1  # libegl1: QtGui links it, so nothing of Qt would start
    assert apt_calls == []
    out = capsys.readouterr().out
    assert "libxcb-cursor0 (libxcb-cursor.so.0), libegl1 (libEGL.so.1)" in out and "cannot start" in out


@pytest.mark.parametrize("opens_window", [False, True])
def test_without_the_window_libraries_only_a_window_stops_the_set_up(apt_calls, monkeypatch, capsys, opens_window):
    """The tests and the CLI run offscreen: missing xcb libraries are named, and the set-up goes on."""
    missing_packages(monkeypatch, ["libxcb-cursor0"])
    if opens_window:
        with pytest.raises(SystemExit) as exit_info:
            bootstrap.ensure_system_libraries(allow_install=False, opens_window=True)
        assert exit_info.value.code == 1
    else:
        bootstrap.ensure_system_libraries(allow_install=False, opens_window=False)
    out = capsys.readouterr().out.strip().splitlines()
    assert apt_calls == [] and len(out) == 1 and "libxcb-cursor0 (libxcb-cursor.so.0)" in out[0]
    assert ("cannot open its window" in out[0]) == opens_window and ("Going on" in out[0]) != opens_window


@pytest.mark.parametrize(("command", "rest", "display", "expected"), [
    ("app", [], ":0", True), ("app", [], "", False), ("app", ["generate"], ":0", False), ("test", [], ":0", False)])
def test_only_the_app_with_no_arguments_on_an_x_display_opens_a_window(monkeypatch, command, rest, display, expected):
    monkeypatch.setenv("DISPLAY", display)
    assert bootstrap.opens_x_window(command, rest) == expected


def test_the_flag_is_taken_out_of_the_command_line(monkeypatch):
    seen: dict[str, object] = {}
    monkeypatch.setattr(bootstrap, "ensure_system_libraries",
                        lambda allow, opens_window: seen.setdefault("allow", allow))
    monkeypatch.setattr(bootstrap, "ensure_environment", lambda: "python")
    monkeypatch.setattr(bootstrap.os, "chdir", lambda path: None)
    monkeypatch.setattr(bootstrap.os, "execv", lambda path, args: seen.setdefault("args", args))
    bootstrap.main(["test", "--no-system-packages", "-k", "x"])
    assert seen == {"allow": False, "args": ["python", "-m", "pytest", "-k", "x"]}
