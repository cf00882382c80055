"""A normal (non-editable) install works on its own: the command runs and the package data is in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK_INSTALLED = """
import json, workbench
from workbench.core import resources
print(json.dumps({"package": workbench.__file__, "corpus": str(resources.sample_corpus()),
                  "prompts": str(resources.sample_prompts_file())}))
"""


def _packaged_files(package: Path) -> set[str]:
    return {str(p.relative_to(package)) for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_non_editable_install_runs_and_ships_its_resources(tmp_path):
    # Build from a copy, so the build leaves nothing (build/, *.egg-info) in the checkout.
    source, site, elsewhere = tmp_path / "source", tmp_path / "site", tmp_path / "elsewhere"
    shutil.copytree(ROOT / "workbench", source / "workbench", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--no-build-isolation", "--no-index", "--target", str(site), str(source)]
    result = subprocess.run(install, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr

    # Only the installed copy on the path, run from a folder without a checkout in it; the venv's
    # editable install of the checkout comes after PYTHONPATH, and the first assertion checks it lost.
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", CHECK_INSTALLED], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["package"]).is_relative_to(site)
    for resource in ("corpus", "prompts"):
        assert Path(found[resource]).is_relative_to(site) and Path(found[resource]).is_file()
    corpus = (ROOT / "workbench" / "resources" / "corpora" / "tang300.txt").read_bytes()
    assert Path(found["corpus"]).read_bytes() == corpus and "登幽州臺歌" in corpus.decode("utf-8")
    assert isinstance(json.loads(Path(found["prompts"]).read_text(encoding="utf-8")), (list, dict))
    assert _packaged_files(site / "workbench" / "resources") == _packaged_files(ROOT / "workbench" / "resources")

    script = site / "bin" / ("workbench.exe" if os.name == "nt" else "workbench")
    result = subprocess.run([str(script), "models", "--json"], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)
    assert any(model["id"] == "smollm2-135m-instruct" for model in models)
