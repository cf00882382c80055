"""The training panel drives real (tiny) training runs: start, pause, resume, stop, continue,
finish; the trained model reaches the catalog and generates through the engine."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TINY_TEXT
from tests.qt.conftest import wait_until_settled
from workbench.core.catalog import Catalog
from workbench.core.checkpoints import SavingProgress, has_checkpoint
from workbench.core.decoding import DecodingSettings
from workbench.core.errors import InvalidInputError
from workbench.core.generation import GenerationRequest, generate
from workbench.core.head_scores import HeadScores, head_scores
from workbench.core.jobs import drain
from workbench.core.loading import load_model_blocking
from workbench.core.training import trainer
from workbench.core.training.events import CheckpointEvent, EvalEvent
from workbench.core.training.probes import PROBES_FILE, read_probes
from workbench.core.training.run_history import read_metrics_csv
from workbench.core.training.settings import TrainSettings
from workbench.qt.common.app_state import AppState
from workbench.qt.common.theme import warning_color
from workbench.qt.training.curves import STRONG_HEAD, TrainingCurves
from workbench.qt.training.panel import TrainingPanel

TINY_GPT = dict(
    arch="gpt",
    tokenizer="char",
    n_layer=1,
    n_head=2,
    n_embd=16,
    block_size=16,
    batch_size=4,
    warmup_iters=5,
    eval_iters=2,
    sample_tokens=8,
    checkpoint_interval=0,
    device="cpu",
)


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT * 20, encoding="utf-8")
    return path


@pytest.fixture
def panel(qtbot):
    state = AppState(Catalog())
    widget = TrainingPanel(state)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()
    widget.close()


def _steps(panel: TrainingPanel) -> int:
    return len(panel.curves.curves.points(panel.curves.train_name))


def _last_step(panel: TrainingPanel) -> int:
    return int(panel.curves.curves.points(panel.curves.train_name)[-1, 0])


def test_start_pause_resume_stop_and_continue(panel, qtbot, corpus, tmp_path):
    out_dir = tmp_path / "run"
    panel.form.set_values(corpus=str(corpus), out_dir=str(out_dir), max_iters=5000, eval_interval=25, **TINY_GPT)
    assert panel.start_button.isEnabled(), panel.problems_label.text()
    catalog_news = []
    panel.state.catalog_changed.connect(lambda: catalog_news.append(True))

    panel.start_button.click()
    qtbot.waitUntil(lambda: _steps(panel) >= 5, timeout=30_000)
    assert not panel.start_button.isEnabled() and not panel.form.is_editable()

    panel.pause_button.click()
    assert panel.pause_button.text() == "Resume"
    paused_at = wait_until_settled(lambda: _steps(panel), qtbot)
    qtbot.wait(1000)
    assert _steps(panel) == paused_at

    panel.pause_button.click()
    assert panel.pause_button.text() == "Pause"
    # Past the first evaluation (step 25), however slowly a busy machine steps.
    qtbot.waitUntil(lambda: _steps(panel) > paused_at + 3 and bool(panel.scrubber.steps), timeout=60_000)

    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=30_000)
    result = panel.last_result
    assert result.stopped and not panel.is_running()
    assert has_checkpoint(out_dir / trainer.CHECKPOINT_FOLDER)
    assert catalog_news, "the model picker was not told about the checkpoint"
    listed = {entry.location for entry in panel.state.catalog.entries()}
    assert str((out_dir / trainer.CHECKPOINT_FOLDER).resolve()) in listed
    assert panel.continue_button.isEnabled() and panel.start_button.isEnabled()
    # The output folder turns to a new run's: the status and Continue say where Continue writes.
    assert panel.form.settings().out_dir != str(out_dir)
    assert f"Continue goes on in {out_dir.name}" in panel.run.status_label.text()
    assert panel.run.status_label.toolTip() == str(out_dir)  # the whole path, which two lines may not hold
    assert str(out_dir) in panel.continue_button.toolTip()

    stopped_at = result.step
    kept, probes = list(panel.scrubber.steps), list(panel.scrubber.probes)
    assert kept and probes  # evaluations every 25 steps kept their models
    panel.continue_button.click()
    assert panel.scrubber.steps == kept and panel.scrubber.probes == probes  # still listed while it goes on
    assert panel.form.settings().out_dir == str(out_dir)  # the form names the folder it writes to
    qtbot.waitUntil(lambda: _last_step(panel) >= stopped_at + 3, timeout=30_000)
    steps = panel.curves.curves.points(panel.curves.train_name)[:, 0]
    assert list(steps) == list(range(1, len(steps) + 1)), "the resumed run does not continue the same curve"
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=30_000)


def test_a_continue_refused_at_once_gives_start_a_new_folder_again(panel, qtbot, corpus, tmp_path):
    """Continue shows the run's folder in the form while it runs; refused (here its checkpoint is gone), the
    form must not keep that folder, which would block Start too."""
    gone = tmp_path / "gone"
    gone.mkdir()
    (gone / "metrics.csv").write_text("step,train_loss,val_loss,lr,tokens_per_s,elapsed_s\n", encoding="utf-8")
    panel.form.set_values(corpus=str(corpus), **TINY_GPT)  # as a stopped run leaves the form
    panel._resumable = TrainSettings(corpus=str(corpus), out_dir=str(gone), max_iters=10, **TINY_GPT)
    panel.continue_run()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=30_000)
    assert "no checkpoint to resume" in panel.run.status_label.text()
    assert panel.form.settings().out_dir != str(gone) and panel.start_button.isEnabled(), panel.problems_label.text()


def test_finished_model_is_listed_and_generates(panel, qtbot, corpus, tmp_path):
    out_dir = tmp_path / "done"
    panel.form.set_values(corpus=str(corpus), out_dir=str(out_dir), max_iters=30, eval_interval=10, **TINY_GPT)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=60_000)
    result = panel.last_result
    assert not result.stopped, result.message
    assert panel.curves.samples.topLevelItemCount() == 3  # evals at steps 10, 20, 30
    assert "perplexity" in panel.curves.readout.text()
    losses = panel.curves.curves.points(panel.curves.val_name)[:, -1]
    perplexity = float(panel.curves.readout.text().rsplit(" ", 1)[-1])
    assert perplexity == pytest.approx(math.exp(losses[-1]), rel=1e-2)
    assert str(panel.form.settings().out_dir) != str(out_dir), "the next run must get a new folder"

    entry = next(e for e in panel.state.catalog.entries() if e.location == str(out_dir.resolve()))
    assert entry.can_generate
    loaded = load_model_blocking(entry)
    request = GenerationRequest(prompt="The", settings=DecodingSettings(mode="greedy", max_new_tokens=5))
    generated = drain(generate(loaded, request))
    assert len(generated.sequences[0].token_ids) == 5

    # The heads plot: one line per head, an induction score per evaluation, the last one the final model's.
    heads = [panel.curves.head_name(0, head) for head in range(2)]
    assert all(name in panel.curves.curves.series_names() for name in heads)
    final = head_scores(loaded, loaded.context_length).induction[0]
    for head, name in enumerate(heads):
        points = panel.curves.curves.points(name)
        assert list(points[:, 0]) == [10, 20, 30]
        assert points[-1, -1] == pytest.approx(final[head], abs=1e-5)

    # The probes (the validation text's first lines here): a loss curve each, a table row per evaluation.
    probes = read_probes(out_dir / PROBES_FILE)
    assert panel.curves.probes_table.topLevelItemCount() == len(probes) and {p.step for p in probes} == {10, 20, 30}
    first = probes[0]
    assert panel.curves.curves.points(panel.curves.probe_name(first.probe))[0, -1] == pytest.approx(first.loss)
    newest = panel.curves.probes_table.topLevelItem(0)
    newest_probe = probes[-len(set(p.probe for p in probes))]
    assert newest.text(0) == "30" and newest.text(2) == f"{newest_probe.loss:.3f}"
    assert newest.text(1).startswith(f"1 · {newest_probe.text[:5]}")  # which probe: its number and text

    metrics = read_metrics_csv(out_dir / trainer.METRICS_FILE)
    assert list(metrics["step"]) == list(range(1, 31))
    assert list(metrics["tokens"]) == [step * 4 * 16 for step in range(1, 31)]  # batch 4 x block 16
    assert np.isfinite(metrics["val_loss"]).sum() == 3
    panel.curves.load_metrics(out_dir / trainer.METRICS_FILE)
    assert panel.curves.curves.overlay_labels() == ["done"]


def test_a_file_that_is_not_metrics_is_refused(tmp_path):
    wrong = tmp_path / "metrics.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a training metrics file"):
        read_metrics_csv(wrong)


def test_bad_settings_disable_start_with_a_message(panel, tmp_path, corpus):
    assert not panel.start_button.isEnabled()  # no corpus yet
    panel.form.set_values(corpus=str(corpus), n_embd=30, n_head=4)
    assert not panel.start_button.isEnabled()
    assert "divisible" in panel.problems_label.text()
    panel.form.set_values(n_embd=32)
    assert panel.start_button.isEnabled(), panel.problems_label.text()

    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café crème".encode("latin-1"))
    panel.form.set_corpus(str(latin1))
    assert "not UTF-8" in panel.problems_label.text()
    assert not panel.start_button.isEnabled()

    panel.form.set_corpus(str(corpus))
    panel.form.set_values(arch="finetune")
    assert "Load a model first" in panel.problems_label.text()


def test_a_warmup_longer_than_the_run_is_said_and_start_stays_enabled(panel, corpus):
    panel.form.set_values(corpus=str(corpus), max_iters=60, warmup_iters=100)
    assert "The warmup (100 steps) lasts the whole run (60 steps)" in panel.notes_label.text()
    assert panel.notes_label.isVisibleTo(panel) and panel.start_button.isEnabled()
    assert not panel.problems_label.isVisibleTo(panel)  # a note is not drawn as a problem
    panel.form.set_values(warmup_iters=10)
    assert not panel.notes_label.isVisibleTo(panel)


def test_try_training_fills_in_the_sample_corpus(panel):
    panel.form.try_button.click()
    assert panel.form.settings().corpus.endswith("tang300.txt")
    assert "characters" in panel.form.corpus_stats_label.text()
    assert panel.start_button.isEnabled(), panel.problems_label.text()


def test_an_output_folder_that_cannot_take_the_run_is_said_before_start(panel, tmp_path, monkeypatch):
    """A file, or a place no file can be written, passed the form: Start failed after the page had made ready."""
    panel.form.try_button.click()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine", encoding="utf-8")
    panel.form.set_values(out_dir=str(a_file / "run"))
    assert not panel.start_button.isEnabled() and "cannot write" in panel.problems_label.text().lower()
    panel.form.set_values(out_dir=str(a_file))
    assert not panel.start_button.isEnabled() and "is a file, not a folder" in panel.problems_label.text()
    panel.form.set_values(out_dir=str(tmp_path / "new-run"))
    assert panel.start_button.isEnabled(), panel.problems_label.text()
    # A place fixed outside the app is checked again a moment later, without retyping it.
    from workbench.qt.training import form as form_module

    panel.form.set_values(out_dir=str(a_file / "run"))
    assert panel.form.problems()
    a_file.unlink()
    monkeypatch.setattr(form_module, "PLACE_CHECK_S", 0.0)
    assert panel.form.problems() == []


def test_diverged_loss_stops_with_a_clear_message(panel, qtbot, corpus, tmp_path, monkeypatch):
    real_loss = trainer._next_token_loss
    calls = {"n": 0}

    def diverging_loss(model, inputs, targets):
        calls["n"] += 1
        return real_loss(model, inputs, targets) * (math.nan if calls["n"] > 3 else 1.0)

    monkeypatch.setattr(trainer, "_next_token_loss", diverging_loss)
    panel.form.set_values(corpus=str(corpus), out_dir=str(tmp_path / "nan"), max_iters=50, eval_interval=10, **TINY_GPT)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=30_000)
    assert panel.last_result.stopped
    assert "diverged" in panel.status_label.text()
    assert warning_color(panel.palette()).name() in panel.status_label.styleSheet()  # shown as a problem
    assert not panel.continue_button.isEnabled()


def test_shutdown_during_a_run_saves_a_checkpoint(panel, qtbot, corpus, tmp_path):
    out_dir = tmp_path / "closing"
    panel.form.set_values(corpus=str(corpus), out_dir=str(out_dir), max_iters=5000, eval_interval=1000, **TINY_GPT)
    panel.start_button.click()
    qtbot.waitUntil(lambda: _steps(panel) >= 3, timeout=30_000)
    panel.shutdown()
    assert not panel.is_running()
    assert has_checkpoint(out_dir / trainer.CHECKPOINT_FOLDER)


def test_fine_tunes_the_loaded_model_with_lora(panel, qtbot, corpus, tmp_path, tiny_loaded, tiny_folder):
    from dataclasses import replace

    from workbench.core.catalog import folder_entry

    base_dir = tiny_folder
    panel.state.set_loaded_model(replace(tiny_loaded, entry=folder_entry(base_dir)))
    panel.form.set_values(
        corpus=str(corpus), out_dir=str(tmp_path / "lora"), arch="finetune", lora=True, lora_rank=4,
        block_size=16, batch_size=2, max_iters=6, eval_interval=3, eval_iters=1, sample_tokens=4,
        warmup_iters=1, checkpoint_interval=0, device="cpu",
    )
    assert panel.form.settings().tokenizer == "pretrained"
    assert panel.form.settings().base_model == str(base_dir.resolve())
    assert panel.start_button.isEnabled(), panel.problems_label.text()
    assert panel.drift._outer.isHidden()  # no drift yet: the tab says why rather than draw empty strips
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=60_000)
    assert not panel.last_result.stopped, panel.last_result.message
    assert _last_step(panel) == 6
    # The drift column: the largest KL from the base over each probe, as probes.jsonl records it.
    records = read_probes(tmp_path / "lora" / PROBES_FILE)
    last = [record for record in records if record.step == 6]
    newest = panel.curves.probes_table.topLevelItem(0)  # the last evaluation's first probe
    assert newest.text(0) == "6" and newest.text(3) == f"{max(last[0].drift):.3f}"
    # The Drift tab: a strip per probe with its recorded drift; a click compares base and step 6 there.
    drift = panel.drift
    assert not drift._outer.isHidden() and len(drift.strips) == len(last)
    np.testing.assert_allclose(drift.strips[0].values[0], last[0].drift, atol=1e-6)
    panel.curves.evaluations.setCurrentWidget(drift)
    drift.strips[0].column_clicked.emit(2)
    qtbot.waitUntil(lambda: drift.shown is not None, timeout=30_000)
    assert drift.shown.step == 6 and drift.shown.position == 2
    assert drift.shown.kl == pytest.approx(last[0].drift[2], abs=1e-5, rel=1e-4)
    assert drift.change.values.shape == (2 * 4, 3)  # (layers x heads, tokens up to the clicked one)
    assert "base" in drift.tops.text() and "step 6" in drift.tops.text()
    drift.set_run(tmp_path / "scratch", None, 16)  # a run from scratch next: the fine-tune's step is not its own
    assert drift.header.text().startswith("The drift from the base model shows here") and drift._outer.isHidden()


def test_time_left_reads_naturally():
    from workbench.qt.training.panel import _duration

    assert [_duration(5), _duration(75), _duration(3725)] == ["5 s", "1 min 15 s", "1 h 02 min"]


def test_form_shows_only_the_fields_the_choice_uses(panel):
    form = panel.form
    form.set_values(arch="lstm", tokenizer="char")
    assert form.number("n_head").isHidden() and not form.number("n_layer").isHidden()
    assert form.number("vocab_size").isHidden()
    form.set_values(tokenizer="bpe")
    assert not form.number("vocab_size").isHidden()
    form.set_values(arch="finetune")
    assert form.settings().tokenizer == "pretrained"
    assert form.number("n_layer").isHidden() and form.number("lora_rank").isHidden()
    form.set_values(lora=True)
    assert not form.number("lora_rank").isHidden() and not form.number("dropout").isHidden()
    form.set_values(arch="gpt")
    assert form.settings().tokenizer == "char" and not form.settings().lora
    assert form.settings().min_lr is None  # "auto": a tenth of the learning rate


def test_a_run_stopped_before_a_restart_is_continued_with_its_settings(qtbot, corpus, tmp_path):
    out_dir = tmp_path / "interrupted"
    first = TrainingPanel(AppState(Catalog()))
    qtbot.addWidget(first)
    first.form.set_values(corpus=str(corpus), out_dir=str(out_dir), max_iters=5000, eval_interval=25,
                          **{**TINY_GPT, "n_embd": 24, "block_size": 24})
    first.start_button.click()
    qtbot.waitUntil(lambda: _steps(first) >= 5, timeout=30_000)
    first.shutdown()  # what closing the window does: stop with a checkpoint
    stopped_at = first.last_result.step
    first.close()

    again = TrainingPanel(AppState(Catalog()))  # the next session of the app
    qtbot.addWidget(again)
    assert again.continue_button.isEnabled()
    assert again.form.settings().n_embd == 24
    # Start trains a new model like it in a fresh folder (the run's own is not empty); Continue carries it on.
    assert again.form.settings().out_dir != str(out_dir) and again.start_button.isEnabled()
    assert f"stopped at step {stopped_at}" in again.status_label.text()
    assert _steps(again) == stopped_at and _last_step(again) == stopped_at  # its curve so far, drawn again
    assert (again.progress.value(), again.progress.maximum()) == (stopped_at, 5000)  # and how far it is
    again.continue_button.click()
    qtbot.waitUntil(lambda: _last_step(again) >= stopped_at + 3 or again.last_result is not None, timeout=30_000)
    assert _last_step(again) >= stopped_at + 3, (again.status_label.text(), again.last_result)
    steps = again.curves.curves.points(again.curves.train_name)[:, 0]
    assert list(steps) == list(range(1, len(steps) + 1))  # the same run carries on, on one curve
    again.stop_button.click()
    qtbot.waitUntil(lambda: again.last_result is not None, timeout=30_000)
    again.shutdown()


def test_saving_a_checkpoint_shows_its_percentage_and_time_left_then_the_steps_again(panel, corpus, tmp_path):
    panel._settings = TrainSettings(corpus=str(corpus), out_dir=str(tmp_path / "run"), max_iters=400)
    panel._on_event(SavingProgress(0.4, 3.2))
    assert (panel.progress.maximum(), panel.progress.value()) == (100, 40)
    assert panel.progress.text() == "Saving a checkpoint: 40%"
    assert panel.status_label.text() == "Saving a checkpoint… 40% · about 3 s left"
    panel._on_event(CheckpointEvent(step=200, path=str(tmp_path / "run" / "checkpoint")))
    assert (panel.progress.maximum(), panel.progress.value(), panel.progress.text()) == (400, 200, "200 / 400")


def test_an_evaluation_stopped_during_its_sample_says_so_in_the_samples_list(qtbot):
    curves = TrainingCurves()
    qtbot.addWidget(curves)
    curves.add_eval(EvalEvent(10, 2.0, 7.4, 2.1, "The cat\nsat", 640, 1.0))
    curves.add_eval(EvalEvent(20, 1.9, 6.7, 2.0, None, 1280, 2.0))
    newest, older = curves.samples.topLevelItem(0), curves.samples.topLevelItem(1)
    assert newest.text(2) == "(stopped before the sample was done)" and newest.toolTip(2) == newest.text(2)
    assert older.text(2) == "The cat ⏎ sat" and older.toolTip(2) == "The cat\nsat"
    # A sample that looks like HTML is shown as written in its tooltip too (Qt would take <b> for bold).
    from PySide6.QtGui import QTextDocument

    curves.add_eval(EvalEvent(30, 1.8, 6.0, 1.9, "<b>cat</b>", 1920, 3.0))
    shown = QTextDocument()
    shown.setHtml(curves.samples.topLevelItem(0).toolTip(2))
    assert shown.toPlainText() == "<b>cat</b>"


def test_a_long_sample_wraps_onto_the_lines_it_needs_at_any_width(qtbot):
    """QTreeView measures a row with no column width: a sample stayed one line high, cut at the column's end."""
    from PySide6.QtCore import QRect, Qt

    curves = TrainingCurves()
    qtbot.addWidget(curves)
    curves.samples.resize(500, 400)
    curves.samples.show()
    sample = "床前明月光，疑是地上霜。举头望明月，低头思故乡。 the quick brown fox jumps over the lazy dog " * 3
    curves.add_eval(EvalEvent(10, 2.0, 7.4, 2.1, sample, 640, 1.0))
    item = curves.samples.topLevelItem(0)

    def height_needed() -> int:
        width = curves.samples.columnWidth(2)  # no margins, broken anywhere: at most the lines it needs
        return curves.samples.fontMetrics().boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWrapAnywhere,
                                                         item.text(2)).height()

    row_height = lambda: curves.samples.visualItemRect(item).height()  # noqa: E731
    qtbot.waitUntil(lambda: row_height() >= height_needed(), timeout=2_000)
    assert height_needed() >= 3 * curves.samples.fontMetrics().height()  # three lines or more at this width
    narrow = row_height()
    curves.samples.resize(1000, 400)  # wider: fewer lines, a lower row
    qtbot.waitUntil(lambda: row_height() < narrow, timeout=2_000)
    assert row_height() >= height_needed()
    # A column sized to its contents is as wide as its text on one line, not wrapped to its own width (the
    # probes' "1 · To be, or no…" was squeezed to 44 px and three lines).
    step = curves.samples.topLevelItem(0)
    step.setText(0, "1 · To be, or no…")
    qtbot.waitUntil(lambda: curves.samples.columnWidth(0) > curves.samples.fontMetrics().horizontalAdvance(
        "1 · To be, or no…"), timeout=2_000)


