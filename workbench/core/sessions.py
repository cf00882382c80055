"""Save and restore a working session: the editor's contents, the list of runs and the trees of generations.

The session is one JSON file written atomically, so a crash (even ``kill -9``)
leaves the previous save or the new one. A file that cannot be read is renamed
aside, never overwritten, and the caller gets a one-line message to show.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import types
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin, get_type_hints

from workbench.core import paths
from workbench.core.atomic import damaged_name, write_text_atomic
from workbench.core.errors import InvalidInputError
from workbench.core.generation_data import surprisal
from workbench.core.i18n import QT_TRANSLATE_NOOP, Text, text_from_data, text_to_data
from workbench.core.settings_fields import field_problems, settings_from_data, settings_to_data
from workbench.core.tree import GenerationTree

if TYPE_CHECKING:
    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation_data import GenerationRecord, GenerationResult, TokenEvent

SESSION_VERSION = 1
HISTORY_LIMIT = 30  # recent prompts kept for the history menu
MODEL_NAME_TEXT = "model_name_text"  # beside a run's model_name, when it is a marked text (a trained model's)


@dataclass(frozen=True)
class RunToken:
    """One generated token as the output view and the entropy strip show it: its text, probability,
    top alternatives and the raw distribution's entropy."""

    text: str
    prob: float
    alternatives: tuple[tuple[str, float], ...] = ()
    entropy: float | None = None  # nats; None in runs saved before entropies were kept
    label: str = ""  # the token read alone (a chip for a character's first bytes); "" in runs saved before labels

    @property
    def surprisal(self) -> float:
        """-log p of the token under the raw model, in nats."""
        return surprisal(self.prob)


@dataclass(frozen=True)
class RunSequence:
    text: str
    tokens: tuple[RunToken, ...] = ()


@dataclass(frozen=True)
class Run:
    """One generation: what was asked, with which settings, and what came back."""

    model_id: str
    model_name: str
    prompt: str
    system_prompt: str
    chat: bool | None
    settings: dict[str, Any]  # DecodingSettings as plain data (see settings_to_dict)
    seed: int | None
    sequences: tuple[RunSequence, ...]
    prompt_tokens: int
    stopped: bool
    time_to_first_token_s: float | None
    tokens_per_s: float
    elapsed_s: float
    created: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    prefill_text: str = ""  # what every sequence's text starts with (not generated, not coloured)

    @property
    def new_tokens(self) -> int:
        return sum(len(sequence.tokens) for sequence in self.sequences)

    @property
    def ended_at_first_step(self) -> bool:
        """The model chose to end the text at once: no answer has new text, and it was not stopped (an empty
        page that is no failure). The one token is the end of text."""
        return bool(self.sequences) and not self.stopped and all(
            len(sequence.tokens) <= 1 and sequence.text == self.prefill_text for sequence in self.sequences)


@dataclass
class EditorState:
    """What the person has typed and chosen but not necessarily run yet."""

    prompt: str = ""
    system_prompt: str = ""
    chat: bool = True
    prefill: str = ""  # the text the answer is made to start with
    settings: dict[str, Any] = field(default_factory=dict)  # empty = the engine's defaults
    seed_locked: bool = False
    history: list[str] = field(default_factory=list)  # most recent first
    page_texts: dict[str, str] = field(default_factory=dict)  # the Attention, Lens and Compare inputs, by page
    compare_columns: list[dict[str, Any]] = field(default_factory=list)  # comparison_store.column_to_data's

    def remember_prompt(self, prompt: str) -> None:
        if not prompt.strip():
            return
        self.history = [prompt] + [p for p in self.history if p != prompt]
        del self.history[HISTORY_LIMIT:]


@dataclass
class Session:
    editor: EditorState = field(default_factory=EditorState)
    runs: list[Run] = field(default_factory=list)
    trees: list[GenerationTree] = field(default_factory=list)  # newest first
    shown_run_id: str = ""  # the run whose answer was on screen ("" when none, or a tree node's)


@dataclass(frozen=True)
class OpenedSession:
    session: Session
    problem: str | None = None  # one line for the person when the saved file had to be set aside


def session_path() -> Path:
    return paths.data_dir() / "session.json"


