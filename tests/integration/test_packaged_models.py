"""The packaged default model loads offline from its pip package, through the conversion cache."""

import torch

from workbench.core import loading
from workbench.core.catalog import Catalog
from workbench.core.jobs import CancelToken, drain
from workbench.core.progress import Stages


def test_smollm2_loads_as_a_chat_model_with_eager_attention(smollm2):
    assert smollm2.entry.id == "smollm2-135m-instruct"
    assert smollm2.has_chat_template and smollm2.can_generate
    assert smollm2.context_length == 8192
    assert smollm2.model.config._attn_implementation == "eager"
    assert smollm2.device == torch.device("cpu") and smollm2.dtype == torch.float32
    assert 130e6 < smollm2.parameter_count() < 140e6


def test_smollm2_conversion_is_in_the_cache(smollm2):
    gguf = Catalog().resolve("smollm2-135m-instruct").resolve_location()
    folder = loading.gguf_cache_dir(loading.Path(gguf))
    stages = Stages(loading._CACHED_GGUF_STAGES)
    assert drain(loading._cache_problem(folder, CancelToken(), stages)) is None  # sizes and checksums hold
    assert (folder / "model.safetensors").stat().st_size > 500e6  # dequantized to fp32


def test_the_converted_smollm2_saves_like_any_model(smollm2, tmp_path):
    """Its weights are plain floats: nothing marks it as GGUF-quantized, so fine-tuning it can keep
    and publish models (transformers refuses to save a model it believes GGUF-quantized)."""
    assert getattr(smollm2.model, "hf_quantizer", None) is None
    assert "quantization_config" not in smollm2.model.config.to_dict()
    smollm2.model.save_pretrained(tmp_path / "saved")
    assert (tmp_path / "saved" / "config.json").is_file()