def test_an_evaluation_a_stop_cut_short_leaves_the_probes_listed(panel):
    """It reads no probes: the scrubber's list emptied, so Continue had nothing to read at the steps kept."""
    from workbench.core.training.probes import ProbeRecord

    record = ProbeRecord(step=25, probe=0, text="The cat", loss=1.0, continuation="", top=(), drift=(0.1, 0.2),
                         tokens=("The", " cat"))
    panel._on_event(EvalEvent(25, 2.0, 7.4, 2.1, "sat", 640, 1.0, None, (record,)))
    panel._on_event(EvalEvent(50, 1.9, 6.7, 2.0, None, 1280, 2.0))  # stopped during its sample
    assert panel.scrubber.probes == ["The cat"] and panel.drift.records == [record]


def test_only_the_strong_heads_are_named_in_the_legend(qtbot):
    curves = TrainingCurves()
    qtbot.addWidget(curves)
    weak, strong = STRONG_HEAD / 2, STRONG_HEAD + 0.1

    def evaluate(step: int, induction: list[list[float]]) -> None:
        scores = np.array(induction, dtype=np.float32)  # (L, H)
        curves.add_eval(EvalEvent(step, 2.0, 7.4, 2.1, "", step * 64, step / 10.0,
                                  HeadScores(np.zeros_like(scores), scores, np.zeros_like(scores))))

    def named() -> list[str]:
        legend = curves.curves.plot("heads").legend
        return [label.text for _, label in legend.items]

    evaluate(10, [[weak, weak], [weak, strong]])
    assert named() == [curves.head_name(1, 1)]
    # One evaluation is one point a head: marked, or a line of one point would draw nothing.
    assert curves.curves.raw_item(curves.head_name(0, 0)).opts["symbol"] == "o"
    evaluate(20, [[strong, weak], [weak, weak]])  # one head forms, the other fades
    assert named() == [curves.head_name(0, 0)]
    assert curves.curves.points(curves.head_name(1, 1))[:, -1] == pytest.approx([strong, weak])


