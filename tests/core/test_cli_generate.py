"""`workbench generate` on a tiny model saved as a Hugging Face folder."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from tests.conftest import drop_chat_template
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
    # A sampled answer streamed with a seed drawn for it says which: --seed gives it again.
    common = ["generate", "--model", str(tiny_folder), "--prompt", "Hello", "--max-new-tokens", "6", "--raw"]
    assert main(common) == 0
    sampled = capsys.readouterr()
    seed = int(sampled.err.split("seed: ")[1].split()[0])
    assert main([*common, "--seed", str(seed)]) == 0
    again = capsys.readouterr()
    assert again.out == sampled.out and "seed:" not in again.err  # given, it is not news


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--prompt", "  "], "error: The prompt is empty"),
        (["--prompt", "Hi", "--top-p", "0"], "error: Top-p must be greater than 0 and at most 1 (it is 0)."),
        (["--prompt", "Hi", "--max-new-tokens", "500"], "reads at most 128 tokens"),
        (["--prompt", "Hi", "--chat", "--beams", "1"], "error: Beam search needs at least 2 beams"),
        (["--prompt", "Hi", "--system", "Be brief.", "--raw"],
         "error: --system is a chat turn, and --raw completes plain text: give one of them."),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(tiny_folder, capsys, arguments, message):
    assert main(["generate", "--model", str(tiny_folder), *arguments]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "".join(err)


def test_a_system_message_for_a_model_without_a_chat_template_is_refused(tiny_folder, capsys):
    drop_chat_template(tiny_folder)
    assert main(["generate", "--model", str(tiny_folder), "--prompt", "Hi", "--system", "Be brief."]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: tiny-llama has no chat template, so a --system message has nowhere to go: leave it out.")


def test_an_empty_model_is_refused_not_taken_for_the_default(capsys):
    assert main(["generate", "--model", " ", "--prompt", "Hi"]) == 2
    assert capsys.readouterr().err.splitlines() == ["error: No model given."]


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
    assert captured.err.strip() == (
        "error: tiny-bert is an encoder: it reads text but cannot generate it. Pick a generative model."
    )


def test_greedy_is_raw_transformers_greedy_token_for_token(tmp_path, capsys):
    import torch

    from tests.conftest import make_tiny_llama, make_tiny_tokenizer

    tokenizer = make_tiny_tokenizer()
    model = make_tiny_llama(tokenizer)
    with torch.no_grad():  # weights wide enough that a repetition penalty would change the greedy text
        for weight in model.parameters():
            if weight.dim() == 2:
                weight.normal_(0, 0.1)
    folder = tmp_path / "tiny"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)

    prompt = "The quick brown fox"
    assert main(["generate", "--model", str(folder), "--prompt", prompt, "--raw", "--greedy",
                 "--max-new-tokens", "16", "--device", "cpu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    input_ids = torch.tensor([tokenizer(prompt)["input_ids"]])
    with torch.no_grad():
        raw = model.generate(input_ids, do_sample=False, max_new_tokens=16, pad_token_id=tokenizer.pad_token_id)
        penalised = model.generate(input_ids, do_sample=False, max_new_tokens=16, repetition_penalty=1.1,
                                   pad_token_id=tokenizer.pad_token_id)
    assert report["token_ids"] == raw[0, input_ids.shape[1]:].tolist()
    assert not torch.equal(raw, penalised)  # so the test tells greedy from greedy with a penalty


def _settings_for(*flags):
    from workbench.cli import build_parser
    from workbench.cli.generate import settings_from_args

    return settings_from_args(build_parser().parse_args(["generate", "--prompt", "Hi", *flags]))


def test_modes_start_from_their_own_defaults_and_flags_given_win():
    from workbench.core.decoding import PRESETS

    assert _settings_for() == PRESETS["Balanced"]
    assert _settings_for("--greedy").repetition_penalty == 1.0  # Balanced's 1.1 is a sampling default
    assert _settings_for("--beams", "3").repetition_penalty == 1.0
    assert _settings_for("--beams", "3").num_beams == 3
    assert _settings_for("--greedy", "--repetition-penalty", "1.3").repetition_penalty == 1.3
    creative = _settings_for("--preset", "creative", "--temperature", "0.5", "--top-k", "0")
    assert creative == dataclasses.replace(PRESETS["Creative"], temperature=0.5)
    assert _settings_for("--preset", "beam-search", "--beams", "6") == dataclasses.replace(
        PRESETS["Beam search"], num_beams=6)
    assert _settings_for("--stop", "\n\n", "--stop", "END", "--seed", "0").stop_strings == ("\n\n", "END")
    assert _settings_for("--seed", "0").seed == 0


def test_the_help_says_each_modes_own_default_and_lists_as_a_person_types_them(capsys):
    """"(default: 1.1)" for the repetition penalty read as greedy's too, whose is 1.0; a list default was shown as
    Python's ['repetition_penalty', ...], and an empty one as []."""
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    said = " ".join(capsys.readouterr().out.split())  # argparse's wrapping undone
    assert "(default: 1.1 when sampling, 1.0 with --greedy or --beams)" in said
    assert "(default: repetition_penalty, no_repeat_ngram, min_new_tokens, temperature, top_k, top_p, min_p, " \
           "typical_p)" in said
    assert "[]" not in said and "['" not in said


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--temperature", "inf"], "error: Temperature must be a finite number (it is inf)."),
        (["--repetition-penalty", "inf"], "error: Repetition penalty must be a finite number (it is inf)."),
        (["--top-p", "nan"], "error: Top-p must be a finite number (it is nan)."),
        (["--temperature", "0"], "error: Temperature must be at least 0.01 (it is 0)."),
        (["--temperature", "1e-45"], "error: Temperature must be at least 0.01 (it is 1e-45)."),
        # A flag that would do nothing in the mode asked for is refused, not dropped.
        (["--greedy", "--temperature", "0.3"],
         "error: --temperature shapes sampling, and greedy decoding does not sample: leave it out, or sample instead."),
        (["--beams", "4", "--top-k", "5"],
         "error: --top-k shapes sampling, and beam search does not sample: leave it out, or sample instead."),
        (["--greedy", "--seed", "3"],
         "error: --seed shapes sampling, and greedy decoding does not sample: leave it out, or sample instead."),
        (["--preset", "greedy", "--min-p", "0.1"],
         "error: --min-p shapes sampling, and greedy decoding does not sample: leave it out, or sample instead."),
        # A preset is a whole way of decoding: Beam search's no-repeat 3 must not follow into greedy.
        (["--preset", "beam-search", "--greedy"],
         "error: --preset beam-search uses beam search, --greedy greedy decoding: give one of them."),
    ],
)
def test_non_finite_and_out_of_range_values_are_one_error_line(tmp_path, capsys, flags, message):
    # Checked before the model is looked up: the folder does not even exist.
    assert main(["generate", "--model", str(tmp_path / "nowhere"), "--prompt", "Hi", *flags]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [message]


@pytest.mark.parametrize("as_json", [True, False])
def test_the_first_ctrl_c_stops_and_still_writes_the_text_so_far(tiny_loaded, as_json, capsys, monkeypatch):
    import os
    import signal

    from workbench.cli.generate import run_generation
    from workbench.core import generation
    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest

    # The seed drawn: one whose first tokens make visible text (some of the tiny model's make none).
    monkeypatch.setattr(generation.random, "randint", lambda low, high: 1)

    forwards = []

    def press_ctrl_c_at_the_fourth_step(_module, _inputs, _output):
        forwards.append(1)
        if len(forwards) == 4:
            os.kill(os.getpid(), signal.SIGINT)  # handled on the main thread, as a terminal's Ctrl+C

    hook = tiny_loaded.model.register_forward_hook(press_ctrl_c_at_the_fourth_step)
    settings = DecodingSettings(mode="sample", max_new_tokens=100, min_new_tokens=100)  # no seed: one is drawn
    out = io.StringIO()
    try:
        assert run_generation(tiny_loaded, GenerationRequest("hello", settings), out, as_json) == 130
    finally:
        hook.remove()
    err = capsys.readouterr().err
    assert "stopped (Ctrl+C): what was generated until then is written above" in err
    if as_json:
        report = json.loads(out.getvalue())
        assert report["stopped"] is True and 3 <= len(report["token_ids"]) < 100 and report["seed"] is not None
    else:
        assert out.getvalue().strip() and "seed: " in err  # the text so far, and the seed that draws it again
