"""The checkpoint scrubber on a real (tiny) run: each kept step's reading is that step's model's own
computation, scrubbing shows a different heatmap per step, a second visit is served from the cache,
and the loss plot marks the step shown."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.conftest import TINY_TEXT
from tests.qt.test_training_panel import TINY_GPT
from workbench.core import devices
from workbench.core.attention import capture_attention
from workbench.core.catalog import Catalog
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import GenerationRequest, generate
from workbench.core.jobs import CancelToken, drain
from workbench.core.loading import load_model_blocking
from workbench.core.training.probes import probe_token_ids
from workbench.core.training.scrub import read_step
from workbench.core.training.snapshots import snapshot_steps
from workbench.qt.common.app_state import AppState
from workbench.qt.training import scrubber as scrubber_module
from workbench.qt.training.panel import TrainingPanel

PROBE = "the quick brown fox"


@pytest.fixture
def trained(qtbot, tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TINY_TEXT * 20, encoding="utf-8")
    panel = TrainingPanel(AppState(Catalog()))
    qtbot.addWidget(panel)
    panel.resize(1920, 1000)
    panel.show()
    panel.form.set_values(corpus=str(corpus), out_dir=str(tmp_path / "run"), max_iters=60, eval_interval=20,
                          probes=(PROBE,), **TINY_GPT)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=60_000)
    yield panel, tmp_path / "run"
    panel.shutdown()


def test_a_reading_is_the_kept_models_own_computation(tmp_path, trained):
    _, run = trained
    folder = snapshot_steps(run)[20]
    reading = drain(read_step(folder, 20, PROBE, 16, CancelToken()))
    loaded = load_model_blocking(str(folder))
    ids = probe_token_ids(loaded.tokenizer, PROBE, 16)
    np.testing.assert_allclose(reading.attention.weights, capture_attention(loaded, ids).main.weights, atol=1e-6)
    with torch.no_grad():
        probs = loaded.model(input_ids=torch.tensor([ids])).logits[0, -1].softmax(-1)
    assert reading.next_tokens[0][1] == pytest.approx(probs.max().item(), rel=1e-5)
    assert reading.lens.next_token_prob.shape == (loaded.model.config.num_hidden_layers + 1, len(ids))


def test_scrubbing_across_three_steps_changes_the_heatmap_and_moves_the_marker(qtbot, trained):
    panel, _ = trained
    scrubber = panel.scrubber
    assert scrubber.steps == [20, 40, 60]
    panel.curves.evaluations.setCurrentWidget(scrubber)
    matrices = {}
    for index, step in enumerate(scrubber.steps):
        scrubber.slider.setValue(index)
        qtbot.waitUntil(lambda step=step: scrubber.shown is not None and scrubber.shown.step == step, timeout=60_000)
        assert "read on the CPU" in scrubber.status.text(), scrubber.status.text()
        matrices[step] = scrubber.heatmap.matrix.copy()
        assert panel.curves._step_marker.value() == step
    assert not np.allclose(matrices[20], matrices[60])  # the model learnt between them
    scrubber.slider.setValue(0)  # back to the first: from the cache, no new job
    assert scrubber.shown.step == 20 and not scrubber.job.is_running
    np.testing.assert_array_equal(scrubber.heatmap.matrix, matrices[20])
    induction = scrubber.shown.head_scores.induction
    np.testing.assert_allclose(scrubber.heads_grid.values, induction)
    # Column i of the lens is position i's guess at token i + 1, so it is labelled with that token.
    tokens = scrubber.shown.attention.queries.labels
    assert scrubber.lens_grid.bottom_axis.labels == tuple(tokens[1:])
    np.testing.assert_array_equal(scrubber.lens_grid.values, scrubber.shown.lens.next_token_prob[:, :-1])


def test_open_asks_the_window_to_load_that_step_beside_the_training_run(qtbot, trained, monkeypatch):
    panel, run = trained
    requests = []
    panel.state.open_model_requested.connect(lambda entry, settings: requests.append((entry, settings)))
    panel.scrubber.slider.setValue(1)
    panel.scrubber.open_button.click()
    entry, settings = requests[-1]
    assert entry.location == str(snapshot_steps(run)[40]) and settings.device == "auto"  # the run has ended
    panel.scrubber.training_device = lambda: "cpu"
    panel.scrubber.open_button.click()
    assert requests[-1][1].device == "cpu" and "on the CPU, beside" in panel.scrubber.status.text()
    # Training on a GPU: there when its free memory holds the weights twice over, else on the CPU.
    panel.scrubber.training_device = lambda: "cuda"
    monkeypatch.setattr(scrubber_module, "resolve_device", torch.device)
    weights = (snapshot_steps(run)[40] / "model.safetensors").stat().st_size
    for free, expected in ((2 * weights, "cuda"), (2 * weights - 1, "cpu")):
        monkeypatch.setattr(devices, "free_memory_bytes", lambda device, free=free: free)
        panel.scrubber.open_button.click()
        assert requests[-1][1].device == expected, panel.scrubber.status.text()
    assert "cuda has too little free memory" in panel.scrubber.status.text()
    # Once the window has loaded it, the line says so instead of "Opening…".
    panel.state.model_changed.emit(load_model_blocking(entry.location))
    assert panel.scrubber.status.text() == "The model of step 40 is loaded: the Generate page uses it."


def test_a_step_opened_while_the_run_trains_generates(qtbot, tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TINY_TEXT * 20, encoding="utf-8")
    panel = TrainingPanel(AppState(Catalog()))
    qtbot.addWidget(panel)
    requests = []
    panel.state.open_model_requested.connect(lambda entry, settings: requests.append((entry, settings)))
    panel.form.set_values(corpus=str(corpus), out_dir=str(tmp_path / "run"), max_iters=100_000, eval_interval=20,
                          **TINY_GPT)
    panel.start_button.click()
    qtbot.waitUntil(lambda: bool(panel.scrubber.steps), timeout=60_000)
    panel.scrubber.open_button.click()
    assert panel.is_running()
    entry, settings = requests[-1]
    loaded = load_model_blocking(entry, settings)  # what the window does with the request
    request = GenerationRequest(prompt="the", settings=DecodingSettings(mode="greedy", max_new_tokens=5))
    assert len(drain(generate(loaded, request)).sequences[0].token_ids) == 5
    assert panel.is_running()  # the run went on meanwhile
    panel.shutdown()


def test_a_second_run_lists_its_probes_and_the_scrubber_follows_its_newest_step(qtbot, trained, tmp_path):
    panel, run = trained
    scrubber = panel.scrubber
    panel.curves.evaluations.setCurrentWidget(scrubber)  # someone is looking: the newest step is read
    panel.form.set_values(out_dir=str(tmp_path / "second"), max_iters=40)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None and panel.last_result.out_dir.endswith("second"),
                    timeout=60_000)
    assert [scrubber.probe_combo.itemText(i) for i in range(scrubber.probe_combo.count())] == [PROBE]
    assert scrubber.steps == [20, 40]
    # Nobody moved the slider: it followed the newest step, and what is shown is that step's reading.
    qtbot.waitUntil(lambda: scrubber.shown is not None and scrubber.shown.step == 40, timeout=60_000)
    assert scrubber.step_label.text() == "40" and panel.curves._step_marker.value() == 40
    assert scrubber.out_dir == tmp_path / "second"


def test_a_run_whose_evaluations_read_no_probe_yet_takes_them_from_the_run_file(qtbot, trained, tmp_path):
    """A Stop during the first evaluation keeps its step but no probe record: the tab listed the step and
    showed nothing to read."""
    import shutil

    panel, run = trained
    copy = tmp_path / "cut-short"
    shutil.copytree(run, copy)
    (copy / "probes.jsonl").write_text("", encoding="utf-8")
    panel.curves.evaluations.setCurrentWidget(panel.scrubber)
    panel.open_run(copy)
    scrubber = panel.scrubber
    assert [scrubber.probe_combo.itemText(i) for i in range(scrubber.probe_combo.count())] == [PROBE]
    qtbot.waitUntil(lambda: scrubber.shown is not None and scrubber.shown.step == 60, timeout=60_000)
    assert scrubber.shown.probe == PROBE


def test_a_new_run_clears_the_last_runs_reading(qtbot, trained, tmp_path):
    """After Start, the old run's "Step 300, read on the CPU." and its grids stayed until the new run's first
    snapshot, as if they were the new run's."""
    panel, _ = trained
    scrubber = panel.scrubber
    panel.curves.evaluations.setCurrentWidget(scrubber)
    qtbot.waitUntil(lambda: scrubber.shown is not None, timeout=60_000)
    assert scrubber.next_tokens.text() and scrubber.heatmap.matrix.size
    scrubber.set_run(tmp_path / "next-run", 16)
    assert scrubber.heatmap.matrix.size == 0 and not scrubber.next_tokens.text() and not scrubber.step_label.text()
    assert scrubber.status.text() == "The kept evaluations of a run appear here as it trains."


