"""The Simplified Chinese interface: every text translated, the shipped .qm built from the .ts, the
placeholders kept, and the window in Chinese when the zh_CN translator is installed."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QCoreApplication

from workbench.qt import translations
from workbench.qt.common.language import CHINESE, install_language, translations_dir
from workbench.qt.main_window import MainWindow

PLACEHOLDERS = re.compile(r"\{[^{}]*\}|%[0-9a-z%]|&[a-z]+;|</?[a-z]+[^>]*>")


def messages(path):
    for context in ET.parse(path).getroot().iter("context"):
        for message in context.iter("message"):
            yield context.find("name").text, message.find("source").text, message.find("translation")


def test_every_text_of_the_code_has_a_finished_translation(tmp_path, monkeypatch):
    # lupdate on a copy: texts added to the code since the .ts was updated arrive there unfinished.
    copy = tmp_path / translations.SOURCE
    shutil.copy(translations_dir() / translations.SOURCE, copy)
    monkeypatch.setattr(translations, "translations_dir", lambda: tmp_path)
    translations.update_sources()
    problems = [
        f"{context}: {source!r} ({translation.get('type')})"
        for context, source, translation in messages(copy)
        if translation.get("type") in ("unfinished", "vanished", "obsolete") or not (translation.text or "")
    ]
    assert problems == [], f"{len(problems)} texts to translate: python -m workbench.qt.translations, then translate"


def test_translations_keep_every_placeholder_and_tag():
    for context, source, translation in messages(translations_dir() / translations.SOURCE):
        assert sorted(PLACEHOLDERS.findall(source)) == sorted(PLACEHOLDERS.findall(translation.text)), (context, source)
        if "&" in source.replace("&&", "") and not PLACEHOLDERS.search(source):  # an accelerator key
            assert "&" in translation.text, (context, source)


def test_the_shipped_qm_is_what_lrelease_builds_from_the_ts(tmp_path):
    built = translations.compile_translations(tmp_path)
    assert built.read_bytes() == (translations_dir() / translations.COMPILED).read_bytes()


@pytest.fixture
def chinese(qapp):
    installed = install_language(qapp, CHINESE)
    yield installed
    for translator in installed:
        QCoreApplication.removeTranslator(translator)


def test_the_window_speaks_chinese_with_the_translator(qtbot, chinese):
    assert chinese  # the workbench's translation, and Qt's own where PySide6 ships it
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.windowTitle() == "生成工作台"
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus[0].startswith("文件") and menus[2].startswith("视图"), menus
    assert window.generate_button.text() != "Generate"


def test_the_cores_stages_and_statuses_are_shown_in_chinese(chinese):
    from workbench.core.loading import _CONVERTING, LoadProgress
    from workbench.core.training.trainer import SAVING_CHECKPOINT
    from workbench.qt.common.language import translated_stage

    converting = LoadProgress(_CONVERTING, 0.5, first_load_only=True)  # as a GGUF conversion reports it
    assert translated_stage(converting) == "转换 GGUF 权重（仅首次加载）"
    assert converting.text == "Converting GGUF weights (first load only)"  # the command line's
    assert QCoreApplication.translate("StatusEvent", SAVING_CHECKPOINT) == "保存检查点"


def test_a_core_message_with_values_is_translated_and_filled_in(chinese):
    from workbench.core.i18n import QT_TRANSLATE_NOOP
    from workbench.core.training.scrub import LOADING_STEP
    from workbench.qt.common.language import translated

    message = LOADING_STEP.fill(step=600)
    assert message == "Loading the model of step 600 on the CPU"  # what the command line prints
    assert translated(message) == "正在 CPU 上加载第 600 步的模型"
    assert translated("plain text") == "plain text"
    # A value that is itself a marked text is translated too: the advice inside a message.
    advice = QT_TRANSLATE_NOOP("Errors", "Use more text or a smaller block size.")
    nested = QT_TRANSLATE_NOOP("Errors", "The corpus is too short: {tokens} tokens leave {train_tokens} for training "
                               "and {val_tokens} for validation, and each needs more than block size + 1 = {shortest}. "
                               "{advice}").fill(tokens=11, train_tokens=9, val_tokens=2, shortest=17, advice=advice)
    assert translated(nested).endswith("每一部分都需要多于块大小 + 1 = 17 个。请使用更多文本，或更小的块大小。")


def test_a_generative_lab_run_ends_with_a_chinese_line(chinese):
    from dataclasses import replace

    from workbench.core.genlab.data import load_digits_set
    from workbench.core.genlab.settings import GenLabSettings
    from workbench.core.genlab.trainer import train
    from workbench.core.jobs import drain
    from workbench.qt.common.language import translated

    digits = load_digits_set()
    images = replace(digits, train=digits.train[:64], train_labels=digits.train_labels[:64])
    settings = GenLabSettings.for_model("vae", hidden_dim=16, batch_size=32, epochs=1, device="cpu")
    result = drain(train(settings, images=images))
    assert result.message.startswith("Trained 1 epoch in")  # the command line's
    assert translated(result.message).startswith("已训练 1 轮，用时")


def test_a_settings_problem_reads_in_chinese(chinese):
    from dataclasses import replace

    from workbench.core.decoding import DecodingSettings
    from workbench.qt.common.language import translated

    [problem] = replace(DecodingSettings(), min_new_tokens=20, max_new_tokens=10).problems()
    assert problem == "Min new tokens must be at most max new tokens (10)." and problem.field == "min_new_tokens"
    assert translated(problem) == "最少新词元数不能超过最多新词元数（10）。"


def test_a_core_error_reads_in_chinese(tmp_path, chinese):
    from workbench.core.catalog import Catalog
    from workbench.core.errors import InvalidInputError, ModelNotFoundError
    from workbench.core.training.corpus import read_corpus
    from workbench.qt.common.language import error_text, translated

    with pytest.raises(ModelNotFoundError) as raised:
        Catalog().resolve(str(tmp_path))
    message = raised.value.args[0]
    assert message == f"{tmp_path} is not a model folder: it has no config.json."  # what the command line prints
    assert translated(message) == f"{tmp_path} 不是模型文件夹：其中没有 config.json。"
    with pytest.raises(InvalidInputError) as raised:
        read_corpus(tmp_path / "missing.txt")
    in_chinese = f"{tmp_path / 'missing.txt'} 不存在：请给出一个文本文件，或一个含 .txt 文件的文件夹。"
    assert translated(raised.value.args[0]) == in_chinese
    # Errors a panel catches itself read the same way; an error from elsewhere keeps its own text.
    assert error_text(raised.value) == in_chinese
    assert error_text(OSError(28, "No space left on device")) == "[Errno 28] No space left on device"


def test_the_model_bar_and_the_runs_list_speak_chinese(chinese):
    from workbench.core.catalog import Catalog
    from workbench.core.sessions import Run, RunSequence, RunToken
    from workbench.qt.generation.model_picker import entry_label, loaded_label
    from workbench.qt.generation.runs_panel import run_title

    entry = next(entry for entry in Catalog().entries() if entry.id == "smollm2-135m-instruct")
    assert "135M 参数 · 随包附带，已安装" in entry_label(entry), entry_label(entry)
    assert loaded_label(None) == "未加载模型"
    tokens = tuple(RunToken("字", 0.5, ()) for _ in range(12))
    run = Run(model_id="m", model_name="SmolLM2", prompt="你好", system_prompt="", chat=True, settings={}, seed=None,
              sequences=(RunSequence("字" * 12, tokens),), prompt_tokens=3, stopped=False,
              time_to_first_token_s=0.1, tokens_per_s=10.0, elapsed_s=1.2)
    assert "· 12 词元" in run_title(run)


def test_the_models_tooltips_and_a_captures_size_speak_chinese(chinese):
    """The packaged and hub models' descriptions (the picker's tooltips) and the capture estimate in the
    Attention page's status line were English in a Chinese window."""
    from workbench.core.attention import CaptureEstimate
    from workbench.core.catalog import Catalog, hub_entry
    from workbench.qt.common.language import translated

    packaged = [entry for entry in Catalog().entries() if entry.source == "packaged"]
    descriptions = [translated(entry.description) for entry in [*packaged, hub_entry("org/model")]]
    assert len(descriptions) == 4 and all(re.search("[\u4e00-\u9fff]", text) for text in descriptions), descriptions
    estimate = CaptureEstimate(tokens=12, layers=30, heads=9, fp32_bytes=1 << 20, stored_bytes=1 << 19,
                               stored_dtype="float16")
    assert translated(estimate.describe()) == "12 个词元，30 层 × 9 个头：0.5 MB，以 float16 存储"


