"""The GPU path in one run, as markdown table rows ready for the README's benchmark table.

Sections, cheapest and most important first (``--only`` picks some, e.g. ``--only generation,attention``):

1. memory: ``torch.cuda.memory_allocated()`` before the first load; SmolLM2 loaded, 16 tokens generated,
   unloaded the app's way (``LoadedModel.unload``), then Gemma the same, then gc. Target: back within 50 MB.
2. generation: engine streaming (probabilities + top-5 alternatives) vs raw ``model.generate``, greedy,
   128 tokens, fp32 / bf16 / fp16 (``--dtypes``) loaded together, the pairs taken dtype by dtype in turn
   (SmolLM2 6, Gemma 3 4), each pair alternating which side goes first; median of the pairs' ratios, and
   greedy parity (the same token ids). Target: ratio >= 0.95, parity. Also shown, to read through the host's
   stalls (single runs swung from 0.6 to 1.6 on the H200): the ratio of the median times between two tokens.
3. attention: the workbench's capture vs ``model(ids, output_attentions=True)`` (the whole eager model, each
   layer then copied to the CPU as ours keeps it) at T = 1024 and 4096: time and peak extra GPU memory
   (``max_memory_allocated`` after ``reset_peak_memory_stats``, minus what was allocated before).
4. genlab: the lab's VAE and GAN with default settings on the GPU, scored as benchmarks/genlab.py does.
5. training: the core trainer (what ``workbench train`` runs, without its progress bar) vs the nanoGPT-style
   reference loop of benchmarks/training.py on one 1 MB character corpus, with nanoGPT's shakespeare-char GPU
   shape (6 layers, 6 heads, 384 wide, block 256, batch 64; lr 1e-3 -> 1e-4, warmup 100, dropout 0) for
   500 iterations, evaluations (20 batches) at 250 and 500: fp32 (no autocast), bf16 autocast, then both with
   torch.compile (``--training-modes``); two pairs each (``--training-pairs``), in turn, median ratio; before
   the uncompiled pairs, an untimed 10-step run of each side loads the dtype's kernels, which the first timed
   side would pay alone. TF32 stays at torch's default (off) for both sides. Targets: time ratio <= 1.05, final validation losses within 0.03.

Models: for each folder under ``--models`` (default .gpu-carry/models: config.json and tokenizer files of
SmolLM2-135M and Gemma 3 270M, no weights) a model of that shape with seeded random weights (initializer_range
0.05, so that greedy decoding does not just repeat one token) is saved once into a temporary folder and loaded
from there by the workbench's loader; a folder that holds model.safetensors is loaded as it is. Speed, memory
and parity do not need trained weights. Everything is written to temporary folders (XDG_* and WORKBENCH_*
point there). Each row is printed as soon as it is measured and appended to ``--out``, so a timeout still
leaves the finished rows; no new measurement starts after ``--budget-s`` (420 s).

``.gpu-carry`` is built here by ``python benchmarks/gpu_carry.py`` (ignored by git; about 36 MB).
On the GPU machine (repo root, .gpu-carry carried; it needs torch, transformers, peft, safetensors,
scikit-learn, and no Qt), the exact command:

    python -m pip install --no-index --no-deps -q .gpu-carry/wheels/*.whl 2>&1 | tail -1; PYTHONPATH=.:benchmarks python benchmarks/gpu.py --out $OUT/gpu.md 2>&1 | tee $OUT/gpu.log

Without a CUDA GPU it prints one line and exits 0. To check the script itself on a CPU (tiny random models of
the same shapes, a few tokens and steps, every section; CUDA memory figures and the bf16 training rows read
n/a, torch.compile trains once in fp32; about 3 minutes on 2 cores):

    python benchmarks/gpu.py --device cpu --quick
"""  # noqa: E501 (the command above is one line, to copy as it is)

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _folder in (ROOT, ROOT / "benchmarks"):  # the repo is not installed on the GPU machine
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
# The carried pure-Python wheels (platformdirs, gguf) import straight from their zip files should pip not have
# installed them; appended, so installed packages come first.
sys.path.extend(str(wheel) for wheel in sorted((ROOT / ".gpu-carry" / "wheels").glob("*.whl")))

SECTIONS = ("memory", "generation", "attention", "genlab", "training")  # the longest last
DTYPES = ("float32", "bfloat16", "float16")
TRAINING_MODES = ("fp32", "bf16", "compile-bf16", "compile-fp32")  # fp32 first: it missed on the H100
MODEL_ORDER = ("smollm2-135m", "gemma3-270m")  # others follow by name
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "generation_config.json",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
)
MB, GB = 1024**2, 1024**3
RANDOM_INIT_STD = 0.05
NO_CUDA = "no CUDA GPU here: benchmarks/gpu.py measures the GPU path and has nothing to do on this machine"


