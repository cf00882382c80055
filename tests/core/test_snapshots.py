"""The model of each evaluation: kept by the retention rule, loadable, listed as the run's checkpoints."""

from __future__ import annotations

import torch

from tests.core.test_training import run, tiny_settings
from workbench.core.catalog import TrainedSource, run_checkpoints
from workbench.core.loading import load_model_blocking
from workbench.core.training.snapshots import SnapshotEvent, kept_steps, snapshot_steps


def test_the_latest_and_a_log_spaced_selection_are_kept():
    steps = range(100, 3001, 100)
    # Log-spaced points from 100 to 3000: 100, 311, 965, 3000; the nearest steps on a log scale.
    assert kept_steps(steps, last=3, log_spaced=4) == {100, 300, 1000, 2800, 2900, 3000}
    assert kept_steps(steps, last=0, log_spaced=1) == {3000}
    assert kept_steps(steps, last=2, log_spaced=0) == {2900, 3000}
    assert kept_steps([], last=2, log_spaced=3) == set()


def test_a_run_keeps_the_models_the_rule_names_and_each_one_loads(corpus, tmp_path):
    settings = tiny_settings(corpus, tmp_path / "run", max_iters=30, eval_interval=5,
                             keep_last_checkpoints=2, keep_log_spaced_checkpoints=2)
    events, result = run(settings)
    snapshots = [event for event in events if isinstance(event, SnapshotEvent)]
    assert [event.step for event in snapshots] == [5, 10, 15, 20, 25, 30]
    assert snapshots[-1].kept == (5, 25, 30)  # the latest two, and the log-spaced ends 5 and 30
    kept = snapshot_steps(tmp_path / "run")
    assert list(kept) == [5, 25, 30]
    on_disk = sum(file.stat().st_size for folder in kept.values() for file in folder.rglob("*") if file.is_file())
    assert snapshots[-1].disk_bytes == on_disk

    # The last evaluation's model is the final model; the resume checkpoint shares its step.
    assert [variant.step for variant in run_checkpoints(result.out_dir)] == [5, 25, 30]
    final, last = load_model_blocking(result.out_dir), load_model_blocking(str(kept[30]))
    ids = torch.tensor([[2, 3, 4, 5]])
    torch.testing.assert_close(last.model(input_ids=ids).logits, final.model(input_ids=ids).logits)
    early = load_model_blocking(str(kept[5]))
    assert not torch.allclose(early.model(input_ids=ids).logits, final.model(input_ids=ids).logits)


def test_the_picker_lists_them_under_their_run(corpus, tmp_path):
    run(tiny_settings(corpus, tmp_path / "run", max_iters=20, eval_interval=10))
    source = TrainedSource()
    (trained,) = [entry for entry in source.runs() if entry.folder == (tmp_path / "run").resolve()]
    assert {variant.step for variant in trained.variants if variant.checkpoint} == {10, 20}


def test_none_are_saved_when_both_counts_are_zero(corpus, tmp_path):
    events, _ = run(tiny_settings(corpus, tmp_path / "run", keep_last_checkpoints=0, keep_log_spaced_checkpoints=0))
    assert not any(isinstance(event, SnapshotEvent) for event in events)
    assert snapshot_steps(tmp_path / "run") == {}


def test_a_resumed_run_drops_the_steps_kept_after_its_checkpoint(corpus, tmp_path):
    """A crash after steps 15 and 20 were kept but before their checkpoint: the run goes on from step 10, and
    the old 15 and 20 (another history) neither stay listed nor push its new steps out of the latest kept."""
    import shutil

    out = tmp_path / "run"
    keep = dict(eval_interval=5, keep_last_checkpoints=2, keep_log_spaced_checkpoints=0)
    run(tiny_settings(corpus, out, max_iters=20, **keep))
    assert list(snapshot_steps(out)) == [15, 20]
    run(tiny_settings(corpus, tmp_path / "short", max_iters=10, **keep))
    shutil.rmtree(out / "checkpoint")
    shutil.copytree(tmp_path / "short" / "checkpoint", out / "checkpoint")  # the checkpoint at step 10
    events, _ = run(tiny_settings(corpus, out, max_iters=25, **keep), resume=True)
    assert [event.kept for event in events if isinstance(event, SnapshotEvent)] == [(15,), (15, 20), (20, 25)]
    assert list(snapshot_steps(out)) == [20, 25]


def test_a_resumed_run_keeps_an_opened_step_after_its_checkpoint(corpus, tmp_path):
    """Step 15 was opened (a tree branched from it) before the crash: the resumed run leaves it as it was, even
    where its own step 15 differs (here its schedule is longer), so the tree loads the model it was made with."""
    import shutil

    from workbench.core.checkpoints import mark_opened, was_opened

    out = tmp_path / "run"
    keep = dict(eval_interval=5, keep_last_checkpoints=2, keep_log_spaced_checkpoints=0)
    run(tiny_settings(corpus, out, max_iters=20, **keep))
    mark_opened(snapshot_steps(out)[15])
    ids = torch.tensor([[2, 3, 4, 5]])
    opened_logits = load_model_blocking(str(snapshot_steps(out)[15])).model(input_ids=ids).logits
    run(tiny_settings(corpus, tmp_path / "short", max_iters=10, **keep))
    shutil.rmtree(out / "checkpoint")
    shutil.copytree(tmp_path / "short" / "checkpoint", out / "checkpoint")  # the checkpoint at step 10
    events, _ = run(tiny_settings(corpus, out, max_iters=25, **keep), resume=True)
    assert [event.kept for event in events if isinstance(event, SnapshotEvent)] == [(15,), (15, 20), (15, 20, 25)]
    assert was_opened(snapshot_steps(out)[15])
    again = load_model_blocking(str(snapshot_steps(out)[15])).model(input_ids=ids).logits
    torch.testing.assert_close(again, opened_logits, rtol=0, atol=0)



