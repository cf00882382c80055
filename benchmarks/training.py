"""Training speed and quality against a nanoGPT-style reference, each run as its own process.

Builds a ~1 MB English character corpus from the Python standard library's sources
(deterministic file order), then runs, each in a fresh Python process timed from spawn to exit,

  (a) a plain-PyTorch loop written the way nanoGPT writes it (its ``model.py`` GPT:
      pre-LayerNorm, no biases, tied embeddings, SDPA flash attention; its ``train.py``
      loop: get_batch, warmup + cosine lr, AdamW betas (0.9, 0.99) fused on CUDA only,
      grad clip, estimate_loss on train and val every eval_interval, a checkpoint when
      the validation loss improves), including its data preparation, and
  (b) the whole ``workbench train`` command with the issue's flags, into a temporary folder,

and prints both wall times (interpreter start-up, imports, evaluations and checkpoints included, as a
person pays them running either), the ratio ours/reference (the median of the rotations' ratios: each
rotation runs every side once, in turn, starting with a different side) and both final validation losses.
Targets: ratio <= 1.05, |diff| <= 0.03. It also runs (b) with --no-head-scores and prints that ratio: what
scoring the heads at each evaluation costs.

    python benchmarks/training.py                  # the full comparison: 4 rotations of 2000 iterations (~16 min)
    python benchmarks/training.py --max-iters 200 --repeats 1  # a quick check
    python benchmarks/training.py --nanogpt ~/nanoGPT   # nanoGPT's own train.py runs too, as a fourth side

With ``--nanogpt``, the checkout's own ``train.py`` (its shakespeare-char config, nanoGPT's CPU flags) trains on the
same characters, prepared beforehand by its ``prepare.py`` logic, untimed: the ratio of its time to the reference's
shows whether the reference here is as lean as the original.
"""

from __future__ import annotations

import argparse
import inspect
import math
import pickle
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)
import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

CORPUS_CHARACTERS = 1_000_000


def build_corpus(path: Path) -> None:
    """Concatenate standard-library .py files in name order until about 1 MB."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    pieces, size = [], 0
    for source in sorted(stdlib.glob("*.py")):
        text = source.read_text(encoding="utf-8", errors="replace")
        pieces.append(text)
        size += len(text)
        if size >= CORPUS_CHARACTERS:
            break
    path.write_text("".join(pieces)[:CORPUS_CHARACTERS], encoding="utf-8")


# --- (a) the reference: nanoGPT's model.py and train.py, condensed ----------------------


@dataclass
class GPTConfig:
    block_size: int
    vocab_size: int
    n_layer: int
    n_head: int
    n_embd: int
    dropout: float = 0.0
    bias: bool = False


class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=None, dropout_p=self.dropout if self.training else 0, is_causal=True
        )
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight"):
                torch.nn.init.normal_(parameter, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        fused = "fused" in inspect.signature(torch.optim.AdamW).parameters and device_type == "cuda"
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, fused=fused or None)


def full_validation_loss(logits_of, ids: np.ndarray, block_size: int = 64, batch_size: int = 64) -> float:
    """Mean loss over the WHOLE validation split (consecutive blocks, every token predicted once):
    the 20 random eval batches each run reports carry about +-0.02 of sampling noise."""
    data = torch.from_numpy(ids.astype(np.int64))
    windows = [data[s : s + block_size + 1] for s in range(0, len(data) - block_size - 1, block_size)]
    total, count = 0.0, 0
    with torch.no_grad():
        for first in range(0, len(windows), batch_size):
            chunk = torch.stack(windows[first : first + batch_size])  # (B, T+1)
            logits = logits_of(chunk[:, :-1])  # (B, T, V)
            total += F.cross_entropy(
                logits.reshape(-1, logits.size(-1)), chunk[:, 1:].reshape(-1), reduction="sum"
            ).item()
            count += chunk[:, 1:].numel()
    return total / count


def prepare_characters(corpus: Path, work: Path) -> list[str]:
    """nanoGPT's data/shakespeare_char/prepare.py on ``corpus``: train.bin, val.bin and meta.pkl in ``work``."""
    data = corpus.read_text(encoding="utf-8")
    chars = sorted(set(data))
    stoi = {ch: i for i, ch in enumerate(chars)}
    n = len(data)
    train_ids = np.array([stoi[c] for c in data[: int(n * 0.9)]], dtype=np.uint16)
    val_ids = np.array([stoi[c] for c in data[int(n * 0.9) :]], dtype=np.uint16)
    train_ids.tofile(work / "train.bin")
    val_ids.tofile(work / "val.bin")
    with open(work / "meta.pkl", "wb") as handle:
        pickle.dump({"vocab_size": len(chars), "stoi": stoi}, handle)
    return chars