@dataclass
class Bench:
    """What every section shares: the device, the sizes, the models and the report."""

    device: str
    quick: bool
    models: list[Path]  # model folders ready for the loader, SmolLM2 first
    trained: bool  # whether the weights are trained (else seeded random)
    scratch: Path
    out: Path | None
    budget_s: float
    dtypes: tuple[str, ...] = DTYPES
    training_modes: tuple[str, ...] = TRAINING_MODES
    training_pairs: int = 2
    started: float = field(default_factory=time.perf_counter)

    @property
    def cuda(self) -> bool:
        return self.device.startswith("cuda")

    def over_budget(self) -> bool:
        return time.perf_counter() - self.started > self.budget_s

    def emit(self, text: str) -> None:
        print(text, flush=True)
        if self.out is not None:
            with open(self.out, "a", encoding="utf-8") as handle:
                handle.write(text + "\n")

    def row(self, section: str, measures: str, result: str, target: str, ok: bool | None) -> None:
        mark = "–" if ok is None else "✔" if ok else "✘"
        cells = [cell.replace("|", "/").replace("\n", " ") for cell in (section, measures, result, target, mark)]
        self.emit("| " + " | ".join(cells) + " |")

    def failed(self, section: str, measures: str, error: BaseException) -> None:
        traceback.print_exc(file=sys.stderr)
        text = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        self.row(section, measures, f"FAILED: {type(error).__name__}: {text}", "", False)

    def synchronize(self) -> None:
        if self.cuda:
            import torch

            torch.cuda.synchronize()

    def start_even(self) -> None:
        """Before a timed side: the other side's objects collected and its cached GPU blocks returned, so
        neither inherits the other's memory pool (or its fragments)."""
        gc.collect()
        if self.cuda:
            import torch

            torch.cuda.synchronize()
            torch.cuda.empty_cache()


def model_name(folder: Path) -> str:
    return folder.name.removesuffix("-tiny").removesuffix("-random")


# --- models -------------------------------------------------------------------------------------


def templates(folder: Path) -> list[Path]:
    found = [p.parent for p in folder.glob("*/config.json")]
    rank = {name: index for index, name in enumerate(MODEL_ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.name, len(rank)), p.name))


def shrink(config: dict) -> dict:
    """The same architecture, tiny: 2 layers, 64 wide (the vocabulary and tokenizer stay)."""
    small = dict(
        config,
        num_hidden_layers=2,
        hidden_size=64,
        intermediate_size=128,
        num_attention_heads=4,
        num_key_value_heads=min(2, config.get("num_key_value_heads", 2)),
        head_dim=16,
    )
    if "query_pre_attn_scalar" in config:
        small["query_pre_attn_scalar"] = 16
    if "sliding_window" in config and config["sliding_window"]:
        small["sliding_window"] = 32  # below the quick run's lengths, so the sliding mask is exercised
    if config.get("layer_types"):
        small["layer_types"] = [config["layer_types"][0], "full_attention"]
    return small


def prepare_model(template: Path, scratch: Path, quick: bool, seed: int = 0) -> tuple[Path, bool]:
    """A folder the loader opens as a model: the template itself when it holds weights, else a
    model of its shape with seeded random weights and its tokenizer, saved once. (folder, trained)"""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    if not quick and any(template.glob("*.safetensors")):
        return template, True
    folder = scratch / "random-models" / f"{template.name}-{'tiny' if quick else 'random'}"
    folder.mkdir(parents=True)
    for name in TOKENIZER_FILES:
        if (template / name).is_file():
            shutil.copyfile(template / name, folder / name)
    config = json.loads((template / "config.json").read_text(encoding="utf-8"))
    if quick:
        config = shrink(config)
    # At the usual 0.02 a random SmolLM2 repeats one token, which would make the greedy parity check empty; at
    # 0.05 it varies (23 distinct of 24), and activations stay small (max |hidden| 45, far from fp16's limit).
    config["initializer_range"] = RANDOM_INIT_STD
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder))
    model.save_pretrained(folder)
    if (template / "generation_config.json").is_file():  # the model's own, not one derived from the config
        shutil.copyfile(template / "generation_config.json", folder / "generation_config.json")
    return folder, False


# --- 1. memory ------------------------------------------------------------------------------------