def test_a_run_opened_from_its_folder_is_drawn_as_it_was_watched(panel, qtbot, corpus, tmp_path):
    out_dir = tmp_path / "watched"
    panel.form.set_values(corpus=str(corpus), out_dir=str(out_dir), max_iters=40, eval_interval=20,
                          probes=("the quick brown fox",), **TINY_GPT)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=60_000)
    watched = {name: panel.curves.curves.points(name).copy()
               for name in (panel.curves.val_name, panel.curves.probe_name(0), panel.curves.head_name(0, 1))}
    watched_probes = panel.curves.probes_table.topLevelItemCount()

    reopened = TrainingPanel(AppState(Catalog()))  # another session opens the finished run
    qtbot.addWidget(reopened)
    reopened.open_run(out_dir)
    for name, points in watched.items():
        np.testing.assert_allclose(reopened.curves.curves.points(name)[:, [0, -1]], points[:, [0, -1]], atol=1e-5)
    assert reopened.curves.curves.points(reopened.curves.train_name).shape[0] == 40
    assert reopened.curves.probes_table.topLevelItemCount() == watched_probes == 2
    assert reopened.curves.samples.topLevelItemCount() == 2
    assert reopened.scrubber.steps == [20, 40] and reopened.scrubber.probes == ["the quick brown fox"]
    assert not reopened.continue_button.isEnabled()  # finished: nothing to continue
    assert "shown up to step 40" in reopened.status_label.text()
    reopened.open_run(out_dir)  # opened again: drawn again, not dashed over itself
    panel.open_run(out_dir)  # the run this panel trained: the same
    for shown in (reopened, panel):
        assert shown.curves.curves.overlay_labels() == []
        assert shown.curves.curves.points(shown.curves.train_name).shape[0] == 40


