"""Load a catalog entry onto a device and dtype; GGUF files are converted once and cached.

GGUF loading dequantizes every tensor (SmolLM2: about 30 s on 2 cores, all stages). The result
is kept in the user cache as an ordinary Hugging Face folder keyed by the file's
SHA-256 and ``CONVERTER_VERSION``, so the next load of the same file is a plain
safetensors load. Every load runs transformers on a helper thread that reports each stage, and
within a stage each tensor (the GGUF tensor loop, transformers' "Loading weights" loop, the modules
whose tensor names are matched): the load yields one percentage over all its stages, weighted by
their measured share of the time, with the time left, and a cancel stops it at the next report.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import queue
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Generator, TypeVar

from workbench.core import paths
from workbench.core.atomic import atomic_directory
from workbench.core.catalog import HUB, Catalog, ModelEntry, folder_entry
from workbench.core.checkpoints import mark_opened, pinned_folder
from workbench.core.checksums import file_crc32
from workbench.core.devices import DTYPES, free_device_memory, resolve_device, resolve_dtype
from workbench.core.errors import (
    CancelledError,
    ModelLoadError,
    ModelNotFoundError,
    NonFiniteScoresError,
    RemoteCodeRefusedError,
    WorkbenchError,
)
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.jobs import CancelToken, drain
from workbench.core.progress import Stages
from workbench.core.settings_fields import DEVICE, setting
from workbench.core.transformers_helpers import (
    context_length_of,
    imports_in_turn,
    models_built_in_turn,
    quiet_transformers,
)

if TYPE_CHECKING:  # torch and transformers take seconds to import: the loading job imports them, not the window
    import torch

log = logging.getLogger(__name__)

# Bump when the conversion changes, so old cache entries are rebuilt rather than trusted.
CONVERTER_VERSION = 2  # 2: the config of a converted model no longer names GGUF
_CACHE_MARKER = "workbench-cache.json"
_WEIGHTS = "model.safetensors"

# Each stage's share of a load's time, measured on a 2-core machine (SmolLM2-135M Q4_1: 30 s for the
# first load of the GGUF file, under 1 s from the cache), so one percentage moves through every stage.
_READING = QT_TRANSLATE_NOOP("LoadProgress", "Reading the configuration and tokenizer")
# transformers' own name for its loop over the tensors
_WEIGHTS_LOOP = QT_TRANSLATE_NOOP("LoadProgress", "Loading weights")
_MOVING = QT_TRANSLATE_NOOP("LoadProgress", "Moving to the device")
_FOLDER_STAGES = {_READING: 0.23, _WEIGHTS_LOOP: 0.37, _MOVING: 0.03}
FOLDER_LOAD_STAGES = tuple(_FOLDER_STAGES)  # what every load of a folder (a packaged model's too) shows
_VERIFYING = QT_TRANSLATE_NOOP("LoadProgress", "Verifying cached weights")
_CACHED_GGUF_STAGES = {_VERIFYING: 0.21, **_FOLDER_STAGES}
_CHECKING = QT_TRANSLATE_NOOP("LoadProgress", "Checking the GGUF file")
_TOKENIZER_METADATA = QT_TRANSLATE_NOOP("LoadProgress", "Reading the tokenizer from the GGUF file")
_BUILDING_TOKENIZER = QT_TRANSLATE_NOOP("LoadProgress", "Building the tokenizer")
_CONFIG_METADATA = QT_TRANSLATE_NOOP("LoadProgress", "Reading the model settings from the GGUF file")
_TENSOR_INDEX = QT_TRANSLATE_NOOP("LoadProgress", "Reading the GGUF tensor index")
_TENSOR_NAMES = QT_TRANSLATE_NOOP("LoadProgress", "Matching tensor names")
_CONVERTING = QT_TRANSLATE_NOOP("LoadProgress", "Converting GGUF weights")
_SAVING = QT_TRANSLATE_NOOP("LoadProgress", "Saving converted weights to the cache")
_GGUF_STAGES = {
    _CHECKING: 3.1,
    _TOKENIZER_METADATA: 4.4,
    _BUILDING_TOKENIZER: 0.3,
    _CONFIG_METADATA: 3.4,
    _TENSOR_INDEX: 3.7,
    _TENSOR_NAMES: 6.3,
    _CONVERTING: 2.2,
    _WEIGHTS_LOOP: 0.1,
    _SAVING: 1.1,
    _READING: 0.6,
    _MOVING: 0.03,
}  # after saving, the converted copy is read back (_READING, then weights the bar has already passed)
_CONVERSION_ONLY = _GGUF_STAGES.keys() - _FOLDER_STAGES.keys()  # the stages a second load of the file skips
_FIRST_LOAD = QT_TRANSLATE_NOOP("LoadProgress", " (first load only)")

Result = TypeVar("Result")


@dataclass(frozen=True)
class LoadSettings:
    device: str = setting(
        "auto",
        label=QT_TRANSLATE_NOOP("LoadSettings", "Device"),
        kind=DEVICE,
        help=QT_TRANSLATE_NOOP(
            "LoadSettings", "Where the model runs: auto (a GPU when there is one), cpu, cuda, cuda:N or mps."
        ),
    )
    dtype: str = setting(
        "auto",
        label=QT_TRANSLATE_NOOP("LoadSettings", "Data type"),
        choices=("auto", *DTYPES),
        help=QT_TRANSLATE_NOOP(
            "LoadSettings",
            "Number format of the weights. float32 is exact and safe on a CPU; bfloat16 and float16 halve the memory "
            "on a GPU. Auto: bfloat16 on a GPU that has it, else float16; float32 on the CPU.",
        ),
    )
    # Eager attention so the attention panel can read the weights (SDPA returns none).
    attn_implementation: str = "eager"
    # Models that ship their own Python code (an ``auto_map``) load only when the person allowed it.
    trust_remote_code: bool = setting(
        False,
        label=QT_TRANSLATE_NOOP("LoadSettings", "Trust remote code"),
        help=QT_TRANSLATE_NOOP(
            "LoadSettings", "Allow a model that ships its own Python code to run it (read that code first)."
        ),
    )


@dataclass(frozen=True)
class LoadProgress:
    stage: str  # a short sentence for the status line, e.g. "Converting GGUF weights"
    fraction: float | None = None  # 0..1 when known
    seconds_left: float | None = None  # estimated from the pace so far, when there is one
    first_load_only: bool = False  # a stage of a GGUF file's conversion, which later loads skip

    @property
    def text(self) -> str:
        return self.stage + (_FIRST_LOAD if self.first_load_only else "")


@dataclass
class LoadedModel:
    """A model ready to use. Jobs on it (generation, attention capture) hold ``lock``
    so that they run one after the other, never at once."""

    entry: ModelEntry
    model: torch.nn.Module
    tokenizer: object
    device: torch.device
    dtype: torch.dtype
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def can_generate(self) -> bool:
        return self.entry.can_generate and hasattr(self.model, "generate")

    def not_finite(self) -> NonFiniteScoresError:
        """The error to raise when this model's scores hold NaN or infinity."""
        return NonFiniteScoresError(self.entry.name, str(self.dtype).removeprefix("torch."))

    @property
    def is_encoder_decoder(self) -> bool:
        return bool(getattr(self.model.config, "is_encoder_decoder", False))

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    @property
    def context_length(self) -> int | None:
        """Longest sequence the model was built for, or None when it does not say."""
        return context_length_of(self.model, self.tokenizer)

    @property
    def slides_past_context(self) -> bool:
        """Models trained here read only their last ``context_length`` tokens, so they can
        generate past it; pretrained models cannot."""
        return bool(getattr(self.model.config, "slides_past_context", False))

    def window_start(self, count: int) -> int:
        """Where the model's reading of a text of ``count`` tokens starts: past its context, a model trained here
        reads its last ``context_length`` tokens only (the lens and attention of a long generation read as much)."""
        limit = self.context_length
        return max(0, count - limit) if self.slides_past_context and limit is not None else 0

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def memory_bytes(self) -> int:
        tensors = list(self.model.parameters()) + list(self.model.buffers())
        unique = {t.data_ptr(): t.numel() * t.element_size() for t in tensors}  # tied weights count once
        return sum(unique.values())

    def unload(self) -> None:
        """Drop the weights now rather than whenever the garbage collector gets to them."""
        with self.lock:
            self.model.to("meta")
        free_device_memory(self.device)