def section_memory(bench: Bench) -> None:
    import torch

    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest, generate
    from workbench.core.jobs import drain
    from workbench.core.loading import LoadSettings, load_model_blocking

    def allocated() -> int | None:
        if not bench.cuda:
            return None
        bench.synchronize()
        return torch.cuda.memory_allocated()

    def shown(value: int | None) -> str:
        return "n/a" if value is None else f"{value / MB:.1f} MB"

    measures = (
        "memory_allocated: before the first load; each model loaded, 16 tokens generated, unloaded "
        "(LoadedModel.unload, the app's path); after the last unload and gc"
    )
    start = allocated()
    steps = []
    for folder in bench.models[:2]:
        loaded = load_model_blocking(str(folder), LoadSettings(device=bench.device))
        request = GenerationRequest(PROMPT, DecodingSettings(mode="greedy", max_new_tokens=16))
        drain(generate(loaded, request))
        in_use = allocated()
        loaded.unload()  # the window keeps the LoadedModel object until the next one replaces it
        steps.append(
            f"{model_name(folder)} ({str(loaded.dtype).removeprefix('torch.')}) {shown(in_use)} -> "
            f"unloaded {shown(allocated())}"
        )
        del loaded
    gc.collect()
    end = allocated()
    if start is None or end is None:
        result, ok = (
            f"n/a on {bench.device}; load, generate, unload ran for "
            + ", ".join(model_name(f) for f in bench.models[:2]),
            None,
        )
    else:
        delta = end - start
        result = f"start {shown(start)}; " + "; ".join(steps) + f"; after gc {shown(end)}: Δ {delta / MB:+.1f} MB"
        ok = abs(delta) <= 50 * MB
    bench.row("memory", measures, result, "Δ within 50 MB", ok)


# --- 2. generation --------------------------------------------------------------------------------

PROMPT = "Explain how a transformer language model chooses the next word."


@dataclass(frozen=True)
class Timed:
    """One generation, timed: its whole time, the time each new token arrived, and the tokens."""

    seconds: float
    stamps: list[float]
    token_ids: list[int]


def engine_run(loaded, request) -> Timed:
    from workbench.core.generation import generate
    from workbench.core.jobs import drain

    stamps: list[float] = []
    started = time.perf_counter()
    result = drain(generate(loaded, request), lambda _event: stamps.append(time.perf_counter()))
    return Timed(time.perf_counter() - started, stamps, list(result.sequences[0].token_ids))


def raw_run(loaded, request) -> Timed:
    """Raw ``model.generate``, with one more stopping criterion that only reads the clock as each token is
    chosen: no transfer, one tensor OR per step beside the model's ~1,000 operations (a streamer would copy
    each token to the host and wait for it, slowing the reference)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    from workbench.core.decoding import to_generation_config
    from workbench.core.generation import prompt_token_ids

    class Stamp(StoppingCriteria):
        def __init__(self) -> None:
            self.stamps: list[float] = []
            self.never: torch.Tensor | None = None  # (B,) False, made once

        def __call__(self, input_ids, scores, **kwargs):
            self.stamps.append(time.perf_counter())
            if self.never is None:
                self.never = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
            return self.never

    ids = torch.tensor([prompt_token_ids(loaded, request)], device=loaded.device)  # (1, T)
    config = to_generation_config(request.settings, loaded.tokenizer)
    stamp = Stamp()
    started = time.perf_counter()
    with torch.inference_mode():
        output = loaded.model.generate(ids, attention_mask=torch.ones_like(ids), generation_config=config,
                                       stopping_criteria=StoppingCriteriaList([stamp]))
    seconds = time.perf_counter() - started
    return Timed(seconds, stamp.stamps, output[0, ids.shape[1]:].tolist())


def median_interval(stamps: list[float]) -> float:
    """The median time between consecutive tokens: the steady speed, unmoved by a few stalls of the host."""
    return statistics.median(later - earlier for earlier, later in zip(stamps, stamps[1:]))


def first_difference(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def parity_text(ours: list[int], theirs: list[int]) -> str:
    if ours == theirs:
        return f"same token ids ({len(set(ours))} distinct)"
    return (
        f"DIFFERENT token ids from token {first_difference(ours, theirs)} "
        f"(engine {ours[:6]}…, raw {theirs[:6]}…)"
    )


@dataclass
class StreamingPairs:
    """One dtype's pairs of the generation section: what each side measured, pair by pair."""

    loaded: object
    parity: str
    same: bool
    ratios: list[float] = field(default_factory=list)
    steady_ratios: list[float] = field(default_factory=list)
    engine_rates: list[float] = field(default_factory=list)
    raw_rates: list[float] = field(default_factory=list)


