"""`workbench generate` on a tiny model saved as a Hugging Face folder."""

from __future__ import annotations

import io
import json

import pytest

from workbench.cli import main
from workbench.cli.generate import _StreamedText


def test_json_output_matches_the_engine(tiny_folder, tiny_loaded, capsys):
    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest, generate
    from workbench.core.jobs import drain

    code = main(["generate", "--model", str(tiny_folder), "--prompt", "The capital of France", "--raw",
                 "--greedy", "--max-new-tokens", "12", "--device", "cpu", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    expected = drain(generate(tiny_loaded, GenerationRequest(
        "The capital of France", DecodingSettings(mode="greedy", max_new_tokens=12), chat=False)))
    assert report["token_ids"] == list(expected.sequences[0].token_ids)
    assert report["prompt_token_ids"] == list(expected.prompt_token_ids)
    assert report["text"] == expected.sequences[0].text
    assert report["time_to_first_token_s"] > 0 and report["tokens_per_s"] > 0
    assert "sequences" not in report


def test_streams_text_and_lists_several_sequences(tiny_folder, capsys):
    assert main(["generate", "--model", str(tiny_folder), "--prompt", "Hello", "--greedy",
                 "--max-new-tokens", "6"]) == 0
    streamed = capsys.readouterr().out
    assert streamed.endswith("\n") and len(streamed) > 1
    assert main(["generate", "--model", str(tiny_folder), "--prompt", "Hello", "--seed", "3",
                 "--num-return-sequences", "2", "--max-new-tokens", "6", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["sequences"]) == 2 and report["seed"] == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--prompt", "  "], "error: The prompt is empty"),
        (["--prompt", "Hi", "--top-p", "0"], "error: Top-p must be in (0, 1]"),
        (["--prompt", "Hi", "--max-new-tokens", "500"], "reads at most 128 tokens"),
        (["--prompt", "Hi", "--chat", "--beams", "1"], "error: Beam search needs at least 2 beams"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(tiny_folder, capsys, arguments, message):
    assert main(["generate", "--model", str(tiny_folder), *arguments]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "".join(err)


def test_missing_model_is_one_line(tmp_path, capsys):
    assert main(["generate", "--model", str(tmp_path / "nowhere"), "--prompt", "Hi"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error: ")


def test_streamed_text_never_shows_a_stop_string():
    out = io.StringIO()
    streamed = _StreamedText(out, ("STOP",))
    for piece in ["Hel", "lo S", "T", "OP and more"]:
        streamed.add(piece)
    streamed.finish("Hello ")
    assert out.getvalue() == "Hello \n"


def test_an_encoder_is_refused_before_loading(tmp_path, tiny_tokenizer, capsys):
    from transformers import BertConfig, BertModel

    folder = tmp_path / "tiny-bert"
    config = BertConfig(vocab_size=len(tiny_tokenizer), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    assert main(["generate", "--model", str(folder), "--prompt", "Hi"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == "error: tiny-bert is an encoder: it reads text but cannot generate it. Pick a generative model."
