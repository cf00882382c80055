"""Fixtures shared by every test: private user folders and tiny random models."""

from __future__ import annotations

import json
import os

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


def make_tiny_llama(tokenizer, seed: int = 0):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
        attn_implementation="eager",
    )
    model = LlamaForCausalLM(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def make_tiny_loaded(chat: bool = True, seed: int = 0):
    """A LoadedModel around a random tiny Llama: the engine and the panels treat it like a real one."""
    import torch

    from workbench.core.catalog import FOLDER, ModelEntry
    from workbench.core.loading import LoadedModel

    tokenizer = make_tiny_tokenizer(chat=chat)
    model = make_tiny_llama(tokenizer, seed=seed)
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
