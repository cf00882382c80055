"""Command-line options that several commands share, spelled the same everywhere, and the flags
generated from a settings class's field descriptions."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from workbench.core.errors import InvalidSettingsError
from workbench.core.loading import LoadSettings
from workbench.core.settings_fields import DEVICE, FOLDER, described_field, described_fields, settings_from_data

_METAVARS = {int: "N", float: "X", str: "TEXT", DEVICE: "DEVICE", FOLDER: "DIR"}


def add_device_argument(parser: argparse.ArgumentParser, default: str | None = "auto") -> None:
    """``--device``, helped as ``LoadSettings`` describes it; ``default=None`` leaves the choice to the command's
    settings."""
    parser.add_argument("--device", default=default, metavar="DEVICE", help=_load_help("device"))


def add_dtype_argument(parser: argparse.ArgumentParser) -> None:
    """``--dtype``: the number format a model is loaded in, one of ``LoadSettings``' choices."""
    parser.add_argument("--dtype", default="auto", choices=described_field(LoadSettings, "dtype").info.choice_values,
                        help=_load_help("dtype"))


def add_trust_remote_code_argument(parser: argparse.ArgumentParser) -> None:
    """``--trust-remote-code``: the one way a command runs Python code shipped with a model."""
    parser.add_argument("--trust-remote-code", action="store_true", help=_load_help("trust_remote_code"))


def _load_help(name: str) -> str:
    info = described_field(LoadSettings, name).info
    return f"{info.label} — {info.help}".replace("%", "%%")


def _comma_separated(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def flag_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def add_settings_arguments(
    parser: argparse.ArgumentParser,
    settings_class: type,
    *,
    exclude: Iterable[str] = (),
    flags: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    optional: Iterable[str] = (),
) -> None:
    """One flag per described field of ``settings_class``: ``--top-k`` for ``top_k`` (or the name in
    ``flags``), typed from the field, helped by its label and help. Every flag defaults to None, so
    that a value given on the command line is always the value used (``settings_from_args``).
    ``defaults`` are the values the help shows (the field defaults when left out). Fields in ``optional``
    are not required on the command line even without a default: the command finds them itself."""
    excluded, renamed = set(exclude), dict(flags or {})
    for field in described_fields(settings_class):
        if field.name in excluded:
            continue
        info = field.info
        shown_default = field.default if defaults is None else defaults.get(field.name)
        if isinstance(shown_default, (list, tuple)):  # its items, not a Python list; none said when empty
            shown_default = ", ".join(map(str, shown_default))
        help_text = f"{info.label} — {info.help}"  # the label is what error messages call it
        if shown_default not in (None, dataclasses.MISSING, "") and field.value_type is not bool:
            help_text += f" (default: {shown_default})"
        options: dict[str, Any] = {"dest": field.name, "default": None, "help": help_text.replace("%", "%%")}
        if field.value_type is bool:
            # A setting that is on by default needs a way off: --name and --no-name.
            options["action"] = argparse.BooleanOptionalAction if field.default is True else "store_true"
        elif field.value_type is tuple and info.choices:  # an order of the choices, comma-separated
            options.update(type=_comma_separated, metavar=",".join(info.choice_values))
        elif field.value_type is tuple:
            options.update(action="append", metavar="TEXT")
            options["help"] += " (one text a flag: repeat the flag for more)"
        else:
            options["type"] = field.value_type
            if info.choices:
                options["choices"] = info.choice_values
            else:
                options["metavar"] = _METAVARS.get(info.kind) or _METAVARS[field.value_type]
        if field.required and field.name not in optional:
            options["required"] = True
        parser.add_argument(renamed.get(field.name, flag_name(field.name)), **options)


def settings_from_args(settings_class: type, args: argparse.Namespace, base: Any = None) -> Any:
    """The settings the command line asks for: every flag given, on top of ``base`` (the defaults
    without one). A flag left out is None; any value typed, 0 included, is used."""
    given = {
        field.name: getattr(args, field.name)
        for field in described_fields(settings_class)
        if getattr(args, field.name, None) is not None
    }
    return settings_from_data(settings_class, given, base=base)


def refuse_unused_flags(settings: Any, args: argparse.Namespace, flags: Mapping[str, str] | None = None) -> None:
    """One clear line for a flag given that these settings would leave unused: a run that silently
    ignored ``--base-model`` would train from scratch what the user meant to fine-tune."""
    for name, reason in settings.unused_settings().items():
        given = getattr(args, name, None)
        if given is not None and given is not False:
            flag = (flags or {}).get(name, flag_name(name))
            raise InvalidSettingsError(f"{flag} is not used here: {reason}.")
