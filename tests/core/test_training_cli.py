"""`workbench train` and `workbench perplexity` from the command line."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer

from workbench.cli import main
from workbench.core.errors import InvalidInputError
from workbench.core.jobs import drain
from workbench.core.training.perplexity import perplexity

TEXT = "to be or not to be, that is the question.\n" * 40

TINY = (
    "--n-layer 1 --n-embd 16 --block-size 16 --batch-size 4 "
    "--eval-iters 2 --sample-tokens 4 --warmup-iters 0"
)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_train_then_perplexity(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} --arch gru --max-iters 6 --eval-interval 3 {TINY}".split()) == 0
    assert "final validation loss" in capsys.readouterr().out
    assert main(f"perplexity --model {out} --file {corpus} --block-size 16".split()) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "\r" not in captured.err  # progress is drawn on a terminal only
    mean_loss = float(printed.split("mean loss:")[1].split()[0])
    shown = float(printed.split("perplexity:")[1].split()[0])
    assert shown == pytest.approx(math.exp(mean_loss), rel=1e-3)
    assert "no token for" not in captured.err
    # Kana the character model never saw: scored as its unknown token, which is said, not passed off as text.
    unseen = tmp_path / "unseen.txt"
    unseen.write_text("ひらがな the cat sat", encoding="utf-8")
    assert main(f"perplexity --model {out} --file {unseen} --block-size 16".split()) == 0
    captured = capsys.readouterr()
    assert "has no token for part of the text" in captured.err and " in 1 block of 16" in captured.out  # 16 tokens
    assert main(f"perplexity --model {out} --file {unseen} --block-size 8".split()) == 0
    assert " in 2 blocks of 8" in capsys.readouterr().out
    assert main(["compare", "--model", str(out), "--model", str(out), "--text", "ひらがな the cat sat", "--json"]) == 0
    captured = capsys.readouterr()
    unknown = AutoTokenizer.from_pretrained(out).unk_token_id
    for model in json.loads(captured.out)["models"]:
        assert model["unknown_tokens"] == model["token_ids"].count(unknown) >= 4  # the four kana at least
    assert "tokens are its unknown token, so its numbers say little about this text" in captured.err
    for command in ("generate", "inspect"):  # a prompt it has no token for is said too, not silently read as <unk>
        out_file = ["--out", str(tmp_path / "trace.json")] if command == "inspect" else []
        assert main([command, "--model", str(out), "--prompt", "ひらがな the", "--max-new-tokens", "2", *out_file]) == 0
        err = capsys.readouterr().err
        assert "has no token for part of the prompt: 4 of its" in err and "does not read the prompt as typed" in err
    assert main(["generate", "--model", str(out), "--prompt", "to be", "--max-new-tokens", "2"]) == 0
    assert "no token for" not in capsys.readouterr().err


def test_attention_on_a_prompt_the_model_has_no_tokens_for_says_so(corpus, tmp_path, capsys):
    """Every label of the capture read <unk>, without a word (generate, compare and perplexity say it)."""
    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} --n-head 2 --max-iters 2 {TINY}".split()) == 0
    capsys.readouterr()
    assert main(["attention", "--model", str(out), "--prompt", "ひらがな the", "--out", str(tmp_path / "a.npz")]) == 0
    assert "has no token for part of the prompt: 4 of its" in capsys.readouterr().err


def test_a_warmup_longer_than_the_run_is_noted_and_the_run_goes_on(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} --max-iters 2 --eval-interval 2 {TINY} --warmup-iters 5"
                .split()) == 0
    assert "note: The warmup (5 steps) lasts the whole run (2 steps): the learning rate only rises" in (
        capsys.readouterr().err)


@pytest.mark.parametrize("refusal", ["--out", "--resume"])
def test_a_refused_run_says_its_error_and_no_note(corpus, tmp_path, capsys, refusal):
    """The warmup note would be news about a run that never starts: it comes with the run's figures, after
    the checks (the output folder's, here, and the trainer's own: a resume with no steps left)."""
    out = tmp_path / "out"
    if refusal == "--out":
        out.mkdir()
        (out / "keep.txt").write_text("mine", encoding="utf-8")
        flags = ""
    else:
        assert main(f"train --corpus {corpus} --out {out} --max-iters 2 --eval-interval 2 {TINY}".split()) == 0
        capsys.readouterr()
        flags = "--resume"
    assert main(f"train --corpus {corpus} --out {out} --max-iters 2 --eval-interval 2 {TINY} --warmup-iters 5 "
                f"{flags}".split()) == 2
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1 and said[0].startswith("error: "), said


def test_refuses_a_non_empty_output_folder_unless_resuming(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(f"train --corpus {corpus} --out {out} --max-iters 2 {TINY}".split()) == 2
    error = capsys.readouterr().err
    assert "error:" in error and "--resume" in error
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_bad_corpus_gets_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not utf8 \xc3")
    assert main(f"train --corpus {bad} --out {tmp_path / 'out'} {TINY}".split()) == 2
    error = capsys.readouterr().err
    assert "error:" in error and "bad.txt is not UTF-8" in error and "Traceback" not in error
    # /dev/null reads as an empty file, not as a folder of empty .txt files.
    assert main(f"train --corpus /dev/null --out {tmp_path / 'out'} {TINY}".split()) == 2
    assert capsys.readouterr().err.splitlines() == ["error: The text file /dev/null is empty: give one with some text."]


def test_resume_extends_a_finished_run(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} --arch rnn --max-iters 4 --eval-interval 2 {TINY}".split()) == 0
    # Left-out flags keep the values the run started with; changing the model shape is refused.
    assert main(f"train --corpus {corpus} --out {out} --n-embd 32 --resume".split()) == 2
    capsys.readouterr()
    assert main(f"train --out {out} --max-iters 3 --resume".split()) == 2  # would train nothing
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: The run in {out} has made 4 steps already, and 3 were asked for: ask for more training steps to "
        "train it on.")
    assert main(f"train --corpus {corpus} --out {out} --max-iters 6 --resume".split()) == 0
    assert main(f"train --out {out} --max-iters 8 --resume".split()) == 0  # on the run's own corpus
    steps = [line.split(",")[0] for line in (out / "metrics.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert steps == ["1", "2", "3", "4", "5", "6", "7", "8"]


def test_resume_from_another_folder_finds_the_corpus_named_relative_to_the_first(tmp_path, monkeypatch):
    first, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    first.mkdir()
    elsewhere.mkdir()
    (first / "poems.txt").write_text(TEXT, encoding="utf-8")
    monkeypatch.chdir(first)
    assert main(f"train --corpus poems.txt --out run --arch rnn --max-iters 2 --eval-interval 2 {TINY}".split()) == 0
    monkeypatch.chdir(elsewhere)
    assert main(f"train --out {first / 'run'} --max-iters 4 --resume".split()) == 0
    assert len((first / "run" / "metrics.csv").read_text(encoding="utf-8").splitlines()) == 1 + 4
    assert not (elsewhere / "run").exists()


@pytest.mark.parametrize("error", [
    RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: you tried to "
                 "allocate 408000000000 bytes."),
    torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 380.00 GiB."),
], ids=["cpu", "cuda"])
def test_a_batch_too_big_for_memory_is_one_line_and_leaves_the_folder_as_it_was(
    corpus, tmp_path, capsys, monkeypatch, error
):
    from workbench.core.training import trainer

    out, board = tmp_path / "out", tmp_path / "board"
    board.mkdir()
    (board / "other-run.tfevents").write_text("another run's events", encoding="utf-8")  # a shared folder
    command = f"train --corpus {corpus} --out {out} --tensorboard {board} --max-iters 2 {TINY}".split()
    real_sample = trainer.TokenBatches.sample

    def allocate(self, generator):
        raise error

    monkeypatch.setattr(trainer.TokenBatches, "sample", allocate)
    assert main(command) == 2
    printed = capsys.readouterr().err
    assert "error: Training ran out of memory at step 1 (4 blocks of 16 tokens a batch on cpu): lower the batch " \
           "size" in printed and "Traceback" not in printed and "fault" not in printed, printed
    assert not out.exists() and [path.name for path in board.iterdir()] == ["other-run.tfevents"]
    monkeypatch.setattr(trainer.TokenBatches, "sample", real_sample)
    assert main(command) == 0  # the same command, once memory allows


def test_corpus_is_required_unless_resuming_a_checkpointed_run(tmp_path, capsys):
    assert main(f"train --out {tmp_path / 'new'} {TINY}".split()) == 2
    assert "error: --corpus is required" in capsys.readouterr().err
    assert main(f"train --out {tmp_path / 'none'} --resume".split()) == 2
    assert "error: There is no checkpoint to resume in" in capsys.readouterr().err


def test_perplexity_is_exp_of_the_mean_loss_over_every_token(tiny_loaded):
    text = "The quick brown fox jumps over the lazy dog. " * 6
    result = drain(perplexity(tiny_loaded, text, block_size=16))
    assert result.perplexity == pytest.approx(math.exp(result.mean_loss))
    ids = tiny_loaded.tokenizer(text, add_special_tokens=False)["input_ids"]
    assert result.predicted_tokens == len(ids) - 1  # every token after the first, exactly once
    # Blocks of 16 give the same loss as one pass when the model sees the same context per block.
    with torch.no_grad():
        expected, count = 0.0, 0
        for start in range(0, len(ids) - 1, 16):
            window = torch.tensor([ids[start : start + 17]])
            logits = tiny_loaded.model(window[:, :-1]).logits
            expected += torch.nn.functional.cross_entropy(logits[0], window[0, 1:], reduction="sum").item()
            count += window.size(1) - 1
    assert result.mean_loss == pytest.approx(expected / count, rel=1e-5)


def test_perplexity_reads_the_start_token_first_in_every_block_as_the_model_always_does(tiny_loaded):
    """A tokenizer that starts every text with a token (Gemma's and Llama's <bos>): one block gives
    transformers' own loss on the encoded text; shorter blocks each read it first, then their tokens."""
    from tokenizers.processors import TemplateProcessing

    from workbench.core.transformers_helpers import leading_special_ids

    tokenizer, model = tiny_loaded.tokenizer, tiny_loaded.model
    assert leading_special_ids(tokenizer) == []
    bos = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    tokenizer.backend_tokenizer.post_processor = TemplateProcessing(
        single="<|endoftext|> $A", special_tokens=[("<|endoftext|>", bos)])
    assert leading_special_ids(tokenizer) == [bos]
    text = "The quick brown fox jumps over the lazy dog. " * 3
    encoded = tokenizer(text)["input_ids"]  # (1 + N,): the text as the model reads it
    whole = drain(perplexity(tiny_loaded, text, block_size=len(encoded) - 1))
    with torch.no_grad():
        ids = torch.tensor([encoded])
        expected = model(input_ids=ids, labels=ids).loss.item()
    assert whole.blocks == 1 and whole.predicted_tokens == len(encoded) - 1  # every token of the text
    assert whole.mean_loss == pytest.approx(expected, rel=1e-5)

    blocks = drain(perplexity(tiny_loaded, text, block_size=16))
    text_ids = encoded[1:]
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(text_ids) - 1, 16):
            window = text_ids[start : start + 17]
            logits = model(input_ids=torch.tensor([[bos] + window[:-1]])).logits[0]  # (1 + T, V)
            counted = slice(0, None) if start == 0 else slice(1, None)  # the first token once, in the first block
            targets = torch.tensor(window)[counted]
            total += torch.nn.functional.cross_entropy(logits[counted], targets, reduction="sum").item()
            count += len(targets)
    assert blocks.predicted_tokens == count == len(text_ids)
    assert blocks.mean_loss == pytest.approx(total / count, rel=1e-5)


