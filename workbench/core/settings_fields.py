"""Settings described once. Each field of a settings dataclass carries its label, help, bounds and
section (``setting(...)``); the one validation here reads them, and the CLI flags (cli/options.py) and
the Qt forms (qt/common/settings_form.py) are generated from the same description.

Labels and help are plain English; the Qt layer translates them with one context per settings class.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import InvalidSettingsError
from workbench.core.i18n import Text

_METADATA_KEY = "setting"

# What a text field names, for the forms and flags that offer a picker for it.
DEVICE = "device"  # auto, cpu, cuda, cuda:N or mps
FOLDER = "folder"  # a folder on disk
ESCAPED = "escaped"  # texts that may hold a new line or be blank: a form writes them with escapes (\n, \t, \\)


@dataclass(frozen=True)
class SettingInfo:
    """How one setting is shown and which values it accepts."""

    label: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False  # the minimum itself is not allowed (e.g. temperature > 0)
    exclusive_maximum: bool = False
    # The range a form's control offers, where the valid range is open-ended, excludes its end or is
    # too wide to drag through (like Blender's soft_min/soft_max); the valid range when left out.
    soft_minimum: float | None = None
    soft_maximum: float | None = None
    step: float | None = None
    decimals: int = 0  # digits after the point a form shows; 0 for whole numbers
    section: str = ""
    choices: tuple[tuple[Any, str], ...] = ()  # (value, label) pairs
    special: str = ""  # what the control shows at its minimum (or when empty), which means "off" or "automatic"
    kind: str = ""  # DEVICE or FOLDER for text that names one, ESCAPED for texts a form writes with escapes

    @property
    def choice_values(self) -> tuple[Any, ...]:
        return tuple(value for value, _ in self.choices)


def setting(
    default: Any = dataclasses.MISSING,
    *,
    label: str,
    help: str,
    choices: Mapping[Any, str] | Iterable[Any] = (),
    **description: Any,
) -> Any:
    """A dataclass field described once; ``description`` takes the other ``SettingInfo`` fields.
    ``choices`` is a sequence of values or a mapping of value to label."""
    pairs = tuple(choices.items()) if isinstance(choices, Mapping) else tuple((value, str(value)) for value in choices)
    info = SettingInfo(label=label, help=help, choices=pairs, **description)
    return dataclasses.field(default=default, metadata={_METADATA_KEY: info})


@dataclass(frozen=True)
class DescribedField:
    """One described field of a settings class, with its value type read from the annotation."""

    name: str
    info: SettingInfo
    value_type: type  # bool, int, float, str or tuple (of str)
    optional: bool  # None is a valid value ("automatic", "none chosen")
    default: Any  # dataclasses.MISSING when the field must be given

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING

    @property
    def soft_range(self) -> tuple[float | None, float | None]:
        info = self.info
        low = info.soft_minimum if info.soft_minimum is not None else info.minimum
        high = info.soft_maximum if info.soft_maximum is not None else info.maximum
        return low, high


def _value_type(hint: Any) -> tuple[type, bool]:
    """The plain type behind an annotation, and whether it allows None."""
    arguments = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = [argument for argument in arguments if argument is not type(None)]
        return _value_type(inner[0])[0], len(inner) < len(arguments)
    if typing.get_origin(hint) is typing.Literal:
        return type(arguments[0]), False
    if typing.get_origin(hint) is tuple:
        return tuple, False
    return hint, False


@functools.cache
def described_fields(settings_class: type) -> tuple[DescribedField, ...]:
    """The fields of ``settings_class`` declared with ``setting()``, in declaration order."""
    hints = typing.get_type_hints(settings_class)
    described = []
    for field in dataclasses.fields(settings_class):
        info = field.metadata.get(_METADATA_KEY)
        if info is not None:
            value_type, optional = _value_type(hints[field.name])
            described.append(DescribedField(field.name, info, value_type, optional, field.default))
    return tuple(described)


def described_field(settings_class: type, name: str) -> DescribedField:
    return next(field for field in described_fields(settings_class) if field.name == name)


# --- validation ----------------------------------------------------------------------------


class Problem(Text):
    """One sentence saying what is wrong, tagged with the field it is about (None: several fields),
    so that a form can word it for its own context. A marked message stays translatable."""

    field: str | None

    def __new__(cls, message: str, field: str | None = None) -> Problem:
        if isinstance(message, Text):
            problem = super().__new__(cls, message.context, message.template, message.values)
        else:
            problem = super().__new__(cls, "", message)
        problem.field = field
        return problem


def shown(value: Any) -> str:
    """A value as a message quotes it: 0.001 not 0.0010000, 'text' quoted."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _range_text(info: SettingInfo) -> str:
    low, high = info.minimum, info.maximum
    above = f"greater than {shown(low)}" if info.exclusive_minimum else f"at least {shown(low)}"
    under = f"below {shown(high)}" if info.exclusive_maximum else f"at most {shown(high)}"
    if low is None:
        return under
    if high is None:
        return above
    if not (info.exclusive_minimum or info.exclusive_maximum):
        return f"between {shown(low)} and {shown(high)}"
    return f"{above} and {under}"