def section_generation(bench: Bench) -> None:
    """Each model in all the chosen dtypes at once, the pairs taken dtype by dtype in turn: the host's slow
    spells (single runs swung from 0.6 to 1.6 on the H200) then fall on every dtype alike instead of on
    whichever dtype's pairs happened to run through them."""
    from worker_thread import on_worker_thread

    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest
    from workbench.core.loading import LoadSettings, load_model_blocking

    tokens = 8 if bench.quick else 128
    settings = DecodingSettings(mode="greedy", max_new_tokens=tokens, min_new_tokens=tokens)
    request = GenerationRequest(PROMPT, settings)
    for index, folder in enumerate(bench.models):
        pairs = 2 if bench.quick else 6 if index == 0 else 4  # the first model (SmolLM2) is the main figure
        measures = {
            dtype: (
                f"{model_name(folder)} {dtype}: engine streaming (probabilities + top-5) vs raw "
                f"model.generate, greedy, {tokens} tokens, pairs taken with the other dtypes in turn"
            )
            for dtype in bench.dtypes
        }
        if bench.over_budget():
            for dtype in bench.dtypes:
                bench.row("generation", measures[dtype], "skipped: over the time budget", "", None)
            continue
        measured: dict[str, StreamingPairs] = {}
        try:
            for dtype in bench.dtypes:
                try:
                    loaded = load_model_blocking(str(folder), LoadSettings(device=bench.device, dtype=dtype))
                except Exception as error:
                    bench.failed("generation", measures[dtype], error)
                    continue
                # The untimed first runs (allocations, kernels, caches) give the token ids for parity.
                ours = on_worker_thread(engine_run, loaded, request)[1].token_ids
                theirs = on_worker_thread(raw_run, loaded, request)[1].token_ids
                measured[dtype] = StreamingPairs(loaded, parity_text(ours, theirs), ours == theirs)
            done = 0
            for pair in range(pairs):
                if pair >= 2 and bench.over_budget():
                    break
                for dtype, result in measured.items():
                    rates, intervals = {}, {}
                    order = (("engine", engine_run), ("raw", raw_run))
                    for name, measure in order if pair % 2 == 0 else order[::-1]:
                        run = on_worker_thread(measure, result.loaded, request)[1]
                        if len(run.token_ids) != tokens or len(run.stamps) != tokens:
                            raise RuntimeError(f"{dtype} {name} gave {len(run.token_ids)} tokens, not {tokens}")
                        rates[name] = tokens / run.seconds
                        intervals[name] = median_interval(run.stamps)
                    result.engine_rates.append(rates["engine"])
                    result.raw_rates.append(rates["raw"])
                    result.ratios.append(rates["engine"] / rates["raw"])
                    result.steady_ratios.append(intervals["raw"] / intervals["engine"])
                done += 1
            for dtype, result in measured.items():
                ratio = statistics.median(result.ratios)
                cut = "" if done == pairs else f" (the time budget ended it after {done} of {pairs} pairs)"
                text = (
                    f"engine {statistics.median(result.engine_rates):.1f} vs raw "
                    f"{statistics.median(result.raw_rates):.1f} tokens/s (medians); median ratio **{ratio:.3f}** of "
                    f"{done} pairs{cut} ({', '.join(f'{r:.2f}' for r in result.ratios)}); steady speed (median time "
                    f"between tokens) ratio {statistics.median(result.steady_ratios):.3f} "
                    f"({', '.join(f'{r:.2f}' for r in result.steady_ratios)}); greedy parity: {result.parity}"
                )
                ok = result.same if bench.quick else result.same and ratio >= 0.95
                bench.row("generation", measures[dtype], text, "ratio ≥ 0.95, same token ids", ok)
        except Exception as error:
            for dtype in measured:
                bench.failed("generation", measures[dtype], error)
        finally:
            for result in measured.values():
                result.loaded.unload()


# --- 3. attention ---------------------------------------------------------------------------------


def long_token_ids(loaded, count: int) -> list[int]:
    from attention import TEXT

    ids: list[int] = []
    while len(ids) < count:
        ids += loaded.tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    return ids[:count]


def peak_extra(bench: Bench, run, *args):
    """(seconds, peak extra bytes on the GPU or None on a CPU, what ``run(*args)`` returned)."""
    import torch

    bench.synchronize()
    if bench.cuda:
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    started = time.perf_counter()
    kept = run(*args)
    bench.synchronize()
    seconds = time.perf_counter() - started
    extra = torch.cuda.max_memory_allocated() - before if bench.cuda else None
    return seconds, extra, kept


def capture_ours(loaded, ids: list[int], settings):
    from workbench.core.attention import capture_attention

    return capture_attention(loaded, ids, settings=settings).main.weights  # (L, H, T, T) on the CPU


