"""The import contracts (pyproject's [tool.importlinter]) and ruff hold over the whole checkout."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import packages_distributions
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


def _normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()  # PEP 503


def test_every_third_party_package_imported_is_a_declared_dependency():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    import grimp

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = (re.match(r"[A-Za-z0-9._-]+", requirement).group() for requirement in project["dependencies"])
    declared = {_normalized(name) for name in names}
    graph = grimp.build_graph("workbench", include_external_packages=True)
    imported = {name for name in graph.modules if "." not in name} - set(sys.stdlib_module_names) - {"workbench"}
    providers = packages_distributions()  # top-level import name -> the distributions that install it
    undeclared = sorted(
        name for name in imported if not {_normalized(d) for d in providers.get(name, [name])} & declared
    )
    assert not undeclared, f"imported under workbench/ but missing from pyproject's dependencies: {undeclared}"


def test_every_shared_core_module_is_under_the_contract_that_keeps_training_and_the_lab_out():
    tomllib = pytest.importorskip("tomllib")
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    training_and_lab = ["workbench.core.training", "workbench.core.genlab"]
    shared = next(c for c in contracts["contracts"] if c.get("forbidden_modules") == training_and_lab)
    modules = {f"workbench.core.{path.stem}" for path in (ROOT / "workbench" / "core").glob("*.py")}
    modules.discard("workbench.core.__init__")
    assert modules - set(shared["source_modules"]) == set(), "a new shared core module goes into the contract's list"
