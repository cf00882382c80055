"""The from-scratch architectures behave as ordinary transformers causal LMs."""

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

from workbench.core.architectures import (
    ARCHITECTURES,
    WorkbenchGPTConfig,
    WorkbenchGPTForCausalLM,
    WorkbenchRecurrentConfig,
    WorkbenchRecurrentForCausalLM,
    register_architectures,
)


def tiny_gpt(block_size=16):
    torch.manual_seed(0)
    config = WorkbenchGPTConfig(vocab_size=40, block_size=block_size, n_layer=2, n_head=2, n_embd=16)
    return WorkbenchGPTForCausalLM(config).eval()


def tiny_recurrent(cell):
    torch.manual_seed(0)
    config = WorkbenchRecurrentConfig(vocab_size=40, cell=cell, n_layer=2, n_embd=16)
    return WorkbenchRecurrentForCausalLM(config).eval()


def test_gpt_attention_weights_path_matches_the_fused_path():
    model = tiny_gpt()
    ids = torch.randint(0, 40, (2, 12))
    fused = model(ids).logits
    explicit = model(ids, output_attentions=True)
    torch.testing.assert_close(explicit.logits, fused, atol=1e-5, rtol=1e-5)
    assert len(explicit.attentions) == 2
    weights = explicit.attentions[0]  # (B, nh, T, T)
    assert weights.shape == (2, 2, 12, 12)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 2, 12))
    assert torch.all(weights.triu(1) == 0)  # causal: nothing from the future


def test_gpt_ties_embeddings_and_counts_positions():
    model = tiny_gpt()
    assert model.lm_head.weight is model.transformer.wte.weight
    with pytest.raises(ValueError, match="block size"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_gpt_padding_mask_hides_padded_positions():
    model = tiny_gpt()
    ids = torch.randint(0, 40, (2, 9))
    mask = torch.tensor([[0, 0, 0, 1, 1, 1, 1, 1, 1], [1] * 9])  # first row left-padded
    output = model(ids, attention_mask=mask, output_attentions=True)
    assert torch.isfinite(output.logits).all()
    weights = output.attentions[0]  # (B, nh, T, T)
    assert torch.all(weights[0, :, 3:, :3] == 0)  # real tokens never look at padding
    torch.testing.assert_close(model(ids, attention_mask=mask).logits, output.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(output.logits[1], model(ids[1:]).logits[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "make", [tiny_gpt, lambda: tiny_recurrent("rnn"), lambda: tiny_recurrent("gru"), lambda: tiny_recurrent("lstm")]
)
def test_save_load_round_trip_and_generate_past_the_block_size(tmp_path, make):
    model = make()
    ids = torch.randint(0, 40, (1, 5))
    model.save_pretrained(tmp_path)
    register_architectures()
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path, attn_implementation="eager").eval()
    assert type(reloaded) is type(model)
    torch.testing.assert_close(reloaded(ids).logits, model(ids).logits)
    greedy = reloaded.generate(ids, max_new_tokens=20, do_sample=False)  # 25 tokens > block size 16
    assert greedy.shape == (1, 25)
    # Greedy generation is the argmax of a plain forward pass at every step.
    assert greedy[0, 5].item() == model(ids).logits[0, -1].argmax().item()
    beams = reloaded.generate(ids, max_new_tokens=4, num_beams=3, num_return_sequences=2, do_sample=False)
    assert beams.shape == (2, 9)


def test_registry_names_every_architecture_for_the_auto_classes():
    register_architectures()
    assert set(ARCHITECTURES) == {"workbench_gpt", "workbench_recurrent"}
    for model_type, (config_class, model_class) in ARCHITECTURES.items():
        config = AutoConfig.for_model(model_type, vocab_size=40)
        assert type(config) is config_class
        assert type(AutoModelForCausalLM.from_config(config)) is model_class


def test_recurrent_cell_is_checked():
    with pytest.raises(ValueError, match="cell"):
        WorkbenchRecurrentConfig(cell="transformer")


def test_attention_panel_capture_reads_the_trained_gpt():
    from workbench.core.attention import capture_attention
    from workbench.core.training.tokenization import char_tokenizer

    tokenizer = char_tokenizer("abcdefghij 床前明月光")
    config = WorkbenchGPTConfig(vocab_size=len(tokenizer), block_size=16, n_layer=2, n_head=2, n_embd=16)
    model = WorkbenchGPTForCausalLM(config).eval()
    ids = tokenizer.encode("abc 床前")
    capture = capture_attention((model, tokenizer), ids)
    weights = capture.main.weights  # (L, nh, T, T)
    assert weights.shape == (2, 2, 6, 6)
    assert capture.main.causal
    with torch.no_grad():
        expected = model(torch.tensor([ids]), output_attentions=True).attentions[1][0]
    torch.testing.assert_close(torch.from_numpy(weights[1]).float(), expected, atol=1e-3, rtol=1e-3)


def test_engine_lets_trained_models_generate_past_their_block_size():
    from workbench.core.catalog import TRAINED, ModelEntry
    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest, generate
    from workbench.core.jobs import drain
    from workbench.core.loading import LoadedModel
    from workbench.core.training.tokenization import char_tokenizer

    tokenizer = char_tokenizer("abcdefghij ")
    config = WorkbenchGPTConfig(vocab_size=len(tokenizer), block_size=16, n_layer=2, n_head=2, n_embd=16)
    entry = ModelEntry(id="t", name="tiny", source=TRAINED, architecture="workbench_gpt", parameters=None,
                       can_generate=True, installed=True)
    loaded = LoadedModel(entry, WorkbenchGPTForCausalLM(config).eval(), tokenizer, torch.device("cpu"), torch.float32)
    settings = DecodingSettings(mode="greedy", max_new_tokens=40, min_new_tokens=40)
    request = GenerationRequest("abc", settings, chat=False)
    result = drain(generate(loaded, request))
    assert len(result.sequences[0].token_ids) == 40  # 3 + 40 tokens > block size 16
