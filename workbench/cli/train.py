"""`workbench train`: train a language model from scratch or fine-tune one, with a progress bar.

Ctrl+C stops at the next step boundary, writes a checkpoint and exits with status 130;
`--resume` continues from it. Under ``torchrun`` every process runs this command; rank 0 alone
checks the output folder first and draws the progress.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING

from workbench.cli import FAULT, options
from workbench.cli.interrupt import INTERRUPTED, StopsWhenReaderGoes, first_ctrl_c_stops
from workbench.core.errors import InvalidSettingsError
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.training.settings import TrainSettings

if TYPE_CHECKING:
    from workbench.core.training.processes import Processes

# The settings whose flag is not their name's (a probe is given once per text: --probe A --probe B).
FLAGS = {"out_dir": "--out", "probes": "--probe"}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a GPT, LSTM, GRU or RNN from scratch, or fine-tune a pretrained model",
        description="Train a language model on a text corpus. "
        "Writes OUT/metrics.csv, OUT/probes.jsonl, OUT/heads.jsonl, OUT/samples.jsonl, OUT/run.json, OUT/checkpoint, "
        "the model of each kept evaluation and the final model in OUT.",
    )
    options.add_settings_arguments(
        parser, TrainSettings, flags=FLAGS, optional=("corpus",)
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run checkpointed in --out (on its own corpus unless "
        "--corpus names another)"
    )
    parser.set_defaults(run=run)


def settings_from_args(args: argparse.Namespace) -> TrainSettings:
    """The flags given; with --resume, flags left out keep the values the run was started with."""
    from pathlib import Path

    base = None
    if args.resume:  # a new run's flags are checked without the trainer (torch, transformers): a mistake is quick
        from workbench.core.checkpoints import has_checkpoint, load_checkpoint, saved_settings
        from workbench.core.errors import InvalidInputError
        from workbench.core.settings_fields import settings_from_data
        from workbench.core.training.run_folder import (
            CHECKPOINT_FOLDER,
            RESUME_NEEDS,
            nothing_to_resume,
            run_moved_to,
        )

        checkpoint = Path(args.out_dir).expanduser() / CHECKPOINT_FOLDER
        saved = saved_settings(checkpoint)
        if saved is not None and "epochs" in saved:  # the lab counts epochs, a language model steps
            raise InvalidInputError(QT_TRANSLATE_NOOP(
                "Errors", "{folder} holds a generative lab run: resume it with workbench genlab --resume --out "
                "{folder}.").fill(folder=Path(args.out_dir).expanduser()))
        if not has_checkpoint(checkpoint):
            raise nothing_to_resume(args.out_dir)
        # Loaded whole here, so a damaged checkpoint is named in one line before the progress bar starts.
        base = settings_from_data(TrainSettings, load_checkpoint(checkpoint, *RESUME_NEEDS).state["settings"])
        base = run_moved_to(base, Path(args.out_dir).expanduser().resolve())
    elif args.corpus is None:
        raise InvalidSettingsError("--corpus is required: the text file or folder to train on")
    settings = options.settings_from_args(TrainSettings, args, base=base)
    if settings.is_finetune and args.tokenizer is None:  # fine-tuning's own tokenizer, unless one was named
        settings = dataclasses.replace(settings, tokenizer="pretrained")
    options.refuse_unused_flags(settings, args, FLAGS)
    return _with_absolute_paths(settings, args)


def _with_absolute_paths(settings: TrainSettings, args: argparse.Namespace) -> TrainSettings:
    """The files and folders named on this command line, made absolute: the run keeps them in its checkpoint,
    and a --resume typed in another folder must find the same corpus (a base model given as a catalog id
    stays as it is)."""
    from pathlib import Path

    from workbench.core.errors import InvalidInputError

    def absolute(path: str) -> str:
        resolved = str(Path(path).expanduser().resolve())
        try:
            resolved.encode("utf-8")
        except UnicodeEncodeError:  # the working folder's name, not the argument (which the CLI checked)
            shown = resolved.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise InvalidInputError(
                f"{shown} lies in a folder whose name is not UTF-8 text, which the run could not record: rename "
                "the folder, or give the path from a folder with a UTF-8 name."
            ) from None
        return resolved

    # The run's folder is recorded whole too: in the model list, and in the checkpoint, where a copy of the run
    # tells its own folder's TensorBoard events from elsewhere (``run_folder.run_moved_to``).
    changes = {"out_dir": absolute(args.out_dir)}
    # An empty value stays empty: "" means no events, no corpus chosen (not the working folder).
    if args.corpus:
        changes["corpus"] = absolute(args.corpus)
    if args.tensorboard:
        changes["tensorboard"] = absolute(args.tensorboard)
    if args.base_model and Path(args.base_model).expanduser().exists():
        changes["base_model"] = absolute(args.base_model)
    return dataclasses.replace(settings, **changes)


# A sample on the progress line: newlines as ⏎, other control characters (a small BPE's samples hold NUL,
# CR, VT) as their pictures (␀ ␍ ␋), so that none moves the terminal's cursor or cuts the line.
_ONE_LINE = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421", ord("\n"): " ⏎ "}


class _ProgressPrinter:
    """The run's progress on stderr. ``notes`` are said as the run's figures come, once the trainer's checks
    have passed: a refused run says its one ``error:`` line and no note before it."""

    def __init__(self, max_iters: int, notes: list[str]) -> None:
        from tqdm import tqdm

        # disable=None: drawn on a terminal only; in a log, evaluation lines (bar.write) still print.
        self.bar = tqdm(total=max_iters, unit="step", file=sys.stderr, dynamic_ncols=True, mininterval=0.5, delay=0.1,
                        disable=None)
        self.val_loss = None
        self.notes = notes

    def __call__(self, event) -> None:
        from workbench.core.training import events

        if isinstance(event, events.StepEvent):
            if self.bar.n == 0:
                self.bar.n = event.step - 1  # a resumed run starts part way
            if self.bar.desc != "training":
                self.bar.set_description_str("training", refresh=False)
            self.bar.update(event.step - self.bar.n)
            postfix = {"loss": f"{event.train_loss:.4f}", "lr": f"{event.lr:.2e}", "tok/s": f"{event.tokens_per_s:.0f}"}
            if self.val_loss is not None:
                postfix["val"] = f"{self.val_loss:.4f}"
            self.bar.set_postfix(postfix, refresh=False)
        elif isinstance(event, events.EvalEvent):
            self.val_loss = event.val_loss
            sample = "" if event.sample is None else f" | {event.sample.translate(_ONE_LINE)[:100]}"
            self.bar.write(
                file=sys.stderr,
                s=f"step {event.step}: val loss {event.val_loss:.4f}, perplexity {event.perplexity:.2f}{sample}",
            )
        elif isinstance(event, events.BatchLayout):
            processes = f" x {event.processes} processes" if event.processes > 1 else ""
            self.bar.write(
                file=sys.stderr,
                s=f"effective batch: {event.effective_batch} blocks per step ({event.batch_size} per batch x "
                f"{event.grad_accum} accumulated{processes}) on {event.device}",
            )
        elif isinstance(event, events.CorpusStats):
            for note in self.notes:
                self.bar.write(file=sys.stderr, s=f"note: {note}")
            self.bar.write(
                file=sys.stderr,
                s=f"corpus: {event.characters} characters, {event.tokens} tokens, vocabulary {event.vocabulary}, "
                f"train {event.train_tokens} / validation {event.val_tokens} tokens"
            )
            if event.unknown:  # a run continued on another text: what its vocabulary lacks is all one token
                self.bar.write(file=sys.stderr, s=f"warning: {event.unknown} of the corpus's tokens "
                               f"({event.unknown / event.tokens:.0%}) are unknown to the run's vocabulary: the model "
                               "reads each as the same <unk> token")
        elif isinstance(event, events.StatusEvent):
            self.bar.set_description_str(event.message, refresh=True)
        elif isinstance(event, events.RunWarning):
            self.bar.write(file=sys.stderr, s=f"warning: {event.message}")
        elif isinstance(event, events.CheckpointEvent):
            self.bar.set_description_str(f"checkpoint at step {event.step}", refresh=False)

    def close(self, keep: bool = True) -> None:
        if not keep:
            self.bar.clear()
        self.bar.leave = keep
        self.bar.close()


class _QuietPrinter:
    """What the processes other than rank 0 show under torchrun: nothing (rank 0 reports the run)."""

    reader_gone = False

    def __call__(self, event) -> None:
        pass

    def close(self, keep: bool = True) -> None:
        pass


def run(args: argparse.Namespace) -> int:
    from workbench.core.errors import WorkbenchError
    from workbench.core.training.processes import launched_processes

    processes = launched_processes()
    try:
        return _train(args, processes)
    except (WorkbenchError, OSError):
        if processes.local_rank != 0:
            # The same arguments and the same files: this machine's first process meets the same mistake and
            # says it, so torchrun's output holds it once per machine, not once per process.
            return 2
        raise


def _train(args: argparse.Namespace, processes: Processes) -> int:
    from pathlib import Path

    from workbench.core.errors import WorkbenchError
    from workbench.core.jobs import RunControl, drain
    from workbench.core.outputs import check_output_folder
    from workbench.core.training.corpus import read_corpus
    from workbench.core.training.run_folder import (
        check_tensorboard_folder,
        refuse_a_run_killed_before_its_first_checkpoint,
    )

    settings = settings_from_args(args)
    # Checked before the progress bar starts, and before the trainer (torch, transformers) is imported, so a
    # mistake (in the flags, the corpus or the output folder) costs nothing and reads as one line.
    settings.validate()
    read_corpus(settings.corpus)  # read again by the trainer: a second read is cheap beside training
    if processes.is_main:
        # Only checked: the trainer makes it, and removes it again if the run is refused or ends having saved nothing.
        if not args.resume:
            refuse_a_run_killed_before_its_first_checkpoint(Path(settings.out_dir).expanduser())
        check_output_folder(Path(settings.out_dir), resume=args.resume, how_to_resume="--resume")
        if settings.tensorboard:  # here, before torchrun's processes meet: a refusal is said once, not once a process
            check_tensorboard_folder(settings.out_dir, settings.tensorboard)
    from workbench.core.training.trainer import train

    control = RunControl()
    again = "every process stops after this step" if processes.distributed else "Ctrl+C again to abort at once"
    printer = _QuietPrinter()
    if processes.is_main:
        notes = list(settings.notes())
        if settings.fsdp and not processes.distributed:  # so nobody waits for a sharding that never comes
            notes.append("--fsdp shards the model over torchrun's processes; this run is one process, so it trains "
                         "unsharded (start it with torchrun --nproc-per-node N to shard)")
        printer = StopsWhenReaderGoes(_ProgressPrinter(settings.max_iters, notes), control)
    # Under torchrun the processes run in sessions of their own: torchrun passes a Ctrl+C on to each (and
    # kills them after its --shutdown-timeout, 30 s by default); they agree on the step to stop after and
    # rank 0 writes the checkpoint. A second Ctrl+C aborts only a run of one process.
    with first_ctrl_c_stops(control, f"stopping: writing a checkpoint ({again})" if processes.is_main else None,
                            second_aborts=not processes.distributed):
        try:
            result = drain(train(settings, control, resume=args.resume), printer)
        except Exception as error:
            if processes.distributed and not processes.is_main and not isinstance(error, WorkbenchError):
                # Most often rank 0 stopped (and says why): this process lost it in a collective.
                first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
                print(f"error: process {processes.rank} stopped with the run ({first_line})", file=sys.stderr)
                return FAULT
            printer.close(keep=False)  # an error starts on its own line, not after a half-drawn bar
            raise
        except BaseException:  # a second Ctrl+C
            printer.close(keep=False)
            raise
    printer.close()
    if not processes.is_main:  # rank 0 reports the run
        return 2 if result.diverged else INTERRUPTED if result.stopped else 0
    if result.diverged:  # the message says what to change
        print(f"error: {result.message}", file=sys.stderr)
        return 2
    if printer.reader_gone:  # stopped for it, as by Ctrl+C (or done meanwhile); stdout is most often the same pipe
        return INTERRUPTED if result.stopped else 0
    print(result.message, file=sys.stderr)
    if result.stopped:
        return INTERRUPTED
    if result.final_val_loss is not None:
        print(f"final validation loss: {result.final_val_loss:.4f}")
    return 0