def test_the_presets_a_compare_column_and_the_lens_rows_speak_chinese(qtbot, tmp_path, chinese, tiny_loaded):
    from PySide6.QtCore import QSettings

    from workbench.core.comparison import CompareColumn, settings_summary
    from workbench.core.decoding import PRESETS
    from workbench.core.jobs import drain
    from workbench.core.lens import logit_lens
    from workbench.qt.common.language import translated
    from workbench.qt.compare.column import ColumnCard
    from workbench.qt.generation.decoding_panel import DecodingPanel

    panel = DecodingPanel(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(panel)
    shown = [panel.preset_combo.itemText(index) for index in range(panel.preset_combo.count())]
    assert shown[:5] == ["自定义", "贪心", "均衡", "创意", "束搜索"], shown
    balanced = PRESETS["Balanced"]
    assert settings_summary(balanced) == "sample T 0.7 · top-k 50 · top-p 0.9 · rep 1.1 · 128 tokens"  # the CLI's
    card = ColumnCard([], CompareColumn("m", balanced))
    qtbot.addWidget(card)
    assert card.settings_label.text() == "采样 T 0.7 · top-k 50 · top-p 0.9 · 重复惩罚 1.1 · 128 个词元"
    lens = drain(logit_lens(tiny_loaded, [1, 2, 3]))
    assert lens.layers[0] == "embed" and translated(lens.layers[0]) == "嵌入"


def test_the_sample_prompts_menu_titles_speak_chinese_and_the_prompts_stay_as_the_model_reads_them(qtbot):
    from workbench.qt.common.language import choose_language
    from workbench.qt.generation.prompt_editor import PromptEditor, load_sample_prompts

    choose_language(CHINESE)
    editor = PromptEditor()
    qtbot.addWidget(editor)
    titles = [action.text() for action in editor.samples_button.menu().actions()]
    assert "英文：法国的首都（对话）" in titles and "Capital of France (chat)" not in titles
    assert all(sample.title_zh or sample.title.startswith("中文") for sample in load_sample_prompts())
    actions = editor.samples_button.menu().actions()
    next(action for action in actions if action.text().startswith("英文：法国")).trigger()
    assert editor.prompt() == "What is the capital of France?"


def _drawn_with(font, text: str) -> list[str]:
    """The font families Qt draws ``text`` with, run by run."""
    from PySide6.QtGui import QTextLayout

    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    return [run.rawFont().familyName() for run in layout.glyphRuns()]


def test_english_is_drawn_in_the_systems_font_and_chinese_in_a_cjk_one(qapp):
    """Named by its alias "Sans Serif" before the CJK fallbacks, the system font lost to them: every English
    text was drawn in Noto Sans CJK, quotation marks full-width."""
    from workbench.qt.common.language import CJK_FONTS, ENGLISH

    install_language(qapp, ENGLISH)
    assert not set(_drawn_with(qapp.font(), "“Show in inspector” ab")) & set(CJK_FONTS)
    installed = install_language(qapp, CHINESE)
    try:
        drawn = _drawn_with(qapp.font(), "床前明月光，“引号”")
    finally:
        install_language(qapp, ENGLISH)
        for translator in installed:
            QCoreApplication.removeTranslator(translator)
    if not set(drawn) & set(CJK_FONTS):
        pytest.skip("no CJK font on this system")
    assert len(set(drawn)) == 1  # one font for the characters and their punctuation


def test_qts_file_dialog_speaks_chinese_too(qtbot, chinese, tmp_path):
    """Qt's catalogue translates "Look in:", not the "&Look in:" its file dialog asks for: the workbench's has it."""
    from PySide6.QtCore import QFileInfo
    from PySide6.QtWidgets import QFileDialog, QFileIconProvider, QLabel

    from workbench.qt.common.language import texts_qt_leaves_in_english

    assert texts_qt_leaves_in_english() == ("查找范围(&L)：", "文件类型(&T)：", "文件夹")
    dialog = QFileDialog(None, "", str(tmp_path))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    qtbot.addWidget(dialog)
    labels = {label.objectName(): label.text() for label in dialog.findChildren(QLabel)}
    assert labels["lookInLabel"] == "查找范围(&L)：" and labels["fileTypeLabel"] == "文件类型(&T)：", labels
    assert QFileIconProvider().type(QFileInfo(str(tmp_path))) == "文件夹"  # the Type column of a folder


def test_a_trained_models_name_and_description_read_in_chinese(tmp_path, chinese):
    """As the catalog reads them back from a kept model's config.json: the run's and corpus's names stay as they are."""
    from workbench.core.catalog import folder_entry
    from workbench.core.i18n import QT_TRANSLATE_NOOP, text_to_data
    from workbench.core.training.trainer import CHECKPOINT_NAME
    from workbench.qt.common.language import translated

    name = CHECKPOINT_NAME.fill(run="poems", step=50)
    what = QT_TRANSLATE_NOOP("ModelNames", "{base} fine-tuned with LoRA").fill(base="smollm2-135m-instruct")
    trained = QT_TRANSLATE_NOOP("ModelNames", "{model} on {corpus} for {steps} steps, validation loss {loss}.")
    description = trained.fill(model=what, corpus="tang300.txt", steps=50, loss="2.345")
    config = {"model_type": "gpt2", "workbench_name": name, "workbench_name_text": text_to_data(name),
              "workbench_description": description, "workbench_description_text": text_to_data(description)}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    entry = folder_entry(tmp_path)
    assert entry.name == "poems (checkpoint, step 50)"  # the command line's
    assert translated(entry.name) == "poems（检查点，第 50 步）"
    assert translated(entry.description) == ("smollm2-135m-instruct 经 LoRA 微调，在 tang300.txt 上训练 50 步，"
                                             "验证损失 2.345。")


def test_compare_names_a_trained_model_in_chinese(qtbot, chinese):
    """Its status line while a column answers, and the score matrix's rows and tooltips."""
    from dataclasses import replace

    from tests.conftest import make_tiny_loaded
    from workbench.core.comparison import ColumnStarted, CompareColumn
    from workbench.core.decoding import DecodingSettings
    from workbench.core.loading import LoadProgress
    from workbench.core.training.trainer import CHECKPOINT_NAME
    from workbench.qt.common.app_state import AppState
    from workbench.qt.compare.panel import ComparePanel

    def load_trained(ref: str, cancel):
        yield LoadProgress("Loading")
        loaded = make_tiny_loaded(chat=False, seed=0)
        return replace(loaded, entry=replace(loaded.entry, id=ref, name=CHECKPOINT_NAME.fill(run="poems", step=50)))

    panel = ComparePanel(AppState(), load=load_trained)
    qtbot.addWidget(panel)
    panel.add_column(CompareColumn("poems", DecodingSettings(mode="greedy", max_new_tokens=4)))
    statuses = []
    panel.job.event.connect(lambda event: isinstance(event, ColumnStarted) and statuses.append(panel.status.text()))
    panel.prompt_edit.setPlainText("床前明月光")
    panel.run_button.click()
    qtbot.waitUntil(lambda: panel.comparison is not None and not panel.is_running(), timeout=30000)
    assert any("poems（检查点，第 50 步）" in status for status in statuses), statuses
    header = panel.matrix.verticalHeaderItem(0)
    assert "poems（检查点，第 50 步）" in header.text() and "checkpoint" not in panel.matrix.item(0, 0).toolTip()
    panel.shutdown()


def test_a_damaged_session_is_reported_in_chinese(make_window, chinese):
    from workbench.core.sessions import session_path

    session_path().write_text("{ not json", encoding="utf-8")
    window = make_window()
    assert "无法读取保存的会话，因此开始了一个新会话" in window.banner.label.text()


def test_an_image_that_cannot_be_written_is_said_in_chinese(qtbot, chinese, tmp_path):
    """The Attention page's PNG export and the curves' said it in English in a Chinese window."""
    from workbench.core.errors import WorkbenchError
    from workbench.qt.attention.panel import AttentionPanel
    from workbench.qt.common.app_state import AppState
    from workbench.qt.common.curves import LiveCurvesWidget

    panel = AttentionPanel(AppState())
    qtbot.addWidget(panel)
    target = tmp_path / "no-such-folder" / "attention.png"
    with pytest.raises(WorkbenchError, match=f"无法写入图像 {target}"):
        panel.export_png(target)
    curves = LiveCurvesWidget()
    qtbot.addWidget(curves)
    with pytest.raises(WorkbenchError, match=f"无法写入图像 {target}"):
        curves.export_png(target)


def test_a_run_that_cannot_be_exported_is_said_in_chinese(qtbot, chinese, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from workbench.core.sessions import Run, RunSequence
    from workbench.qt.generation.runs_panel import RunsPanel

    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.add_run(Run(model_id="m", model_name="M", prompt="p", system_prompt="", chat=False, settings={}, seed=1,
                      sequences=(RunSequence("hi"),), prompt_tokens=1, stopped=False, time_to_first_token_s=0.1,
                      tokens_per_s=1.0, elapsed_s=1.0))
    panel.list.setCurrentRow(0)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(tmp_path / "run.txt"), ""))
    said = []
    panel.message.connect(said.append)
    panel._export_selected(".json")
    assert said == ["无法导出到“run.txt”：请使用 .json 或 .md 文件名。"]
