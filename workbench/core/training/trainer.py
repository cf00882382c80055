"""The training loop: a generator that yields progress events and returns a ``TrainResult``.

It follows nanoGPT's ``train.py``: random blocks from one token array, AdamW with decay
only on matrices, linear warmup then cosine decay to ``min_lr``, gradient clipping and
accumulation. Differences, for a desktop app: pause/resume/stop through ``RunControl``,
an eval at the last step whatever the interval, validation blocks spread evenly over the
split and the same at every eval (so the validation curve is not noisier than the model),
a sample text per eval drawn without touching the training random stream, and checkpoints
that make a resumed run continue the same curve bit for bit. Like nanoGPT, a GPU does not wait
for the host at every step: the next step is queued before this one's loss is read
(``_Run.may_launch_after``).
"""

from __future__ import annotations

import csv
import inspect
import math
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Generator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from transformers import StoppingCriteria, StoppingCriteriaList

from workbench.core.atomic import write_json_atomic
from workbench.core.catalog import Catalog
from workbench.core.checkpoints import (
    SavingProgress,
    has_checkpoint,
    load_checkpoint,
    saving_checkpoint,
    settings_kept,
)
from workbench.core.devices import free_memory_bytes, resolve_device
from workbench.core.errors import InvalidInputError, InvalidSettingsError, WorkbenchError, is_out_of_memory
from workbench.core.head_scores import HeadScores, head_scores
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text
from workbench.core.jobs import CancelledError, RunControl
from workbench.core.model_parts import checked_before_each, decoder_blocks
from workbench.core.outputs import RunFolderLock, missing_folders, prepare_output_folder, remove_made_folders
from workbench.core.random_stream import device_streams, process_random_stream, set_device_streams
from workbench.core.settings_fields import described_fields
from workbench.core.text_stream import complete_text
from workbench.core.training import modeling
from workbench.core.training.corpus import read_corpus, split_problem, train_token_count
from workbench.core.training.distributed import (
    StepAgreement,
    end_group,
    from_main,
    full_model_state,
    full_optimizer_state,
    load_full_optimizer_state,
    on_main,
    process_device,
    shard_model,
    start_group,
    wait_for_all,
)
from workbench.core.training.events import (
    BatchLayout,
    CheckpointEvent,
    CorpusStats,
    EvalEvent,
    RunWarning,
    StatusEvent,
    StepEvent,
    TrainEvent,
    TrainResult,
    perplexity_of,
)
from workbench.core.training.probes import (
    PROBES_FILE,
    ProbeRecord,
    default_probes,
    probe_log_probs,
    probe_records,
    probe_token_ids,
)
from workbench.core.training.processes import launched_processes
from workbench.core.training.run_folder import (
    CHECKPOINT_FOLDER,
    HEADS_FILE,
    METRICS_COLUMNS,
    METRICS_FILE,
    RESUME_NEEDS,
    RUN_FILE,
    SAMPLES_FILE,
    check_tensorboard_folder,
    nothing_to_resume,
    refuse_a_run_killed_before_its_first_checkpoint,
)
from workbench.core.training.settings import TrainSettings
from workbench.core.training.snapshots import SnapshotEvent, drop_snapshots_after, save_snapshot, snapshot_steps
from workbench.core.training.step_log import StepLog
from workbench.core.training.tensorboard import TensorBoardLog
from workbench.core.training.tokenization import IGNORED_LABEL, bpe_tokenizer, char_tokenizer, encode_corpus
from workbench.core.transformers_helpers import (
    context_length_of,
    leading_special_ids,
    model_settings_limited_to_tokens,
    pad_token_id,
    quiet_transformers,
    unknown_token_count,
)

PROBE_SOURCE_TOKENS = 4000  # default probes come from the first lines of the validation text
PROBE_CONTINUATION_TOKENS = 24
SAVING_CHECKPOINT = QT_TRANSLATE_NOOP("StatusEvent", "Saving a checkpoint")  # the status while one is written
# The names of the models a run keeps, as the model picker and the window's other lists show them.
CHECKPOINT_NAME = QT_TRANSLATE_NOOP("ModelNames", "{run} (checkpoint, step {step})")
SNAPSHOT_NAME = QT_TRANSLATE_NOOP("ModelNames", "{run} (evaluation at step {step})")  # as the model picker says
EVALUATING = QT_TRANSLATE_NOOP("StatusEvent", "Evaluating at step {step}: validation loss, sample, probes")
MODEL_DEFINING_SETTINGS = (  # dropout too: the model keeps the rate it was built with
    "arch", "tokenizer", "base_model", "lora", "lora_rank", "n_layer", "n_head", "n_embd", "block_size", "vocab_size",
    "dropout",
)


def make_optimizer(
    model: torch.nn.Module, settings: TrainSettings, device: torch.device, sharded: bool = False
) -> torch.optim.AdamW:
    """AdamW as nanoGPT configures it: weight decay on matrices only; fused kernel when the device has one."""
    parameters = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in parameters if p.dim() >= 2], "weight_decay": settings.weight_decay},
        {"params": [p for p in parameters if p.dim() < 2], "weight_decay": 0.0},
    ]
    # The fused kernel takes plain tensors, not FSDP's sharded ones.
    fused = "fused" in inspect.signature(torch.optim.AdamW).parameters and device.type in ("cuda", "cpu")
    fused = fused and not sharded
    return torch.optim.AdamW(groups, lr=settings.effective_lr, betas=(0.9, 0.99), fused=fused or None)