def _auto_class(config):
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if getattr(config, "is_encoder_decoder", False):
        return AutoModelForSeq2SeqLM
    architectures = getattr(config, "architectures", None) or []
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures):
        return AutoModelForCausalLM
    if not architectures and config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return AutoModelForCausalLM
    return AutoModel


def _load_folder(location: str, settings: LoadSettings, dtype: torch.dtype, **hub_options):
    from transformers import AutoConfig, AutoTokenizer

    _report(_READING)
    # Said explicitly either way: left unset, transformers would ask on the terminal and wait.
    trust = _allowed_remote_code(location, settings, hub_options)
    config = AutoConfig.from_pretrained(location, trust_remote_code=trust, **hub_options)
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=trust, **hub_options)
    except (ValueError, OSError) as error:
        _explain_a_tokenizer_without_vocabulary(location, error)
        raise
    with models_built_in_turn():
        model, loading = _auto_class(config).from_pretrained(
            location,
            config=config,
            dtype=dtype,
            attn_implementation=settings.attn_implementation,
            trust_remote_code=trust,
            output_loading_info=True,
            **hub_options,
        )
    _refuse_missing_weights(location, loading)
    return model, tokenizer


# The files a tokenizer's vocabulary is in, one of which a tokenizer_config.json normally comes with.
_VOCABULARY_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "vocab.txt", "spiece.model",
                     "sentencepiece.bpe.model")


