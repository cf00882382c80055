"""`workbench generate`: stream text from a model to stdout, or print one JSON object."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import TextIO

from workbench.cli import options
from workbench.cli.interrupt import INTERRUPTED, first_ctrl_c_stops
from workbench.core.decoding import MODE_DEFAULTS, PRESETS, SAMPLING_ONLY, DecodingSettings
from workbench.core.errors import InvalidSettingsError
from workbench.core.settings_fields import settings_to_data

# Preset names as typed on a command line: "beam-search" for "Beam search".
_MODE_WORDS = {"greedy": "greedy decoding", "sample": "sampling", "beam": "beam search"}
_PRESETS_BY_FLAG = {name.lower().replace(" ", "-"): name for name in PRESETS}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate text with a model, streamed as it comes",
        description="Generate text with a model. Sampling (with the Balanced preset's values) by default; "
        "--greedy or --beams N for the other modes, which start with every filter off. With --preset, the "
        "preset's values apply first; any flag given overrides them.",
    )
    add_generation_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end instead of streaming")
    parser.set_defaults(run=run)


def _token_ids(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError:
        ids = ()
    if not ids:  # "," or "" would silently prefill nothing
        raise argparse.ArgumentTypeError(f"token ids are whole numbers separated by commas, not {text!r}")
    return ids


def add_generation_arguments(parser: argparse.ArgumentParser) -> None:
    """The model, the prompt and every decoding flag: what `generate` and `inspect` share."""
    parser.add_argument(
        "--model", default=None,
        help="catalog id, model folder, .gguf file or hub id (owner/name; default: the default model)",
    )
    parser.add_argument("--prompt", required=True, help="the text to continue, or the user message in chat mode")
    parser.add_argument("--system", default="", help="system message (chat mode)")
    prefill = parser.add_mutually_exclusive_group()
    prefill.add_argument("--prefill", default="", metavar="TEXT",
                         help="the answer starts with this text (in chat mode, right after the assistant's turn opens)")
    prefill.add_argument("--prefill-ids", type=_token_ids, default=(), metavar="ID,ID,...",
                         help="the answer starts with these exact token ids")
    chat = parser.add_mutually_exclusive_group()
    chat.add_argument(
        "--chat",
        dest="chat",
        action="store_true",
        default=None,
        help="use the model's chat template (default when it has one)",
    )
    chat.add_argument("--raw", dest="chat", action="store_false", help="complete the prompt as plain text")

    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--greedy", action="store_true", help="always take the most likely token")
    mode.add_argument("--beams", type=int, metavar="N", help="beam search with N beams")
    parser.add_argument("--preset", choices=tuple(_PRESETS_BY_FLAG), help="start from a preset's settings")
    options.add_settings_arguments(
        parser, DecodingSettings, exclude=("mode", "num_beams"), flags={"stop_strings": "--stop"},
        defaults=_defaults_by_mode(),
    )
    options.add_device_argument(parser)
    options.add_trust_remote_code_argument(parser)
    options.add_dtype_argument(parser)


def _defaults_by_mode() -> dict[str, object]:
    """The default each flag's help shows: sampling's, and where greedy and beam search start elsewhere (a
    sampling filter they leave off), theirs too, so "(default: 1.1)" is not read as greedy's."""
    sampling, greedy, beams = (settings_to_data(MODE_DEFAULTS[mode]) for mode in ("sample", "greedy", "beam"))
    shown: dict[str, object] = {}
    for name, value in sampling.items():
        if greedy[name] == beams[name] != value:
            shown[name] = f"{value} when sampling, {greedy[name]} with --greedy or --beams"
        elif greedy[name] != value or beams[name] != value:
            shown[name] = f"{value} when sampling, {greedy[name]} with --greedy, {beams[name]} with --beams"
        else:
            shown[name] = value
    return shown


