"""The Training panel follows a run that a separate process writes: points appear within a second of
their write, and a real `workbench train` in another process shows its curves, samples, probes and
kept steps as it trains."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tests.conftest import TINY_TEXT
from workbench.core.catalog import Catalog
from workbench.core.outputs import RunFolderLock
from workbench.core.training.run_folder import METRICS_FILE, RUN_FILE
from workbench.core.training.run_history import read_metrics_csv
from workbench.core.training.trainer import MetricsLog
from workbench.qt.common.app_state import AppState
from workbench.qt.training.panel import TrainingPanel

WRITER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from workbench.core.training.trainer import MetricsLog
    from workbench.core.training.run_folder import METRICS_FILE, RUN_FILE

    folder = Path(sys.argv[1])
    log, written = MetricsLog(folder / METRICS_FILE), {}
    for step in range(3, 13):
        log.write(step, 3.0 - step / 10, None, 1e-3, 1000.0, step / 10)
        written[step] = time.time()
        time.sleep(0.3)
    (folder / "written.json").write_text(json.dumps(written))
""")


@pytest.fixture
def panel(qtbot):
    widget = TrainingPanel(AppState(Catalog()))
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def _shown_at(panel: TrainingPanel) -> dict[int, float]:
    """When each step reached the curves (wall clock), recorded as the panel draws it."""
    shown: dict[int, float] = {}
    draw = panel.curves.add_steps

    def recording(events) -> None:
        draw(events)
        for event in events:
            shown[event.step] = time.time()

    panel.curves.add_steps = recording
    return shown


def _two_steps_written(folder):
    """A run folder whose metrics.csv holds steps 1 and 2, as a trainer in another process wrote them."""
    folder.mkdir()
    log = MetricsLog(folder / METRICS_FILE)
    for step in (1, 2):
        log.write(step, 3.0, None, 1e-3, 1000.0, step / 10)
    log.close()
    return folder


def test_points_written_by_another_process_show_within_a_second(panel, qtbot, tmp_path):
    folder = _two_steps_written(tmp_path / "run")
    shown = _shown_at(panel)
    panel.open_run(folder)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)])
    try:
        qtbot.waitUntil(lambda: (folder / "written.json").exists() and 12 in shown, timeout=60_000)
    finally:
        writer.wait(timeout=60)
    written = {int(step): at for step, at in json.loads((folder / "written.json").read_text()).items()}
    lags = {step: shown[step] - written[step] for step in written}
    assert max(lags.values()) < 1.0, lags
    steps = panel.curves.curves.points(panel.curves.train_name)[:, 0]
    np.testing.assert_array_equal(steps, np.arange(1, 13))  # each point once, in order
    # The folder's name, its path as the tooltip: the whole path grew the status to three lines and moved the
    # buttons under it at every update.
    assert panel.status_label.text() == "Following the run in run: step 12."
    assert panel.status_label.toolTip() == str(folder)


@pytest.mark.slow
def test_a_training_run_in_another_process_is_followed_to_its_end(panel, qtbot, tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TINY_TEXT * 20, encoding="utf-8")
    out = tmp_path / "elsewhere"
    command = [sys.executable, "-m", "workbench", "train", "--corpus", str(corpus), "--out", str(out),
               "--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "16", "--batch-size", "4",
               "--eval-iters", "2", "--sample-tokens", "8", "--device", "cpu", "--max-iters", "600",
               "--eval-interval", "200", "--probe", "the quick brown fox"]
    trainer = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        # Opened as soon as the run's folder says it has begun: before its first step, as a torchrun job
        # learning its vocabulary is for minutes.
        qtbot.waitUntil(lambda: (out / RUN_FILE).is_file(), timeout=120_000)
        panel.open_run(out)
        assert "Following the run" in panel.status_label.text()
        assert len(panel.curves.curves.points(panel.curves.train_name)) < 600  # opened while it trains
        qtbot.waitUntil(lambda: trainer.poll() is not None, timeout=300_000)
        assert trainer.returncode == 0
        qtbot.waitUntil(lambda: panel.curves.samples.topLevelItemCount() == 3, timeout=5_000)
    finally:
        trainer.kill()
    metrics = read_metrics_csv(out / METRICS_FILE)
    points = panel.curves.curves.points(panel.curves.train_name)
    np.testing.assert_array_equal(points[:, 0], metrics["step"])
    np.testing.assert_allclose(points[:, -1], metrics["train_loss"], rtol=1e-6)
    evaluated = ~np.isnan(metrics["val_loss"])
    np.testing.assert_allclose(panel.curves.curves.points(panel.curves.val_name)[:, -1], metrics["val_loss"][evaluated],
                               rtol=1e-6)
    assert panel.curves.probes_table.topLevelItemCount() == 3  # a row per evaluation
    assert panel.scrubber.steps == [200, 400, 600] and panel.scrubber.probes == ["the quick brown fox"]
    assert not panel.continue_button.isEnabled()  # another process wrote it
    requests = []
    panel.state.open_model_requested.connect(lambda entry, settings: requests.append(entry))
    panel.scrubber.slider.setValue(1)
    panel.scrubber.open_button.click()
    assert requests[-1].location == str(out / "step-0000400")