def _explain_a_tokenizer_without_vocabulary(location: str, error: Exception) -> None:
    """A folder whose tokenizer_config.json lost its vocabulary file (say tokenizer.json, not copied along): said
    as such, where transformers says it "couldn't instantiate the backend tokenizer from one of: " nothing."""
    folder = Path(location)
    if folder.is_dir() and not any((folder / name).is_file() for name in _VOCABULARY_FILES):
        raise ModelLoadError(QT_TRANSLATE_NOOP(
            "Errors", "{location} has no tokenizer vocabulary: tokenizer.json (or another vocabulary file) is "
            "missing beside its tokenizer_config.json. Copy the tokenizer files in with the model's.").fill(
                location=location)) from error


_POOLER = re.compile(r"(\w+\.)?pooler\.")  # "pooler.dense.weight", "bert.pooler.dense.bias"


def _refuse_missing_weights(location: str, loading: dict) -> None:
    """transformers fills the weights a model's files lack with random numbers and says so only in a log line
    (a LoRA merge saved under other names, a file cut short): every number shown would be noise, and another
    noise at each load. Weights the model itself may lack (tied to others, rebuilt on load) are not listed."""
    # A masked-LM checkpoint (BERT, RoBERTa) has no pooler, which AutoModel adds: the workbench never reads it.
    missing = sorted(str(name) for name in loading.get("missing_keys") or () if not _POOLER.match(str(name)))
    if missing:
        shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
        raise ModelLoadError(QT_TRANSLATE_NOOP(
            "Errors", "{location} could not be loaded: {count} of the model's weights are not in its files "
            "({names}); they would be random numbers.").fill(location=location, count=len(missing), names=shown))


