"""Files and folders written atomically get the permissions the person's own files get (tempfile's are private);
a save killed midway loses neither the last version nor disk space for good."""

from __future__ import annotations

import os
import stat
import time

import pytest

from workbench.core.atomic import STALE_STAGING_S, atomic_directory, write_text_atomic


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


def test_a_save_killed_between_its_renames_gets_its_last_version_back(tmp_path):
    """Killed after setting the old folder aside and before renaming the new one in: the old one returns,
    so a checkpoint that was saved is never reported missing."""
    from workbench.core.checkpoints import STATE_FILE, has_checkpoint, read_state

    final = tmp_path / "checkpoint"
    with atomic_directory(final) as staging:
        (staging / STATE_FILE).write_text('{"step": 5}')
    os.replace(final, tmp_path / ".checkpoint.old")  # where the kill left it
    assert has_checkpoint(final) and read_state(final) == {"step": 5}  # read where it is: a reader renames nothing
    assert not final.exists()
    with atomic_directory(final) as staging:  # the next save (under the run's lock) puts it back first
        (staging / STATE_FILE).write_text('{"step": 6}')
    assert read_state(final) == {"step": 6} and not (tmp_path / ".checkpoint.old").exists()


def test_what_killed_saves_left_is_removed_at_the_next_save_once_stale(tmp_path):
    final = tmp_path / "checkpoint"
    stale, fresh = tmp_path / ".checkpoint.111.tmp", tmp_path / ".checkpoint.222.tmp"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"half")
    old = time.time() - STALE_STAGING_S - 60
    for path in (stale, stale / "model.safetensors"):
        os.utime(path, (old, old))
    with atomic_directory(final) as staging:
        (staging / "x").write_text("x")
    assert not stale.exists() and fresh.exists()  # one another process may still be writing is left alone


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names each synced descriptor through /proc")
def test_a_new_folder_is_on_the_disk_before_the_last_version_is_removed(tmp_path, monkeypatch):
    """A power cut right after the save must find the new checkpoint's data written, not only its names."""
    from workbench.core import atomic

    events = []
    real_fsync, real_rmtree = os.fsync, atomic.shutil.rmtree
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (events.append(("sync", os.readlink(f"/proc/self/fd/{fd}"))),
                                                        real_fsync(fd))[1])
    monkeypatch.setattr(atomic.shutil, "rmtree", lambda path, **kw: (events.append(("remove", str(path))),
                                                                     real_rmtree(path, **kw))[1])
    final = tmp_path / "checkpoint"
    with atomic_directory(final) as staging:
        (staging / "model.bin").write_bytes(b"old")
    events.clear()
    with atomic_directory(final) as staging:
        (staging / "model.bin").write_bytes(b"new")
        staged = staging
    synced = [path for kind, path in events if kind == "sync"]
    assert str(staged / "model.bin") in synced and str(tmp_path) in synced
    assert events[-1] == ("remove", str(atomic.set_aside(final)))  # the last version, once the new one is in
    removed_old = len(events) - 1
    assert events.index(("sync", str(staged / "model.bin"))) < removed_old
    assert events.index(("sync", str(tmp_path))) < removed_old
    assert (final / "model.bin").read_bytes() == b"new"