# --- decoding settings as plain data -------------------------------------------


def settings_to_dict(settings: DecodingSettings) -> dict[str, Any]:
    return settings_to_data(settings)


def settings_from_dict(data: dict[str, Any]) -> DecodingSettings:
    """Rebuild settings saved by any version: unknown keys are dropped, missing ones take defaults."""
    from workbench.core.decoding import DecodingSettings

    return settings_from_data(DecodingSettings, data)


# --- runs ------------------------------------------------------------------------


def token_from_event(event: TokenEvent) -> RunToken:
    return RunToken(
        text=event.text,
        prob=float(event.prob),
        alternatives=tuple((alt.text, float(alt.prob)) for alt in event.alternatives),
        entropy=float(event.entropy),
        label=event.label,
    )


def sequences_from_result(result: GenerationResult) -> tuple[RunSequence, ...]:
    return tuple(
        RunSequence(text=sequence.text, tokens=tuple(token_from_event(token) for token in sequence.tokens))
        for sequence in result.sequences
    )


def run_from_record(record: GenerationRecord) -> Run:
    """The run worth keeping from a finished (or stopped) generation."""
    request, result = record.request, record.result
    return Run(
        model_id=record.loaded.entry.id,
        model_name=record.loaded.entry.name,
        prompt=request.prompt,
        system_prompt=request.system_prompt,
        chat=request.chat,
        settings=settings_to_dict(request.settings),
        seed=result.seed,
        sequences=sequences_from_result(result),
        prompt_tokens=len(result.prompt_token_ids),
        stopped=result.stopped,
        time_to_first_token_s=result.time_to_first_token_s,
        tokens_per_s=float(result.tokens_per_s),
        elapsed_s=float(result.elapsed_s),
        prefill_text=result.prefill_text,
    )


def _run_to_data(run: Run) -> dict[str, Any]:
    data = dataclasses.asdict(run)
    if isinstance(run.model_name, Text):  # a trained model's name: a window in another language translates it
        data[MODEL_NAME_TEXT] = text_to_data(run.model_name)
    return data