def remote_code_files(location: str, **hub_options) -> list[str]:
    """The Python files a model's ``auto_map`` (config or tokenizer) would import, read without running them."""
    from transformers import PretrainedConfig
    from transformers.models.auto.tokenization_auto import get_tokenizer_config

    auto_maps = []
    try:
        auto_maps.append(PretrainedConfig.get_config_dict(location, **hub_options)[0].get("auto_map") or {})
    except (OSError, ValueError):
        pass  # no readable config: the load itself reports that
    try:
        auto_maps.append(get_tokenizer_config(location, **hub_options).get("auto_map") or {})
    except (OSError, ValueError):
        pass
    modules: list[str] = []
    for auto_map in auto_maps:
        for reference in auto_map.values():
            for name in reference if isinstance(reference, (list, tuple)) else [reference]:
                if isinstance(name, str) and name:
                    module = name.split("--")[-1].rsplit(".", 1)[0] + ".py"  # "repo--module.Class" -> module.py
                    modules.append(module)
    folder = Path(location)
    return sorted({str(folder / module) if folder.is_dir() else f"{module} (from {location})" for module in modules})


def _allowed_remote_code(location: str, settings: LoadSettings, hub_options: dict) -> bool:
    files = remote_code_files(location, **hub_options)
    if files and not settings.trust_remote_code:
        raise RemoteCodeRefusedError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "{location} ships its own Python code, which would run on this machine: {files}. "
                "Read it first; load with --trust-remote-code (or confirm in the window) only if you trust it.",
            ).fill(location=location, files=", ".join(files)),
            files,
        )
    return bool(files)


# --- GGUF conversion cache -------------------------------------------------------


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def gguf_cache_dir(gguf_path: Path) -> Path:
    key = f"{file_sha256(gguf_path)[:32]}-v{CONVERTER_VERSION}"
    return paths.cache_dir() / "gguf" / key


