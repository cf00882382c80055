"""benchmarks/gpu.py: one line and exit 0 without a GPU; with ``--device cpu --quick`` every section runs end to
end on tiny models, without Qt or the packages the GPU machine lacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import make_tiny_tokenizer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "benchmarks/gpu.py"
SECTIONS = ("memory", "generation", "attention", "training", "genlab")
# Not on the GPU machine (or never to be needed by the core): importing any of them fails the run.
BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "superqt", "qtpy", "PIL", "gguf", "psutil")
RUNNER = (
    "import runpy, sys\n"
    f"for name in {BLOCKED!r}:\n"
    "    sys.modules[name] = None\n"
    f"sys.argv = [{SCRIPT!r}, *sys.argv[1:]]\n"
    f"runpy.run_path({SCRIPT!r}, run_name='__main__')\n"
)


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=".:benchmarks", HOME=str(tmp_path / "home"))  # as on the GPU machine
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env.pop(name, None)
    return env


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_without_cuda_it_says_so_in_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, SCRIPT], cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [done.stdout.strip()]
    assert "no CUDA GPU" in done.stdout
    assert done.stderr == ""


def _template(folder: Path, config: dict, chat: bool) -> None:
    """Config and tokenizer files of a model, no weights: what .gpu-carry/models holds."""
    folder.mkdir(parents=True)
    tokenizer = make_tiny_tokenizer(chat=chat)
    tokenizer.save_pretrained(folder)
    ids = {
        "bos_token_id": tokenizer.eos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    full = {"vocab_size": len(tokenizer), "max_position_embeddings": 512, "tie_word_embeddings": True, **ids, **config}
    (folder / "config.json").write_text(json.dumps(full), encoding="utf-8")


@pytest.fixture
def models(tmp_path):
    folder = tmp_path / "models"
    _template(
        folder / "smollm2-135m",
        {
            "model_type": "llama",
            "hidden_size": 576,
            "num_attention_heads": 9,
            "num_key_value_heads": 3,
            "num_hidden_layers": 30,
        },
        chat=True,
    )
    _template(
        folder / "gemma3-270m",
        {
            "model_type": "gemma3_text",
            "hidden_size": 640,
            "num_attention_heads": 4,
            "num_key_value_heads": 1,
            "head_dim": 256,
            "query_pre_attn_scalar": 256,
            "num_hidden_layers": 6,
            "sliding_window": 512,
            "layer_types": ["sliding_attention"] * 5 + ["full_attention"],
        },
        chat=False,
    )
    return folder


@pytest.mark.slow
def test_quick_cpu_run_measures_every_section_without_qt(tmp_path, models):
    out = tmp_path / "gpu.md"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, "--device", "cpu", "--quick", "--models", str(models), "--out", str(out)],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and not line.startswith("| section")]
    for section in SECTIONS:
        assert any(row.startswith(f"| {section} |") for row in rows), (section, done.stdout)
    assert "FAILED" not in done.stdout, done.stdout + done.stderr[-3000:]
    generation = [row for row in rows if row.startswith("| generation |")]
    assert len(generation) == 6 and all("same token ids" in row for row in generation), generation
    assert all("steady speed (median time between tokens) ratio" in row for row in generation), generation
    # torch.compile trains once (fp32 on a CPU): the flag's only run in the suite, on both sides.
    compiled = next(row for row in rows if row.startswith("| training |") and "torch.compile, fp32" in row)
    assert "median ratio" in compiled or "torch.compile does not work here" in compiled, compiled
    # The file holds the same table, ready to paste.
    written = out.read_text(encoding="utf-8").splitlines()
    assert written[written.index("| section | measures (side by side, one run) | result | target | ok |") + 1 :] == [
        "|---|---|---|---|---|",
        *rows,
    ]
    # Nothing went to the user's folders.
    assert not list((tmp_path / "home").rglob("*generation-workbench*"))
    assert seconds < 180, f"the quick run took {seconds:.0f} s"


def test_the_carried_model_files_build_the_model_gpu_py_measures(tmp_path, tiny_loaded):
    # benchmarks/gpu_carry.py writes a loaded model's config and tokenizer without weights; gpu.py builds a model
    # of that shape with random weights, which the workbench's loader opens with the same tokenizer.
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import gpu
        import gpu_carry
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from workbench.core.loading import load_model_blocking

    template = tmp_path / "carry" / "tiny"
    gpu_carry.write_model_files(tiny_loaded, template)
    assert not list(template.glob("*.safetensors"))
    folder, trained = gpu.prepare_model(template, tmp_path / "scratch", quick=False)
    assert not trained
    built = load_model_blocking(str(folder))
    try:
        assert built.model.config.num_hidden_layers == tiny_loaded.model.config.num_hidden_layers
        assert built.tokenizer("The quick brown fox")["input_ids"] == tiny_loaded.tokenizer("The quick brown fox")[
            "input_ids"]
    finally:
        built.unload()
