"""Fixtures shared by every test: private user folders and tiny random models."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TINY_TEXT = (
    "The capital of France is Paris. The quick brown fox jumps over the lazy dog. "
    "Attention lets every token look at the tokens before it. 床前明月光，疑是地上霜。"
) * 4

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(autouse=True)
def private_user_dirs(tmp_path, monkeypatch):
    """Keep settings, sessions and trained models out of the user's real folders."""
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))


def obeying_file_permissions(command: list[str]) -> list[str]:
    """``command`` run so that file permissions bind it: as root, without the two capabilities that pass them by
    (util-linux's setpriv). Skips the test where root has no setpriv."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root passes file permissions by, and there is no setpriv here to drop that")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]


def make_tiny_tokenizer(chat: bool = True):
    """A byte-level BPE tokenizer trained on a few sentences, wrapped as a transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>", "<|pad|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator([TINY_TEXT], trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|endoftext|>", pad_token="<|pad|>")
    if chat:
        fast.chat_template = CHAT_TEMPLATE
    return fast


def make_tiny_llama(tokenizer, seed: int = 0, layers: int = 2):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from workbench.core.transformers_helpers import models_built_in_turn

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
        attn_implementation="eager",
    )
    with models_built_in_turn():  # tests build them on worker threads too
        model = LlamaForCausalLM(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def make_tiny_loaded(chat: bool = True, seed: int = 0, layers: int = 2):
    """A LoadedModel around a random tiny Llama: the engine and the panels treat it like a real one."""
    import torch

    from workbench.core.catalog import FOLDER, ModelEntry
    from workbench.core.loading import LoadedModel

    tokenizer = make_tiny_tokenizer(chat=chat)
    model = make_tiny_llama(tokenizer, seed=seed, layers=layers)
    entry = ModelEntry(
        id="tiny-llama",
        name="Tiny random Llama",
        source=FOLDER,
        architecture="llama",
        parameters=sum(p.numel() for p in model.parameters()),
        can_generate=True,
        installed=True,
    )
    return LoadedModel(entry=entry, model=model, tokenizer=tokenizer, device=torch.device("cpu"), dtype=torch.float32)


def write_tiny_gguf(path, loaded) -> None:
    """``loaded``'s Llama and byte-level BPE tokenizer as a float32 GGUF file that transformers reads
    back to the same model: a real GGUF load, in a second."""
    import json

    import numpy as np
    from gguf import GGUFWriter, TokenType

    config, tokenizer = loaded.model.config, loaded.tokenizer
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("tiny llama")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_dimension_count(config.hidden_size // config.num_attention_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(config.vocab_size)
    bpe = json.loads(tokenizer.backend_tokenizer.to_str())["model"]
    tokens = sorted(bpe["vocab"], key=bpe["vocab"].get)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    special = set(tokenizer.all_special_tokens)
    writer.add_token_types([TokenType.CONTROL if token in special else TokenType.NORMAL for token in tokens])
    writer.add_token_merges([merge if isinstance(merge, str) else " ".join(merge) for merge in bpe["merges"]])
    writer.add_eos_token_id(tokenizer.eos_token_id)
    writer.add_pad_token_id(tokenizer.pad_token_id)
    names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight"}
    layer_names = {
        "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    }
    for layer in range(config.num_hidden_layers):
        for hf_name, gguf_name in layer_names.items():
            names[f"model.layers.{layer}.{hf_name}.weight"] = f"blk.{layer}.{gguf_name}.weight"
    for name, tensor in loaded.model.state_dict().items():
        if name in names:  # the output layer is tied to the embeddings
            writer.add_tensor(names[name], tensor.detach().numpy().astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.fixture
def tiny_gguf(tmp_path, tiny_loaded, monkeypatch):
    """A real GGUF file, with a conversion cache of its own: its first load converts it."""
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "tiny-llama.gguf"
    write_tiny_gguf(path, tiny_loaded)
    return path


@pytest.fixture
def tiny_tokenizer():
    return make_tiny_tokenizer()


@pytest.fixture
def tiny_loaded():
    return make_tiny_loaded()


@pytest.fixture
def tiny_folder(tmp_path, tiny_loaded):
    """``tiny_loaded`` saved as a Hugging Face model folder, for what loads by path (CLI, loader)."""
    folder = tmp_path / "tiny-llama"
    tiny_loaded.model.save_pretrained(folder)
    tiny_loaded.tokenizer.save_pretrained(folder)
    return folder


def drop_chat_template(folder: Path) -> Path:
    """``folder``'s model without its chat template: a base model's."""
    tokenizer_config = folder / "tokenizer_config.json"
    config = json.loads(tokenizer_config.read_text())
    config.pop("chat_template", None)
    tokenizer_config.write_text(json.dumps(config))
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    return folder


MODELING = """
import os
import pathlib

from transformers import LlamaForCausalLM

pathlib.Path(os.environ["WORKBENCH_TEST_MARKER"]).write_text("ran")


class CustomForCausalLM(LlamaForCausalLM):
    pass
"""


@pytest.fixture
def custom_code_folder(tiny_folder, tmp_path, monkeypatch):
    """``tiny_folder`` whose config maps to its own modelling file; running that file leaves a marker."""
    config_file = tiny_folder / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_custom.CustomForCausalLM"}
    config_file.write_text(json.dumps(config), encoding="utf-8")
    (tiny_folder / "modeling_custom.py").write_text(MODELING, encoding="utf-8")
    marker = tmp_path / "marker"
    monkeypatch.setenv("WORKBENCH_TEST_MARKER", str(marker))
    return tiny_folder, marker


@pytest.fixture
def short_context_loaded(tmp_path):
    """A GPT trained here for two steps on 8-token blocks: it generates past its context, reading its last 8."""
    from workbench.core.catalog import Catalog
    from workbench.core.jobs import drain
    from workbench.core.loading import LoadSettings, load_model
    from workbench.core.training.settings import TrainSettings
    from workbench.core.training.trainer import train

    corpus = tmp_path / "short-context-corpus.txt"
    corpus.write_text("the cat sat on the mat and the dog sat on the log. " * 40, encoding="utf-8")
    run = tmp_path / "short-context-run"
    drain(train(TrainSettings(corpus=str(corpus), out_dir=str(run), n_layer=1, n_head=2, n_embd=16, block_size=8,
                              batch_size=2, max_iters=2, eval_interval=2, eval_iters=1, sample_tokens=4,
                              device="cpu")))
    return drain(load_model(Catalog().resolve(str(run)), LoadSettings(device="cpu")))
