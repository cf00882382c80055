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


def QT_TRANSLATE_NOOP(context: str, text: str) -> Text:  # noqa: N802 (the name lupdate looks for)
    return Text(context, text)