def settings_from_args(args: argparse.Namespace) -> DecodingSettings:
    """The preset's (or the mode's) settings first, then every flag given on top."""
    mode = "greedy" if args.greedy else "beam" if args.beams is not None else None
    base = PRESETS[_PRESETS_BY_FLAG[args.preset]] if args.preset else MODE_DEFAULTS[mode or "sample"]
    if mode is not None and mode != base.mode:
        # A preset is a whole way of decoding: half of one under another mode would be neither.
        flag = "--greedy" if args.greedy else "--beams"
        raise InvalidSettingsError(
            f"--preset {args.preset} uses {_MODE_WORDS[base.mode]}, {flag} {_MODE_WORDS[mode]}: give one of them."
        )
    ignored = [name for name in SAMPLING_ONLY if getattr(args, name) is not None]
    if base.mode != "sample" and ignored:
        flag = "--" + ignored[0].replace("_", "-")
        raise InvalidSettingsError(
            f"{flag} shapes sampling, and {_MODE_WORDS[base.mode]} does not sample: leave it out, or sample instead."
        )
    if args.beams is not None:
        base = dataclasses.replace(base, num_beams=args.beams)
    return options.settings_from_args(DecodingSettings, args, base=base)


class _StreamedText:
    """Writes one sequence's pieces as they come, holding back just enough text that a
    stop string is never shown (the engine cuts it from the final text)."""

    def __init__(self, out: TextIO, stop_strings: tuple[str, ...]) -> None:
        self.out = out
        self.stop_strings = stop_strings
        self.hold = max((len(stop) for stop in stop_strings), default=1) - 1
        self.pending = ""
        self.written = 0  # characters written so far
        self.stopped = False

    def add(self, piece: str) -> None:
        if self.stopped or not piece:
            return
        self.pending += piece
        cuts = [cut for cut in (self.pending.find(stop) for stop in self.stop_strings) if cut >= 0]
        if cuts:
            self.stopped = True
            self._write(self.pending[: min(cuts)])
        else:
            self._write(self.pending[: max(0, len(self.pending) - self.hold)])

    def write_prefix(self, text: str) -> None:
        """Text the answer starts with (the prefill): shown as it is, never cut by a stop string."""
        self._write(text)
        self.pending = ""

    def finish(self, final_text: str) -> None:
        self.pending = ""
        self._write(final_text[self.written :])
        self.out.write("\n")

    def _write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()
            self.written += len(text)
            self.pending = self.pending[len(text) :]


def run_generation(loaded, request, out: TextIO, as_json: bool) -> int:
    """Generate with an already loaded model and write text (streamed) or JSON to ``out``."""
    from workbench.core.generation import TokenEvent, generate, prefill_text
    from workbench.core.jobs import CancelToken, drain

    settings = request.settings
    # One sequence streams; several would interleave, and beams only exist at the end,
    # so those are printed one after the other when done.
    streamed = None
    if not as_json and settings.mode != "beam" and settings.num_return_sequences == 1:
        streamed = _StreamedText(out, settings.stop_strings)

    def on_event(event) -> None:
        if isinstance(event, TokenEvent):
            streamed.add(event.text)

    if streamed is not None:
        streamed.write_prefix(prefill_text(loaded, request))  # checks the request: a refused one writes nothing
    # The first Ctrl+C stops the engine within a layer and the text so far is still written (marked
    # stopped in JSON, with the seed that draws it again); a second aborts at once.
    cancel = CancelToken()
    with first_ctrl_c_stops(cancel, announce=None):
        result = drain(generate(loaded, request, cancel), on_event if streamed else None)
    if as_json:
        first = result.sequences[0]
        report = {
            "text": first.text,
            "token_ids": list(first.token_ids),
            "prompt_token_ids": list(result.prompt_token_ids),
            "time_to_first_token_s": result.time_to_first_token_s,
            "tokens_per_s": result.tokens_per_s,
            "elapsed_s": result.elapsed_s,
            "seed": result.seed,
            "stopped": result.stopped,
        }
        if len(result.sequences) > 1:
            report["sequences"] = [{"text": s.text, "token_ids": list(s.token_ids)} for s in result.sequences]
        out.write(json.dumps(report, ensure_ascii=False) + "\n")
    elif streamed is not None:
        streamed.finish(result.sequences[0].text)
    elif len(result.sequences) == 1:
        out.write(result.sequences[0].text + "\n")
    else:
        for index, sequence in enumerate(result.sequences):
            out.write(f"--- sequence {index + 1} ---\n{sequence.text}\n")
    out.flush()
    if not as_json and settings.seed is None and result.seed is not None:  # a drawn seed: the way back to this text
        further = ", and goes on past where it stopped" if result.stopped else ""
        print(f"seed: {result.seed} (--seed {result.seed} gives this answer again{further})", file=sys.stderr)
    if result.stopped:
        print("stopped (Ctrl+C): what was generated until then is written above", file=sys.stderr)
        return INTERRUPTED
    return 0


