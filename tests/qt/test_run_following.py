"""The Training panel follows a run that a separate process writes: points appear within a second of
their write, and a real `workbench train` in another process shows its curves, samples, probes and
kept steps as it trains."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tests.conftest import TINY_TEXT
from workbench.core.catalog import Catalog
from workbench.core.training.run_history import read_metrics_csv
from workbench.core.training.trainer import METRICS_FILE, MetricsLog
from workbench.qt.common.app_state import AppState
from workbench.qt.training.panel import TrainingPanel

WRITER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from workbench.core.training.trainer import METRICS_FILE, MetricsLog

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


def test_points_written_by_another_process_show_within_a_second(panel, qtbot, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    log = MetricsLog(folder / METRICS_FILE)
    for step in (1, 2):
        log.write(step, 3.0, None, 1e-3, 1000.0, step / 10)
    log.close()
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
    assert "Following the run" in panel.status_label.text()


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
        qtbot.waitUntil(lambda: (out / METRICS_FILE).is_file() and (out / METRICS_FILE).stat().st_size > 80,
                        timeout=120_000)
        panel.open_run(out)
        assert panel.curves.curves.points(panel.curves.train_name)[-1, 0] < 600  # opened while it trains
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