def _cache_problem(folder: Path, cancel: CancelToken, stages: Stages) -> Generator[LoadProgress, None, str | None]:
    """Why the cache entry cannot be trusted ("" when it is missing); None when every file still has
    the size and CRC-32 recorded when it was written. Yields the verification's progress."""
    try:
        marker = json.loads((folder / _CACHE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    checksums = marker.get("file_crc32")
    if marker.get("converter_version") != CONVERTER_VERSION or not isinstance(checksums, dict) or not checksums:
        return "it was written by another version"
    sizes = marker.get("file_sizes", {})
    total = sum(sizes.values()) or 1
    done = 0
    for name, expected in checksums.items():
        file = folder / name
        if not file.is_file() or file.stat().st_size != sizes.get(name):
            return f"{name} is missing or has changed size"
        yield _progress(stages, _VERIFYING, done / total)
        cancel.raise_if_cancelled()
        if file_crc32(file) != expected:
            return f"{name} does not match its checksum"
        done += sizes[name]
    return None


def _write_cache(folder: Path, model, tokenizer, source: Path, stages: Stages) -> Generator[LoadProgress, None, None]:
    from safetensors.torch import save_model

    with atomic_directory(folder) as staging:
        # save_pretrained refuses GGUF-loaded models; write the pieces ourselves. The weights are
        # dequantized floats, so the config says nothing of GGUF: a model loaded from here saves, fine-tunes
        # and snapshots like any other.
        config = copy.deepcopy(model.config)
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        config.save_pretrained(staging)
        if getattr(model, "generation_config", None) is not None:
            model.generation_config.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        # Measured: the weights take about two thirds of the writing, their checksums the rest.
        yield _progress(stages, _SAVING, 0.05)
        # save_model (unlike save_file) drops the duplicate of tied embeddings instead of failing.
        save_model(model, str(staging / _WEIGHTS), metadata={"format": "pt"})
        files = [p for p in staging.iterdir() if p.is_file()]
        sizes = {p.name: p.stat().st_size for p in files}
        checksums, summed = {}, 0
        for file in files:
            yield _progress(stages, _SAVING, 0.65 + 0.35 * summed / (sum(sizes.values()) or 1))
            checksums[file.name] = file_crc32(file)
            summed += sizes[file.name]
        marker = {
            "converter_version": CONVERTER_VERSION,
            "source": str(source),
            "file_sizes": sizes,
            "file_crc32": checksums,
        }
        (staging / _CACHE_MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
    yield _progress(stages, _SAVING, 1.0)


def _convert_gguf(path: Path, dtype: torch.dtype):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _check_gguf_header(path)
    _report(_TOKENIZER_METADATA)
    try:
        _progress_hooks.after_metadata = _BUILDING_TOKENIZER
        tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        _report(_CONFIG_METADATA)
        _progress_hooks.after_metadata = _TENSOR_INDEX
        with models_built_in_turn():
            model = AutoModelForCausalLM.from_pretrained(
                path.parent, gguf_file=path.name, dtype=torch.float32, attn_implementation="eager"
            )
    except WorkbenchError:
        raise
    except Exception as error:
        raise ModelLoadError(
            QT_TRANSLATE_NOOP("Errors", "{name} could not be read as a GGUF model ({kind}: {reason}).").fill(
                name=path.name, kind=type(error).__name__, reason=str(error)
            )
        ) from error
    return model, tokenizer


# Per thread: where the load running on that thread reports (``_with_progress`` sets it), and
# which stage follows a GGUF metadata read.
_progress_hooks = threading.local()


def _report(stage: str, within: float = 0.0) -> None:
    report = getattr(_progress_hooks, "report", None)
    if report is not None:
        report(stage, within)


def _counting(items, stage: str, total: int):
    """Iterates ``items``, reporting to the loading thread the share of them done in ``stage``."""
    for done, item in enumerate(items):
        _report(stage, done / max(total, 1))
        yield item
    _report(stage, 1.0)


class _CountingBar:
    """A transformers progress bar whose loop also reports to the loading thread."""

    def __init__(self, bar, stage: str, total: int) -> None:
        self._bar, self._stage, self._total = bar, stage, total

    def __iter__(self):
        return _counting(self._bar, self._stage, self._total)

    def __enter__(self):
        return self

    def __exit__(self, *exception) -> None:
        self._bar.__exit__(*exception)

    def __getattr__(self, name: str):
        return getattr(self._bar, name)


def _install_progress_hooks() -> None:
    """Once per process. Each hook reports only to a thread that asked (``_with_progress``), so loads
    on other threads are unaffected, and no bar is drawn on stderr (``quiet_transformers``)."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    if getattr(_install_progress_hooks, "installed", False):
        return
    _install_progress_hooks.installed = True
    previous_hook = hf_logging.set_tqdm_hook(None)

    def loading_weights_bar(factory, args, kwargs):
        bar = previous_hook(factory, args, kwargs) if previous_hook is not None else factory(*args, **kwargs)
        if kwargs.get("desc") == _WEIGHTS_LOOP and args and hasattr(args[0], "__len__"):
            return _CountingBar(bar, _WEIGHTS_LOOP, len(args[0]))
        return bar

    hf_logging.set_tqdm_hook(loading_weights_bar)
    # The GGUF loader's one use of tqdm is its tensor loop.
    gguf_utils.tqdm = lambda tensors, *_args, **_kwargs: _counting(tensors, _CONVERTING, len(tensors))
    read_checkpoint = gguf_utils.load_gguf_checkpoint
    map_names = gguf_utils.get_gguf_hf_weights_map

    def load_gguf_checkpoint(*args, **kwargs):
        loaded = read_checkpoint(*args, **kwargs)
        if not kwargs.get("return_tensors"):  # a read of the metadata only: the next stage begins
            _report(getattr(_progress_hooks, "after_metadata", _TENSOR_INDEX))
        return loaded

    def get_gguf_hf_weights_map(model, *args, **kwargs):
        # Called once per module, recursively: the tensor index has been read when the first call comes.
        if getattr(_progress_hooks, "modules_left", None) is None:
            _progress_hooks.modules_total = sum(1 for _ in model.modules()) if model is not None else 1
            _progress_hooks.modules_left = _progress_hooks.modules_total
            try:
                return map_names(model, *args, **kwargs)
            finally:
                _progress_hooks.modules_left = None
        _progress_hooks.modules_left -= 1
        _report(_TENSOR_NAMES, 1 - _progress_hooks.modules_left / _progress_hooks.modules_total)
        return map_names(model, *args, **kwargs)

    gguf_utils.load_gguf_checkpoint = load_gguf_checkpoint
    gguf_utils.get_gguf_hf_weights_map = get_gguf_hf_weights_map


_CANCEL_POLL_S = 0.1


def _progress(stages: Stages, stage: str, within: float = 0.0) -> LoadProgress:
    fraction, seconds_left = stages.at(stage, within)
    return LoadProgress(stage, fraction, seconds_left, first_load_only=stage in _CONVERSION_ONLY)


def _with_progress(
    work: Callable[[], Result], stages: Stages, cancel: CancelToken
) -> Generator[LoadProgress, None, Result]:
    """``work()`` on a helper thread, yielding the stages and fractions it reports as one percentage
    with the time left; a cancel stops it at its next report."""
    reports: queue.Queue[LoadProgress | None] = queue.Queue()
    outcome: dict[str, object] = {}

    def report(stage: str, within: float) -> None:
        cancel.raise_if_cancelled()
        reports.put(_progress(stages, stage, within))

    def run() -> None:
        _progress_hooks.report = report
        try:
            outcome["result"] = work()
        except BaseException as error:  # handed to the loading thread, which raises it
            outcome["error"] = error
        finally:
            reports.put(None)

    helper = threading.Thread(target=run, name="workbench-load", daemon=True)
    helper.start()
    while True:
        try:
            progress = reports.get(timeout=_CANCEL_POLL_S)
        except queue.Empty:
            # A step that reports nothing for long (reading a GGUF file's index, a library's own work): a cancel
            # lands here all the same (closing the window waited 15-36 s), and the helper, abandoned, stops at its
            # next report; its result is dropped.
            if cancel.cancelled:
                helper.join(_CANCEL_POLL_S)  # one that stops at its next report is gone before this returns
                cancel.raise_if_cancelled()
            continue
        if progress is None:
            break
        yield progress
    helper.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _check_gguf_header(path: Path) -> None:
    """Catch files that are not GGUF, or are cut short, before the slow conversion starts."""
    from gguf import GGUFReader

    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelLoadError(
                QT_TRANSLATE_NOOP(
                    "Errors", "{name} is not a GGUF file (it does not start with the GGUF signature)."
                ).fill(name=path.name)
            )
    try:
        reader = GGUFReader(str(path))
    except Exception as error:
        raise ModelLoadError(
            QT_TRANSLATE_NOOP("Errors", "{name} is a damaged or truncated GGUF file ({reason}).").fill(
                name=path.name, reason=str(error)
            )
        ) from error
    size = path.stat().st_size
    for tensor in reader.tensors:
        if tensor.data_offset + tensor.n_bytes > size:
            raise ModelLoadError(
                QT_TRANSLATE_NOOP("Errors", "{name} is truncated: tensor {tensor} runs past the end of the file.").fill(
                    name=path.name, tensor=tensor.name
                )
            )


def _load_gguf(path: Path, settings: LoadSettings, dtype: torch.dtype, cancel: CancelToken):
    if not path.is_file():
        raise ModelNotFoundError(QT_TRANSLATE_NOOP("Errors", "GGUF file not found: {path}").fill(path=path))
    folder = gguf_cache_dir(path)
    cached = Stages(_CACHED_GGUF_STAGES)
    problem = yield from _cache_problem(folder, cancel, cached)
    if problem is None:
        try:
            loaded = yield from _with_progress(lambda: _load_folder(str(folder), settings, dtype), cached, cancel)
            return loaded, cached
        except CancelledError:
            raise
        except Exception as error:  # a damaged entry is rebuilt, never trusted
            problem = f"it could not be loaded: {type(error).__name__}"
    if problem:
        log.warning("The converted copy of %s in the cache is damaged (%s): converting again.", path.name, problem)
    cancel.raise_if_cancelled()
    stages = Stages(_GGUF_STAGES)
    yield _progress(stages, _CHECKING)
    model, tokenizer = yield from _with_progress(lambda: _convert_gguf(path, dtype), stages, cancel)
    cancel.raise_if_cancelled()
    try:
        yield from _write_cache(folder, model, tokenizer, path, stages)
    except OSError as error:  # a cache that cannot be written (read-only, full): this load goes on from memory
        log.warning("The converted copy of %s cannot be cached in %s (%s): it is converted at every load.",
                    path.name, folder.parent, error)
        return (model.to(dtype), tokenizer), stages
    _remove_older_conversions(folder)
    del model  # the converted copy is read back: every load of a GGUF model then comes from the same files
    loaded = yield from _with_progress(lambda: _load_folder(str(folder), settings, dtype), stages, cancel)
    return loaded, stages


def _remove_older_conversions(folder: Path) -> None:
    """Converted copies of the same GGUF file by an earlier converter version take disk for nothing."""
    source_key = folder.name.rsplit("-v", 1)[0]
    for older in folder.parent.glob(f"{source_key}-v*"):
        if older != folder and older.is_dir():
            shutil.rmtree(older, ignore_errors=True)


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    """A quick look before transformers' own retries, which take half a minute to give up."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
        return True
    except OSError:
        return False


def _load_hub(hub_id: str, settings: LoadSettings, dtype: torch.dtype):
    from huggingface_hub import constants

    try:
        return _load_folder(hub_id, settings, dtype, local_files_only=True)
    except OSError:
        pass  # not cached yet: try the network below
    if constants.HF_HUB_OFFLINE:
        raise ModelNotFoundError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "'{hub_id}' is not in the Hugging Face cache ({cache}) and hub access is switched off "
                "(HF_HUB_OFFLINE): download it where you are online, or open a local folder.",
            ).fill(hub_id=hub_id, cache=constants.HF_HUB_CACHE)
        )
    if not _hub_reachable():
        raise ModelNotFoundError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "'{hub_id}' is not in the Hugging Face cache ({cache}) and the hub cannot be reached from here: "
                "connect to the network once, or copy the model's files into a folder and open that folder.",
            ).fill(hub_id=hub_id, cache=constants.HF_HUB_CACHE)
        )
    try:
        return _load_folder(hub_id, settings, dtype)
    except OSError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelNotFoundError(
            QT_TRANSLATE_NOOP("Errors", "Could not get '{hub_id}' from the Hugging Face hub: {reason}").fill(
                hub_id=hub_id, reason=reason
            )
        ) from error