@dataclass(frozen=True)
class RunShape:
    """Model and batch sizes; the defaults are the issue's CPU settings (benchmarks/gpu.py passes larger ones)."""

    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 64
    batch_size: int = 12
    warmup_iters: int = 100


def reference_run(
    corpus: Path,
    work: Path,
    max_iters: int,
    eval_interval: int,
    shape: RunShape = RunShape(),
    device: str = "cpu",
    dtype: str = "float32",
    compile: bool = False,
    on_first_step: Callable[[], None] | None = None,
) -> tuple[float, GPT]:
    """nanoGPT's prepare.py + train.py with the issue's settings; returns the last eval's
    validation loss and the trained model (uncompiled).
    On a GPU, as nanoGPT: ``dtype`` "bfloat16" autocasts, ``compile`` wraps the model in torch.compile
    (evaluations too). ``on_first_step`` is called once the first step has finished."""
    chars = prepare_characters(corpus, work)

    # train.py
    batch_size, block_size, eval_iters, grad_clip = shape.batch_size, shape.block_size, 20, 1.0
    learning_rate, min_lr, warmup_iters, lr_decay_iters = 1e-3, 1e-4, shape.warmup_iters, max_iters
    device_type = "cuda" if "cuda" in device else "cpu"
    autocast = device_type == "cuda" and dtype != "float32"
    ctx = torch.autocast(device_type=device_type, dtype=getattr(torch, dtype)) if autocast else nullcontext()
    torch.manual_seed(1337)

    def get_batch(split):
        data = np.memmap(work / f"{split}.bin", dtype=np.uint16, mode="r")
        ix = torch.randint(len(data) - block_size, (batch_size,))
        x = torch.stack([torch.from_numpy(data[i : i + block_size].astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy(data[i + 1 : i + 1 + block_size].astype(np.int64)) for i in ix])
        if device_type == "cuda":
            return x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
        return x.to(device), y.to(device)

    config = GPTConfig(block_size, len(chars), shape.n_layer, shape.n_head, shape.n_embd)
    model = raw_model = GPT(config).to(device)
    optimizer = model.configure_optimizers(0.1, learning_rate, (0.9, 0.99), device_type)
    if compile:
        model = torch.compile(model)

    @torch.no_grad()
    def estimate_loss():
        out = {}
        model.eval()
        for split in ["train", "val"]:
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                X, Y = get_batch(split)
                with ctx:
                    _, loss = model(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean()
        model.train()
        return out

    def get_lr(it):
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        if it > lr_decay_iters:
            return min_lr
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return min_lr + coeff * (learning_rate - min_lr)

    X, Y = get_batch("train")
    iter_num, best_val_loss, val_loss = 0, 1e9, float("nan")
    while True:
        lr = get_lr(iter_num)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        if iter_num % eval_interval == 0:
            losses = estimate_loss()
            val_loss = float(losses["val"])
            if losses["val"] < best_val_loss:
                best_val_loss = losses["val"]
                if iter_num > 0:
                    checkpoint = {
                        "model": raw_model.state_dict(), "optimizer": optimizer.state_dict(), "iter_num": iter_num
                    }
                    torch.save(checkpoint, work / "ckpt.pt")
        with ctx:
            _, loss = model(X, Y)
        X, Y = get_batch("train")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if iter_num % 10 == 0:
            loss.item()  # nanoGPT's log line
        if iter_num == 0 and on_first_step is not None:
            on_first_step()
        iter_num += 1
        if iter_num > max_iters:
            break
    return val_loss, raw_model


# --- each side in its own process ----------------------------------------------------------


def reference_process(corpus: Path, work: Path, max_iters: int, eval_interval: int) -> None:
    """The reference's process (``--side reference``), as ``python train.py`` would be: trains, then leaves
    its reported loss and final weights for the parent, which measures the whole split untimed."""
    val_loss, model = reference_run(corpus, work, max_iters, eval_interval)
    torch.save({"val_loss": val_loss, "config": vars(model.config), "model": model.state_dict()}, work / "final.pt")


def reference_losses(corpus: Path, work: Path) -> tuple[float, float]:
    """(reported validation loss, whole validation split) of a finished reference process."""
    final = torch.load(work / "final.pt")
    return final["val_loss"], whole_split_loss(corpus, work, final["config"], final["model"])


def whole_split_loss(corpus: Path, data: Path, config: dict, weights: dict) -> float:
    """The whole validation split's loss of nanoGPT-shaped ``weights``, on the characters prepared in ``data``."""
    model = GPT(GPTConfig(**{name: config[name] for name in GPTConfig.__dataclass_fields__}))
    model.load_state_dict(weights)
    model.eval()
    with open(data / "meta.pkl", "rb") as handle:
        stoi = pickle.load(handle)["stoi"]
    text = corpus.read_text(encoding="utf-8")
    val_ids = np.array([stoi[c] for c in text[int(len(text) * 0.9) :]], dtype=np.int64)
    return full_validation_loss(lambda x: model(x, x.contiguous())[0], val_ids)


def nanogpt_command(checkout: Path, max_iters: int, eval_interval: int) -> list[str]:
    """nanoGPT's own train.py with its shakespeare-char config and the issue's CPU flags (nanoGPT's README's CPU
    line, with 20 eval batches as the other sides), on the data prepared in the working folder's data/bench."""
    flags = (
        f"--dataset=bench --out_dir=out --device=cpu --compile=False --dtype=float32 --eval_iters=20 "
        f"--log_interval=10 --eval_interval={eval_interval} --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 "
        f"--n_embd=128 --max_iters={max_iters} --lr_decay_iters={max_iters} --dropout=0.0"
    )
    return [sys.executable, str(checkout / "train.py"), str(checkout / "config" / "train_shakespeare_char.py"),
            *flags.split()]


def nanogpt_losses(corpus: Path, folder: Path, log: Path) -> tuple[float, float]:
    """(last reported validation loss, whole validation split) of nanoGPT's train.py. The whole split is read from
    the checkpoint it keeps, its best evaluation's (the last one's on this schedule, whose loss still falls)."""
    reported = [line for line in log.read_text(encoding="utf-8").splitlines() if ", val loss " in line]
    kept = torch.load(folder / "out" / "ckpt.pt", weights_only=False)  # nanoGPT's own file: its config is a dict
    whole = whole_split_loss(corpus, folder / "data" / "bench", kept["model_args"], kept["model"])
    return float(reported[-1].rsplit(" ", 1)[1]), whole


def workbench_command(corpus: Path, out: Path, max_iters: int, eval_interval: int, head_scores: bool) -> list[str]:
    """``workbench train`` with the issue's flags, as a person types it (``python -m workbench`` is its script)."""
    flags = (
        f"train --corpus {corpus} --out {out} --arch gpt --tokenizer char --n-layer 4 --n-head 4 --n-embd 128 "
        f"--block-size 64 --batch-size 12 --lr 1e-3 --min-lr 1e-4 --warmup-iters 100 --max-iters {max_iters} "
        f"--eval-interval {eval_interval} --eval-iters 20 --dropout 0 --device cpu "
        f"{'' if head_scores else '--no-head-scores'}"
    )
    return [sys.executable, "-m", "workbench", *flags.split()]


def workbench_losses(corpus: Path, out: Path) -> tuple[float, float]:
    """(reported validation loss, whole validation split) of a finished ``workbench train`` run."""
    from workbench.core.loading import LoadSettings, load_model_blocking
    from workbench.core.training.tokenization import encode_corpus

    rows = (out / "metrics.csv").read_text(encoding="utf-8").splitlines()
    loaded = load_model_blocking(str(out), LoadSettings(device="cpu", dtype="float32"))  # as the reference reads
    ids = encode_corpus(loaded.tokenizer, corpus.read_text(encoding="utf-8"))
    whole = full_validation_loss(lambda x: loaded.model(input_ids=x).logits, ids[int(len(ids) * 0.9) :])
    return float(rows[-1].split(",")[2]), whole


def timed_process(command: list[str], log: Path, cwd: Path | None = None) -> float:
    """Wall seconds from spawn to exit; the output goes to ``log`` (printed if the process fails)."""
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as output:
        status = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, cwd=cwd, check=False).returncode
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(command[:4])}... failed with status {status}:\n{log.read_text()[-2000:]}")
    return seconds