def capture_reference(loaded, ids: list[int], stored: str):
    """transformers' way: every layer's weights at once on the device, then copied to the CPU as ours keeps them."""
    import numpy as np
    import torch

    with torch.inference_mode():
        output = loaded.model(torch.tensor([ids], device=loaded.device), output_attentions=True)
    return np.stack([layer[0].to("cpu", getattr(torch, stored)).numpy() for layer in output.attentions])


def size(value: int | None) -> str:
    if value is None:
        return "n/a"
    return f"{value / GB:.2f} GB" if value >= GB / 10 else f"{value / MB:.1f} MB"


def attention_rows(bench: Bench, loaded, name: str, lengths: tuple[int, ...]) -> None:
    import torch

    from workbench.core.attention import CaptureSettings, estimate_capture

    # The panel's default limit (4 GiB) refuses SmolLM2 at 4096 tokens (9 GB as fp16): raised for the benchmark.
    settings = CaptureSettings(max_bytes=64 * GB)
    every_id = long_token_ids(loaded, max(lengths))
    dtype = str(loaded.dtype).removeprefix("torch.")
    for tokens in lengths:
        measures = (
            f"{name} ({dtype}) capture at T={tokens}: workbench capture_attention vs "
            "model(output_attentions=True) (logits included) + copy to the CPU"
        )
        try:
            ids = every_id[:tokens]
            stored = estimate_capture(loaded, ids, settings=settings).stored_dtype
            with torch.inference_mode():  # warm up the kernels for this length
                loaded.model.base_model(torch.tensor([ids], device=loaded.device))
            our_s, our_extra, kept = peak_extra(bench, capture_ours, loaded, ids, settings)
            kept_bytes = kept.nbytes
            del kept
            ref_s, ref_extra, kept = peak_extra(bench, capture_reference, loaded, ids, stored)
            del kept
            gc.collect()
            result = (
                f"ours {our_s:.2f} s, peak extra {size(our_extra)} (keeps {size(kept_bytes)} {stored} on the "
                f"CPU) / output_attentions {ref_s:.2f} s, peak extra {size(ref_extra)}; time ratio "
                f"{our_s / ref_s:.2f}"
            )
            ok = None
            if our_extra is not None and ref_extra:
                result += f", memory ratio **{our_extra / ref_extra:.2f}**"
                ok = our_extra < ref_extra
            bench.row("attention", measures, result, "less GPU memory than output_attentions", ok)
        except Exception as error:
            bench.failed("attention", measures, error)


def section_attention(bench: Bench) -> None:
    from workbench.core.loading import LoadSettings, load_model_blocking

    lengths = (128, 256) if bench.quick else (1024, 4096)
    for folder in bench.models:
        if bench.over_budget():
            bench.row("attention", f"{model_name(folder)} capture", "skipped: over the time budget", "", None)
            continue
        loaded = None
        try:
            loaded = load_model_blocking(str(folder), LoadSettings(device=bench.device))
            attention_rows(bench, loaded, model_name(folder), lengths)
        except Exception as error:
            bench.failed("attention", f"{model_name(folder)} load", error)
        finally:
            if loaded is not None:
                loaded.unload()


# --- 5. training ----------------------------------------------------------------------------------


def build_training_corpus(path: Path, characters: int) -> None:
    """benchmarks/training.py's corpus (the standard library's sources), topped up from torch's own
    sources where the standard library ships without them."""
    import torch
    from training import build_corpus

    build_corpus(path)
    text = path.read_text(encoding="utf-8")
    if len(text) < characters:
        for source in sorted(Path(torch.__file__).parent.rglob("*.py")):
            text += source.read_text(encoding="utf-8", errors="replace")
            if len(text) >= characters:
                break
    path.write_text(text[:characters], encoding="utf-8")


def compile_problem(device: str) -> str | None:
    """Why torch.compile cannot run here (no C compiler, no triton...), or None when a tiny function compiles.
    Also pays inductor's one-off start-up before anything is timed."""
    import torch

    try:
        compiled = torch.compile(lambda x: torch.nn.functional.gelu(x) * 2)
        compiled(torch.randn(64, device=device)).sum().item()
        return None
    except Exception as error:
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0][:200] if str(error).strip() else ''}"


def run_reference(
    bench: Bench, folder: Path, corpus: Path, shape, max_iters: int, eval_interval: int, dtype: str, compiled: bool
) -> tuple[float, float]:
    """benchmarks/training.py's nanoGPT-style loop: (final validation loss, seconds to the end of its first step)."""
    from training import reference_run

    folder.mkdir()
    started, first = time.perf_counter(), []
    loss, _ = reference_run(
        corpus,
        folder,
        max_iters,
        eval_interval,
        shape,
        device=bench.device,
        dtype=dtype,
        compile=compiled,
        on_first_step=lambda: first.append(time.perf_counter() - started),
    )
    return loss, first[0]