def test_a_folder_that_is_not_a_run_is_one_line(panel, tmp_path):
    with pytest.raises(InvalidInputError, match="is not a training run"):
        panel.open_run(tmp_path)


def test_the_status_says_what_is_missing_then_ready_and_the_readout_waits_for_an_evaluation(panel, corpus, tmp_path,
                                                                                            qtbot):
    assert panel.status_label.text() == "Choose a corpus, or try the Tang poems."
    panel.form.set_values(corpus=str(corpus), out_dir=str(tmp_path / "run"), max_iters=4, eval_interval=4,
                          **TINY_GPT)
    assert panel.status_label.text() == "Ready: Start runs with these settings."
    panel.form.set_values(corpus="")
    assert panel.status_label.text() == "Choose a corpus, or try the Tang poems."
    panel.form.set_values(corpus=str(corpus))
    panel.start_button.click()
    assert panel.curves.readout.text() == "The validation loss and perplexity appear at the first evaluation."
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=60_000)
    assert panel.curves.readout.text().startswith("Step 4: validation loss")
    assert "Ready" not in panel.status_label.text()  # the run's own outcome stays


def test_a_run_stopped_before_its_first_evaluation_says_it_has_none(panel, corpus, tmp_path, qtbot):
    panel.form.set_values(corpus=str(corpus), out_dir=str(tmp_path / "run"), max_iters=5000, eval_interval=4000,
                          **TINY_GPT)
    panel.start_button.click()
    qtbot.waitUntil(lambda: _steps(panel) >= 2, timeout=30_000)
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=30_000)
    assert panel.curves.readout.text() == "The run ended before its first evaluation: no validation loss yet."


