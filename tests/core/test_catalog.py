import json

import pytest

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
