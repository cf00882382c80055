"""`workbench inspect` on a tiny model saved as a folder: the documented JSON, the engine's numbers."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import GenerationRequest, generate
from workbench.core.jobs import drain

TOP_K_FIRST = "top_k,temperature,repetition_penalty,no_repeat_ngram,min_new_tokens,top_p,min_p,typical_p"


def inspect(tiny_folder, out, *extra) -> dict:
    code = main(["inspect", "--model", str(tiny_folder), "--prompt", "The capital of France", "--raw",
                 "--max-new-tokens", "6", "--device", "cpu", "--out", str(out), *extra])
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_writes_every_stage_of_every_token_as_the_engine_computes_them(tiny_folder, tiny_loaded, tmp_path):
    report = inspect(tiny_folder, tmp_path / "trace.json", "--seed", "5", "--top-k", "7", "--temperature", "0.8",
                     "--sampler-order", TOP_K_FIRST)
    settings = DecodingSettings(mode="sample", top_k=7, temperature=0.8, top_p=0.9, repetition_penalty=1.1,
                                max_new_tokens=6, seed=5, sampler_order=tuple(TOP_K_FIRST.split(",")))
    expected = drain(generate(tiny_loaded, GenerationRequest("The capital of France", settings, chat=False,
                                                             trace=True)))
    assert set(report) == {"model", "prompt_token_ids", "settings", "seed", "stopped", "tokens"}
    assert report["stopped"] is False
    assert report["seed"] == 5 and report["settings"]["sampler_order"] == TOP_K_FIRST.split(",")
    assert report["settings"]["top_k"] == 7 and "num_beams" not in report["settings"]  # beam search's only
    assert report["prompt_token_ids"] == list(expected.prompt_token_ids)
    for written, event in zip(report["tokens"], expected.sequences[0].tokens, strict=True):
        assert written["token_id"] == event.token_id and written["text"] == event.text
        assert written["entropy"] == pytest.approx(event.entropy)
        assert written["surprisal"] == pytest.approx(event.surprisal)
        assert [s["name"] for s in written["stages"]] == ["raw", "top_k", "temperature", "repetition_penalty",
                                                          "top_p"]
        assert written["stages"][1]["survivors"] == 7
        for stage, traced in zip(written["stages"], event.trace.stages):
            assert stage["chosen_prob"] == pytest.approx(traced.chosen_prob)
            assert [token_id for token_id, _ in stage["top"]] == [token_id for token_id, _ in traced.top]
            assert [prob for _, prob in stage["top"]] == pytest.approx([prob for _, prob in traced.top], abs=1e-6)


@pytest.mark.parametrize(("arguments", "used", "unused"), [
    (["--greedy"], {"repetition_penalty", "no_repeat_ngram_size", "sampler_order"},
     {"temperature", "top_k", "top_p", "min_p", "typical_p", "num_beams"}),
    (["--beams", "3"], {"num_beams", "repetition_penalty"}, {"temperature", "top_k", "top_p", "min_p", "typical_p"}),
])
def test_the_settings_written_are_those_the_mode_uses(tiny_folder, tmp_path, arguments, used, unused):
    """A greedy trace saying "temperature": 0.7 would claim a knob that never touched it."""
    settings = inspect(tiny_folder, tmp_path / "trace.json", *arguments)["settings"]
    assert used <= set(settings) and not unused & set(settings)
    assert settings["num_beams" if "--beams" in arguments else "mode"] == (3 if "--beams" in arguments else "greedy")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--out", "trace.txt"], "must be a .json file"),
        (["--out", ""], "Give a file name ending in .json."),
        (["--out", "earlier.json"], "earlier.json already exists: give a new file name, or move the old file away."),
        (["--out", "missing/trace.json"], "Create the folder first"),
        (["--out", "trace.json", "--sampler-order", "top_k"], "Sampler order must list each of its 8 steps once"),
        (["--out", "trace.json", "--sampler-order", "top_k,banana"], "Sampler order names unknown steps: banana"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tiny_folder, tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "earlier.json").write_text("an earlier result")
    code = main(["inspect", "--model", str(tiny_folder), "--prompt", "Hi", "--raw", *arguments])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "trace.json").exists()
    assert (tmp_path / "earlier.json").read_text() == "an earlier result"  # never replaced


def test_every_return_sequence_is_written_with_the_models_own_probabilities(tiny_folder, tiny_loaded, tmp_path):
    import torch

    report = inspect(tiny_folder, tmp_path / "three.json", "--seed", "11", "--num-return-sequences", "3",
                     "--top-k", "0", "--top-p", "1", "--repetition-penalty", "1")  # filters off
    sequences = [report["tokens"], *report["more_sequences"]]
    assert len(sequences) == 3 and all(len(tokens) == 6 for tokens in sequences)
    prompt = report["prompt_token_ids"]
    with torch.no_grad():
        for tokens in sequences:
            ids = torch.tensor([prompt + [token["token_id"] for token in tokens]])  # (1, T)
            probs = tiny_loaded.model(ids).logits[0, len(prompt) - 1 : -1].float().softmax(-1)  # (6, V): independent
            for position, token in enumerate(tokens):
                [raw, temperature] = token["stages"]  # Balanced's 0.7 stays: only the filters were turned off
                assert raw["name"] == "raw" and temperature["name"] == "temperature"
                assert raw["chosen_prob"] == pytest.approx(probs[position, token["token_id"]].item(), abs=1e-5)
                expected_top = probs[position].topk(5)
                assert [token_id for token_id, _ in raw["top"][:5]] == expected_top.indices.tolist()
                assert [prob for _, prob in raw["top"][:5]] == pytest.approx(expected_top.values.tolist(), abs=1e-5)
                entropy = -(probs[position] * probs[position].log()).sum().item()
                assert token["entropy"] == pytest.approx(entropy, abs=1e-4)


def _inspect_six_tokens_with_the_lens(model_folder, out) -> int:
    return main(["inspect", "--model", str(model_folder), "--prompt", "The capital of France", "--raw", "--greedy",
                 "--max-new-tokens", "6", "--device", "cpu", "--out", str(out), "--lens"])


def test_the_first_ctrl_c_during_the_lens_keeps_the_whole_generation(tiny_folder, tmp_path, monkeypatch, capsys):
    import os
    import signal

    from workbench.core import lens

    real_lens = lens.logit_lens

    def ctrl_c_after_the_first_layer(*args, **kwargs):
        job = real_lens(*args, **kwargs)
        yield next(job)
        os.kill(os.getpid(), signal.SIGINT)  # handled on the main thread, as a terminal's Ctrl+C
        return (yield from job)

    monkeypatch.setattr(lens, "logit_lens", ctrl_c_after_the_first_layer)
    out = tmp_path / "trace.json"
    code = _inspect_six_tokens_with_the_lens(tiny_folder, out)
    assert code == 130
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["stopped"] is False and len(report["tokens"]) == 6 and "lens" not in report
    err = capsys.readouterr().err
    assert "stopped (Ctrl+C) during the logit lens: the file holds the whole generation, no lens" in err


def test_the_lens_of_a_model_trained_here_past_its_context_reads_its_last_window(tmp_path, capsys,
                                                                               short_context_loaded):
    """Such a model generates past its context: the lens refused the whole text after the generation, and the
    trace was lost."""
    from workbench.core.lens import logit_lens

    run = short_context_loaded.entry.location
    out = tmp_path / "trace.json"
    code = main(["inspect", "--model", str(run), "--prompt", "the cat", "--greedy", "--max-new-tokens", "12",
                 "--device", "cpu", "--out", str(out), "--lens"])
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    every = [*report["prompt_token_ids"], *(token["token_id"] for token in report["tokens"])]
    assert len(every) == 7 + 12 and report["lens"]["token_ids"] == every[-8:]
    assert "reads at most 8 tokens: the logit lens reads the last 8 of the 19" in capsys.readouterr().err
    expected = drain(logit_lens(short_context_loaded, every[-8:]))
    assert report["lens"] == expected.to_json()


def test_a_model_without_layers_to_read_is_refused_before_it_generates(tmp_path, capsys, monkeypatch):
    """An LSTM trained here: the lens was refused only after the whole generation was traced, and the trace lost."""
    from workbench.core import generation
    from workbench.core.training.settings import TrainSettings
    from workbench.core.training.trainer import train

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat and the dog sat on the log. " * 40, encoding="utf-8")
    run = tmp_path / "lstm"
    drain(train(TrainSettings(corpus=str(corpus), out_dir=str(run), arch="lstm", n_layer=1, n_embd=16, block_size=8,
                              batch_size=2, max_iters=2, eval_interval=2, eval_iters=1, sample_tokens=4,
                              device="cpu")))
    monkeypatch.setattr(generation, "generate", lambda *args, **kwargs: pytest.fail("generated before refusing"))
    out = tmp_path / "trace.json"
    code = main(["inspect", "--model", str(run), "--prompt", "the cat", "--max-new-tokens", "6", "--device", "cpu",
                 "--out", str(out), "--lens"])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        f"error: {run.name} has no stack of transformer blocks to read between: it has no logit lens."], err


def test_a_lens_that_fails_in_its_pass_keeps_the_whole_generation(tiny_folder, tmp_path, monkeypatch, capsys):
    from workbench.core import lens
    from workbench.core.errors import InvalidInputError

    def refused_in_the_pass(*args, **kwargs):
        raise InvalidInputError("tiny does more between its last layer and its output than a norm: the logit lens "
                                "cannot repeat it.")
        yield

    monkeypatch.setattr(lens, "logit_lens", refused_in_the_pass)
    out = tmp_path / "trace.json"
    code = _inspect_six_tokens_with_the_lens(tiny_folder, out)
    assert code == 2
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["tokens"]) == 6 and "lens" not in report
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == ["error: tiny does more between its last layer and its output than a norm: the logit lens "
                      "cannot repeat it. The file holds the whole generation, no lens."]
