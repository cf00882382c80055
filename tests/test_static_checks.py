"""The import contracts (pyproject's [tool.importlinter]) and ruff hold over the whole checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(sys.executable).parent  # the venv running the tests has both tools (the "test" extras)


@pytest.mark.parametrize(
    "command",
    [["lint-imports"], ["ruff", "check", "."]],
    ids=["import-contracts", "ruff"],
)
def test_static_check_passes(command):
    tool = TOOLS / command[0]
    # From the checkout root, so the tools read its pyproject and import-linter analyses its
    # workbench package (the current folder comes first on its path), not an installed copy.
    result = subprocess.run([str(tool), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