def run_workbench(
    bench: Bench, folder: Path, corpus: Path, shape, max_iters: int, eval_interval: int, **speed: bool
) -> tuple[float, float]:
    """The core trainer with the same flags as benchmarks/training.py's ``workbench train``, and ``speed``
    (bf16, compile): (final validation loss, seconds to the end of its first step)."""
    from workbench.core.jobs import drain
    from workbench.core.training.events import StepEvent
    from workbench.core.training.settings import TrainSettings
    from workbench.core.training.trainer import train

    settings = TrainSettings(
        corpus=str(corpus),
        out_dir=str(folder),
        arch="gpt",
        tokenizer="char",
        n_layer=shape.n_layer,
        n_head=shape.n_head,
        n_embd=shape.n_embd,
        block_size=shape.block_size,
        batch_size=shape.batch_size,
        lr=1e-3,
        min_lr=1e-4,
        warmup_iters=shape.warmup_iters,
        max_iters=max_iters,
        eval_interval=eval_interval,
        eval_iters=20,
        dropout=0.0,
        device=bench.device,
        **speed,
    )
    started, first = time.perf_counter(), []

    def on_event(event) -> None:
        if isinstance(event, StepEvent) and event.step == 1:
            first.append(time.perf_counter() - started)

    return drain(train(settings), on_event).final_val_loss, first[0]


WARM_UP_ITERS = 10


def section_training(bench: Bench) -> None:
    from training import RunShape

    if bench.quick:
        shape, max_iters, eval_interval, characters = RunShape(2, 2, 32, 32, 8, 5), 12, 12, 200_000
        pairs = 1
    else:
        shape, max_iters, eval_interval, characters = RunShape(6, 6, 384, 256, 64, 100), 500, 250, 1_000_000
        pairs = bench.training_pairs
    work = bench.scratch / "training"
    work.mkdir()
    corpus = work / "corpus.txt"
    build_training_corpus(corpus, characters)
    described = (
        f"{max_iters} iters, {shape.n_layer} layers, {shape.n_head} heads, {shape.n_embd} wide, block "
        f"{shape.block_size}, batch {shape.batch_size}, {corpus.stat().st_size / 1e6:.2f} MB char corpus"
    )
    configs = {  # name, our settings, the reference's dtype and compile
        "fp32": ("fp32 (no autocast)", {"bf16": False}, "float32", False),
        "bf16": ("bf16 autocast", {"bf16": True}, "bfloat16", False),
        "compile-bf16": ("torch.compile + bf16", {"bf16": True, "compile": True}, "bfloat16", True),
        "compile-fp32": ("torch.compile, fp32", {"bf16": False, "compile": True}, "float32", True),
    }
    for index, (name, speed, ref_dtype, compiled) in enumerate(configs[mode] for mode in bench.training_modes):
        measures = f"core trainer vs nanoGPT-style reference, {name}: {described}, {pairs} pair(s)"
        if bench.over_budget():
            bench.row("training", measures, "skipped: over the time budget", "", None)
            continue
        # A CPU trains in fp32 either way, and compiling there is not the point; but a quick check compiles
        # once, so that the script's compile path has run before GPU time is spent on it.
        if not bench.cuda and (speed["bf16"] or (compiled and not bench.quick)):
            bench.row("training", measures, "n/a on the CPU (it trains in fp32 there: the fp32 row)", "", None)
            continue
        problem = compile_problem(bench.device) if compiled else None
        if problem:
            bench.row("training", measures, f"skipped: torch.compile does not work here: {problem}", "", False)
            continue
        try:
            common = (corpus, shape, max_iters, eval_interval)
            if not compiled:
                # Untimed, a few steps of each side first: a dtype's first steps in the process pick and load its
                # kernels (2.4 s for bf16 on the H200), which the first timed side would pay alone. A compiled row
                # keeps its compilation in its first pair, as both sides compile there.
                bench.start_even()
                run_reference(bench, work / f"warm-ref{index}", corpus, shape, WARM_UP_ITERS, WARM_UP_ITERS,
                              ref_dtype, False)
                run_workbench(bench, work / f"warm-ours{index}", corpus, shape, WARM_UP_ITERS, WARM_UP_ITERS, **speed)
            ratios, steady_ratios = [], []
            for pair in range(pairs):  # single runs swing: pairs, each in the other order
                sides = {
                    "reference": partial(run_reference, bench, work / f"ref{index}-{pair}", *common, ref_dtype,
                                         compiled),
                    "workbench": partial(run_workbench, bench, work / f"ours{index}-{pair}", *common, **speed),
                }
                seconds, first, losses = {}, {}, {}
                for side in ("reference", "workbench") if (index + pair) % 2 == 0 else ("workbench", "reference"):
                    bench.start_even()
                    started = time.perf_counter()
                    losses[side], first[side] = sides[side]()
                    seconds[side] = time.perf_counter() - started
                    print(
                        f"  training {name} pair {pair + 1} {side}: {seconds[side]:.1f} s (first step done at "
                        f"{first[side]:.1f} s), final val loss {losses[side]:.4f}",
                        flush=True,
                    )
                ratios.append(seconds["workbench"] / seconds["reference"])
                steady_ratios.append(
                    (seconds["workbench"] - first["workbench"]) / (seconds["reference"] - first["reference"])
                )
            ratio = statistics.median(ratios)
            difference = losses["workbench"] - losses["reference"]
            result = (
                f"ours {seconds['workbench']:.1f} s vs reference {seconds['reference']:.1f} s (last pair): median "
                f"ratio **{ratio:.3f}** (pairs: {', '.join(f'{r:.3f}' for r in ratios)}); after the first step "
                f"(the reference's includes its step-0 evaluation; compiling, when on): "
                f"{', '.join(f'{r:.3f}' for r in steady_ratios)}; val loss {losses['workbench']:.4f} vs "
                f"{losses['reference']:.4f} ({difference:+.4f})"
            )
            ok = None if bench.quick else ratio <= 1.05 and abs(difference) <= 0.03
            bench.row("training", measures, result, "ratio ≤ 1.05, val losses within ±0.03", ok)
        except Exception as error:
            bench.failed("training", measures, error)


