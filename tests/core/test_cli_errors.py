"""Whatever goes wrong in a command reaches the person as one `error:` line: exit 2 for a mistake, 1 for
a fault of the workbench (its traceback kept in a file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from workbench import cli
from workbench.cli import models


def test_a_refused_file_is_one_line(monkeypatch, capsys):
    def refuse(args):
        raise PermissionError(13, "Permission denied", "/etc/shadow")

    monkeypatch.setattr(models, "run", refuse)
    assert cli.main(["models"]) == 2
    assert capsys.readouterr().err == "error: Permission denied: /etc/shadow\n"


def test_an_unexpected_fault_is_one_line_with_the_traceback_in_a_file(monkeypatch, capsys, tmp_path):
    def fail(args):
        raise ValueError("The model is quantized with gguf and is not serializable\nsecond line")

    monkeypatch.setattr(models, "run", fail)
    assert cli.main(["models"]) == cli.FAULT == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: unexpected ValueError: The model is quantized")
    report = tmp_path / "data" / cli.FAULT_REPORT
    assert str(report) in err and "Traceback" in report.read_text(encoding="utf-8")


def test_ctrl_c_while_a_load_goes_on_in_its_thread_leaves_at_once_with_130(monkeypatch, capsys):
    """Interrupted, a model load goes on in its thread deep in transformers; an ordinary exit would shut the
    interpreter down under it and abort ("terminate called without an active exception", status 134)."""
    import threading

    loading = threading.Event()
    working = threading.Thread(target=loading.wait, name="workbench-load", daemon=True)

    def interrupted_load(args):
        working.start()
        raise KeyboardInterrupt

    left = []
    monkeypatch.setattr(models, "run", interrupted_load)
    monkeypatch.setattr(os, "_exit", left.append)
    try:
        assert cli.main(["models"]) == 130
    finally:
        loading.set()
    assert left == [130] and capsys.readouterr().err == "interrupted\n"
    working.join()
    monkeypatch.setattr(models, "run", lambda args: (_ for _ in ()).throw(KeyboardInterrupt))
    monkeypatch.setattr(threading, "enumerate", lambda: [threading.main_thread()])  # (the suite's own threads)
    assert cli.main(["models"]) == 130 and left == [130]  # no thread at work: an ordinary exit


def test_a_second_ctrl_c_swallowed_by_a_callback_still_aborts_without_a_traceback(capsys, monkeypatch):
    """Raised inside a weakref callback, a KeyboardInterrupt was printed as "Exception ignored" and lost."""
    import signal
    import weakref

    from workbench.cli.interrupt import first_ctrl_c_stops
    from workbench.core.jobs import CancelToken

    class Held:
        pass

    def interrupted_callback(_ref):
        raise KeyboardInterrupt  # as the second Ctrl+C's handler raises it, wherever Python is

    left = []
    monkeypatch.setattr(os, "_exit", left.append)
    control = CancelToken()
    with first_ctrl_c_stops(control, None):
        signal.raise_signal(signal.SIGINT)  # the first Ctrl+C: a stop
        assert control.cancelled
        held = Held()
        reference = weakref.ref(held, interrupted_callback)
        del held  # the callback runs, and its KeyboardInterrupt cannot be raised
    assert reference() is None and left == [130]
    assert capsys.readouterr().err == "interrupted\n"  # no "Exception ignored", no traceback


@pytest.mark.parametrize("error, said", [
    (RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)"), "The disk is full"),
    (OSError(28, "No space left on device"), "No space left on device"),
    (RuntimeError("[enforce fail at alloc_cpu.cpp:127] data. DefaultCPUAllocator: can't allocate memory: you "
                  "tried to allocate 40000000000 bytes."), "Not enough memory"),
    (MemoryError(), "Not enough memory"),
])
def test_a_full_disk_or_too_little_memory_is_a_mistake_to_act_on_not_a_fault(monkeypatch, capsys, error, said):
    """safetensors' and the allocator's errors are no bug of the workbench: one line, exit 2, no report."""
    def fail(args):
        raise error

    monkeypatch.setattr(models, "run", fail)
    assert cli.main(["models"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and said in err and "fault of the workbench" not in err and err.count("\n") == 1


def test_a_fault_report_that_cannot_be_written_comes_with_the_line(monkeypatch, capsys, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(blocked))

    def fail(args):
        raise ValueError("a bug")

    monkeypatch.setattr(models, "run", fail)
    assert cli.main(["models"]) == cli.FAULT == 70
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected ValueError: a bug (a fault of the workbench; Traceback")


def test_an_argument_that_is_not_utf8_is_one_line_before_any_work(capsys, tmp_path):
    """A Latin-1 prompt or file name reaches Python as surrogates: said at once, nothing made."""
    out = tmp_path / "run"
    latin1 = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert cli.main(["train", "--corpus", f"{latin1}.txt", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "error: the argument “caf\ufffd.txt” is not UTF-8 text: retype it, or rename the file it names\n")
    assert not out.exists()
    assert cli.main(["generate", "--prompt", "x\ud800y"]) == 2  # a lone surrogate handed over directly
    assert capsys.readouterr().err.startswith("error: the argument “x\\ud800y” is not UTF-8 text")


def test_an_unknown_argument_points_to_its_commands_help(capsys):
    for argv, command in ((["generate", "--prompt", "x", "--stop", "XYZ", "Paris"], "generate"),
                          (["tree", "replay", "tree.json", "extra"], "tree replay")):
        with pytest.raises(SystemExit) as exit_:
            cli.main(argv)
        assert exit_.value.code == 2
        said = capsys.readouterr().err
        assert said == f"error: unrecognized arguments: {argv[-1]} (see workbench {command} --help)\n"


def test_a_dtype_that_is_not_a_choice_is_refused_before_any_work(capsys):
    """--dtype took any text, refused only once the model was being loaded; its choices are LoadSettings'."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["generate", "--prompt", "hi", "--dtype", "int3"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("error: argument --dtype: invalid choice: 'int3' (choose from 'auto', "
                                       "'float32', 'bfloat16', 'float16') (see workbench generate --help)\n")


