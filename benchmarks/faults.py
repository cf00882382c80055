"""Bad input and faults, tried as a careless user would: does every promise hold?

Each case runs the real `workbench` command in a fresh process, in a scratch folder, with the
user folders redirected to a temporary place. A refused case keeps its promise when it exits 2
with exactly one stderr line starting with `error:`, no traceback, and no file written or
changed. Fault cases (Ctrl+C, a closed pipe, damaged session files) have their own checks.
The last line is `faults: N/M clean`.

    python benchmarks/faults.py [--jobs 2] [--only TEXT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tiny random model of the tests

TINY_RUN = ["--block-size", "16", "--batch-size", "4", "--eval-iters", "2", "--sample-tokens", "4",
            "--warmup-iters", "0"]
TINY_TRAIN = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", *TINY_RUN]  # a fine-tune keeps its base's shape


@dataclass
class Case:
    name: str
    argv: list[str]  # after `workbench`; "{tiny}", "{corpus}"... are filled in from the fixtures
    prepare: Callable[[Path, dict[str, Path]], None] | None = None  # writes files into the case folder
    check: Callable[[subprocess.CompletedProcess, Path], str | None] | None = None  # None: refused cleanly
    env: dict[str, str] = field(default_factory=dict)
    interrupt_after_s: float | None = None  # send SIGINT this long after the start
    names: str = ""  # what the one error line must name (the damaged file, so the user knows which)


# ----------------------------------------------------------------------------- fixtures


def build_fixtures(folder: Path) -> dict[str, Path]:
    from tests.conftest import make_tiny_loaded

    fixtures = {name: folder / name for name in ("tiny", "encoder", "corpus", "run", "custom")}
    tiny = make_tiny_loaded()
    tiny.model.save_pretrained(fixtures["tiny"])
    tiny.tokenizer.save_pretrained(fixtures["tiny"])
    shutil.copytree(fixtures["tiny"], fixtures["custom"])
    config = json.loads((fixtures["custom"] / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_custom.CustomForCausalLM"}
    (fixtures["custom"] / "config.json").write_text(json.dumps(config))
    (fixtures["custom"] / "modeling_custom.py").write_text("raise SystemExit('custom code ran')\n")
    fixtures["corpus"].mkdir()
    (fixtures["corpus"] / "poems.txt").write_text("床前明月光，疑是地上霜。举头望明月，低头思故乡。\n" * 60)
    subprocess.run([sys.executable, "-m", "workbench", "train", "--corpus", str(fixtures["corpus"] / "poems.txt"),
                    "--out", str(fixtures["run"]), "--max-iters", "3", "--eval-interval", "3", *TINY_TRAIN],
                   check=True, capture_output=True, env=scratch_env(folder))
    return fixtures


def scratch_env(folder: Path) -> dict[str, str]:
    """The user folders, beside (not inside) the folder whose files a case must leave alone."""
    users = folder.parent / f"{folder.name}-user"
    return {**os.environ, "WORKBENCH_DATA_DIR": str(users / "data"), "HF_HUB_OFFLINE": "1",
            "WORKBENCH_CONFIG_DIR": str(users / "config"), "HF_MODULES_CACHE": str(users / "modules")}


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


# ----------------------------------------------------------------------------- the cases


def write(name: str, data: bytes | str) -> Callable[[Path, dict[str, Path]], None]:
    def prepare(case: Path, fixtures: dict[str, Path]) -> None:
        target = case / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    return prepare


def copy_run(damage: Callable[[Path], None]) -> Callable[[Path, dict[str, Path]], None]:
    def prepare(case: Path, fixtures: dict[str, Path]) -> None:
        shutil.copytree(fixtures["run"], case / "run")
        damage(case / "run" / "checkpoint")
    return prepare


def without_chat_template(case: Path, fixtures: dict[str, Path]) -> None:
    shutil.copytree(fixtures["tiny"], case / "plain")
    tokenizer_config = case / "plain" / "tokenizer_config.json"
    config = json.loads(tokenizer_config.read_text())
    config.pop("chat_template", None)
    tokenizer_config.write_text(json.dumps(config))
    (case / "plain" / "chat_template.jinja").unlink(missing_ok=True)


def halve(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def generate_cases() -> list[Case]:
    base = ["generate", "--model", "{tiny}", "--prompt", "The capital of France is", "--max-new-tokens", "4"]
    bad_values = {
        "--temperature": ["-1", "0", "inf", "nan", "abc"],
        "--top-k": ["-1", "1.5", "abc"],
        "--top-p": ["0", "1.5", "nan"],
        "--min-p": ["-0.1", "2"],
        "--typical-p": ["0", "2"],
        "--repetition-penalty": ["0", "1e-39", "-1", "inf"],
        "--no-repeat-ngram-size": ["-1"],
        "--max-new-tokens": ["0", "-5"],
        "--min-new-tokens": ["-1", "99"],
        "--num-return-sequences": ["0", "1000"],
        "--beams": ["1", "1000"],
        "--seed": ["-1", "99999999999"],
        "--stop": [""],
        "--device": ["quantum", "cuda:7"],
        "--dtype": ["float8"],
    }
    cases = [Case(f"generate {flag} {value!r}", [*base, flag, value])
             for flag, values in bad_values.items() for value in values]
    cases += [
        Case("generate --greedy with 3 sequences", [*base, "--greedy", "--num-return-sequences", "3"]),
        Case("generate with an empty prompt", ["generate", "--model", "{tiny}", "--prompt", "   "]),
        Case("generate a prompt past the context", ["generate", "--model", "{tiny}", "--prompt", "word " * 300]),
        Case("generate --chat without a chat template", ["generate", "--model", "plain", "--prompt", "hi", "--chat"],
             without_chat_template),
        Case("generate with an unknown model id", ["generate", "--model", "no-such-model", "--prompt", "hi"]),
        Case("generate with a missing folder", ["generate", "--model", "./missing/", "--prompt", "hi"]),
        Case("generate with an encoder", ["generate", "--model", "minilm-l6", "--prompt", "hi"]),
        Case("generate with random bytes as a .gguf", ["generate", "--model", "random.gguf", "--prompt", "hi"],
             write("random.gguf", os.urandom(4096))),
        Case("generate with a truncated GGUF header", ["generate", "--model", "cut.gguf", "--prompt", "hi"],
             write("cut.gguf", b"GGUF\x03\x00\x00\x00")),
        Case("generate with a folder that is not a model", ["generate", "--model", "notes", "--prompt", "hi"],
             write("notes/readme.txt", "just notes")),
        Case("generate with an empty config.json", ["generate", "--model", "broken", "--prompt", "hi"],
             write("broken/config.json", "")),
        Case("generate a model that ships its own code", [*base[:2], "{custom}", *base[3:]]),
        Case("generate a hub id, offline", ["generate", "--model", "someone/not-cached", "--prompt", "hi"]),
    ]
    return cases


def train_cases() -> list[Case]:
    base = ["train", "--corpus", "{corpus}/poems.txt", "--out", "out", "--max-iters", "2", *TINY_TRAIN]
    finetune = [*base[:7], *TINY_RUN, "--arch", "finetune"]
    flags = {"--block-size": ["0", "-4"], "--batch-size": ["0"], "--lr": ["0", "-1", "inf"], "--n-head": ["0", "3"],
             "--n-layer": ["0"], "--max-iters": ["0"], "--dropout": ["nan", "1.5"], "--n-embd": ["0"],
             "--val-fraction": ["0", "1"], "--grad-clip": ["-1"], "--eval-interval": ["0"]}
    cases = [Case(f"train {flag} {value}", [*base, flag, value]) for flag, values in flags.items() for value in values]
    damages: dict[str, tuple[str, Callable[[Path], None]]] = {  # what: (the file damaged, how)
        "an empty training_state.pt": ("training_state.pt", lambda c: (c / "training_state.pt").write_bytes(b"")),
        "halved weights": ("model.safetensors", lambda c: halve(c / "model.safetensors")),
        "empty weights": ("model.safetensors", lambda c: (c / "model.safetensors").write_bytes(b"")),
        "zeroed weights": ("model.safetensors", lambda c: (c / "model.safetensors").write_bytes(
            bytes((c / "model.safetensors").stat().st_size))),
        "trainer_state.json = {}": ("trainer_state.json", lambda c: (c / "trainer_state.json").write_text("{}")),
        "an empty tokenizer.json": ("tokenizer.json", lambda c: (c / "tokenizer.json").write_text("")),
        "an empty config.json": ("config.json", lambda c: (c / "config.json").write_text("")),
        "a missing training_state.pt": ("training_state.pt", lambda c: (c / "training_state.pt").unlink()),
    }
    cases += [Case(f"train --resume with {what}", ["train", "--corpus", "{corpus}/poems.txt", "--out", "run",
                                                    "--resume", "--max-iters", "6"], copy_run(damage), names=file)
              for what, (file, damage) in damages.items()]
    cases += [
        # Terabytes of logits: refused before anything is allocated (granted, they would get the process killed);
        # the folder made for the run goes again, so the same command runs once the batch is lowered.
        Case("train --batch-size 3000000000", [*base, "--batch-size", "3000000000"],
             check=refused_once_started("error: One batch of 3000000000 blocks")),
        Case("fine-tune with a block longer than the base model reads",
             [*finetune, "--base-model", "{tiny}", "--block-size", "129"],
             check=refused_once_started("error: Block size 129 is longer than")),
        Case("train on a missing corpus", [*base[:2], "nowhere.txt", *base[3:]]),
        Case("train on a Latin-1 corpus", [*base[:2], "latin1.txt", *base[3:]],
             write("latin1.txt", "café".encode("latin-1") * 50)),
        Case("train on a binary file", [*base[:2], "blob.txt", *base[3:]], write("blob.txt", b"\x00\x01" * 500)),
        Case("train on an empty corpus", [*base[:2], "empty.txt", *base[3:]], write("empty.txt", "  \n")),
        Case("train on a folder without .txt", [*base[:2], "texts", *base[3:]], write("texts/a.md", "markdown")),
        Case("train --out an existing file", [*base[:4], "taken", *base[5:]], write("taken", "a file")),
        Case("train --out a busy folder", [*base[:4], "busy", *base[5:]], write("busy/notes.txt", "mine")),
        Case("train --out under /proc", [*base[:4], "/proc/workbench-run", *base[5:]]),
        Case("train --out under a file", [*base[:4], "plain/run", *base[5:]], write("plain", "a file")),
        Case("train --resume with no checkpoint", [*base, "--resume"], write("out/notes.txt", "no run here")),
        Case("train --tokenizer pretrained from scratch", [*base, "--tokenizer", "pretrained"]),
        Case("train --lora from scratch", [*base, "--lora"]),
        Case("train --arch finetune without a base", finetune),
        # Flags the settings would leave unused are refused, not ignored: this one would train from scratch.
        Case("train --base-model without --arch finetune", [*base, "--base-model", "{tiny}"]),
        Case("train --lora-rank without --lora", [*finetune, "--base-model", "{tiny}", "--lora-rank", "4"]),
        Case("train --arch lstm --n-head", [*base, "--arch", "lstm"]),
        Case("train --arch nonsense", [*base, "--arch", "transformer-xl"]),
        Case("train --tensorboard a file", [*base, "--tensorboard", "events"], write("events", "a file")),
        Case("train --tensorboard inside the run's checkpoint", [*base, "--tensorboard", "out/checkpoint"]),
        Case("train --probe of one character", [*base, "--probe", "月"],
             check=refused_once_started("error: The probe “月” is a single token")),
        # A torchrun variable left in a shell or a job script: a mistake to fix, not a fault of the workbench.
        Case("train with WORLD_SIZE=abc", base, env={"WORLD_SIZE": "abc"}),
        Case("train with WORLD_SIZE=2 alone", base, env={"WORLD_SIZE": "2"}),
    ]
    return cases


def genlab_cases() -> list[Case]:
    base = ["genlab", "--epochs", "1", "--out", "lab"]
    flags = {"--epochs": ["0"], "--lr": ["0", "inf"], "--latent-dim": ["0"], "--hidden-dim": ["2"],
             "--batch-size": ["0"], "--beta": ["-1"], "--label-smoothing": ["0.9"], "--image-size": ["1"]}
    cases = [Case(f"genlab {flag} {value}", [*base, flag, value]) for flag, values in flags.items() for value in values]
    cases += [
        Case("genlab --out a busy folder", [*base[:3], "--out", "busy"], write("busy/metrics.csv", "earlier run")),
        Case("genlab --out an existing file", [*base[:3], "--out", "taken"], write("taken", "a file")),
        Case("genlab --out under /proc", [*base[:3], "--out", "/proc/genlab-run"]),
        Case("genlab --images a missing folder", [*base, "--images", "nowhere"]),
        Case("genlab --images an empty folder", [*base, "--images", "pictures"], write("pictures/readme.txt", "none")),
        Case("genlab --resume with no checkpoint", [*base, "--resume"]),
        Case("genlab --model gan --beta", [*base, "--model", "gan", "--beta", "1"]),
        Case("genlab --label-smoothing with a VAE", [*base, "--label-smoothing", "0.2"]),
    ]
    return cases


def attention_cases() -> list[Case]:
    base = ["attention", "--model", "{tiny}", "--prompt", "The quick brown fox"]
    return [
        Case("attention --out under /proc", [*base, "--out", "/proc/a.npz"]),
        Case("attention --out under a file", [*base, "--out", "plain/a.npz"], write("plain", "a file")),
        Case("attention --out an existing folder", [*base, "--out", "folder.npz"], write("folder.npz/x", "x")),
        Case("attention --out in a missing folder", [*base, "--out", "no/such/a.npz"]),
        Case("attention --out with the wrong suffix", [*base, "--out", "a.txt"]),
        Case("attention --png with the wrong suffix", [*base, "--out", "a.npz", "--png", "a.jpg"]),
        Case("attention --layer 99", [*base, "--out", "a.npz", "--png", "a.png", "--layer", "99"]),
        Case("attention --head 99", [*base, "--out", "a.npz", "--png", "a.png", "--head", "99"]),
        Case("attention --head all", [*base, "--out", "a.npz", "--head", "all"]),
        Case("attention with an empty prompt", [*base[:3], "--prompt", " ", "--out", "a.npz"]),
        Case("attention on a missing model", ["attention", "--model", "./gone", "--prompt", "hi", "--out", "a.npz"]),
        Case("attention on a model that ships its own code", ["attention", "--model", "{custom}", "--prompt", "hi",
                                                              "--out", "a.npz"]),
    ]


def perplexity_cases() -> list[Case]:
    base = ["perplexity", "--model", "{tiny}", "--file", "{corpus}/poems.txt"]
    return [
        Case("perplexity with an encoder", ["perplexity", "--model", "minilm-l6", "--file", "{corpus}/poems.txt"]),
        Case("perplexity on a missing file", [*base[:3], "--file", "nowhere.txt"]),
        Case("perplexity on a Latin-1 file", [*base[:3], "--file", "latin1.txt"],
             write("latin1.txt", "é".encode("latin-1") * 9)),
        Case("perplexity on an empty file", [*base[:3], "--file", "empty.txt"], write("empty.txt", "")),
        Case("perplexity --block-size 0", [*base, "--block-size", "0"]),
        Case("perplexity --block-size past the context", [*base, "--block-size", "100000"]),
        Case("perplexity on a one-token text", [*base[:3], "--file", "one.txt"], write("one.txt", "a")),
        Case("perplexity on an unknown model", ["perplexity", "--model", "nope", "--file", "{corpus}/poems.txt"]),
    ]


# ----------------------------------------------------------------------------- faults with their own checks


def interrupted(result: subprocess.CompletedProcess, case: Path) -> str | None:
    # A shell reads both as 130. Now and then (about 1 in 8 with Ctrl+C ~3 s in, as the model loads) CPython ends
    # the process with SIGINT itself once it has cleaned up, though the workbench caught the interrupt, said its
    # one line and returned 130: the same line, the same status in a shell.
    if result.returncode not in (130, -signal.SIGINT):
        return f"exit {result.returncode}, not 130"
    if "Traceback" in result.stderr:
        return "a traceback"
    return None


def quietly_stopped(result: subprocess.CompletedProcess, case: Path) -> str | None:
    """Its reader went away: stopped (130, what it printed was cut), and nothing said about it."""
    return interrupted(result, case) or (f"said {result.stderr.strip()[-200:]!r}" if result.stderr.strip() else None)


def checkpointed_on_interrupt(result: subprocess.CompletedProcess, case: Path) -> str | None:
    return interrupted(result, case) or (None if (case / "out" / "checkpoint" / "trainer_state.json").is_file()
                                         else "no checkpoint written on Ctrl+C")


def refused_once_started(error_start: str) -> Callable[[subprocess.CompletedProcess, Path], str | None]:
    """A run refused once it has begun (its status lines come first): the one error line is the last, and the
    folder made for the run is gone again."""

    def check(result: subprocess.CompletedProcess, case: Path) -> str | None:
        lines = result.stderr.strip().splitlines()
        errors = [line for line in lines if line.startswith("error:")]
        if result.returncode != 2 or "Traceback" in result.stderr or len(errors) != 1 or errors[0] != lines[-1] \
                or not errors[0].startswith(error_start):
            return f"exit {result.returncode}: {result.stderr.strip()[-300:]!r}"
        return "left the run's folder behind" if (case / "out").exists() else None

    return check


def quiet_success(result: subprocess.CompletedProcess, case: Path) -> str | None:
    if result.returncode != 0 or "Traceback" in result.stderr:
        return f"exit {result.returncode}: {result.stderr.strip()[-200:]}"
    return None


SESSION_SCRIPT = textwrap.dedent("""
    import json, sys
    from workbench.core.sessions import open_session, session_path
    contents = json.loads(sys.argv[1])
    for text in contents:
        session_path().write_text(text, encoding="utf-8")
        opened = open_session()
        assert opened.problem and "\\n" not in opened.problem, opened.problem
    kept = sorted(p.read_text(encoding="utf-8") for p in session_path().parent.glob("session.damaged-*"))
    assert kept == sorted(contents), (kept, contents)
    print("ok")
