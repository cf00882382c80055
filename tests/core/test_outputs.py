"""Output folders are checked before any work: a file, a busy folder or an unwritable place is refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import obeying_file_permissions
from workbench.core.errors import InvalidInputError
from workbench.core.outputs import check_output_folder, prepare_output_folder, remove_made_folders


def test_a_new_folder_is_created_with_its_parents_and_can_be_removed_again(tmp_path):
    folder = tmp_path / "runs" / "first"
    assert check_output_folder(folder) == folder and not (tmp_path / "runs").exists()  # a check makes nothing
    made = prepare_output_folder(folder)
    assert made == [folder, tmp_path / "runs"]
    assert folder.is_dir() and list(folder.iterdir()) == []  # the write probe left nothing behind
    remove_made_folders(made)
    assert list(tmp_path.iterdir()) == []
    made = prepare_output_folder(folder)
    (folder / "metrics.csv").write_text("step\n")
    remove_made_folders(made)  # something was written: it all stays
    assert (folder / "metrics.csv").exists()


def test_a_file_is_refused(tmp_path):
    file = tmp_path / "results"
    file.write_text("not a folder")
    with pytest.raises(InvalidInputError, match="is a file, not a folder"):
        prepare_output_folder(file)


def test_a_folder_under_a_file_is_refused(tmp_path):
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(InvalidInputError, match="Cannot write results in"):
        prepare_output_folder(tmp_path / "plain" / "run")


def test_a_busy_folder_is_refused_unless_resuming(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidInputError, match="not empty"):
        prepare_output_folder(tmp_path)
    assert prepare_output_folder(tmp_path, resume=True) == []
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_a_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    attempt = ("from workbench.core.outputs import prepare_output_folder; import sys; "
               "prepare_output_folder(sys.argv[1])")
    done = subprocess.run(obeying_file_permissions([sys.executable, "-c", attempt, str(locked / "run")]),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "InvalidInputError: Cannot write results in" in done.stderr, done.stderr[-2000:]
    assert not (locked / "run").exists()


def test_proc_is_refused():
    with pytest.raises(InvalidInputError, match="Cannot write results in"):
        prepare_output_folder("/proc/workbench-run")


def test_an_output_file_is_never_written_over(tmp_path):
    from workbench.core.outputs import check_output_file

    earlier = tmp_path / "attention.npz"
    earlier.write_bytes(b"an earlier capture")
    with pytest.raises(InvalidInputError, match="already exists: give a new file name"):
        check_output_file(earlier, ".npz")
    (tmp_path / "gone.png").symlink_to(tmp_path / "nowhere.png")  # a dangling link would be written through
    with pytest.raises(InvalidInputError, match="already exists"):
        check_output_file(tmp_path / "gone.png", ".png")
    with pytest.raises(InvalidInputError, match="Give a file name ending in .json"):
        check_output_file("", ".json")
    assert check_output_file(tmp_path / "new.npz", ".npz") == tmp_path / "new.npz"
    assert earlier.read_bytes() == b"an earlier capture"


@pytest.mark.skipif(os.name == "nt", reason="folder locks are POSIX flocks")
def test_a_window_looking_at_a_run_for_a_moment_does_not_refuse_its_training(tmp_path):
    """The model picker checks whether each run trains now with a shared lock held for a moment; a trainer
    taking the folder then waits that moment out instead of saying another process trains there."""
    import threading

    from workbench.core import outputs

    glance = outputs._locked_folder(tmp_path, exclusive=False)  # as training_in holds it
    threading.Timer(0.05, os.close, (glance,)).start()
    lock = outputs.RunFolderLock(tmp_path)
    assert outputs.training_in(tmp_path)
    lock.release()
    assert not outputs.training_in(tmp_path)


def test_a_path_the_system_cannot_look_up_is_one_clear_line_everywhere(tmp_path):
    """A name over 255 bytes made exists() and is_dir() raise an OSError: a traceback and no message."""
    from workbench.core.catalog import Catalog
    from workbench.core.genlab.data import image_folder_problem
    from workbench.core.outputs import check_output_file
    from workbench.core.training.corpus import read_corpus

    too_long = str(tmp_path / ("x" * 300))
    for look in (lambda: Catalog().resolve(too_long), lambda: read_corpus(too_long),
                 lambda: check_output_folder(too_long), lambda: check_output_file(too_long + ".npz", ".npz")):
        with pytest.raises(InvalidInputError, match="cannot be used: File name too long"):
            look()
    assert "cannot be used: File name too long" in image_folder_problem(too_long)