def _run_with_a_checkpoint(tmp_path):
    """A finished 40-step run made to look like one of 1000 steps checkpointed at step 20 (so its steps 21-40
    are either being written now or were left by a crash)."""
    from workbench.core.jobs import drain
    from workbench.core.training.run_folder import CHECKPOINT_FOLDER
    from workbench.core.training.settings import TrainSettings
    from workbench.core.training.trainer import train

    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TINY_TEXT * 20, encoding="utf-8")
    out = tmp_path / "run"
    drain(train(TrainSettings(corpus=str(corpus), out_dir=str(out), n_layer=1, n_head=2, n_embd=16, block_size=16,
                              batch_size=4, eval_iters=2, sample_tokens=4, device="cpu", max_iters=40,
                              eval_interval=20, checkpoint_interval=20)))
    state_file = out / CHECKPOINT_FOLDER / "trainer_state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    state["step"], state["settings"]["max_iters"] = 20, 1000
    state_file.write_text(json.dumps(state), encoding="utf-8")
    return out


def test_a_run_training_now_is_drawn_whole_and_cannot_be_continued_here(panel, qtbot, tmp_path):
    out = _run_with_a_checkpoint(tmp_path)
    trainer = RunFolderLock(out)  # as the trainer in another process holds it
    panel.open_run(out)
    assert panel.curves.curves.points(panel.curves.train_name)[-1, 0] == 40  # no gap after the checkpoint
    assert not panel.continue_button.isEnabled() and "Following the run" in panel.status_label.text()
    log = MetricsLog(out / METRICS_FILE)
    log.write(41, 2.0, None, 1e-3, 1000.0, 4.1)
    log.close()
    qtbot.waitUntil(lambda: panel.curves.curves.points(panel.curves.train_name)[-1, 0] == 41, timeout=5_000)
    # The trainer is killed (its lock goes with it): the run waits for Continue from its checkpoint, here.
    trainer.release()
    qtbot.waitUntil(panel.continue_button.isEnabled, timeout=5_000)
    assert "stopped at step 20" in panel.status_label.text()
    assert panel.curves.curves.points(panel.curves.train_name)[-1, 0] == 20  # Continue redoes 21-41


@pytest.mark.parametrize("written", ["just now", "an hour ago"])
def test_a_run_left_by_a_crash_is_drawn_up_to_its_checkpoint_for_continue(panel, tmp_path, written):
    """No process holds the run's lock: a crash, even one a moment ago (the window killed with its trainer and
    opened again at once had waited two minutes for a run that would never write again)."""
    out = _run_with_a_checkpoint(tmp_path)
    if written == "an hour ago":
        an_hour_ago = time.time() - 3600
        for path in (out, out / METRICS_FILE):
            os.utime(path, (an_hour_ago, an_hour_ago))
    panel.open_run(out)
    assert panel.curves.curves.points(panel.curves.train_name)[-1, 0] == 20  # Continue redoes 21-40
    assert panel.continue_button.isEnabled() and "stopped at step 20" in panel.status_label.text()


def test_a_followed_run_rewritten_in_two_goes_is_read_again_and_followed_on(panel, qtbot, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    log = MetricsLog(folder / METRICS_FILE)
    for step in range(1, 11):
        log.write(step, 3.0, None, 1e-3, 1000.0, step / 10)
    log.close()
    panel.open_run(folder)
    whole = (folder / METRICS_FILE).read_text(encoding="utf-8")
    (folder / METRICS_FILE).write_text(whole[:20], encoding="utf-8")  # a resume copying back: half a header
    qtbot.wait(700)  # looked at while half copied: not a metrics file yet
    kept = "".join(whole.splitlines(keepends=True)[:6])  # the checkpoint's metrics: steps 1-5
    (folder / METRICS_FILE).write_text(kept + "6,2.5,,1.0e-03,1000.0,0.6\n", encoding="utf-8")
    qtbot.waitUntil(lambda: panel.curves.curves.points(panel.curves.train_name)[-1, 0] == 6, timeout=15_000)
    np.testing.assert_array_equal(panel.curves.curves.points(panel.curves.train_name)[:, 0], np.arange(1, 7))
    with open(folder / METRICS_FILE, "a", encoding="utf-8") as handle:
        handle.write("7,2.4,,1.0e-03,1000.0,0.7\n")
    qtbot.waitUntil(lambda: panel.curves.curves.points(panel.curves.train_name)[-1, 0] == 7, timeout=5_000)


def test_a_followed_run_whose_folder_is_deleted_stops_following_and_says_so(panel, qtbot, tmp_path):
    import shutil

    folder = _two_steps_written(tmp_path / "run")
    trainer = RunFolderLock(folder)  # as the trainer in another process holds it
    panel.open_run(folder)
    assert "Following the run" in panel.status_label.text()
    shutil.rmtree(folder)
    trainer.release()
    qtbot.waitUntil(lambda: "is gone" in panel.status_label.text(), timeout=5_000)
    assert panel.following.folder is None and len(panel.curves.curves.points(panel.curves.train_name)) == 2


def test_a_run_opened_while_another_is_read_again_is_not_replaced_by_the_retry(panel, qtbot, tmp_path):
    """A followed run caught half-rewritten is read again every 500 ms: the retry put it back over a run the person
    had opened meanwhile."""
    from workbench.qt.training import panel as panel_module

    half = tmp_path / "half"
    half.mkdir()  # not a run (yet): its metrics.csv is being copied back
    panel._open_again(half)
    other = _two_steps_written(tmp_path / "other")
    panel.open_run(other)
    (half / METRICS_FILE).write_text((other / METRICS_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    qtbot.wait(panel_module.OPEN_AGAIN_INTERVAL_MS * 2)
    assert panel.following.folder == other