def _fits(value: Any, hint: Any) -> bool:
    """Whether a saved value has the type a field is annotated with (an int for a float; never a bool for
    a number); containers by their outer type."""
    if get_origin(hint) in (Union, types.UnionType):
        return any(_fits(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if hint in (int, float) and isinstance(value, bool):
        return False
    if hint is float:
        return isinstance(value, (int, float))
    return isinstance(value, get_origin(hint) or hint)


def _probability(value: Any) -> float:
    """A saved probability: a number from 0 to 1 (JSON as Python reads it has NaN and Infinity too)."""
    number = float(value)
    if not 0.0 <= number <= 1.0:  # NaN fails it too
        raise ValueError(f"a probability is {value!r:.40}")
    return number


def _entropy(value: Any) -> float:
    number = float(value)
    if not (math.isfinite(number) and number >= 0.0):
        raise ValueError(f"an entropy is {value!r:.40}")
    return number


def _run_from_data(data: dict[str, Any]) -> tuple[Run, list[str]]:
    """The run, and the keys of its decoding settings that were unreadable (left to their defaults). Raises
    ValueError when a field has the wrong type: a run the window cannot show is dropped whole."""
    for name, hint in get_type_hints(Run).items():
        if name in data and name != "sequences" and not _fits(data[name], hint):
            raise ValueError(f"{name} is {data[name]!r:.40}")
    settings, bad_settings = _readable_settings(data["settings"])
    data = dict(data)
    marked_name = text_from_data(data.pop(MODEL_NAME_TEXT, None))
    if marked_name is not None and marked_name == data["model_name"]:  # else a hand-edited name: the English one
        data["model_name"] = marked_name
    sequences = tuple(sequence_from_data(sequence) for sequence in data["sequences"])
    return Run(**{**data, "sequences": sequences, "settings": settings}), bad_settings


def sequence_from_data(data: dict[str, Any]) -> RunSequence:
    """A sequence as ``dataclasses.asdict`` wrote it; raises KeyError, TypeError or ValueError when it is not one."""
    return RunSequence(
        text=str(data["text"]),
        tokens=tuple(
            RunToken(
                text=str(token["text"]),
                prob=_probability(token["prob"]),
                alternatives=tuple((str(text), _probability(prob)) for text, prob in token.get("alternatives", ())),
                entropy=None if token.get("entropy") is None else _entropy(token["entropy"]),
                label=str(token.get("label", "")),
            )
            for token in data.get("tokens", ())
        ),
    )


def run_to_json(run: Run) -> str:
    return json.dumps(_run_to_data(run), indent=2, ensure_ascii=False)


def run_to_markdown(run: Run) -> str:
    def fence(text: str) -> str:
        ticks = "```"
        while ticks in text:  # a fence longer than any run of backticks inside
            ticks += "`"
        return f"{ticks}text\n{text}\n{ticks}"

    ttft = "-" if run.time_to_first_token_s is None else f"{run.time_to_first_token_s:.2f} s"
    lines = [
        f"# Run {run.created}",
        "",
        f"- Model: {run.model_name} (`{run.model_id}`)",
        f"- Mode: {'chat template' if run.chat is not False else 'raw text'}",
        f"- Seed: {run.seed if run.seed is not None else '-'}",
        f"- Prompt tokens: {run.prompt_tokens}; new tokens: {run.new_tokens}"
        + (" (stopped early)" if run.stopped else ""),
        f"- Time to first token: {ttft}; {run.tokens_per_s:.1f} tokens/s; {run.elapsed_s:.2f} s in all",
        "",
    ]
    if run.system_prompt:
        lines += ["## System prompt", "", fence(run.system_prompt), ""]
    lines += ["## Prompt", "", fence(run.prompt), ""]
    for index, sequence in enumerate(run.sequences, start=1):
        title = "## Output" if len(run.sequences) == 1 else f"## Output {index}"
        lines += [title, "", fence(sequence.text), ""]
    lines += ["## Decoding settings", "", fence(json.dumps(run.settings, indent=2, ensure_ascii=False)), ""]
    return "\n".join(lines)


def export_run(run: Run, path: Path) -> None:
    """Write ``run`` as Markdown (``.md``) or JSON (``.json``), chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        write_text_atomic(path, run_to_markdown(run))
    elif suffix == ".json":
        write_text_atomic(path, run_to_json(run))
    else:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Cannot export to '{name}': use a .json or .md file name.").fill(name=path.name)
        )


# --- the session file --------------------------------------------------------------


def session_to_data(session: Session) -> dict[str, Any]:
    return {
        "version": SESSION_VERSION,
        "editor": dataclasses.asdict(session.editor),
        "runs": [_run_to_data(run) for run in session.runs],
        "trees": [tree.to_data() for tree in session.trees],
        "shown_run_id": session.shown_run_id,
    }


def _read_session(data: Any) -> tuple[Session, list[str]]:
    """The session, and the names of the fields that were unreadable and so left at their defaults."""
    if not isinstance(data, dict) or data.get("version") != SESSION_VERSION:
        raise ValueError("not a workbench session of a known version")
    dropped: list[str] = []
    editor_data = data.get("editor", {})
    if not isinstance(editor_data, dict):
        dropped.append("editor")
        editor_data = {}
    editor = EditorState()
    for name, expected in _editor_field_types().items():
        if name not in editor_data:
            continue
        value = editor_data[name]
        if name == "history" and isinstance(value, list):
            value = [item for item in value if isinstance(item, str)]
        if name == "compare_columns" and isinstance(value, list):
            value = [item for item in value if isinstance(item, dict)]  # each read by the Compare page
        if name == "page_texts" and isinstance(value, dict):
            value = {page: text for page, text in value.items() if isinstance(text, str)}
        if name == "settings" and isinstance(value, dict):
            value, bad_keys = _readable_settings(value)
            dropped += [f"editor.settings.{key}" for key in bad_keys]
        if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
            setattr(editor, name, value)
        else:
            dropped.append(f"editor.{name}")
    runs: list[Run] = []
    runs_data = data.get("runs", [])
    for index, run_data in enumerate(runs_data if isinstance(runs_data, list) else []):
        try:
            run, bad_settings = _run_from_data(run_data)
        except (KeyError, TypeError, ValueError, AttributeError):
            dropped.append(f"runs[{index}]")
            continue
        runs.append(run)
        dropped += [f"runs[{index}].settings.{key}" for key in bad_settings]
    if not isinstance(runs_data, list):
        dropped.append("runs")
    trees: list[GenerationTree] = []
    trees_data = data.get("trees", [])
    for index, tree_data in enumerate(trees_data if isinstance(trees_data, list) else []):
        try:
            trees.append(GenerationTree.from_data(tree_data))
        except (InvalidInputError, KeyError, TypeError, ValueError, AttributeError):
            dropped.append(f"trees[{index}]")
    if not isinstance(trees_data, list):
        dropped.append("trees")
    shown_run_id = data.get("shown_run_id", "")
    if not isinstance(shown_run_id, str):
        dropped.append("shown_run_id")
        shown_run_id = ""
    return Session(editor=editor, runs=runs, trees=trees, shown_run_id=shown_run_id), dropped


def _editor_field_types() -> dict[str, type]:
    """Each EditorState field and the plain type its saved value must have (``list[str]`` -> list)."""
    return {name: get_origin(hint) or hint for name, hint in get_type_hints(EditorState).items()}


def _readable_settings(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The saved decoding settings each valid on its own (type, bounds, choices: the settings' own
    description), and the keys that were not. Combinations are left to the decoding panel to explain."""
    from workbench.core.decoding import DecodingSettings

    known = {field.name for field in dataclasses.fields(DecodingSettings)}
    bad = {problem.field for problem in field_problems(settings_from_dict(data))}
    kept = {key: value for key, value in data.items() if key in known and key not in bad}
    return kept, sorted(key for key in bad if key in data)


class _RunTexts:
    """Each run's JSON text, made once: a run does not change once made, and a session of many long runs took
    seconds to turn into JSON at every autosave, on the window's thread."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Run, str]] = {}  # by the run object's identity (a Run is not hashable)

    def texts(self, runs: list[Run]) -> list[str]:
        kept = {}
        for run in runs:
            cached = self._texts.get(id(run))
            if cached is None or cached[0] is not run:
                cached = (run, json.dumps(_run_to_data(run), ensure_ascii=False))
            kept[id(run)] = cached
        self._texts = kept  # runs removed from the session are forgotten
        return [text for _, text in kept.values()]


_run_texts = _RunTexts()


def session_to_json(session: Session) -> str:
    """``session_to_data`` as JSON text, each run's part made once (``_RunTexts``)."""
    data = session_to_data(Session(session.editor, [], session.trees, session.shown_run_id))
    head = json.dumps({key: value for key, value in data.items() if key != "runs"}, ensure_ascii=False)
    runs = ", ".join(_run_texts.texts(session.runs))
    return f'{head[:-1]}, "runs": [{runs}]}}'


def save_session(session: Session, path: Path | None = None) -> None:
    write_text_atomic(path or session_path(), session_to_json(session))


def open_session(path: Path | None = None) -> OpenedSession:
    """The saved session, a fresh one when there is none, or a fresh one plus a message
    when the file is damaged (it is renamed aside so nothing is lost). Fields that cannot
    be read are reset to their defaults with a message; the rest of the session is kept."""
    path = Path(path or session_path())
    if not path.exists():
        return OpenedSession(Session())
    try:
        session, dropped = _read_session(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        aside = damaged_name(path)
        try:
            path.replace(aside)
        except OSError:  # a folder that cannot be written: the file stays where it is, and no autosave replaces it
            aside = path
        return OpenedSession(
            Session(),
            problem=QT_TRANSLATE_NOOP(
                "Errors",
                "The saved session could not be read, so a new one was started; the old file was kept as {aside}.",
            ).fill(aside=str(aside)),
        )
    if not dropped:
        return OpenedSession(session)
    # The next autosave drops those values for good: keep the file as it was beside it.
    aside = damaged_name(path)
    try:
        shutil.copy2(path, aside)
    except OSError:  # as above
        aside = path
    return OpenedSession(
        session,
        problem=QT_TRANSLATE_NOOP(
            "Errors",
            "Some saved values could not be read and were reset ({names}); the rest of the session was kept, and the "
            "file as it was is kept as {aside}.",
        ).fill(names=", ".join(dropped), aside=str(aside)),
    )
