import json
import shutil
import subprocess
import sys
import threading
import time

import pytest
import torch

from tests.conftest import obeying_file_permissions
from workbench.core import loading
from workbench.core.architectures import WorkbenchGPTForCausalLM
from workbench.core.catalog import Catalog, gguf_entry
from workbench.core.errors import CancelledError, ModelLoadError, ModelNotFoundError
from workbench.core.jobs import CancelToken, drain
from workbench.core.loading import LoadProgress, LoadSettings, load_model, load_model_blocking
from workbench.core.training.modeling import load_checkpointed_model, new_model
from workbench.core.training.settings import TrainSettings


def test_load_folder_reports_stages_and_matches_the_saved_model(tiny_folder, tiny_loaded):
    stages = []
    loaded = load_model_blocking(str(tiny_folder), on_progress=lambda p: stages.append(p.stage))
    assert stages[0].startswith("Locating") and any("Loading weights" in s for s in stages)
    assert loaded.device == torch.device("cpu") and loaded.dtype == torch.float32
    assert loaded.model.config._attn_implementation == "eager"
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        assert torch.equal(loaded.model(ids).logits, tiny_loaded.model(ids).logits)
    assert loaded.has_chat_template and loaded.context_length == 128
    tensors = list(tiny_loaded.model.parameters()) + list(tiny_loaded.model.buffers())
    assert loaded.memory_bytes() == sum(t.numel() * t.element_size() for t in tensors)


def test_dtype_choice(tiny_folder):
    loaded = load_model_blocking(str(tiny_folder), LoadSettings(dtype="bfloat16"))
    assert loaded.dtype == torch.bfloat16 and next(loaded.model.parameters()).dtype == torch.bfloat16


def test_bad_device_and_dtype_are_one_line_errors(tiny_folder):
    with pytest.raises(ModelLoadError, match="Unknown dtype"):
        load_model_blocking(str(tiny_folder), LoadSettings(dtype="int3"))
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="no usable CUDA"):
            load_model_blocking(str(tiny_folder), LoadSettings(device="cuda"))


def test_cancel_stops_between_stages(tiny_folder):
    cancel = CancelToken()
    job = load_model(Catalog().resolve(str(tiny_folder)), cancel=cancel)
    next(job)
    cancel.cancel()
    with pytest.raises(Exception, match="Cancelled"):
        drain(job)


def test_folder_with_config_but_no_weights_is_refused(tiny_folder):
    for weights in tiny_folder.glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        load_model_blocking(str(tiny_folder))


@pytest.mark.parametrize("damage", ["renamed", "one_missing"])
def test_weights_missing_from_the_files_are_refused_not_made_up(tiny_folder, damage):
    """transformers fills what the files lack with random numbers and says so in a log line only: generation,
    perplexity and every panel then showed noise, another one at each load."""
    from safetensors.torch import load_file, save_file

    path = next(tiny_folder.glob("*.safetensors"))
    weights = load_file(path)
    if damage == "renamed":  # as a LoRA merge saved under the wrapper's names leaves them
        weights = {f"base_model.model.{name}": weight for name, weight in weights.items()}
    else:
        del weights["model.layers.0.self_attn.q_proj.weight"]
    save_file(weights, path, metadata={"format": "pt"})
    with pytest.raises(ModelLoadError, match="of the model's weights are not in its files") as raised:
        load_model_blocking(str(tiny_folder))
    assert "\n" not in str(raised.value)
    if damage == "one_missing":
        assert "1 of the model's weights" in str(raised.value) and "q_proj" in str(raised.value)


def test_an_encoder_saved_from_a_masked_lm_head_loads_without_the_pooler_it_never_had(tiny_loaded, tmp_path):
    """roberta-base, distilroberta-base: AutoModel adds a pooler their files lack; the workbench never reads it."""
    from transformers import BertConfig, BertForMaskedLM, BertModel

    tokenizer = tiny_loaded.tokenizer
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    torch.manual_seed(0)
    masked_lm = BertForMaskedLM(config).eval()
    folder = tmp_path / "tiny-bert"
    masked_lm.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    loaded = load_model_blocking(str(folder))
    assert isinstance(loaded.model, BertModel) and not loaded.can_generate
    ids = torch.tensor([[2, 3, 4, 5]])
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(ids).last_hidden_state, masked_lm.bert(ids).last_hidden_state)


