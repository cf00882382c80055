"""Marking the core's user-visible English texts for translation, without importing Qt.

``QT_TRANSLATE_NOOP(context, text)`` returns ``text`` as a ``Text``: a plain ``str`` for every use
(the command line prints it, it compares and hashes as the English), which also remembers its
context. ``pyside6-lupdate`` finds the calls and puts the texts in the translation sources; the Qt
layer shows a ``Text`` with ``qt.common.language.translated``. A text with values is marked as a
template and filled in: ``QT_TRANSLATE_NOOP("StatusEvent", "Reading step {step}").fill(step=600)``,
so the window translates the template and fills in the same values. The CLI stays in English.
"""

from __future__ import annotations

from typing import Any


class Text(str):
    context: str
    template: str
    values: dict[str, Any]

    def __new__(cls, context: str, template: str, values: dict[str, Any] | None = None) -> Text:
        text = super().__new__(cls, template.format(**values) if values else template)
        text.context, text.template, text.values = context, template, dict(values or {})
        return text

    def fill(self, **values: Any) -> Text:
        """This template with ``values`` filled in (``str.format`` names)."""
        return Text(self.context, self.template, values)

    def __reduce__(self):
        # Copied (``dataclasses.asdict`` deep-copies a run) and pickled as what makes it, not as the plain string.
        return Text, (self.context, self.template, self.values)


def QT_TRANSLATE_NOOP(context: str, text: str) -> Text:  # noqa: N802 (the name lupdate looks for)
    return Text(context, text)


def text_to_data(text: str) -> str | dict[str, Any]:
    """``text`` for a JSON file: a marked ``Text`` as its context, template and values (themselves kept the same
    way), so a window in another language still translates it when it reads the file back; any other text as is."""
    if not isinstance(text, Text):
        return str(text)
    values = {name: text_to_data(value) if isinstance(value, str) else value for name, value in text.values.items()}
    return {"context": text.context, "template": text.template, "values": values}


def text_from_data(data: Any) -> str | None:
    """What ``text_to_data`` wrote, as it was; None when ``data`` is neither (a damaged or hand-edited file)."""
    if isinstance(data, str):
        return data
    if not isinstance(data, dict) or not all(isinstance(data.get(key), str) for key in ("context", "template")):
        return None
    raw = data.get("values")
    if not isinstance(raw, dict):
        return None
    values = {}
    for name, value in raw.items():
        values[name] = text_from_data(value) if isinstance(value, (str, dict)) else value
        if values[name] is None:
            return None
    try:
        return Text(data["context"], data["template"], values)
    except Exception:  # a template its values cannot fill: names they lack, "{a.b}", "{a[0]}" of a number...
        return None