def _in_range(info: SettingInfo, value: float) -> bool:
    if info.minimum is not None and (value <= info.minimum if info.exclusive_minimum else value < info.minimum):
        return False
    return info.maximum is None or (value < info.maximum if info.exclusive_maximum else value <= info.maximum)


def _field_problem(field: DescribedField, value: Any) -> str | None:
    info, kind = field.info, field.value_type
    if value is None:
        return None if field.optional else f"{info.label} must be given."
    if kind is bool:
        return None if isinstance(value, bool) else f"{info.label} must be true or false (it is {shown(value)})."
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, int if kind is int else (int, float)):
            kind_text = "a whole number" if kind is int else "a number"
            it_is = repr(value) if isinstance(value, float) else shown(value)  # 16.0, which shown() writes 16
            return f"{info.label} must be {kind_text} (it is {it_is})."
        if not math.isfinite(value):
            return f"{info.label} must be a finite number (it is {shown(value)})."
        if not _in_range(info, value):
            return f"{info.label} must be {_range_text(info)} (it is {shown(value)})."
    elif kind is tuple:
        if not isinstance(value, tuple) or not all(isinstance(item, str) for item in value):
            return f"{info.label} must be a list of texts (it is {shown(value)})."
        if info.choices:  # an order of the choices: each exactly once
            return _order_problem(info, value)
    elif not isinstance(value, str):
        return f"{info.label} must be text (it is {shown(value)})."
    if info.choices and value not in info.choice_values:
        return f"{info.label} must be one of {', '.join(map(str, info.choice_values))} (it is {shown(value)})."
    return None


def _order_problem(info: SettingInfo, value: tuple[str, ...]) -> str | None:
    unknown = [item for item in value if item not in info.choice_values]
    if unknown:
        return f"{info.label} names unknown steps: {', '.join(unknown)} (known: {', '.join(info.choice_values)})."
    missing = [item for item in info.choice_values if item not in value]
    repeated = sorted({item for item in value if value.count(item) > 1})
    if missing or repeated:
        wrong = [f"missing {', '.join(missing)}"] * bool(missing) + [f"repeated {', '.join(repeated)}"] * bool(repeated)
        return f"{info.label} must list each of its {len(info.choice_values)} steps once ({'; '.join(wrong)})."
    return None


def field_problems(settings: Any) -> list[Problem]:
    """What is wrong with each described field on its own: type, finiteness, bounds, choices."""
    found = []
    for field in described_fields(type(settings)):
        message = _field_problem(field, getattr(settings, field.name))
        if message:
            found.append(Problem(message, field.name))
    return found


def raise_problems(problems: list[str]) -> None:
    """The one way problems become an error: every sentence, in order, on one line."""
    if problems:
        # One problem is raised as it is, so that a marked text stays translatable in the window.
        raise InvalidSettingsError(problems[0] if len(problems) == 1 else " ".join(problems))


class DescribedSettings:
    """Base of the settings dataclasses: the shared field checks plus the class's own
    ``combination_problems`` (rules between fields), and ``validate`` to raise them."""

    def combination_problems(self) -> list[Problem]:
        """Rules between fields; called only when every field is valid on its own."""
        return []

    def unused_settings(self) -> dict[str, str]:
        """The fields these settings leave unused, each with what would use it (a form hides their rows,
        a command line refuses their flags rather than ignore them); {} when every field counts."""
        return {}

    def problems(self) -> list[Problem]:
        """Every reason these settings cannot be used, one sentence each; [] when valid."""
        return field_problems(self) or self.combination_problems()

    def validate(self) -> None:
        raise_problems(self.problems())


# --- settings as plain data (JSON, command lines) ---------------------------------------------


def settings_to_data(settings: Any) -> dict[str, Any]:
    """Every field as JSON-ready data (tuples become lists)."""
    data = dataclasses.asdict(settings)
    return {name: list(value) if isinstance(value, tuple) else value for name, value in data.items()}


def settings_from_data(settings_class: type, data: Mapping[str, Any], base: Any = None) -> Any:
    """Settings from plain data saved by any version (JSON, argparse): unknown keys are dropped, lists
    of a tuple field become tuples, and missing keys keep ``base``'s values (the defaults without one)."""
    tuple_fields = {field.name for field in described_fields(settings_class) if field.value_type is tuple}
    known = {field.name for field in dataclasses.fields(settings_class)}
    values = {
        name: tuple(value) if name in tuple_fields and isinstance(value, list) else value
        for name, value in data.items()
        if name in known
    }
    return settings_class(**values) if base is None else dataclasses.replace(base, **values)