def test_a_weights_file_that_may_not_be_read_is_said_so_not_called_missing(tiny_folder, tmp_path):
    """safetensors calls a file it may not read "No such file or directory"."""
    folder = tmp_path / "model"
    shutil.copytree(tiny_folder, folder)
    (folder / "model.safetensors").chmod(0)
    command = [sys.executable, "-m", "workbench", "generate", "--model", str(folder), "--prompt", "hi",
               "--max-new-tokens", "1", "--device", "cpu"]
    done = subprocess.run(obeying_file_permissions(command), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        f"error: {folder / 'model.safetensors'} is there but may not be read (Permission denied): give yourself "
        "read access to the model's files (chmod u+r), or copy the model where you can."], done.stderr[-2000:]


def test_a_folder_without_a_tokenizer_says_so(tiny_folder):
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        (tiny_folder / name).unlink(missing_ok=True)
    with pytest.raises(ModelLoadError, match="has no tokenizer \\(tokenizer.json or tokenizer_config.json is missing"):
        load_model_blocking(str(tiny_folder))


def test_a_tokenizer_config_without_its_vocabulary_names_the_missing_file(tiny_folder):
    """transformers said "Couldn't instantiate the backend tokenizer from one of: " and named nothing."""
    (tiny_folder / "tokenizer.json").unlink()
    assert (tiny_folder / "tokenizer_config.json").is_file()
    with pytest.raises(ModelLoadError) as refused:
        load_model_blocking(str(tiny_folder))
    assert str(refused.value) == (
        f"{tiny_folder} has no tokenizer vocabulary: tokenizer.json (or another vocabulary file) is missing beside "
        "its tokenizer_config.json. Copy the tokenizer files in with the model's.")


@pytest.mark.parametrize(("config", "said"), [("", "is not a valid JSON file"),
                                              ('{"model_type": "nonsense"}', "model type `nonsense`")])
def test_a_damaged_config_is_said_in_one_line_not_called_an_encoder(tiny_folder, config, said):
    (tiny_folder / "config.json").write_text(config, encoding="utf-8")
    with pytest.raises(ModelLoadError, match=said) as refused:
        load_model_blocking(str(tiny_folder))
    assert "\n" not in str(refused.value) and "encoder" not in str(refused.value)


def test_not_gguf_and_truncated_gguf_are_refused(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelLoadError, match="not a GGUF file"):
        load_model_blocking(str(bad))
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 7)
    with pytest.raises(ModelLoadError, match="damaged or truncated"):
        load_model_blocking(str(cut))


def test_hub_id_offline_says_where_files_must_be(monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(ModelNotFoundError, match="not in the Hugging Face cache"):
        load_model_blocking("someone/not-cached-model")


@pytest.fixture
def fake_gguf(tmp_path, monkeypatch, tiny_loaded):
    """A .gguf path whose conversion returns the tiny model, counting conversions."""
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF fake contents")
    conversions = []

    def convert(gguf_path, dtype):
        conversions.append(gguf_path)
        return tiny_loaded.model, tiny_loaded.tokenizer

    monkeypatch.setattr(loading, "_convert_gguf", convert)
    return path, conversions


def test_gguf_conversion_is_cached_and_a_damaged_entry_is_rebuilt(fake_gguf, tiny_loaded):
    path, conversions = fake_gguf
    first = load_model_blocking(gguf_entry(path))
    second = load_model_blocking(gguf_entry(path))
    assert len(conversions) == 1  # the second load came from the cache
    ids = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        expected = first.model(ids).logits
        assert torch.equal(expected, second.model(ids).logits)
    # Tied embeddings were saved once and are tied again after the cached load.
    assert second.model.lm_head.weight.data_ptr() == second.model.model.embed_tokens.weight.data_ptr()

    weights = loading.gguf_cache_dir(path) / "model.safetensors"
    del first, second  # they read their weights from this file (memory-mapped), which is damaged now
    weights.write_bytes(weights.read_bytes()[:100])  # truncate: the marker's sizes no longer match
    third = load_model_blocking(gguf_entry(path))
    assert len(conversions) == 2
    with torch.no_grad():
        assert torch.equal(third.model(ids).logits, expected)


def test_a_cache_that_cannot_be_written_leaves_the_gguf_model_usable(fake_gguf, tiny_loaded, monkeypatch, tmp_path):
    """A read-only or full cache: the converted model is used from memory, converted again at the next load."""
    path, conversions = fake_gguf
    blocked = tmp_path / "cache-is-a-file"
    blocked.write_text("")
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(blocked))
    loaded = load_model_blocking(gguf_entry(path))
    ids = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        assert torch.equal(loaded.model(ids).logits, tiny_loaded.model(ids).logits)
    load_model_blocking(gguf_entry(path))
    assert len(conversions) == 2