def test_perplexity_runs_the_fused_attention_kernel_and_gives_the_eager_one_back(tiny_loaded, monkeypatch):
    """It reads no attention weights: SDPA while it reads (no (T, T) scores kept), eager again after, for the
    attention pages; the loss is the eager forward pass's (the test above)."""
    model = tiny_loaded.model
    assert model.config._attn_implementation == "eager"
    seen = []
    original = model.forward
    monkeypatch.setattr(model, "forward", lambda *args, **kwargs: seen.append(model.config._attn_implementation)
                        or original(*args, **kwargs))
    drain(perplexity(tiny_loaded, "The quick brown fox jumps over the lazy dog. " * 3, block_size=16))
    assert seen and set(seen) == {"sdpa"} and model.config._attn_implementation == "eager"


def test_perplexity_reads_fewer_blocks_at_once_the_longer_they_are(tiny_loaded, monkeypatch):
    from workbench.core.training import perplexity as module

    text = "The quick brown fox jumps over the lazy dog. " * 6
    monkeypatch.setattr(module, "BATCH_TOKENS", 32)
    batches = []
    model = tiny_loaded.model
    original = model.forward
    monkeypatch.setattr(model, "forward", lambda *args, **kwargs: batches.append(kwargs["input_ids"].shape)
                        or original(*args, **kwargs))
    whole = drain(perplexity(tiny_loaded, text, block_size=16))
    assert max(shape[0] for shape in batches) == 2  # 32 tokens a pass: two blocks of 16
    batches.clear()
    assert drain(perplexity(tiny_loaded, text, block_size=48)).blocks == len(batches)  # longer than that: one
    assert all(shape[0] == 1 for shape in batches) and whole.predicted_tokens > 0