def load_model(
    entry: ModelEntry, settings: LoadSettings = LoadSettings(), cancel: CancelToken | None = None
) -> Generator[LoadProgress, None, LoadedModel]:
    """Load ``entry``; yields its stages and returns the LoadedModel. Cancel is checked between stages."""
    cancel = cancel or CancelToken()
    with imports_in_turn():
        # Imported here: transformers takes seconds to import, and the window imports this module at start.
        from transformers import AutoConfig, AutoTokenizer  # noqa: F401  (their modules, before the panels')

        from workbench.core.architectures import register_architectures

        quiet_transformers()
        register_architectures()  # models trained in the workbench load like any other
    device = resolve_device(settings.device)
    dtype = resolve_dtype(settings.dtype, device)
    _install_progress_hooks()
    yield LoadProgress(QT_TRANSLATE_NOOP("LoadProgress", "Locating {name}").fill(name=entry.name))
    location = entry.resolve_location()
    cancel.raise_if_cancelled()
    if location.lower().endswith(".gguf"):
        (model, tokenizer), stages = yield from _load_gguf(Path(location), settings, dtype, cancel)
    elif entry.source == HUB:
        # Downloads come first, of unknown length: no fraction until the weights are read.
        yield LoadProgress(
            QT_TRANSLATE_NOOP("LoadProgress", "Fetching {id} from the Hugging Face cache or hub").fill(id=entry.id)
        )
        stages = Stages(_FOLDER_STAGES)
        model, tokenizer = yield from _with_progress(lambda: _load_hub(location, settings, dtype), stages, cancel)
    else:
        stages = Stages(_FOLDER_STAGES)
        model, tokenizer = yield from _with_progress(
            lambda: _load_folder_checked(location, settings, dtype), stages, cancel
        )
    cancel.raise_if_cancelled()
    yield _progress(stages, _MOVING)
    model = model.to(device=device, dtype=dtype).eval()
    yield _progress(stages, _MOVING, 1.0)
    return LoadedModel(entry=entry, model=model, tokenizer=tokenizer, device=device, dtype=dtype)


