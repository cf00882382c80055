"""A model folder that ships its own code: refused with the file named, run only when allowed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench.core.errors import RemoteCodeRefusedError
from workbench.core.loading import LoadSettings, load_model_blocking


def test_custom_code_is_refused_with_the_file_named_and_never_runs(custom_code_folder):
    folder, marker = custom_code_folder
    with pytest.raises(RemoteCodeRefusedError) as refused:
        load_model_blocking(str(folder))
    assert refused.value.files == [str(folder / "modeling_custom.py")]
    assert str(folder / "modeling_custom.py") in str(refused.value) and "\n" not in str(refused.value)
    assert not marker.exists()


def test_custom_code_runs_when_allowed(custom_code_folder, tmp_path):
    folder, marker = custom_code_folder
    script = (
        "import sys; from workbench.core.loading import LoadSettings, load_model_blocking; "
        "loaded = load_model_blocking(sys.argv[1], LoadSettings(trust_remote_code=True)); "
        "print(type(loaded.model).__name__)"
    )
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules")}
    done = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "CustomForCausalLM"
    assert marker.read_text() == "ran"


def test_settings_default_to_refusing():
    assert LoadSettings().trust_remote_code is False


@pytest.mark.parametrize(
    "command",
    [["generate", "--prompt", "hi", "--max-new-tokens", "4"], ["attention", "--prompt", "hi", "--out", "x.npz"]],
)
def test_the_cli_refuses_custom_code_in_one_line_unless_trusted(custom_code_folder, tmp_path, command):
    folder, marker = custom_code_folder
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules")}
    refused = subprocess.run([sys.executable, "-m", "workbench", *command, "--model", str(folder)], cwd=tmp_path,
                             capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), refused.stderr
    assert "modeling_custom.py" in lines[0] and "--trust-remote-code" in lines[0] and not marker.exists()
    trusted = subprocess.run([sys.executable, "-m", "workbench", *command, "--model", str(folder),
                              "--trust-remote-code"], cwd=tmp_path, capture_output=True, text=True, env=env,
                             stdin=subprocess.DEVNULL, timeout=120)
    assert trusted.returncode == 0, trusted.stderr
    assert marker.read_text() == "ran"
