"""The window opens on a session file with wrong values: the bad value is reset, the rest restored."""

from __future__ import annotations

import json

import pytest

from workbench.core.sessions import session_path
from workbench.qt import main_window as main_window_module
from workbench.qt.common.app_state import AppState
from workbench.qt.main_window import MainWindow


@pytest.mark.parametrize(
    ("editor", "reset"),  # a reset value is named in the message
    [
        ({"prompt": "Keep me", "chat": "yes"}, "editor.chat"),
        ({"prompt": "Keep me", "system_prompt": 5}, "editor.system_prompt"),
        ({"prompt": "Keep me", "settings": {"top_k": "abc"}}, "editor.settings.top_k"),
        ({"prompt": "Keep me", "settings": {"mode": "bogus", "temperature": -3}}, "editor.settings.mode"),
        ({"prompt": "Keep me", "page_texts": ["not", "a", "dict"]}, "editor.page_texts"),
    ],
)
def test_window_opens_on_a_session_with_a_bad_field(qtbot, monkeypatch, editor, reset):
    monkeypatch.setattr(main_window_module, "inspector_panels", lambda state: [])
    session_path().write_text(json.dumps({"version": 1, "editor": editor, "runs": []}), encoding="utf-8")
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    assert window.prompt_editor.prompt() == "Keep me"
    assert reset in window.banner.label.text()
    assert window.decoding_panel.problems() == []  # reset values are the defaults, which work
    window.close()


def test_window_opens_on_a_data_folder_it_cannot_write_and_says_so(qtbot, monkeypatch, tmp_path):
    """A file where the data folder should be (or a read-only disk, a folder left owned by root): the window
    opens, names the folder, and a failed autosave says why instead of stopping the window."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(blocked))
    monkeypatch.setattr(main_window_module, "inspector_panels", lambda state: [])
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    assert f"{blocked} cannot be written" in window.banner.label.text()
    window.save_session_now()
    assert "The session could not be saved" in window.banner.label.text()


def test_a_settings_file_that_cannot_be_written_is_said_at_start_and_when_a_setting_is_lost(qtbot, monkeypatch):
    """The config folder takes files, but workbench.ini itself cannot be written (a folder in its place, one
    left owned by root): presets and the language were dropped without a word."""
    from workbench.core import paths
    from workbench.qt.common.language import CHINESE

    ini = paths.config_dir() / "workbench.ini"
    ini.mkdir()
    monkeypatch.setattr(main_window_module, "inspector_panels", lambda state: [])
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    assert f"{ini} cannot be written" in window.banner.label.text()
    assert window.decoding_panel.save_preset("mine") is False
    window.banner.hide()
    window._choose_language(CHINESE)
    assert f"{ini} cannot be written: this setting will not be kept" in window.banner.label.text()


def test_the_inspector_pages_texts_are_kept_across_restarts(qtbot):
    """What was typed on the Attention, Lens and Compare pages comes back with the session, as the Generate
    prompt does; a page not opened in a session keeps its saved text."""
    saved = {"attention": "The cat sat on the mat", "lens": "Paris is the capital of", "compare": "Name a colour."}
    session_path().write_text(json.dumps({"version": 1, "editor": {"page_texts": saved}, "runs": []}),
                              encoding="utf-8")
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    panels = dict(window.panels)
    attention, compare = panels["Attention"].build(), panels["Compare"].build()
    assert attention.text_edit.text() == saved["attention"]
    assert compare.prompt_edit.toPlainText() == saved["compare"]
    attention.text_edit.setText("Edited after the restart")
    # Saved by the autosave, as a typed prompt is: a crash before closing keeps it too.
    qtbot.waitUntil(lambda: "Edited after the restart" in session_path().read_text(encoding="utf-8"), timeout=5000)
    window.close()

    reopened = MainWindow(AppState())
    qtbot.addWidget(reopened)
    panels = dict(reopened.panels)
    assert panels["Attention"].build().text_edit.text() == "Edited after the restart"
    assert panels["Lens"].build().text_edit.text() == saved["lens"]  # never built in between: still kept
    assert panels["Compare"].build().prompt_edit.toPlainText() == saved["compare"]
    reopened.close()


def test_the_compare_pages_columns_are_kept_across_restarts(qtbot):
    """Columns set up on the Compare page come back with the session (a damaged one left out), and one edited is
    saved by the autosave; a window that never opened the page keeps them as they were."""
    from workbench.core.comparison import CompareColumn
    from workbench.core.comparison_store import column_to_data
    from workbench.core.decoding import DecodingSettings

    columns = [CompareColumn("smollm2-135m-instruct", DecodingSettings(mode="greedy"), label="greedy"),
               CompareColumn("smollm2-135m-instruct", DecodingSettings(temperature=1.3), seed=11)]
    saved = [column_to_data(columns[0]), {"model": "x", "settings": {"top_k": -5}, "seed": None, "label": ""},
             column_to_data(columns[1])]
    session_path().write_text(json.dumps({"version": 1, "editor": {"compare_columns": saved}, "runs": []}),
                              encoding="utf-8")
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    compare = dict(window.panels)["Compare"].build()
    assert compare.columns() == columns
    compare.cards[1].seed_spin.setValue(12)
    qtbot.waitUntil(lambda: '"seed": 12' in session_path().read_text(encoding="utf-8"), timeout=5000)
    window.close()

    for _ in range(2):  # windows that never build the page
        reopened = MainWindow(AppState())
        qtbot.addWidget(reopened)
        reopened.close()
    reopened = MainWindow(AppState())
    qtbot.addWidget(reopened)
    kept = dict(reopened.panels)["Compare"].build().columns()
    assert [column.seed for column in kept] == [None, 12] and kept[0] == columns[0]
    reopened.close()
