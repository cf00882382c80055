"""Files and folders written atomically get the permissions the person's own files get (tempfile's are private)."""

from __future__ import annotations

import stat

from workbench.core.atomic import atomic_directory, write_text_atomic


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_files_and_folders_get_the_permissions_of_plain_ones(tmp_path):
    (tmp_path / "plain.txt").write_text("plain")
    (tmp_path / "plain").mkdir()
    write_text_atomic(tmp_path / "run.json", "{}")
    with atomic_directory(tmp_path / "step-0000010") as staging:
        write_text_atomic(staging / "model.safetensors", "weights")
    assert (tmp_path / "run.json").read_text() == "{}"
    assert _mode(tmp_path / "run.json") == _mode(tmp_path / "plain.txt")
    assert _mode(tmp_path / "step-0000010") == _mode(tmp_path / "plain")
    assert _mode(tmp_path / "step-0000010" / "model.safetensors") == _mode(tmp_path / "plain.txt")
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no staging left


def test_a_replaced_file_keeps_its_own_permissions(tmp_path):
    session = tmp_path / "session.json"
    write_text_atomic(session, "{}")
    session.chmod(0o600)  # made private by its owner
    write_text_atomic(session, '{"runs": []}')
    assert session.read_text() == '{"runs": []}' and _mode(session) == 0o600