def test_a_reader_that_goes_away_is_a_stop_not_done(tiny_folder):
    """`generate | head -c 1`: what it printed was cut, so the status says stopped (130), with no traceback.
    The pipe's reader is gone before the first token, so that no write can win the race."""
    reader, writer = os.pipe()
    os.close(reader)
    done = subprocess.run([sys.executable, "-m", "workbench", "generate", "--model", str(tiny_folder), "--prompt",
                           "hi", "--greedy", "--max-new-tokens", "4", "--device", "cpu"],
                          stdout=writer, stderr=subprocess.PIPE, text=True)
    os.close(writer)
    assert done.returncode == 130 and done.stderr == ""


def test_a_closed_standard_output_is_one_line_before_any_work():
    done = subprocess.run([sys.executable, "-m", "workbench", "generate", "--prompt", "hi", "--greedy"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, close_fds=True,
                          preexec_fn=lambda: os.close(1))
    assert done.returncode == 2
    assert done.stderr == "error: standard output is closed: run it with its output going to a terminal, a file " \
                          "or a pipe\n"


def test_a_mistake_is_said_before_torch_is_imported(tmp_path):
    """Torch and transformers take seconds to import: a typo in a flag, a missing file or folder, an unknown
    model, an encoder asked for a perplexity is said at once (these took 2-7.5 s)."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("some text to train on\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    mistakes = [
        ["generate", "--prompt", "hi", "--temperature", "inf"],
        ["inspect", "--prompt", "hi", "--out", str(tmp_path / "trace.txt")],
        ["train", "--corpus", str(corpus), "--out", str(tmp_path / "run"), "--block-size", "0"],
        ["train", "--corpus", str(corpus), "--out", str(tmp_path / "a-file")],
        ["train", "--resume", "--out", str(tmp_path / "nothing")],
        ["genlab", "--epochs", "0", "--out", str(tmp_path / "lab")],
        ["perplexity", "--model", "no-such-model", "--file", str(corpus)],
        ["perplexity", "--model", "minilm-l6", "--file", str(corpus)],  # an encoder
        ["perplexity", "--model", "smollm2-135m-instruct", "--file", str(tmp_path / "missing.txt")],
        ["compare", "--model", "no-such-model", "--model", "smollm2-135m-instruct", "--text", "hi"],
        ["compare", "--model", "smollm2-135m-instruct", "--model", "minilm-l6", "--text", "hi"],  # an encoder last
    ]
    code = ("import json, sys\nfrom workbench.cli import main\n"
            "for argv in json.loads(sys.argv[1]):\n"
            "    status = main(argv)\n"
            "    print(status, 'torch' in sys.modules, flush=True)\n")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(mistakes)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "WORKBENCH_DATA_DIR": str(tmp_path / "data"),
                                            "WORKBENCH_CONFIG_DIR": str(tmp_path / "config")})
    assert done.stdout.splitlines() == ["2 False"] * len(mistakes), done.stdout + done.stderr[-3000:]
    assert done.stderr.count("error: ") == len(mistakes)