# --- 4. genlab ------------------------------------------------------------------------------------


def section_genlab(bench: Bench) -> None:
    import torch

    from workbench.core.genlab.data import load_digits_set
    from workbench.core.genlab.evaluation import DigitClassifier
    from workbench.core.genlab.settings import GenLabSettings
    from workbench.core.genlab.trainer import train
    from workbench.core.jobs import drain

    digits = load_digits_set()
    classifier = DigitClassifier(digits)
    reference = classifier.score(digits.held_out)
    accuracy = float((classifier.labels(digits.held_out) == digits.held_out_labels).mean())
    quick_epochs = {"vae": 2, "gan": 3}
    for kind in ("vae", "gan"):
        epochs = quick_epochs[kind] if bench.quick else None  # None: the default
        settings = GenLabSettings.for_model(kind, device=bench.device, epochs=epochs)
        measures = (
            f"{kind.upper()}, default settings ({settings.epochs} epochs) on {bench.device}, scored as "
            "benchmarks/genlab.py does"
        )
        if bench.over_budget():
            bench.row("genlab", measures, "skipped: over the time budget", "", None)
            continue
        try:
            started = time.perf_counter()
            result = drain(train(settings))
            seconds = time.perf_counter() - started
            model = result.model  # a CPU copy
            if kind == "vae":
                reconstructions = model.reconstruct(torch.from_numpy(digits.held_out.copy())).numpy()
                agreement = classifier.agreement(digits.held_out, reconstructions)
                text = (
                    f"**{agreement:.1%}** of reconstructions keep their label (classifier accuracy on the "
                    f"originals {accuracy:.1%}); trained in {seconds:.1f} s"
                )
                bench.row("genlab", measures, text, "≥ 90 %", None if bench.quick else agreement >= 0.9)
            else:
                samples = 100 if bench.quick else 1000
                noise = torch.randn(samples, model.config.latent_dim, generator=torch.Generator().manual_seed(123))
                score = classifier.score(model.sample(noise).numpy())
                text = f"{score.describe()} (real held-out: {reference.describe()}); trained in {seconds:.1f} s"
                ok = score.confident_fraction >= 0.5 and score.classes_present >= 8
                bench.row("genlab", measures, text, "≥ 50 % confident, ≥ 8 digits", None if bench.quick else ok)
        except Exception as error:
            bench.failed("genlab", measures, error)


# --- the run --------------------------------------------------------------------------------------

RUNNERS = {
    "memory": section_memory,
    "generation": section_generation,
    "attention": section_attention,
    "training": section_training,
    "genlab": section_genlab,
}