def test_ctrl_c_checkpoints_and_exits_130(corpus, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from workbench.core.checkpoints import has_checkpoint
    from workbench.core.training import trainer

    out = tmp_path / "interrupted"
    command = [sys.executable, "-m", "workbench", "train", "--corpus", str(corpus), "--out", str(out), *TINY.split(),
               "--max-iters", "100000", "--eval-interval", "100000", "--checkpoint-interval", "100000"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics = out / "metrics.csv"
    deadline = time.monotonic() + 120
    # Wait until a few steps are on disk, so the interrupt lands inside the training loop.
    while not (metrics.exists() and len(metrics.read_text().splitlines()) > 5):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert has_checkpoint(out / trainer.CHECKPOINT_FOLDER)


def test_perplexity_of_an_encoder_is_refused_before_loading(corpus, capsys, monkeypatch):
    from workbench.core import loading

    monkeypatch.setattr(loading, "load_model", lambda *args, **kwargs: pytest.fail("an encoder was loaded"))
    assert main(["perplexity", "--model", "minilm-l6", "--file", str(corpus)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "is an encoder" in lines[0]


def test_perplexity_refuses_an_encoder_it_is_handed(tiny_loaded):
    encoder = dataclasses.replace(tiny_loaded, entry=dataclasses.replace(tiny_loaded.entry, can_generate=False))
    with pytest.raises(InvalidInputError, match="no perplexity"):
        drain(perplexity(encoder, "some text to score"))


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--block-size 0", "error: Context length must be at least 1 (it is 0)."),
        ("--batch-size 0", "error: Batch size must be at least 1 (it is 0)."),
        ("--lr 0", "error: Learning rate must be greater than 0 (it is 0)."),
        ("--n-head 0", "error: Attention heads must be at least 1 (it is 0)."),
        ("--n-layer 0", "error: Layers must be at least 1 (it is 0)."),
        ("--max-iters 0", "error: Training steps must be at least 1 (it is 0)."),
        ("--lr inf", "error: Learning rate must be a finite number (it is inf)."),
        ("--dropout nan", "error: Dropout must be a finite number (it is nan)."),
    ],
)
def test_a_zero_or_non_finite_flag_is_used_and_refused(corpus, tmp_path, capsys, flag, message):
    # A value typed on the command line is the value used: 0 is not "left out".
    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} {flag}".split()) == 2
    assert capsys.readouterr().err.splitlines() == [message]
    assert not out.exists()


def test_a_batch_whose_logits_cannot_fit_is_refused_before_anything_is_allocated(corpus, tmp_path, capsys,
                                                                                 monkeypatch):
    from workbench.core.training import trainer

    monkeypatch.setattr(trainer, "free_memory_bytes", lambda device: 2**30)
    out, board = tmp_path / "out", tmp_path / "boards" / "new"
    # 2 x 4 bytes x 10^6 blocks x 16 tokens x a vocabulary of ~20: about 2.5 GB of logits and their gradient.
    assert main(f"train --corpus {corpus} --out {out} --tensorboard {board} --max-iters 2 {TINY} "
                "--batch-size 1000000".split()) == 2
    printed = capsys.readouterr().err
    assert "error: One batch of 1000000 blocks of 16 tokens needs at least" in printed, printed
    assert "more than the 1.0 GB free on cpu: lower the batch size" in printed and "Traceback" not in printed
    assert not out.exists() and not (tmp_path / "boards").exists()  # made for the run, removed with its refusal


def test_an_empty_probe_text_is_refused_not_silently_dropped(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["train", "--corpus", str(corpus), "--out", str(out), "--probe", "床前", "--probe", " "]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: A probe text is empty: give it some text, or give no probe texts at all to read the first lines of "
        "the validation text."]
    assert not out.exists()


def test_a_probe_of_a_single_token_is_refused_not_silently_dropped(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["train", "--corpus", str(corpus), "--out", str(out), *TINY.split(), "--max-iters", "2",
                 "--probe", "to be or", "--probe", "q"]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith(
        "error: The probe “q” is a single token for this run's tokenizer")
    assert not out.exists()
    # Given on a resume, it was recorded, then read never, and the run's other probes with it.
    assert main(["train", "--corpus", str(corpus), "--out", str(out), *TINY.split(), "--max-iters", "2",
                 "--probe", "to be or"]) == 0
    run_file = (out / "run.json").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["train", "--resume", "--corpus", str(corpus), "--out", str(out), "--max-iters", "4",
                 "--probe", "to be or", "--probe", "q"]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith(
        "error: The probe “q” is a single token for this run's tokenizer")
    assert (out / "run.json").read_text(encoding="utf-8") == run_file


def test_an_empty_corpus_or_tensorboard_folder_means_none_not_the_working_folder(corpus, tmp_path, capsys,
                                                                                  monkeypatch):
    """"" became the working folder: a corpus of every .txt there, TensorBoard events written among them."""
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--corpus", "", "--out", "o1", *TINY.split()]) == 2
    assert capsys.readouterr().err.splitlines() == ["error: Choose a corpus: a UTF-8 text file or a folder of .txt "
                                                    "files."]
    assert main(["train", "--corpus", str(corpus), "--out", "o2", "--tensorboard", "", *TINY.split(),
                 "--max-iters", "2"]) == 0
    assert not list(tmp_path.glob("events.out.tfevents*"))
    assert json.loads((tmp_path / "o2" / "run.json").read_text(encoding="utf-8"))["settings"]["tensorboard"] == ""


def test_a_working_folder_whose_name_is_not_utf8_is_refused_in_one_line_before_anything_is_made(
        corpus, tmp_path, capsys):
    import os

    folder = os.path.join(os.fsencode(tmp_path), b"caf\xe9")  # a Latin-1 name
    os.mkdir(folder)
    os.chdir(folder)
    try:
        (Path(os.fsdecode(folder)) / "corpus.txt").write_text(TEXT, encoding="utf-8")
        assert main(["train", "--corpus", "corpus.txt", "--out", "o", *TINY.split()]) == 2
        assert main(["train", "--corpus", str(corpus), "--out", "o", *TINY.split()]) == 2  # the run's own folder
        assert os.listdir(folder) == [b"corpus.txt"]
    finally:
        os.chdir(tmp_path)
    assert "lies in a folder whose name is not UTF-8 text" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ("--base-model tiny", "error: --base-model is not used here: it names the model to fine-tune: add --arch "
                              "finetune."),
        ("--arch lstm --n-head 2", "error: --n-head is not used here: recurrent models have no attention heads."),
        ("--arch lstm --head-scores", "error: --head-scores is not used here: recurrent models have no attention "
                                      "heads."),
        ("--vocab-size 500", "error: --vocab-size is not used here: it sizes the BPE tokenizer learnt from the "
                             "corpus: add --tokenizer bpe."),
        ("--arch finetune --base-model tiny --n-layer 2", "error: --n-layer is not used here: a fine-tune keeps the "
                                                          "base model's shape."),
        ("--arch finetune --base-model tiny --lora-rank 4", "error: --lora-rank is not used here: it sizes LoRA "
                                                            "adapters: add --lora."),
    ],
)
def test_a_flag_these_settings_would_ignore_is_refused(corpus, tmp_path, capsys, flags, message):
    # Ignored, --base-model would train from scratch the model the user meant to fine-tune.
    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} {flags}".split()) == 2
    assert capsys.readouterr().err.splitlines() == [message]
    assert not out.exists()