class _ProgressLine:
    """Loading stages on one stderr line that rewrites itself, on a terminal only: in a log or a
    pipe, carriage returns would only wrap the lines that matter (an error) in noise."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.width = 0
        self.live = err.isatty()

    def __call__(self, progress) -> None:
        if not self.live:
            return
        text = progress.text + (f" {progress.fraction:.0%}" if progress.fraction is not None else "")
        self.width = max(self.width, len(text))
        self.err.write("\r" + text.ljust(self.width))
        self.err.flush()

    def close(self) -> None:
        if self.width:
            self.err.write("\r" + " " * self.width + "\r")
            self.err.flush()


def load_for_generation(args: argparse.Namespace):
    """Check every generation flag, then load the model with a progress line: (loaded model, request)."""
    from workbench.core.catalog import Catalog
    from workbench.core.generation_data import GenerationRequest, prompt_token_ids, require_generator, require_prompt

    # Checked before the (slow) load, and before torch is imported, so that a typo costs nothing.
    settings = settings_from_args(args)
    settings.validate()
    catalog = Catalog()
    entry = catalog.default_entry() if args.model is None else catalog.resolve(args.model)
    require_generator(entry.name, entry.can_generate)
    require_prompt(args.prompt)
    if args.system and args.chat is False:
        raise InvalidSettingsError("--system is a chat turn, and --raw completes plain text: give one of them.")
    from workbench.core.loading import LoadSettings, load_model_blocking

    load_settings = LoadSettings(device=args.device, dtype=args.dtype, trust_remote_code=args.trust_remote_code)
    progress = _ProgressLine(sys.stderr)
    try:
        loaded = load_model_blocking(entry, load_settings, on_progress=progress)
    finally:
        progress.close()
    if args.system and not loaded.has_chat_template:
        raise InvalidSettingsError(
            f"{loaded.entry.name} has no chat template, so a --system message has nowhere to go: leave it out."
        )
    request = GenerationRequest(prompt=args.prompt, settings=settings, system_prompt=args.system, chat=args.chat,
                                prefill=args.prefill, prefill_ids=args.prefill_ids)
    note_unknown_tokens(loaded, prompt_token_ids(loaded, request))
    return loaded, request


def note_unknown_tokens(loaded, prompt_ids: list[int]) -> None:
    """As compare and perplexity say: the model reads something else than what was typed (a Chinese prompt to a
    model that learnt English characters only)."""
    from workbench.core.transformers_helpers import unknown_token_count

    unknown = unknown_token_count(loaded.tokenizer, prompt_ids)
    if unknown:
        print(f"note: {loaded.entry.name} has no token for part of the prompt: {unknown} of its {len(prompt_ids)} "
              "tokens are its unknown token, so it does not read the prompt as typed", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    loaded, request = load_for_generation(args)
    return run_generation(loaded, request, sys.stdout, args.json)