def _one_load_at_a_time(monkeypatch) -> dict[str, int]:
    """``load_model_blocking`` made slow and failing, counting how many run at once: a checkpoint read from disk
    looks at no cancel meanwhile."""
    import threading
    import time

    from workbench.core import loading

    counter, lock = {"now": 0, "most": 0, "calls": 0}, threading.Lock()

    def load(*args, **kwargs):
        with lock:
            counter["now"] += 1
            counter["most"], counter["calls"] = max(counter["most"], counter["now"]), counter["calls"] + 1
        time.sleep(0.5)
        with lock:
            counter["now"] -= 1
        raise OSError("not a real checkpoint")

    monkeypatch.setattr(loading, "load_model_blocking", load)
    return counter


def test_dragging_the_slider_loads_one_checkpoint_at_a_time_then_the_last(qtbot, state, tmp_path, monkeypatch):
    counter = _one_load_at_a_time(monkeypatch)
    scrubber = scrubber_module.CheckpointScrubber(state)
    qtbot.addWidget(scrubber)
    scrubber.show()
    scrubber.set_run(tmp_path, 16)
    scrubber.set_probes(["The capital of France"])
    scrubber.set_steps((100, 200, 300, 400, 500, 600))
    for index in range(6):  # a drag across the slider
        scrubber.slider.setValue(index)
        qtbot.wait(30)
    qtbot.waitUntil(lambda: not state.jobs.live() and not scrubber.job.is_running, timeout=20_000)
    scrubber.shutdown()
    assert counter["most"] == 1 and counter["calls"] == 2  # the first position's, then the last's


def test_clicks_along_a_drift_strip_load_the_base_once_at_a_time(qtbot, state, tmp_path, monkeypatch):
    from workbench.core.training.probes import ProbeRecord
    from workbench.qt.training import drift as drift_module

    counter = _one_load_at_a_time(monkeypatch)
    monkeypatch.setattr(drift_module, "snapshot_steps", lambda out_dir: {100: tmp_path})
    view = drift_module.DriftView(state)
    qtbot.addWidget(view)
    view.show()
    view.set_run(tmp_path, "some/base-model", 16)
    view.show_records([ProbeRecord(step=100, probe=0, text="The capital", loss=1.0, continuation="", top=(),
                                   drift=(0.1, 0.2), tokens=("The", " capital"))])
    for position in (0, 1, 0, 1):  # clicks while the base model loads
        view.compare_at(0, position)
        qtbot.wait(30)
    qtbot.waitUntil(lambda: not state.jobs.live() and not view.job.is_running, timeout=20_000)
    view.shutdown()
    assert counter["most"] == 1 and counter["calls"] == 2