def open_model(
    entry: ModelEntry, settings: LoadSettings = LoadSettings(), cancel: CancelToken | None = None
) -> Generator[LoadProgress, None, LoadedModel]:
    """``load_model`` for a model a person opens to work with (the window's model bar, a Compare column): a run's
    kept step, once loaded, is marked opened, so the run's thinning keeps it (a tree or a comparison made with it
    may need it again), and a run's resume checkpoint is loaded as the kept step it is pinned to
    (``pinned_folder``), since the run rewrites the checkpoint when it goes on. Reading a step to draw it (the
    scrubber, the drift view, a command) marks nothing."""
    if entry.location:
        pinned = pinned_folder(entry.location)
        if pinned != Path(entry.location):
            Catalog().register_trained(pinned)  # listed with the run's other steps, wherever the run's folder is
            entry = folder_entry(pinned, source=entry.source)
    loaded = yield from load_model(entry, settings, cancel)
    if entry.location:  # a packaged model locates its files itself: never a run's step
        mark_opened(entry.location)
    return loaded


# Any one of these in a folder is a tokenizer transformers can read (fast, or one it converts; a config alone:
# a byte-level tokenizer such as ByT5's needs no vocabulary).
_TOKENIZER_FILES = ("tokenizer_config.json", *_VOCABULARY_FILES)


