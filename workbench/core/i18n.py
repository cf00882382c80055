"""Marking the core's user-visible English texts for translation, without importing Qt.

``QT_TRANSLATE_NOOP(context, text)`` returns ``text`` unchanged; ``pyside6-lupdate`` finds the calls
and puts the texts in the translation sources, and the Qt layer translates them with
``QCoreApplication.translate(context, text)`` (a settings class's texts under the class's name).
The command line stays in English.
"""

from __future__ import annotations


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name lupdate looks for)
    return text