def test_unload_releases_weights(tiny_folder):
    loaded = load_model_blocking(str(tiny_folder))
    loaded.unload()
    assert next(loaded.model.parameters()).device.type == "meta"


def test_a_cache_damaged_in_the_middle_is_caught_by_its_checksum_and_rebuilt(fake_gguf, caplog):
    path, conversions = fake_gguf
    first = load_model_blocking(gguf_entry(path))
    ids = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        expected = first.model(ids).logits
    del first  # it reads its weights from the file damaged below (memory-mapped)
    weights = loading.gguf_cache_dir(path) / "model.safetensors"
    data = bytearray(weights.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # same size, damaged weights
    weights.write_bytes(bytes(data))
    with caplog.at_level("WARNING"):
        second = load_model_blocking(gguf_entry(path))
    assert len(conversions) == 2  # rebuilt, not trusted
    [record] = [r for r in caplog.records if "damaged" in r.getMessage()]
    assert "checksum" in record.getMessage() and record.exc_info is None  # one line, no traceback
    with torch.no_grad():
        assert torch.equal(expected, second.model(ids).logits)


def test_a_cache_written_without_checksums_is_rebuilt(fake_gguf):
    path, conversions = fake_gguf
    load_model_blocking(gguf_entry(path))
    marker_file = loading.gguf_cache_dir(path) / "workbench-cache.json"
    marker = json.loads(marker_file.read_text(encoding="utf-8"))
    del marker["file_crc32"]
    marker_file.write_text(json.dumps(marker), encoding="utf-8")
    load_model_blocking(gguf_entry(path))
    assert len(conversions) == 2


def converting_tensor_by_tensor(tiny_loaded, tensors: int, on_tensor=lambda index: None):
    """A conversion that walks its tensors the way transformers' GGUF loader does: through the
    module's ``tqdm``."""
    from transformers import modeling_gguf_pytorch_utils

    def convert(gguf_path, dtype):
        for index in modeling_gguf_pytorch_utils.tqdm(list(range(tensors)), desc="Converting"):
            on_tensor(index)
        return tiny_loaded.model, tiny_loaded.tokenizer

    return convert


def _determinate(progress: list[LoadProgress]) -> list[float]:
    return [p.fraction for p in progress if p.fraction is not None]


def test_a_first_gguf_load_reports_one_percentage_through_all_its_stages(tiny_gguf, capfd):
    progress = []
    loaded = load_model_blocking(gguf_entry(tiny_gguf), on_progress=progress.append)
    assert loaded.parameter_count() > 0
    fractions = _determinate(progress)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    stages = [p.stage.removesuffix(" (first load only)") for p in progress if p.fraction is not None]
    assert list(dict.fromkeys(stages)) == list(loading._GGUF_STAGES)  # every stage, in order
    converting = [p.fraction for p in progress if p.stage.startswith("Converting GGUF weights")]
    assert len(converting) > 20  # each of the file's 21 tensors, not only the stage's start
    assert len({p.fraction for p in progress if p.stage.startswith("Matching tensor names")}) > 10  # each module
    assert "it/s" not in capfd.readouterr().err  # no library progress bar on the terminal

    progress = []
    load_model_blocking(gguf_entry(tiny_gguf), on_progress=progress.append)  # from the cache now
    stages = [p.stage for p in progress if p.fraction is not None]
    assert list(dict.fromkeys(stages)) == list(loading._CACHED_GGUF_STAGES)
    assert _determinate(progress) == sorted(_determinate(progress)) and _determinate(progress)[-1] == 1.0


def test_a_folder_load_reports_each_tensor_it_reads_with_the_time_left(tiny_folder, monkeypatch):
    clock = [0.0]

    def ticking() -> float:  # each look at the clock is a second later
        clock[0] += 1.0
        return clock[0]

    real_stages = loading.Stages
    monkeypatch.setattr(loading, "Stages", lambda weights: real_stages(weights, ticking))
    progress = []
    load_model_blocking(Catalog().resolve(str(tiny_folder)), on_progress=progress.append)
    fractions = _determinate(progress)
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    weights = [p for p in progress if p.stage == "Loading weights"]
    assert len(weights) > 10  # the tiny Llama's tensors, one by one
    assert all(p.seconds_left is not None for p in weights[1:]) and progress[-1].seconds_left == 0.0


def test_a_cancel_stops_the_gguf_conversion_at_the_next_tensor(fake_gguf, tiny_loaded, monkeypatch):
    path, _ = fake_gguf
    cancel = CancelToken()
    converted = []

    def convert_one(index: int) -> None:
        converted.append(index)
        while index == 10 and not cancel.cancelled:  # tensor 10 lasts until Cancel is pressed
            time.sleep(0.01)

    monkeypatch.setattr(loading, "_convert_gguf", converting_tensor_by_tensor(tiny_loaded, 100, convert_one))
    job = load_model(gguf_entry(path), cancel=cancel)
    for progress in job:
        if progress.fraction and progress.fraction >= 0.1:
            cancel.cancel()
            break
    with pytest.raises(Exception, match="Cancelled"):
        drain(job)
    assert converted == list(range(11))
    assert not any(thread.name == "workbench-load" for thread in threading.enumerate())


def test_a_cancel_lands_while_a_step_reports_nothing(fake_gguf, tiny_loaded, monkeypatch):
    """Reading a GGUF file's index reports no progress for many seconds: closing the window waited 15-36 s for
    the next report. The load ends at once; the abandoned step stops at its next report."""
    path, _ = fake_gguf
    cancel, inside, released = CancelToken(), threading.Event(), threading.Event()

    def slow_convert(gguf_path, dtype):
        inside.set()
        released.wait(10)  # a library's own work, with no report
        return tiny_loaded.model, tiny_loaded.tokenizer

    monkeypatch.setattr(loading, "_convert_gguf", slow_convert)
    threading.Thread(target=lambda: inside.wait(10) and cancel.cancel()).start()  # Cancel, once inside
    started = time.perf_counter()
    with pytest.raises(CancelledError):
        drain(load_model(gguf_entry(path), cancel=cancel))
    assert inside.is_set() and time.perf_counter() - started < 3.0
    released.set()


def test_a_model_built_while_another_loads_still_ties_its_output_layer(tmp_path, monkeypatch):
    """transformers switches weight tying off class-wide while it builds a model: a model built on another
    thread meanwhile would keep an untied (or meta) output layer, for the rest of the process if the two
    builds interleave. Builds take turns."""
    settings = TrainSettings(corpus="", out_dir=str(tmp_path), n_layer=1, n_head=2, n_embd=16, block_size=8)
    new_model(settings, vocab_size=40).save_pretrained(tmp_path / "saved")
    inside_load, release = threading.Event(), threading.Event()
    build = WorkbenchGPTForCausalLM.__init__

    def paused_in_the_loaders_build(self, *args, **kwargs):
        if threading.current_thread().name == "loader":
            inside_load.set()
            release.wait(10)
        build(self, *args, **kwargs)

    monkeypatch.setattr(WorkbenchGPTForCausalLM, "__init__", paused_in_the_loaders_build)
    models = {}
    loader = threading.Thread(name="loader", target=lambda: models.update(
        loaded=load_checkpointed_model(tmp_path / "saved")))
    loader.start()
    assert inside_load.wait(10)
    builder = threading.Thread(target=lambda: models.update(built=new_model(settings, vocab_size=40)))
    builder.start()
    builder.join(0.3)  # long enough to build, were it not waiting for its turn
    release.set()
    loader.join(10)
    builder.join(10)
    for model in models.values():
        assert model.lm_head.weight is model.transformer.wte.weight


def test_a_hand_edited_heads_count_that_cannot_split_the_width_is_refused_at_load(tmp_path, tiny_tokenizer):
    """It loaded, then failed on the first token with a reshape error called a fault of the workbench."""
    settings = TrainSettings(corpus="", out_dir=str(tmp_path), n_layer=1, n_head=2, n_embd=16, block_size=8)
    folder = tmp_path / "edited"
    new_model(settings, vocab_size=len(tiny_tokenizer)).save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "n_head": 3}))
    with pytest.raises(ModelLoadError, match=r"n_embd \(16\) must be a multiple of n_head \(3\)"):
        load_model_blocking(str(folder))