""")


LATIN1 = b"caf\xe9".decode("utf-8", "surrogateescape")  # what a Latin-1 terminal or file name hands Python
RUN = {"model_id": "m", "model_name": "M", "prompt": "p", "system_prompt": "", "chat": True, "settings": {},
       "seed": 1, "sequences": [], "prompt_tokens": 3, "stopped": False, "time_to_first_token_s": 0.1,
       "tokens_per_s": 10.0, "elapsed_s": 1.0}


def cut_last_sample_line(case: Path, fixtures: dict[str, Path]) -> None:
    """The fixture run, copied, its samples.jsonl ending in a line a crash or a full disk cut short."""
    shutil.copytree(fixtures["run"], case / "run")
    with open(case / "run" / "samples.jsonl", "a", encoding="utf-8") as log:
        log.write('{"step": 9, "sample": "cut sh')


def damaged_registry(case: Path, fixtures: dict[str, Path]) -> None:
    """A trained model whose config.json is a list, and a trained.json holding numbers, in the user data."""
    data = Path(scratch_env(case)["WORKBENCH_DATA_DIR"])
    shutil.copytree(fixtures["tiny"], case / "damaged")
    (case / "damaged" / "config.json").write_text('["x"]')
    data.mkdir(parents=True, exist_ok=True)
    (data / "trained.json").write_text(json.dumps([5, None, str(case / "damaged")]))


def session(editor: dict, runs: list | None = None) -> str:
    return json.dumps({"version": 1, "editor": editor, "runs": runs or []})


def session_case(name: str, contents: list[str]) -> Case:
    return Case(name, ["-c", SESSION_SCRIPT, json.dumps(contents)], check=quiet_success)


def fault_cases() -> list[Case]:
    editor = {"prompt": "keep me"}
    return [
        Case("Ctrl+C during train", ["train", "--corpus", "{corpus}/poems.txt", "--out", "out", "--max-iters", "100000",
                                     *TINY_TRAIN], check=checkpointed_on_interrupt, interrupt_after_s=8.0),
        Case("Ctrl+C during generate", ["generate", "--model", "{tiny}", "--prompt", "hello", "--max-new-tokens",
                                        "100", "--min-new-tokens", "100"], check=interrupted, interrupt_after_s=5.0),
        Case("generate into a closed pipe", ["generate", "--model", "{tiny}", "--prompt", "hello",
                                             "--max-new-tokens", "40"], check=quietly_stopped,
             env={"WORKBENCH_FAULT_CLOSE_STDOUT": "1"}),
        session_case("a truncated session file", ['{"version": 1, "editor": {"prompt": "hal']),
        session_case("two damaged session files in one second", ["{one", "{two"]),
        session_case("a session of an unknown version", [json.dumps({"version": 99})]),
        session_case("a session field of the wrong type", [session({**editor, "chat": "yes"})]),
        session_case("a session with a bad setting", [session({**editor, "settings": {"top_k": "abc"}})]),
        session_case("a session with an unreadable run", [session(editor, runs=[{"x": 1}])]),
        session_case("a session run of the wrong type", [session(editor, runs=[{**RUN, "prompt": 123}])]),
        session_case("absurdly nested session JSON", ["[" * 100_000]),
        Case("generate with a Latin-1 prompt", ["generate", "--model", "{tiny}", "--prompt", LATIN1]),
        Case("train with a Latin-1 corpus name", ["train", "--corpus", f"{LATIN1}.txt", "--out", "out", *TINY_TRAIN],
             write(f"{LATIN1}.txt", "text " * 400)),
        Case("models with a data folder that is a file", ["models"], check=quiet_success,
             env={"WORKBENCH_DATA_DIR": "/dev/null"}),
        Case("resume a run whose last sample line was cut", ["train", "--out", "run", "--resume", "--max-iters", "6"],
             cut_last_sample_line, check=quiet_success),
        Case("models with a damaged trained.json and config.json", ["models"], damaged_registry, check=quiet_success),
    ]


# ----------------------------------------------------------------------------- running


def fill_in(arg: str, fixtures: dict[str, Path]) -> str:
    for name, path in fixtures.items():
        arg = arg.replace("{" + name + "}", str(path))
    return arg


def run_case(case: Case, index: int, scratch: Path, fixtures: dict[str, Path]) -> tuple[Case, str | None]:
    folder = scratch / f"case-{index:03d}"
    folder.mkdir()
    if case.prepare is not None:
        case.prepare(folder, fixtures)
    argv = [fill_in(arg, fixtures) for arg in case.argv]
    command = [sys.executable, *argv] if argv[0] == "-c" else [sys.executable, "-m", "workbench", *argv]
    env = {**scratch_env(folder), **case.env}
    before = snapshot(folder)
    stdout = subprocess.PIPE
    if env.pop("WORKBENCH_FAULT_CLOSE_STDOUT", None):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader went away before the first token
        stdout = write_end
    process = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=stdout,
                               stderr=subprocess.PIPE, text=True)
    if stdout is not subprocess.PIPE:
        os.close(stdout)
    if case.interrupt_after_s is not None:
        time.sleep(case.interrupt_after_s)
        process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        return case, "hung past 300 s"
    result = subprocess.CompletedProcess(command, process.returncode, out or "", err)
    if case.check is not None:
        return case, case.check(result, folder)
    lines = err.strip().splitlines()
    if result.returncode != 2:
        return case, f"exit {result.returncode}: {err.strip()[-300:]}"
    if len(lines) != 1 or not lines[0].startswith("error:"):
        return case, f"stderr is not one error line: {err.strip()[-300:]!r}"
    if "Traceback" in err:
        return case, "a traceback"
    if case.names not in lines[0]:
        return case, f"the error does not name {case.names}: {lines[0]!r}"
    if snapshot(folder) != before:
        return case, "files were written or changed"
    return case, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = parser.parse_args()
    cases = [case for case in (*generate_cases(), *train_cases(), *genlab_cases(), *attention_cases(),
                               *perplexity_cases(), *fault_cases()) if args.only in case.name]
    with tempfile.TemporaryDirectory(prefix="workbench-faults-") as scratch_name:
        scratch = Path(scratch_name)
        fixtures = build_fixtures(scratch / "fixtures")
        fixtures_before = snapshot(scratch / "fixtures")
        started = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda item: run_case(item[1], item[0], scratch, fixtures), enumerate(cases)))
        broken = [(case.name, problem) for case, problem in outcomes if problem is not None]
        if snapshot(scratch / "fixtures") != fixtures_before:
            broken.append(("the shared fixtures", "a case changed the model, corpus or run it was given"))
    for name, problem in broken:
        print(f"BROKEN  {name}: {problem}")
    print(f"{len(cases)} cases in {time.perf_counter() - started:.0f} s")
    print(f"faults: {len(cases) - len(broken)}/{len(cases)} clean")
    return 0 if not broken else 1


if __name__ == "__main__":
    sys.exit(main())