def test_a_status_that_wraps_to_a_second_line_does_not_move_the_buttons(qtbot, panel):
    panel.resize(1366, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.run.set_status("Step 40 of 5000")
    qtbot.wait(50)
    top = panel.start_button.mapTo(panel, panel.start_button.rect().topLeft()).y()
    panel.run.set_status("Finished 5000 steps; model saved in /home/someone/workbench/runs/gpt-tang300-20261127-125235"
                         " which is a long way down")
    qtbot.wait(50)
    assert panel.status_label.height() >= 2 * panel.status_label.fontMetrics().lineSpacing()
    assert panel.start_button.mapTo(panel, panel.start_button.rect().topLeft()).y() == top


def test_the_corpus_line_says_how_much_a_continued_runs_vocabulary_lacks(qtbot):
    from workbench.core.training.events import CorpusStats
    from workbench.qt.training.form import TrainingForm

    form = TrainingForm()
    qtbot.addWidget(form)
    form.show_corpus_stats(CorpusStats(1000, 1000, 40, 900, 100))
    assert "unknown" not in form.corpus_stats_label.text()
    form.show_corpus_stats(CorpusStats(1000, 1000, 40, 900, 100, unknown=160))
    assert form.corpus_stats_label.text().endswith("160 of them (16%) are unknown to the run's vocabulary.")
    # 38 different characters, and two tokens that are no character: the vocabulary of 40 adds up.
    form.show_corpus_stats(CorpusStats(1000, 1000, 40, 900, 100, special_tokens=("<|endoftext|>", "<unk>")))
    assert form.corpus_stats_label.text().endswith("The vocabulary includes 2 special token(s): <|endoftext|>, <unk>.")


@pytest.mark.parametrize("remembered", ["a list", "bad settings"])
def test_a_hand_edited_stopped_run_is_not_offered_and_the_page_opens(qtbot, tmp_path, remembered):
    """workbench.ini's "a, b" reads back as a list; a checkpoint's state edited to an unreadable learning rate:
    the Training page opens all the same, offering nothing to continue."""
    import json

    from workbench.qt.common.settings_store import app_settings
    from workbench.qt.training.panel import _STOPPED_RUN_KEY

    run = tmp_path / "run"
    (run / "checkpoint").mkdir(parents=True)
    state = {"settings": {"corpus": "c.txt", "out_dir": str(run), "lr": "fast"}, "step": 5}
    (run / "checkpoint" / "trainer_state.json").write_text(json.dumps(state))
    app_settings().setValue(_STOPPED_RUN_KEY, [str(run), "b"] if remembered == "a list" else str(run))
    panel = TrainingPanel(AppState(Catalog()))
    qtbot.addWidget(panel)
    assert not panel.continue_button.isEnabled()
    panel.shutdown()


def test_a_run_whose_last_log_line_was_cut_short_opens(panel, qtbot, corpus, tmp_path):
    """A crash or a full disk cut samples.jsonl's last line: the run opens with what was whole."""
    out_dir = tmp_path / "cut"
    panel.form.set_values(corpus=str(corpus), out_dir=str(out_dir), max_iters=20, eval_interval=10, **TINY_GPT)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=30_000)
    with open(out_dir / trainer.SAMPLES_FILE, "a", encoding="utf-8") as log:
        log.write('{"step": 30, "sample": "cut sh')
    panel.open_run(out_dir)
    assert panel.curves.samples.topLevelItemCount() == 2  # the evaluations at steps 10 and 20