def test_a_step_that_was_opened_is_kept_whatever_the_rule(corpus, tmp_path):
    """A tree branched from step 10, or a comparison with it, can load it again later: the run thins its kept steps
    around it. Reading a step to draw it (the scrubber, a command) marks nothing, nor does opening the run's other
    folders."""
    from workbench.core.catalog import Catalog
    from workbench.core.checkpoints import OPENED_FILE
    from workbench.core.jobs import CancelToken, drain
    from workbench.core.loading import open_model
    from workbench.core.training.scrub import read_step

    out = tmp_path / "run"
    keep = dict(eval_interval=5, keep_last_checkpoints=1, keep_log_spaced_checkpoints=0)
    run(tiny_settings(corpus, out, max_iters=10, **keep))
    assert list(snapshot_steps(out)) == [10]
    drain(read_step(out, 10, "the cat", 16, CancelToken()))  # the scrubber reads it: the run may still thin it
    load_model_blocking(str(snapshot_steps(out)[10]))  # as `workbench generate --model run/step-…` reads it
    assert not (snapshot_steps(out)[10] / OPENED_FILE).exists()
    step_10 = snapshot_steps(out)[10]
    listed_at = step_10.stat().st_mtime_ns
    drain(open_model(Catalog().resolve(str(step_10))))  # opened, as the model bar opens it
    assert step_10.stat().st_mtime_ns == listed_at  # runs are listed by their latest change: opening is none
    events, _ = run(tiny_settings(corpus, out, max_iters=20, **keep), resume=True)
    assert [event.kept for event in events if isinstance(event, SnapshotEvent)] == [(10, 15), (10, 20)]
    assert list(snapshot_steps(out)) == [10, 20]
    for folder in (out / "checkpoint", out):
        drain(open_model(Catalog().resolve(str(folder))))
        assert not (folder / OPENED_FILE).exists()



def test_a_resume_checkpoint_opened_to_work_with_is_pinned_to_its_step(corpus, tmp_path, monkeypatch):
    """The run rewrites its checkpoint when it goes on: a run or a tree made with the checkpoint of step 10 would
    later name the model of step 20. Opened, the checkpoint loads as a kept step (the evaluation's of that step, or
    one made of hard links to its model files), which the run never thins and which still holds step 10 after the
    run went on."""
    import os
    import shutil

    from workbench.core import checkpoints
    from workbench.core.catalog import Catalog
    from workbench.core.checkpoints import OPENED_FILE, read_state
    from workbench.core.jobs import drain
    from workbench.core.loading import open_model

    def logits(loaded):
        return loaded.model(input_ids=torch.tensor([[2, 3, 4, 5]])).logits

    def listed(out):
        (trained,) = [run for run in TrainedSource().runs() if run.folder == out.resolve()]
        return [(variant.step, variant.snapshot, variant.pinned) for variant in trained.variants if variant.checkpoint]

    evaluated = tmp_path / "evaluated"  # the evaluation of step 10 kept that step already: that is what loads
    run(tiny_settings(corpus, evaluated, max_iters=10, eval_interval=5, keep_last_checkpoints=1,
                      keep_log_spaced_checkpoints=0))
    opened = drain(open_model(Catalog().resolve(str(evaluated / "checkpoint"))))
    assert opened.entry.id == str(snapshot_steps(evaluated)[10].resolve())

    out = tmp_path / "run"  # no step kept: the checkpoint is pinned by a kept step of its own
    none_kept = dict(keep_last_checkpoints=0, keep_log_spaced_checkpoints=0)
    run(tiny_settings(corpus, out, max_iters=10, **none_kept))
    checkpoint = out / "checkpoint"
    changed_at = out.stat().st_mtime_ns
    opened = drain(open_model(Catalog().resolve(str(checkpoint))))
    assert out.stat().st_mtime_ns == changed_at  # runs are listed by their latest change: pinning is none
    pinned = (out / "step-0000010").resolve()
    assert opened.entry.id == str(pinned) and (pinned / OPENED_FILE).is_file()
    assert read_state(pinned) == {"step": 10, "snapshot": True, "pinned": True}
    assert os.path.samefile(pinned / "model.safetensors", checkpoint / "model.safetensors")  # linked, not copied
    assert not (pinned / "training_state.pt").exists()
    torch.testing.assert_close(logits(opened), logits(load_model_blocking(str(checkpoint))))
    assert listed(out) == [(10, True, True)]  # the same model as the checkpoint: listed once, as its pin
    at_step_10 = logits(opened)

    run(tiny_settings(corpus, out, max_iters=20, **none_kept), resume=True)
    assert read_state(checkpoint)["step"] == 20
    again = drain(open_model(Catalog().resolve(str(pinned))))
    torch.testing.assert_close(logits(again), at_step_10)
    assert not torch.allclose(logits(load_model_blocking(str(checkpoint))), at_step_10)
    assert listed(out) == [(20, False, False), (10, True, True)]

    pin = checkpoints.pinned_folder(checkpoint)  # opened from its first moment: the run's thinning spares it
    assert pin == out / "step-0000020" and checkpoints.was_opened(pin)
    shutil.rmtree(pin)
    # The run saves a newer checkpoint while the pin links the files: they may be of two steps, so none is made.
    monkeypatch.setattr(checkpoints, "_link_or_copy", lambda source, target: (
        os.link(source, target), (checkpoint / "trainer_state.json").write_text('{"step": 21}')))
    assert checkpoints.pinned_folder(checkpoint) == checkpoint and not (out / "step-0000020").exists()