def private_folders(scratch: Path) -> None:
    """Every folder the workbench (and the libraries under it) would write to, inside ``scratch``."""
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(scratch / name.lower())
    for name in ("WORKBENCH_DATA_DIR", "WORKBENCH_CONFIG_DIR", "WORKBENCH_CACHE_DIR"):
        os.environ[name] = str(scratch / "workbench" / name.lower())
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(scratch / "inductor")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched: the models are local folders
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def header(bench: Bench, args) -> None:
    import torch
    import transformers

    if bench.cuda:
        index = torch.device(bench.device).index or 0
        properties = torch.cuda.get_device_properties(index)
        where = (
            f"GPU: **{torch.cuda.get_device_name(index)}** ({properties.total_memory / GB:.0f} GB), "
            f"CUDA {torch.version.cuda}"
        )
    else:
        where = f"device: {bench.device} ({os.cpu_count()} cores), quick check of the script, not a measurement"
    compiler = shutil.which("cc") or shutil.which("gcc") or "none"
    try:
        import triton

        triton_version = triton.__version__
    except ImportError:
        triton_version = "not installed"
    weights = "trained weights from the model folders" if bench.trained else "seeded random weights"
    bench.emit(
        f"benchmarks/gpu.py {time.strftime('%Y-%m-%d %H:%M')}: {where}; torch {torch.__version__}, "
        f"transformers {transformers.__version__}, Python {platform.python_version()}, triton "
        f"{triton_version}, C compiler {compiler}"
    )
    names = ", ".join(model_name(folder) for folder in bench.models)
    bench.emit(f"models: {names} ({weights}); sections: {', '.join(args.only)}")
    if int(transformers.__version__.split(".")[0]) < 5:
        bench.emit(f"warning: the workbench needs transformers >= 5, this machine has {transformers.__version__}")
    bench.emit("")
    bench.emit("| section | measures (side by side, one run) | result | target | ok |")
    bench.emit("|---|---|---|---|---|")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N, or cpu to check the script (with --quick)")
    parser.add_argument("--quick", action="store_true", help="tiny models, few tokens and steps: checks the script")
    parser.add_argument(
        "--models",
        type=Path,
        default=ROOT / ".gpu-carry" / "models",
        help="folders of config.json + tokenizer files (default: .gpu-carry/models)",
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run, of {','.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, help="also append the header and every row to this markdown file")
    parser.add_argument(
        "--budget-s", type=float, default=420.0, help="start no new measurement after this many seconds (default 420)"
    )
    parser.add_argument(
        "--dtypes", default=",".join(DTYPES), help=f"generation's dtypes, of {','.join(DTYPES)} (default all)"
    )
    parser.add_argument(
        "--training-modes",
        default=",".join(TRAINING_MODES),
        help=f"training's rows, of {','.join(TRAINING_MODES)} (default all)",
    )
    parser.add_argument(
        "--training-pairs", type=int, default=2, help="timed pairs per training row (default 2; --quick: 1)"
    )
    args = parser.parse_args(argv)
    args.only = chosen(parser, "section", args.only, SECTIONS)
    args.dtypes = chosen(parser, "dtype", args.dtypes, DTYPES)
    args.training_modes = chosen(parser, "training mode", args.training_modes, TRAINING_MODES)
    if args.training_pairs < 1:
        parser.error("--training-pairs must be at least 1")
    return args


def chosen(parser: argparse.ArgumentParser, what: str, given: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """The names in a comma-separated option, in ``known``'s order (sections: cheapest first)."""
    names = [name.strip() for name in given.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        parser.error(f"unknown {what} {', '.join(unknown)}: choose from {', '.join(known)}")
    return tuple(name for name in known if name in names)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(NO_CUDA)
        return 0
    found = templates(args.models) if args.models.is_dir() else []
    if not found:
        print(f"error: no model folders (config.json + tokenizer files) in {args.models}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="wb-gpu-bench-"))
    private_folders(scratch)  # before anything of the workbench runs
    from workbench.core.transformers_helpers import quiet_transformers

    quiet_transformers()
    try:
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
        print(f"  preparing {len(found)} models from {args.models}", flush=True)
        prepared = [prepare_model(template, scratch, args.quick) for template in found]
        bench = Bench(
            args.device,
            args.quick,
            [folder for folder, _ in prepared],
            all(t for _, t in prepared),
            scratch,
            args.out,
            args.budget_s,
            args.dtypes,
            args.training_modes,
            args.training_pairs,
        )
        header(bench, args)
        for name in args.only:
            started = time.perf_counter()
            try:
                RUNNERS[name](bench)
            except Exception as error:  # a section that could not start: the next ones still run
                bench.failed(name, "section", error)
            print(
                f"  ({name}: {time.perf_counter() - started:.1f} s; "
                f"{time.perf_counter() - bench.started:.1f} s so far)",
                flush=True,
            )
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