def test_fsdp_without_torchrun_says_it_trains_unsharded(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} --fsdp --max-iters 2 --eval-interval 2 {TINY}".split()) == 0
    assert "note: --fsdp shards the model over torchrun's processes; this run is one process" in capsys.readouterr().err


def test_a_run_continued_on_a_text_its_vocabulary_lacks_says_how_much_is_unknown(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} --arch rnn --max-iters 2 --eval-interval 2 {TINY}".split()) == 0
    assert "unknown" not in capsys.readouterr().err
    other = tmp_path / "other.txt"
    other.write_text("to be or not to be, XYZ!\n" * 40, encoding="utf-8")  # X, Y, Z and ! are new
    assert main(f"train --corpus {other} --out {out} --max-iters 4 --resume".split()) == 0
    warning = next(line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:"))
    assert warning.startswith("warning: 160 of the corpus's tokens (16%) are unknown to the run's vocabulary")


def _train_through_a_pipe(corpus, out, *flags: str, env: dict | None = None):
    """``workbench train`` with its stdout and stderr in one pipe (``2>&1 | head``)."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "workbench", "train", "--corpus", str(corpus), *TINY.split(),
                             "--checkpoint-interval", "100000", *flags, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)


def _exit_status(process) -> int:
    try:
        return process.wait(timeout=120)
    finally:
        process.kill()  # a run that missed its reader's going trains on otherwise, for minutes


@pytest.mark.parametrize("command", ["train", "genlab"])
def test_a_reader_that_goes_away_stops_the_run_with_its_checkpoint(corpus, tmp_path, command):
    # `workbench train ... 2>&1 | head -3`: the progress's reader closes its end after three lines.
    import subprocess
    import sys

    from workbench.core.checkpoints import has_checkpoint

    out = tmp_path / "run"
    if command == "train":
        # An evaluation every 5 steps writes a line: off a terminal, what tells the run its reader is gone.
        process = _train_through_a_pipe(corpus, out, "--max-iters", "100000", "--eval-interval", "5")
    else:
        flags = ["--model", "vae", "--hidden-dim", "16", "--epochs", "100000", "--checkpoint-every", "100000",
                 "--device", "cpu"]
        process = subprocess.Popen([sys.executable, "-m", "workbench", "genlab", *flags, "--out", str(out)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    lines = [process.stdout.readline() for _ in range(3)]
    assert all(lines), lines
    process.stdout.close()
    assert _exit_status(process) == 130  # stopped, as by Ctrl+C
    assert has_checkpoint(out / "checkpoint")  # not the run lost and its folder removed
    if command == "genlab":
        assert (out / "model").is_dir() and (out / "metrics.csv").is_file()


def test_ctrl_c_that_also_ends_the_reader_still_checkpoints(corpus, tmp_path):
    # `workbench train ... 2>&1 | tee log`: Ctrl+C ends tee as well, so the announcement finds no reader.
    import signal
    import time

    from workbench.core.checkpoints import has_checkpoint

    out = tmp_path / "run"
    process = _train_through_a_pipe(corpus, out, "--max-iters", "100000", "--eval-interval", "100000")
    assert all(process.stdout.readline() for _ in range(2))
    deadline = time.monotonic() + 120
    while not ((out / "metrics.csv").exists() and len((out / "metrics.csv").read_text().splitlines()) > 5):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    process.stdout.close()
    process.send_signal(signal.SIGINT)
    assert _exit_status(process) == 130
    assert has_checkpoint(out / "checkpoint")


def test_a_reader_gone_by_the_last_evaluation_leaves_the_finished_run_and_exits_0(corpus, tmp_path):
    import os

    out = tmp_path / "run"
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    process = _train_through_a_pipe(corpus, out, "--max-iters", "20", "--eval-interval", "20", env=buffered)
    assert all(process.stdout.readline() for _ in range(2))  # the corpus and batch lines; then only the end writes
    process.stdout.close()
    assert _exit_status(process) == 0  # finished: not 120 for a final line that found no reader
    assert (out / "model.safetensors").is_file()


def test_a_sample_with_control_characters_stays_on_its_progress_line(capsys):
    """A small BPE's samples hold NUL, CR and VT: on the terminal a CR sent the cursor back over the line."""
    from workbench.cli.train import _ProgressPrinter
    from workbench.core.training.events import EvalEvent

    printer = _ProgressPrinter(max_iters=10, notes=[])
    printer(EvalEvent(step=5, val_loss=2.0, perplexity=7.39, train_loss=2.1, sample="a\x00b\rc\x0bd\te\nf\x7f",
                      tokens_seen=80, elapsed_s=1.0))
    printer.close()
    line, = capsys.readouterr().err.splitlines()
    assert line.endswith("| a␀b␍c␋d␉e ⏎ f␡")



def test_a_resume_trains_with_its_new_weight_decay_and_refuses_another_dropout(corpus, tmp_path, capsys):
    """Loading the optimizer's state put the saved weight decay back, and the model kept its dropout: both new
    values were recorded and not trained with."""
    import shutil

    from safetensors.torch import load_file

    out, decayed = tmp_path / "out", tmp_path / "decayed"
    assert main(f"train --corpus {corpus} --out {out} --max-iters 4 --eval-interval 4 {TINY}".split()) == 0
    shutil.copytree(out, decayed)
    assert main(f"train --out {out} --max-iters 6 --resume".split()) == 0
    assert main(f"train --out {decayed} --max-iters 6 --weight-decay 50 --resume".split()) == 0
    weights = {folder: load_file(folder / "model.safetensors") for folder in (out, decayed)}
    assert any(not torch.equal(weights[out][name], weights[decayed][name]) for name in weights[out])
    capsys.readouterr()
    assert main(f"train --out {out} --max-iters 8 --dropout 0.3 --resume".split()) == 2
    assert "resume it with the same model settings" in capsys.readouterr().err


def test_a_folder_killed_before_its_first_checkpoint_says_what_to_do(corpus, tmp_path, capsys):
    """After a kill -9 before the first checkpoint the folder holds run.json and curves only: a new run there was
    refused with "resume the run that is in it", and --resume then with "There is no checkpoint to resume"."""
    import shutil

    out = tmp_path / "out"
    assert main(f"train --corpus {corpus} --out {out} --max-iters 2 --eval-interval 2 {TINY}".split()) == 0
    for kept in [out / "checkpoint", *out.glob("step-*")]:
        shutil.rmtree(kept)
    capsys.readouterr()
    assert main(f"train --corpus {corpus} --out {out} --max-iters 2 --eval-interval 2 {TINY}".split()) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: {out} holds a run stopped before its first checkpoint, with nothing to resume: choose a new folder, "
        "or delete this one to train there.")


def test_a_recurrent_model_trained_here_fine_tunes_whole_and_refuses_lora(corpus, tmp_path, capsys):
    """A full fine-tune of an LSTM/GRU/RNN base died at its first evaluation (its heads were scored, it has none)
    and its folder was removed; with --lora, peft's error came out as a fault of the workbench (exit 70)."""
    base = tmp_path / "rnn"
    assert main(f"train --corpus {corpus} --out {base} --arch rnn --max-iters 2 --eval-interval 2 {TINY}".split()) == 0
    tune = (f"train --corpus {corpus} --arch finetune --base-model {base} --max-iters 2 --eval-interval 1 "
            "--block-size 16 --batch-size 4 --eval-iters 2 --sample-tokens 4 --warmup-iters 0")
    assert main(f"{tune} --out {tmp_path / 'whole'}".split()) == 0
    assert (tmp_path / "whole" / "model.safetensors").is_file()
    capsys.readouterr()
    assert main(f"{tune} --out {tmp_path / 'lora'} --lora".split()) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: LoRA cannot adapt {base}: a recurrent network trained here has none of the linear layers it adapts. "
        "Fine-tune it whole (without LoRA).")
    assert not (tmp_path / "lora").exists()