def _load_folder_checked(location: str, settings: LoadSettings, dtype: torch.dtype):
    folder = Path(location)
    if folder.is_dir() and not any((folder / name).is_file() for name in _TOKENIZER_FILES):
        raise ModelLoadError(QT_TRANSLATE_NOOP(
            "Errors", "{location} has no tokenizer (tokenizer.json or tokenizer_config.json is missing): copy the "
            "tokenizer files in with the model's.").fill(location=location))
    if folder.is_dir():
        _check_readable(folder)
    try:
        return _load_folder(location, settings, dtype)
    except WorkbenchError:
        raise
    except Exception as error:
        raise ModelLoadError(
            QT_TRANSLATE_NOOP("Errors", "{location} could not be loaded as a model ({kind}: {reason}).").fill(
                location=location, kind=type(error).__name__, reason=_first_line(str(error))
            )
        ) from error


def _check_readable(folder: Path) -> None:
    """Each file of the folder can be opened: safetensors reports a file it may not read as "No such file",
    which sends a person looking for a file that is there."""
    for path in sorted(folder.iterdir()):
        if path.is_file():
            try:
                path.open("rb").close()
            except PermissionError as error:
                raise ModelLoadError(QT_TRANSLATE_NOOP(
                    "Errors", "{path} is there but may not be read ({reason}): give yourself read access to the "
                    "model's files (chmod u+r), or copy the model where you can.").fill(
                        path=str(path), reason=error.strerror or "permission denied")) from error


def _first_line(text: str) -> str:
    """A library's message cut to its first line: an error is one line (the rest is advice like pip commands)."""
    return text.strip().splitlines()[0] if text.strip() else text


def load_model_blocking(
    ref: str | ModelEntry,
    settings: LoadSettings = LoadSettings(),
    catalog: Catalog | None = None,
    on_progress: Callable[[LoadProgress], None] | None = None,
    cancel: CancelToken | None = None,
) -> LoadedModel:
    """Resolve ``ref`` (id, path or hub id) and load it on this thread."""
    entry = ref if isinstance(ref, ModelEntry) else (catalog or Catalog()).resolve(ref)
    return drain(load_model(entry, settings, cancel), on_progress)
