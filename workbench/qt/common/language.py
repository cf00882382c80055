"""The interface language: English or Simplified Chinese, following the system locale unless the
person chose one (View → Language; it applies at the next start).

The translations are Qt's own: ``workbench/resources/translations/workbench_zh_CN.ts`` (written from
the code by ``pyside6-lupdate``: ``python -m workbench.qt.translations``) compiled by
``pyside6-lrelease`` into the ``.qm`` beside it, plus Qt's ``qtbase_zh_CN.qm`` for its own dialogs and
buttons. A CJK font fallback keeps Chinese labels and tokens from showing as empty boxes.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication

from workbench.core.i18n import Text
from workbench.qt.common.settings_store import app_settings, written

ENGLISH, CHINESE, SYSTEM = "en", "zh_CN", "system"
LANGUAGES = {ENGLISH: "English", CHINESE: "中文"}  # each named in its own language
_LANGUAGE_KEY = "view/language"
# Tried in turn for characters the interface font lacks (Debian/Ubuntu: fonts-noto-cjk).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
             "PingFang SC")


def translations_dir() -> Path:
    return Path(str(resources.files("workbench.resources") / "translations"))


def chosen_language() -> str:
    """The language asked for in View → Language, or SYSTEM."""
    value = app_settings().value(_LANGUAGE_KEY, SYSTEM)
    return value if value in (ENGLISH, CHINESE, SYSTEM) else SYSTEM


def choose_language(language: str) -> bool:
    """Remember ``language`` for the next start; False when the settings file cannot be written."""
    store = app_settings()
    store.setValue(_LANGUAGE_KEY, language)
    return written(store)


def effective_language(chosen: str | None = None) -> str:
    """What the interface shows: the choice, or Chinese when the system locale is Chinese."""
    chosen = chosen or chosen_language()
    if chosen != SYSTEM:
        return chosen
    return CHINESE if QLocale.system().language() == QLocale.Language.Chinese else ENGLISH


def install_language(app: QApplication, language: str | None = None) -> list[QTranslator]:
    """Install the translators for ``language`` (default: the effective one) and the interface font.
    Returns the translators, children of ``app`` so that they live as long as it."""
    language = language or effective_language()
    set_interface_font(app, language)
    if language != CHINESE:
        return []
    installed = []
    for folder, name in ((translations_dir(), "workbench_zh_CN"),
                         (QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath), "qtbase_zh_CN")):
        translator = QTranslator(app)
        if translator.load(name, str(folder)):
            QCoreApplication.installTranslator(translator)
            installed.append(translator)
    return installed


def texts_qt_leaves_in_english() -> tuple[str, ...]:
    """The texts of Qt's own file dialog that its Chinese catalogue (``qtbase_zh_CN.qm``) lacks: it has "Look
    in:" but the dialog asks for "&Look in:". Written as ``translate`` calls, so that lupdate puts them in the
    workbench's catalogue, which Qt asks where its own has no answer. Returns them as the interface shows them."""
    translate = QCoreApplication.translate
    return (translate("QFileDialog", "&Look in:"), translate("QFileDialog", "Files of &type:"),
            translate("QAbstractFileIconProvider", "Folder", "All other platforms"))


def set_interface_font(app: QApplication, language: str) -> None:
    """The system's font first, by its real name, then the CJK fonts for the characters it lacks; in Chinese
    the CJK fonts first, so that punctuation is Chinese too. Named by an alias ("Sans Serif", on Linux), the
    system's font lost to the CJK fonts listed after it: all English text was drawn in Noto Sans CJK, its
    quotation marks full-width and its lines taller."""
    font = QFont(app.font())
    system = [family for family in font.families() if family not in CJK_FONTS]
    font.setFamilies(system)
    system = list(dict.fromkeys([QFontInfo(font).family(), *system]))  # the alias's font here (DejaVu Sans)
    font.setFamilies([*CJK_FONTS, *system] if language == CHINESE else [*system, *CJK_FONTS])
    app.setFont(font)


def translated(text: str) -> str:
    """A text from the core in the interface's language: a marked ``Text`` is translated (its template,
    then its values filled in, themselves translated where they are marked); any other text is shown as it is."""
    if not isinstance(text, Text):
        return text
    template = QCoreApplication.translate(text.context, text.template)
    values = {name: translated(value) if isinstance(value, Text) else value for name, value in text.values.items()}
    return template.format(**values) if values else template


def error_text(error: BaseException) -> str:
    """An error's message in the interface's language: the core's marked message translated, any other
    error's own text."""
    message = error.args[0] if len(error.args) == 1 else None
    return translated(message) if isinstance(message, Text) else str(error)


def translated_stage(progress) -> str:
    """A model load's stage (``core.loading.LoadProgress``) in the interface's language."""
    text = translated(progress.stage)
    if progress.first_load_only:
        text += QCoreApplication.translate("LoadProgress", " (first load only)")
    return text