class TokenBatches:
    """Random (B, T) blocks from one split, like nanoGPT's ``get_batch``, from a seeded generator. A
    tokenizer's ``prefix`` (Gemma's <bos>, which the base model read first in all its training) starts every
    block: (B, P+T) inputs, with nothing to predict inside the prefix nor, from it, a block's first token
    (the text before it is unseen)."""

    def __init__(self, ids: np.ndarray, block_size: int, batch_size: int, device: torch.device,
                 prefix: Sequence[int] = ()) -> None:
        self.data = torch.from_numpy(ids.astype(np.int32))  # (N,) int32: half the memory of int64
        self.block_size = block_size
        self.batch_size = batch_size
        self.device = device
        self._offsets = torch.arange(block_size + 1)  # (T+1,)
        self._prefix = torch.tensor([list(prefix)], dtype=torch.long, device=device) if prefix else None  # (1, P)
        self._unpredicted = torch.full((1, len(prefix)), IGNORED_LABEL, dtype=torch.long, device=device)  # (1, P)

    def sample(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        starts = torch.randint(len(self.data) - self.block_size, (self.batch_size,), generator=generator)  # (B,)
        return self._blocks(starts)

    def evenly_spread(self, batches: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """``batches`` batches whose blocks are spread evenly over the whole split: a steadier
        estimate of the split's loss than random blocks, and the same one at every eval."""
        last_start = len(self.data) - self.block_size - 1
        starts = torch.linspace(0, last_start, batches * self.batch_size).long()  # (n*B,)
        return [self._blocks(chunk) for chunk in starts.split(self.batch_size)]

    def _blocks(self, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        chunk = self.data[starts[:, None] + self._offsets].long()  # (B, T+1)
        if self.device.type == "cuda":
            chunk = chunk.pin_memory().to(self.device, non_blocking=True)
        else:
            chunk = chunk.to(self.device)
        inputs, targets = chunk[:, :-1], chunk[:, 1:]  # (B, T) each
        if self._prefix is None:
            return inputs, targets
        rows = len(chunk)
        return (torch.cat([self._prefix.expand(rows, -1), inputs], dim=1),  # (B, P+T)
                torch.cat([self._unpredicted.expand(rows, -1), targets], dim=1))  # (B, P+T)


class _StopWhenCancelled(StoppingCriteria):
    """Ends an evaluation's sample at the next token once Stop is pressed: a long sample must not hold it up."""

    def __init__(self, control: RunControl) -> None:
        self.control = control

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.control.cancelled, dtype=torch.bool, device=input_ids.device)


def _next_token_loss(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits = model(input_ids=inputs).logits  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORED_LABEL)


class MetricsLog:
    """``metrics.csv``, one line per step, flushed as written so a crash loses nothing."""

    def __init__(self, path: Path) -> None:
        fresh = not path.exists() or path.stat().st_size == 0
        self.path = path
        self._handle = open(path, "a", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        if fresh:
            self._writer.writerow(METRICS_COLUMNS)
            self._handle.flush()

    def write(
        self, step: int, train_loss: float, val_loss: float | None, lr: float, tokens_per_s: float, elapsed_s: float
    ) -> None:
        val = "" if val_loss is None else f"{val_loss:.6f}"
        self._writer.writerow((step, f"{train_loss:.6f}", val, f"{lr:.6e}", f"{tokens_per_s:.1f}", f"{elapsed_s:.3f}"))
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


@dataclass(frozen=True)
class _LaunchedStep:
    lr: float
    launched_at: float  # perf_counter when its work began to be queued
    agreement: StepAgreement


def _autocast(device: torch.device, bf16: bool):
    # bfloat16 matmuls on GPUs as nanoGPT does; CPUs and MPS train in float32.
    enabled = bf16 and device.type == "cuda" and torch.cuda.is_bf16_supported()
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


class _Run:
    """Everything one run holds; ``train`` drives it."""

    def __init__(self, settings: TrainSettings, control: RunControl, resume: bool) -> None:
        self.settings = settings
        self.control = control
        self.out_dir = Path(settings.out_dir).expanduser()
        self.checkpoint_dir = self.out_dir / CHECKPOINT_FOLDER
        self.processes = launched_processes()
        self.device = process_device(self.processes, resolve_device(settings.device))
        self.stop_agreed = False  # all processes were told that one of them was asked to stop
        self.sharded = settings.fsdp and self.processes.distributed
        self.resume = resume
        self.step = 0
        self.tokens_seen = 0
        # Tokens per step from each step on: a resume may change the batch or the number of processes.
        self.batch_history: list[dict[str, int]] = []
        self.elapsed_s = 0.0
        self.last_val_loss: float | None = None
        self.recent_train_losses: list[float] = []
        self.other_ranks_streams: list[dict[str, torch.Tensor]] = []  # ranks 1… as the last gather found them
        self.made_folders: list[Path] = []  # made for the run (its folder, TensorBoard's), removed if it saves nothing

    # --- setup ------------------------------------------------------------------

    def check_out_dir(self) -> None:
        if self.processes.is_main:
            if not self.resume:
                refuse_a_run_killed_before_its_first_checkpoint(self.out_dir)
            self.made_folders = prepare_output_folder(self.out_dir, resume=self.resume)
            if self.settings.tensorboard:  # before the corpus and model: a wrong folder costs nothing
                board = Path(self.settings.tensorboard).expanduser()
                try:
                    check_tensorboard_folder(self.out_dir, board)  # a file in the way is not said as "File exists"
                except InvalidInputError:
                    remove_made_folders(self.made_folders)  # the run's folder too: refused, nothing is left
                    raise
                self.made_folders += missing_folders(board)
                try:
                    board.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    remove_made_folders(self.made_folders)  # the run's folder too: refused, nothing is left
                    raise InvalidSettingsError(QT_TRANSLATE_NOOP(
                        "Errors", "Cannot write TensorBoard events in {folder}: {reason}").fill(
                        folder=self.settings.tensorboard, reason=error.strerror or str(error))) from error
        wait_for_all(self.processes)
        if self.resume and not has_checkpoint(self.checkpoint_dir):
            raise nothing_to_resume(self.out_dir)

    def prepare(self) -> Generator[TrainEvent, None, None]:
        settings = self.settings
        yield StatusEvent(QT_TRANSLATE_NOOP("StatusEvent", "Reading corpus"))
        text = read_corpus(settings.corpus).text
        checkpoint = load_checkpoint(self.checkpoint_dir, *RESUME_NEEDS) if self.resume else None
        if checkpoint is not None:
            self.check_same_model(checkpoint)
            self.check_steps_left(checkpoint)
        base = None
        if checkpoint is not None and not settings.lora:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(checkpoint.folder)
        elif settings.is_finetune:
            loading = QT_TRANSLATE_NOOP("StatusEvent", "Loading base model {model}")
            yield StatusEvent(loading.fill(model=settings.base_model))
            base, tokenizer = modeling.load_base_model(settings, self._base_device)
        elif settings.tokenizer == "bpe":
            yield StatusEvent(QT_TRANSLATE_NOOP("StatusEvent", "Training BPE tokenizer"))
            # Learnt once, by rank 0: every process must cut the text the same way.
            tokenizer = from_main(self.processes, bpe_tokenizer(text, settings.vocab_size) if self.processes.is_main
                                  else None)
        else:
            tokenizer = char_tokenizer(text)
        yield StatusEvent(QT_TRANSLATE_NOOP("StatusEvent", "Tokenizing corpus"))
        ids = encode_corpus(tokenizer, text)
        if problem := split_problem(len(ids), settings.val_fraction, settings.block_size):
            raise problem
        split = train_token_count(len(ids), settings.val_fraction)
        train_ids, val_ids = ids[:split], ids[split:]
        self._check_batch_fits(len(tokenizer))  # before the run's figures: a refused run says one line
        yield CorpusStats(
            characters=len(text),
            tokens=len(ids),
            vocabulary=len(tokenizer),
            train_tokens=len(train_ids),
            val_tokens=len(val_ids),
            unknown=unknown_token_count(tokenizer, ids),
            special_tokens=tuple(tokenizer.all_special_tokens),
        )
        yield BatchLayout(settings.batch_size, settings.grad_accum, self.processes.world_size, str(self.device))
        prefix = leading_special_ids(tokenizer)  # a base model's <bos>: empty for the tokenizers trained here
        self.train_batches = TokenBatches(train_ids, settings.block_size, settings.batch_size, self.device, prefix)
        self.val_batches = TokenBatches(val_ids, settings.block_size, settings.batch_size, self.device, prefix)
        sample_start = val_ids[: max(1, min(8, settings.block_size // 4))].tolist()
        self.sample_prompt = torch.tensor(prefix + sample_start, dtype=torch.int64)
        self.probes = settings.probes or default_probes(tokenizer.decode(val_ids[:PROBE_SOURCE_TOKENS].tolist()))
        # A probe's loss is over its next tokens: a single token has none. Said of every probe given for this run (a
        # resume may give new ones); a probe of a run started before this was checked is dropped, as it always was.
        started_with = checkpoint.state.get("settings", {}).get("probes", []) if checkpoint is not None else []
        for probe in settings.probes:
            if probe not in started_with and len(probe_token_ids(tokenizer, probe, settings.block_size)) < 2:
                raise InvalidSettingsError(QT_TRANSLATE_NOOP(
                    "Errors", "The probe “{probe}” is a single token for this run's tokenizer: a probe is read as the "
                    "loss of each of its tokens after the ones before, so it needs two at least. Write a longer one."
                ).fill(probe=probe))

        yield StatusEvent(QT_TRANSLATE_NOOP("StatusEvent", "Building model"))
        self.generator = torch.Generator().manual_seed(settings.seed)
        # A new model's weights are drawn from the run's seed, whatever else runs.
        with process_random_stream(self.control.raise_if_cancelled):
            outside = device_streams(self.device)
            try:
                torch.manual_seed(settings.seed)
                model = self._build_model(base, tokenizer, checkpoint)
                self.dropout_streams = device_streams(self.device)  # the run's own from here on (see _own_dropout)
            finally:  # a failed build (a damaged checkpoint, no memory) leaves the process's stream as it was
                set_device_streams(outside, self.device)
        self.model_class = type(model)  # sharding makes it a subclass; saving builds a plain one
        if self.sharded:
            shard_model(model, self.device, self.processes.world_size)  # built on the CPU, sharded block by block
        self.trainable = modeling.TrainableModel(model=model.to(self.device), tokenizer=tokenizer, lora=settings.lora)
        self.optimizer = make_optimizer(model, settings, self.device, self.sharded)
        if checkpoint is not None:
            self._restore(checkpoint)
        self.batch_history = [layout for layout in self.batch_history if layout["from_step"] < self.step]
        if not self.batch_history or self.batch_history[-1]["tokens_per_step"] != self.tokens_per_step:
            self.batch_history.append({"from_step": self.step, "tokens_per_step": self.tokens_per_step})
        if self.processes.rank > 0 and (saved_streams := self._saved_streams_of_this_rank(checkpoint)):
            self._restore_randomness(saved_streams)  # resumed with as many processes: the same curve goes on
        elif self.processes.rank > 0:
            # Each process reads its own batches and draws its own dropout, also when resuming with another
            # number of processes (rank 0 continues the saved streams).
            own_seed = settings.seed + 1_000_003 * self.processes.rank + self.step
            self.generator.manual_seed(own_seed)
            with process_random_stream():
                torch.manual_seed(own_seed)
                self.dropout_streams = device_streams(self.device)
        self.step_model = self._step_model()
        self.draws_in_steps = _draws_at_random(self.trainable.model)
        # The blocks a Stop lands between, found once (a walk of every module): none for a recurrent model, which
        # is checked between micro-batches only, and none where a step cannot be cut short.
        self.stop_blocks = decoder_blocks(self.trainable.model) if self.steps_cut_short else []
        self.base_probe_log_probs = self._base_probe_log_probs(tokenizer, checkpoint) if settings.is_finetune else None

    @property
    def _base_device(self) -> str:
        """Where a base model loads: this process's device, or its CPU when it is to be sharded (sharding
        then moves one block at a time to the GPU and keeps this process's slice of it)."""
        return "cpu" if self.sharded else str(self.device)

    def _step_model(self) -> torch.nn.Module:
        """What the training step calls: the model, compiled when asked, wrapped for several processes.
        Evaluations, samples, probes and saving use the plain model (``trainable.model``), whose weights
        these share."""
        model = self.trainable.model
        if self.settings.compile:
            model = torch.compile(model)
        if self.processes.distributed and not self.sharded:  # a sharded model syncs its own gradients
            from torch.nn.parallel import DistributedDataParallel

            device_ids = [self.device.index] if self.device.type == "cuda" else None
            model = DistributedDataParallel(model, device_ids=device_ids)
        return model

    def _base_probe_log_probs(self, tokenizer, checkpoint) -> list:
        """What the base model makes of each probe, for the drift: read before the first step (a fresh LoRA
        adapter changes nothing yet), or from a fresh load of the base when resuming."""
        model = self.trainable.model if checkpoint is None else modeling.load_base_model(self.settings,
                                                                                           self._base_device)[0]
        was_training = model.training
        model.eval()
        read = probe_log_probs(model, tokenizer, self.probes, self.settings.block_size)
        model.train(was_training)
        return read

    def _build_model(self, base, tokenizer, checkpoint):
        settings = self.settings
        if settings.lora:
            return modeling.resume_lora(base, checkpoint.folder) if checkpoint else modeling.with_lora(base, settings)
        if checkpoint is not None:
            return modeling.load_checkpointed_model(checkpoint.folder)
        return base if settings.is_finetune else modeling.new_model(settings, vocab_size=len(tokenizer))

    def check_same_model(self, checkpoint) -> None:
        """Resuming with another model shape or data encoding cannot continue the same run."""
        saved = checkpoint.state.get("settings", {})
        current = asdict(self.settings)
        labels = {field.name: field.info.label for field in described_fields(TrainSettings)}
        for name in MODEL_DEFINING_SETTINGS:
            if name in saved and saved[name] != current[name]:
                raise InvalidSettingsError(QT_TRANSLATE_NOOP(
                    "Errors", "The run in {folder} was started with {name} {was} (now {now}): resume it with the same "
                    "model settings."
                ).fill(folder=self.out_dir, name=labels[name], was=saved[name], now=current[name]))

    def check_steps_left(self, checkpoint) -> None:
        """Resuming a run that has made its steps would train none: a larger number of steps is what was meant."""
        made = checkpoint.state["step"]
        if made >= self.settings.max_iters:
            raise InvalidSettingsError(QT_TRANSLATE_NOOP(
                "Errors", "The run in {folder} has made {made} steps already, and {steps} were asked for: ask for "
                "more training steps to train it on.").fill(folder=self.out_dir, made=made,
                                                            steps=self.settings.max_iters))

    def _restore(self, checkpoint) -> None:
        state, tensors = checkpoint.state, checkpoint.tensors
        self.step = state["step"]
        self.tokens_seen = state["tokens_seen"]
        # Checkpoints of earlier versions kept no history: their steps all had the same size.
        earlier = [{"from_step": 0, "tokens_per_step": self.tokens_seen // max(1, self.step)}]
        self.batch_history = list(state.get("batch_history") or earlier)
        self.elapsed_s = state["elapsed_s"]
        self.last_val_loss = state.get("last_val_loss")
        self.recent_train_losses = list(state.get("recent_train_losses", []))
        if state.get("optimizer_by_name") and not tensors["optimizer"]:
            pass  # saved before the first step: a fresh optimizer is the same
        elif self.sharded and not state.get("optimizer_by_name"):
            raise InvalidSettingsError(QT_TRANSLATE_NOOP(
                "Errors", "The checkpoint in {folder} comes from an earlier version that FSDP cannot resume: "
                "resume it without --fsdp.").fill(folder=checkpoint.folder))
        else:
            with settings_kept(self.optimizer):
                if state.get("optimizer_by_name"):
                    load_full_optimizer_state(self.trainable.model, self.optimizer, tensors["optimizer"])
                else:
                    self.optimizer.load_state_dict(tensors["optimizer"])
        self._restore_randomness(tensors)
        # The metrics of steps after the checkpoint were never saved with a model: drop them.
        if self.processes.is_main:
            shutil.copyfile(checkpoint.folder / METRICS_FILE, self.out_dir / METRICS_FILE)

    def gather_streams(self) -> None:
        """Every process's batch and dropout streams to rank 0, for the checkpoint about to be written (every
        process calls this at the same step): a resume with as many processes goes on with each one's own."""
        gathered = on_main(self.processes, self._randomness())
        self.other_ranks_streams = gathered[1:] if gathered is not None else []

    def _saved_streams_of_this_rank(self, checkpoint) -> dict[str, torch.Tensor] | None:
        """This process's streams as the checkpoint kept them; None when it has none for it (written by another
        number of processes, or by an earlier version, which kept rank 0's alone)."""
        if checkpoint is None or checkpoint.state.get("world_size") != self.processes.world_size:
            return None
        kept = checkpoint.tensors.get("rank_streams") or []
        return kept[self.processes.rank - 1] if len(kept) >= self.processes.rank else None

    def _randomness(self) -> dict[str, torch.Tensor]:
        """Where the batch and dropout streams stand: kept with a checkpoint, put back when a step is cut short."""
        return {"batch_rng": self.generator.get_state(), **self.dropout_streams}

    def _restore_randomness(self, streams: dict[str, torch.Tensor]) -> None:
        self.generator.set_state(streams["batch_rng"])
        kept = {name: streams[name] for name in ("torch_rng", "cuda_rng") if name in streams}
        self.dropout_streams = {**self.dropout_streams, **kept}  # (a CPU run's checkpoint has no GPU stream)

    @contextmanager
    def _own_dropout(self) -> Iterator[None]:
        """The run's dropout drawn from its own stream: torch's default one is the whole process's, and the window
        samples from it while the run trains (``random_stream``). A model without dropout draws nothing, and does
        not wait for a sampling to end."""
        if not self.draws_in_steps:
            yield
            return
        # A Stop while a generation holds the stream lands at once where a step may be cut short; elsewhere (a GPU
        # queueing steps ahead, a compiled model) a step is whole once begun, so it waits for the stream.
        stop = self.control.raise_if_cancelled if self.steps_cut_short else (lambda: None)
        with process_random_stream(stop):
            outside = device_streams(self.device)
            set_device_streams(self.dropout_streams, self.device)
            try:
                yield
            finally:
                self.dropout_streams = device_streams(self.device)
                set_device_streams(outside, self.device)

    # --- the loop ----------------------------------------------------------------

    @property
    def launches_ahead(self) -> bool:
        """On a GPU the next step is queued before this one's loss is read, so the GPU never idles while the
        host reads a loss, logs it and prepares the next batch. It needs an optimizer that skips a non-finite
        step on the device itself (the fused AdamW); a CPU computes each call at once and gains nothing."""
        return self.device.type == "cuda" and bool(self.optimizer.defaults.get("fused"))

    def may_launch_after(self, step: int) -> bool:
        """Whether the step after ``step`` (1-based, in flight) may be queued before ``step``'s loss is read:
        not when something needs the model as ``step`` leaves it (an evaluation, a checkpoint, the end) or
        the run is about to stop or pause. Under torchrun every process decides alike, from the schedule and
        the agreed stop only: a step queued by some processes and not others would wait for them forever."""
        settings = self.settings
        if not self.launches_ahead or self.stop_agreed or step >= settings.max_iters:
            return False
        if step % settings.eval_interval == 0:
            return False
        if settings.checkpoint_interval and step % settings.checkpoint_interval == 0:
            return False
        return self.processes.distributed or not (self.control.cancelled or self.control.paused)

    @property
    def steps_cut_short(self) -> bool:
        """Whether Stop cuts the step under way short, between micro-batches and inside each decoder block,
        forward and backward: in one process only (under torchrun every process must finish the step the others
        are in), on a model that is not compiled (the check would break its graph) and not queued ahead."""
        return not (self.processes.distributed or self.settings.compile or self.launches_ahead)

    def launch_step(self, index: int) -> _LaunchedStep | None:
        """Queues step ``index`` (0-based): its micro-batches, the agreement on its loss and the optimizer's
        update, which is skipped when the loss is not finite. On a GPU with the fused optimizer nothing here
        waits for the device (``launches_ahead``); otherwise the loss is read here, before the update.
        None when Stop cut the step short (``steps_cut_short``): its gradients are dropped and the batch and
        dropout streams put back as the step found them, so a resume takes this step again exactly."""
        settings, model = self.settings, self.step_model
        launched_at = time.perf_counter()
        lr = settings.learning_rate(index)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        cut_short = self.steps_cut_short
        randomness = self._randomness() if cut_short else {}
        total = torch.zeros((), device=self.device)  # summed on the device: read once per step, not per micro-batch
        try:
            # A step of a large model takes seconds on a CPU: Stop lands at the next block, forward or backward.
            with self._own_dropout(), checked_before_each(self.stop_blocks, self.control.raise_if_cancelled,
                                                          on_the_way_back=True):
                for micro_step in range(settings.grad_accum):
                    if cut_short:
                        self.control.raise_if_cancelled()
                    # Gradients are averaged between processes once per step, after the last micro-batch (nanoGPT).
                    last_micro_step = micro_step == settings.grad_accum - 1
                    if self.sharded:
                        self.trainable.model.set_requires_gradient_sync(last_micro_step)
                    elif self.processes.distributed:
                        model.require_backward_grad_sync = last_micro_step
                    inputs, targets = self.train_batches.sample(self.generator)
                    with _autocast(self.device, settings.bf16):
                        loss = _next_token_loss(model, inputs, targets) / settings.grad_accum
                    loss.backward()
                    total += loss.detach()
        except CancelledError:
            self.optimizer.zero_grad(set_to_none=True)
            self._restore_randomness(randomness)
            return None
        agreement = StepAgreement(self.processes, total, self.control.cancelled)
        if self.launches_ahead:
            self.optimizer.found_inf = agreement.non_finite  # the fused update leaves weights and moments as they are
            update = True
        else:
            update = math.isfinite(agreement.read()[0])
        if update:
            if settings.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return _LaunchedStep(lr, launched_at, agreement)

    @torch.no_grad()
    def evaluate(self) -> tuple[float, str, HeadScores | None, tuple[ProbeRecord, ...]]:
        model = self.trainable.model
        model.eval()
        # The same validation blocks at every eval: differences between evals come from the model.
        losses = []
        for inputs, targets in self.val_batches.evenly_spread(self.settings.eval_iters):
            with _autocast(self.device, self.settings.bf16):
                losses.append(_next_token_loss(model, inputs, targets).item())
        sample = self.sample_text() if self.settings.sample_tokens > 0 else ""
        scores, probes = None, ()
        if not self.stopped_mid_evaluation:  # else the loop saves the run next: these would only hold the Stop up
            scores = self.score_heads() if self.settings.head_scores else None
            probes = probe_records(model, self.trainable.tokenizer, self.probes, self.step, self.settings.block_size,
                                   PROBE_CONTINUATION_TOKENS, self.base_probe_log_probs)
        model.train()
        return float(np.mean(losses)), sample, scores, probes

    @property
    def stopped_mid_evaluation(self) -> bool:
        """A Stop cuts this evaluation short (its sample, its probes and head scores), and the run stops after it: not
        at the last step, which finishes the run whole and cannot be resumed to redo it, nor under FSDP, where every
        process takes part in them and a Stop reaches the processes at different moments."""
        return self.control.cancelled and not self.sharded and self.step < self.settings.max_iters

    def score_heads(self) -> HeadScores | None:
        """The heads' scores on the repeated probe, or None for a model without attention."""
        if modeling.is_recurrent(self.trainable.model):  # from scratch or as a fine-tune's base
            return None
        # On the model's own context, not the run's block size: the scores of a kept model are then the ones
        # `workbench heads` gives it (a fine-tune reads further than the blocks it is trained on).
        model, tokenizer = self.trainable.model, self.trainable.tokenizer
        return head_scores((model, tokenizer), context_length_of(model, tokenizer))

    def sample_text(self) -> str | None:
        """The evaluation's sample, or None when a Stop cut it short: a few tokens would read as the model's
        whole answer in the run's log."""
        from transformers import GenerationConfig

        tokenizer = self.trainable.tokenizer
        config = GenerationConfig(
            do_sample=True, max_new_tokens=self.settings.sample_tokens, pad_token_id=pad_token_id(tokenizer), top_k=0
        )
        devices = [self.device] if self.device.type == "cuda" else []
        # A private random stream, so sampling never shifts the training's dropout or batches, nor another thread's.
        try:
            token_ids = self._sampled_ids(config, devices)
        except CancelledError:  # a Stop while a generation held the stream: no sample, and the loop saves the run
            return None
        if self.stopped_mid_evaluation:  # ended at the Stop (``_StopWhenCancelled``)
            return None
        # The validation text starts where the split fell, maybe inside a character cut in byte tokens.
        return complete_text(tokenizer, token_ids).lstrip("\ufffd")

    def _sampled_ids(self, config, devices: list[torch.device]) -> list[int]:
        """The sample's prompt and text, drawn holding the process's random stream."""
        with (process_random_stream(self.control.raise_if_cancelled),
              torch.random.fork_rng(devices=devices, device_type=self.device.type)):
            torch.manual_seed(self.settings.seed + self.step)
            prompt = self.sample_prompt[None, :].to(self.device)  # (1, P)
            # synced_gpus: under FSDP every process takes part in every forward pass, even one whose sample ended
            # (so there a Stop waits for the sample: a process leaving early would leave the others waiting).
            last = self.step >= self.settings.max_iters  # drawn whole: see ``stopped_mid_evaluation``
            stop = [] if self.sharded or last else [_StopWhenCancelled(self.control)]
            # Drawn from the model's whole distribution: no temperature or top-p of a base model's own config.
            with model_settings_limited_to_tokens(self.trainable.model):
                output = self.trainable.model.generate(
                    input_ids=prompt, attention_mask=torch.ones_like(prompt), generation_config=config,
                    synced_gpus=self.sharded, stopping_criteria=StoppingCriteriaList(stop),
                )
        return output[0].tolist()

    @property
    def joins_rank_0(self) -> bool:
        """This process evaluates and saves: rank 0 does alone, except under FSDP, where every forward pass
        and every gathering of the weights needs every process."""
        return self.processes.is_main or self.sharded

    def _writable(self) -> modeling.TrainableModel | None:
        """The model to write: the trained one, or under FSDP a plain copy of the gathered weights on rank 0
        (None on the other processes, once they have given their slices)."""
        if not self.sharded:
            return self.trainable
        state = full_model_state(self.trainable.model)
        if not self.processes.is_main:
            return None
        model = modeling.model_from_state(self.model_class, self.trainable.model.config, state)
        return modeling.TrainableModel(model=model, tokenizer=self.trainable.tokenizer, lora=False)

    def checkpoint(self) -> Generator[SavingProgress | CheckpointEvent, None, None]:
        """Writes the checkpoint, yielding how far the writing is, then the CheckpointEvent."""
        settings = self.settings
        # Before the first step there is nothing to keep (reading it by name would take a step to fill it in).
        has_state = bool(self.optimizer.state)  # the same on every process
        optimizer_state = full_optimizer_state(self.trainable.model, self.optimizer) if has_state else {}
        trainable = self._writable()
        if trainable is None:
            return
        if not trainable.lora:
            modeling.describe(trainable.model, CHECKPOINT_NAME.fill(run=self.out_dir.name, step=self.step),
                              self._description())
        tensors = {"optimizer": optimizer_state, **self._randomness(), "rank_streams": self.other_ranks_streams}
        state = {
            "step": self.step,
            "tokens_seen": self.tokens_seen,
            "elapsed_s": self.elapsed_s,
            "last_val_loss": self.last_val_loss,
            "recent_train_losses": self.recent_train_losses,
            "settings": asdict(settings),
            "world_size": self.processes.world_size,
            "effective_batch": self.effective_batch,
            "batch_history": self.batch_history,
            "optimizer_by_name": True,  # resumes in one process, under DDP or FSDP alike
        }

        def write_files(staging: Path) -> None:
            modeling.write_model_files(trainable, staging)
            shutil.copyfile(self.out_dir / METRICS_FILE, staging / METRICS_FILE)

        yield from saving_checkpoint(self.checkpoint_dir, state=state, tensors=tensors, write_files=write_files)
        if not self.trainable.lora:
            Catalog().register_trained(self.checkpoint_dir)
        yield CheckpointEvent(step=self.step, path=str(self.checkpoint_dir))

    @property
    def effective_batch(self) -> int:
        """Blocks one step learns from: the batch of each process, accumulated, times the processes."""
        return self.settings.batch_size * self.settings.grad_accum * self.processes.world_size

    @property
    def tokens_per_step(self) -> int:
        return self.effective_batch * self.settings.block_size

    def write_run_file(self) -> None:
        """The settings and batch layout, so the run's folder says how it is trained while it trains."""
        layout = {
            "settings": asdict(self.settings),
            "world_size": self.processes.world_size,
            "effective_batch": self.effective_batch,
            "batch_history": self.batch_history,
            "device": str(self.device),
            "probes": list(self.probes),  # what each evaluation reads, before one has (a Stop may cut the first short)
        }
        write_json_atomic(self.out_dir / RUN_FILE, layout)

    def _check_batch_fits(self, vocabulary: int) -> None:
        """Refuses a batch whose logits and their gradient alone (float32) exceed the device's free memory, before
        anything is allocated: asked for terabytes, the allocator may grant them and the system then kill us."""
        settings = self.settings
        needed = 2 * 4 * settings.batch_size * settings.block_size * vocabulary  # a lower bound: the model needs more
        free = free_memory_bytes(self.device)
        if free is not None and needed > free:
            raise InvalidSettingsError(QT_TRANSLATE_NOOP(
                "Errors", "One batch of {batch} blocks of {block} tokens needs at least {needed_gb:.1f} GB for its "
                "logits (a vocabulary of {vocabulary}), more than the {free_gb:.1f} GB free on {device}: lower the "
                "batch size or the block size (gradient accumulation keeps the effective batch)."
            ).fill(batch=settings.batch_size, block=settings.block_size, needed_gb=needed / 2**30,
                   vocabulary=vocabulary, free_gb=free / 2**30, device=self.device.type))

    @property
    def keeps_snapshots(self) -> bool:
        """The model of each evaluation is kept to open later (a LoRA model with its adapter folded in)."""
        settings = self.settings
        return (settings.keep_last_checkpoints + settings.keep_log_spaced_checkpoints) > 0

    def snapshot(self) -> SnapshotEvent | None:
        """Save the model as it is at this evaluation, listed as one of the run's checkpoints (None on the
        processes that do not write)."""
        trainable = self._writable()
        if trainable is None:
            return None
        modeling.describe(trainable.model, SNAPSHOT_NAME.fill(run=self.out_dir.name, step=self.step),
                          self._description())
        event = save_snapshot(
            self.out_dir, self.step, lambda folder: modeling.write_snapshot_files(trainable, folder),
            self.settings.keep_last_checkpoints, self.settings.keep_log_spaced_checkpoints,
        )
        Catalog().register_trained(Path(event.path))
        return event

    def _description(self) -> str:
        settings = self.settings
        if settings.lora:
            what = QT_TRANSLATE_NOOP("ModelNames", "{base} fine-tuned with LoRA").fill(base=settings.base_model)
        elif settings.is_finetune:
            what = QT_TRANSLATE_NOOP("ModelNames", "{base} fine-tuned").fill(base=settings.base_model)
        else:
            what = settings.arch.upper()
        values = {"model": what, "corpus": Path(settings.corpus).name, "steps": self.step}
        if self.last_val_loss is None:
            return QT_TRANSLATE_NOOP("ModelNames", "{model} on {corpus} for {steps} steps.").fill(**values)
        return QT_TRANSLATE_NOOP("ModelNames", "{model} on {corpus} for {steps} steps, validation loss {loss}.").fill(
            loss=f"{self.last_val_loss:.3f}", **values)

    def finish(self) -> None:
        trainable = self._writable()
        if trainable is None:
            return
        modeling.publish_final_model(trainable, self.out_dir, self.out_dir.name, self._description())
        Catalog().register_trained(self.out_dir)



# The config settings that make a transformers model draw in training: dropout rates, the chance to skip a layer
# (OPT's ``layerdrop``), stochastic depth (``drop_path_rate``) and the noise a mixture of experts adds to its
# router (Mixtral's ``router_jitter_noise``).
_RANDOM_IN_TRAINING = ("dropout", "layerdrop", "drop_path", "jitter")


def _draws_at_random(model: torch.nn.Module) -> bool:
    """Whether a training step draws random numbers: dropout modules of its own (ours, LoRA's), or the rates of
    random training behaviour a transformers model reads from its config in its forward pass."""
    if any(isinstance(module, torch.nn.modules.dropout._DropoutNd) and module.p > 0 for module in model.modules()):
        return True
    config = getattr(model, "config", None)
    rates = config.to_dict().items() if config is not None else ()
    return any(
        any(marker in name for marker in _RANDOM_IN_TRAINING) and isinstance(rate, float) and rate > 0
        for name, rate in rates
    )


class _RunFiles:
    """What rank 0 writes as the run goes: metrics.csv, the probes', heads' and samples' logs, and
    TensorBoard events when asked. A resumed run first drops what came after its checkpoint, the kept
    steps' models too."""

    def __init__(self, run: _Run) -> None:
        resumed_step = run.step if run.resume else None
        if resumed_step is not None:
            drop_snapshots_after(run.out_dir, resumed_step)
        self.metrics = MetricsLog(run.out_dir / METRICS_FILE)
        self.probes = StepLog(run.out_dir / PROBES_FILE, resumed_step)
        self.heads = StepLog(run.out_dir / HEADS_FILE, resumed_step)
        self.samples = StepLog(run.out_dir / SAMPLES_FILE, resumed_step)
        folder = run.settings.tensorboard
        self.tensorboard = TensorBoardLog(folder, resumed_step) if folder else None
        self._said_events_stopped = False

    def events_stopped(self) -> Text | None:
        """Why the TensorBoard events stopped, the first time it is asked after they did: said once, the run goes
        on."""
        if self.tensorboard is None or self.tensorboard.problem is None or self._said_events_stopped:
            return None
        self._said_events_stopped = True
        return self.tensorboard.problem

    def step(self, event: StepEvent, val_loss: float | None) -> None:
        self.metrics.write(event.step, event.train_loss, val_loss, event.lr, event.tokens_per_s, event.elapsed_s)
        if self.tensorboard:
            self.tensorboard.step(event.step, event.train_loss, event.lr, event.tokens_per_s)

    def evaluation(self, event: EvalEvent) -> None:
        self.probes.write(asdict(record) for record in event.probes)
        if event.head_scores is not None:
            self.heads.write([{"step": event.step, **event.head_scores.to_json()}])
        # null for an evaluation a Stop cut short: read back, it says so (a missing line is still on its way)
        self.samples.write([{"step": event.step, "sample": event.sample}])
        if self.tensorboard:
            self.tensorboard.evaluation(event.step, event.val_loss, event.train_loss)

    def close(self) -> None:
        for log in (self.metrics, self.probes, self.heads, self.samples, self.tensorboard):
            if log:
                log.close()

    def discard(self) -> None:
        """Closes and deletes these files: a new run that failed before it saved anything leaves its folder as it
        found it, so the same command can be run again once the problem is fixed."""
        self.close()
        created = [log.path for log in (self.metrics, self.probes, self.heads, self.samples)]
        for path in created + (self.tensorboard.created if self.tensorboard else []):
            path.unlink(missing_ok=True)


def train(
    settings: TrainSettings, control: RunControl | None = None, resume: bool = False
) -> Generator[TrainEvent, None, TrainResult]:
    """Train as ``settings`` says; yields StatusEvent, CorpusStats, BatchLayout, StepEvent, EvalEvent,
    SavingProgress and CheckpointEvent. Stop (``control.cancel()``) checkpoints first and returns stopped=True.
    Under ``torchrun`` every process runs this; rank 0 alone evaluates and writes the run's files."""
    settings.validate()
    quiet_transformers()
    control = control or RunControl()
    run = _Run(settings, control, resume)
    started_group = start_group(run.processes, run.device)
    try:
        result = yield from _train(run)
        wait_for_all(run.processes)  # the others wait while rank 0 writes the last checkpoint and model
        return result
    finally:
        if started_group:
            end_group()


def _train(run: _Run) -> Generator[TrainEvent, None, TrainResult]:
    run.check_out_dir()
    lock = RunFolderLock(run.out_dir) if run.processes.is_main else None  # rank 0 writes the folder
    try:
        return (yield from _train_in_folder(run))
    finally:
        if lock is not None:
            lock.release()


def _train_in_folder(run: _Run) -> Generator[TrainEvent, None, TrainResult]:
    settings, control, main = run.settings, run.control, run.processes.is_main
    try:
        yield from run.prepare()
    except BaseException:  # refused (a corpus, a base model that does not fit): the place is left as it was
        remove_made_folders(run.made_folders)
        raise
    run.trainable.model.train()
    files = _RunFiles(run) if main else None
    if main:
        run.write_run_file()
    tokens_per_step = run.tokens_per_step
    in_flight: _LaunchedStep | None = None  # queued, its loss not read yet
    last_read_at = 0.0
    try:
        while run.step < settings.max_iters:
            if in_flight is None:
                control.wait_if_paused()
                if run.stop_agreed or (control.cancelled and not run.processes.distributed):
                    yield StatusEvent(SAVING_CHECKPOINT)
                    run.gather_streams()
                    if run.joins_rank_0:
                        yield from run.checkpoint()
                    stopped = QT_TRANSLATE_NOOP("TrainResult", "Stopped at step {step}; checkpoint saved.")
                    message = stopped.fill(step=run.step)
                    return TrainResult(str(run.out_dir), run.step, run.last_val_loss, True, message)
                in_flight = run.launch_step(run.step)
                if in_flight is None:  # Stop cut the step short: it is saved as the step before left it
                    continue
            following = run.launch_step(run.step + 1) if run.may_launch_after(run.step + 1) else None
            loss, stop = in_flight.agreement.read()
            run.stop_agreed = run.stop_agreed or stop
            if not math.isfinite(loss):
                if has_checkpoint(run.checkpoint_dir):
                    template = QT_TRANSLATE_NOOP(
                        "TrainResult", "Training stopped at step {step}: the loss became {loss} (diverged). Try a "
                        "lower learning rate or stronger gradient clipping; the last good checkpoint is in {folder}.")
                else:
                    template = QT_TRANSLATE_NOOP(
                        "TrainResult", "Training stopped at step {step}: the loss became {loss} (diverged). Try a "
                        "lower learning rate or stronger gradient clipping; no checkpoint had been saved yet.")
                message = template.fill(step=run.step + 1, loss=loss, folder=run.checkpoint_dir)
                return TrainResult(str(run.out_dir), run.step, run.last_val_loss, True, message, diverged=True)
            run.step += 1
            run.tokens_seen += tokens_per_step
            read_at = time.perf_counter()
            # A step queued while the one before was still computing began when that one's loss was read.
            duration = read_at - max(in_flight.launched_at, last_read_at)
            lr, in_flight, last_read_at = in_flight.lr, following, read_at
            run.elapsed_s += duration
            tokens_per_s = tokens_per_step / duration if duration > 0 else 0.0
            if run.joins_rank_0:
                run.recent_train_losses.append(loss)
            step_event = StepEvent(run.step, loss, lr, tokens_per_s, run.tokens_seen, run.elapsed_s)
            yield step_event
            val_loss = None
            if run.joins_rank_0 and (run.step % settings.eval_interval == 0 or run.step == settings.max_iters):
                # It takes a while (validation batches, a sample, probes, head scores): said, so it is not a hang.
                yield StatusEvent(EVALUATING.fill(step=run.step))
                eval_started = time.perf_counter()
                val_loss, sample, scores, probes = run.evaluate()
                run.elapsed_s += time.perf_counter() - eval_started
                run.last_val_loss = val_loss
                train_mean = float(np.mean(run.recent_train_losses))
                run.recent_train_losses = []
                perplexity = perplexity_of(val_loss)
                eval_event = EvalEvent(run.step, val_loss, perplexity, train_mean, sample, run.tokens_seen,
                                       run.elapsed_s, scores, probes)
                if main:
                    files.evaluation(eval_event)
                yield eval_event
                if run.keeps_snapshots and (snapshot := run.snapshot()):
                    yield snapshot
            if main:
                files.step(step_event, val_loss)
                if stopped_events := files.events_stopped():
                    yield RunWarning(stopped_events)
            interval = settings.checkpoint_interval
            if interval and run.step % interval == 0 and run.step < settings.max_iters:
                run.gather_streams()
                if run.joins_rank_0:
                    yield StatusEvent(SAVING_CHECKPOINT)  # a fine-tuned model takes seconds to write
                    yield from run.checkpoint()
        run.gather_streams()
        if run.joins_rank_0:
            yield StatusEvent(QT_TRANSLATE_NOOP("StatusEvent", "Saving the trained model"))
            yield from run.checkpoint()
            run.finish()
    except Exception as error:
        if is_out_of_memory(error):
            raise WorkbenchError(QT_TRANSLATE_NOOP(
                "Errors", "Training ran out of memory at step {step} ({batch} blocks of {block} tokens a batch on "
                "{device}): lower the batch size or the block size (gradient accumulation keeps the effective batch)."
            ).fill(step=run.step + 1, batch=settings.batch_size, block=settings.block_size,
                   device=run.device)) from error
        raise
    finally:
        # A new run that ends with nothing saved, no checkpoint and no kept model (out of memory, diverged before
        # its first evaluation) leaves its folder as it found it: kept, it would only refuse the same command once
        # the problem is fixed. A kept model is never thrown away, nor the curves that go with it.
        if files and not run.resume and not has_checkpoint(run.checkpoint_dir) and not snapshot_steps(run.out_dir):
            files.discard()
            (run.out_dir / RUN_FILE).unlink(missing_ok=True)
            remove_made_folders(run.made_folders)
        elif files:
            files.close()
    message = QT_TRANSLATE_NOOP("TrainResult", "Finished {steps} steps; model saved in {folder}.").fill(
        steps=run.step, folder=run.out_dir)
    return TrainResult(str(run.out_dir), run.step, run.last_val_loss, False, message)