NO_HEADS = "workbench train --no-head-scores"
NANOGPT = "nanoGPT's train.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-iters", type=int, default=2000)
    parser.add_argument(
        "--repeats", type=int, default=4,
        help="rotations: each side runs once per rotation, in turn; the verdict is the median of the rotations' ratios"
    )
    parser.add_argument(
        "--nanogpt", type=Path, metavar="CHECKOUT",
        help="a checkout of github.com/karpathy/nanoGPT: its own train.py runs too, in each rotation, to show that "
             "the reference here is as lean as the original"
    )
    parser.add_argument("--side", choices=["reference"], help=argparse.SUPPRESS)  # the reference's own process
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.max_iters <= 100:
        parser.error("--max-iters must be above the 100 warmup iterations")
    needed = ("train.py", "model.py", "configurator.py", "config/train_shakespeare_char.py")
    if args.nanogpt and not all((args.nanogpt / name).is_file() for name in needed):
        parser.error(f"{args.nanogpt} lacks one of {', '.join(needed)}: give the folder of a nanoGPT checkout")
    if args.nanogpt:
        args.nanogpt = args.nanogpt.resolve()
    eval_interval = min(250, args.max_iters)
    if args.side == "reference":
        reference_process(args.corpus, args.work, args.max_iters, eval_interval)
        return
    with tempfile.TemporaryDirectory(prefix="workbench-bench-") as folder:
        work = Path(folder)
        corpus = work / "corpus.txt"
        build_corpus(corpus)
        print(f"corpus: {corpus.stat().st_size / 1e6:.2f} MB from the Python standard library, "
              f"torch threads: {torch.get_num_threads()}")

        def reference(attempt: int) -> tuple[float, float, float]:
            folder = work / f"ref{attempt}"
            folder.mkdir()
            command = [sys.executable, __file__, "--side", "reference", "--corpus", str(corpus), "--work", str(folder),
                       "--max-iters", str(args.max_iters)]
            return timed_process(command, folder / "log.txt"), *reference_losses(corpus, folder)

        def workbench(attempt: int, head_scores: bool = True) -> tuple[float, float, float]:
            out = work / f"{'ours' if head_scores else 'plain'}{attempt}"
            command = workbench_command(corpus, out, args.max_iters, eval_interval, head_scores)
            return timed_process(command, work / f"{out.name}.log"), *workbench_losses(corpus, out)

        def nanogpt(attempt: int) -> tuple[float, float, float]:
            folder = work / f"nanogpt{attempt}"
            (folder / "data" / "bench").mkdir(parents=True)
            prepare_characters(corpus, folder / "data" / "bench")  # its prepare.py: a separate, untimed step
            shutil.copy(args.nanogpt / "configurator.py", folder)  # train.py reads it from the working folder
            log = folder / "log.txt"
            took = timed_process(nanogpt_command(args.nanogpt, args.max_iters, eval_interval), log, cwd=folder)
            return took, *nanogpt_losses(corpus, folder, log)

        runs = {"reference": reference, "workbench": workbench, NO_HEADS: lambda a: workbench(a, head_scores=False)}
        if args.nanogpt:
            runs[NANOGPT] = nanogpt
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        losses, full = {}, {}
        for attempt in range(args.repeats):
            # Rotate who goes first: on a shared machine, load drifts during a run.
            order = list(runs)[attempt % len(runs):] + list(runs)[:attempt % len(runs)]
            for name in order:
                took, losses[name], full[name] = runs[name](attempt)
                seconds[name].append(took)
                print(f"{name}: {took:.1f} s, final val loss {losses[name]:.4f}, whole split {full[name]:.4f}",
                      flush=True)
    best = {name: min(times) for name, times in seconds.items()}

    def paired_ratio(name: str) -> float:
        """The median of each rotation's ratio to the reference: the runs of a rotation share the machine's load."""
        return statistics.median(ours / ref for ours, ref in zip(seconds[name], seconds["reference"]))

    ratio = paired_ratio("workbench")
    print(f"max_iters={args.max_iters}, rotations={args.repeats}, each run its own process "
          "(times: fastest of each side)")
    labels = {"reference": "reference (nanoGPT-style)", "workbench": "workbench train", NO_HEADS: NO_HEADS}
    labels |= {NANOGPT: NANOGPT} if args.nanogpt else {}
    for name, label in labels.items():
        print(f"{label:40s} {best[name]:7.1f} s   final val loss {losses[name]:.4f}   whole val split {full[name]:.4f}")
    print(f"head scores off: time ratio ours/ref {paired_ratio(NO_HEADS):.3f} (median of the rotations)")
    if args.nanogpt:
        print(f"nanoGPT's own train.py / the reference: {paired_ratio(NANOGPT):.3f}; workbench train / nanoGPT's "
              f"train.py: {statistics.median(o / n for o, n in zip(seconds['workbench'], seconds[NANOGPT])):.3f}")
    print(
        f"time ratio ours/ref: {ratio:.3f}, median of the rotations' ratios (target <= 1.05)   val loss difference: "
        f"{losses['workbench'] - losses['reference']:+.4f} as reported, "
        f"{full['workbench'] - full['reference']:+.4f} on the whole split (target |diff| <= 0.03)"
    )


if __name__ == "__main__":
    main()
