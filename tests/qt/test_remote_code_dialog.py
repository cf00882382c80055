"""Opening a model folder that ships its own code: the window asks, and loads only after a yes."""

from __future__ import annotations

from workbench.core.catalog import folder_entry
from workbench.core.loading import LoadSettings
from workbench.qt import main_window as main_window_module
from workbench.qt.common.app_state import AppState
from workbench.qt.generation import remote_code_dialog
from workbench.qt.main_window import MainWindow


def make_window(qtbot, monkeypatch) -> MainWindow:
    monkeypatch.setattr(main_window_module, "inspector_panels", lambda state: [])
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    return window


def test_a_no_keeps_the_code_from_running(qtbot, monkeypatch, custom_code_folder):
    folder, marker = custom_code_folder
    asked = []
    monkeypatch.setattr(main_window_module, "confirm_remote_code", lambda parent, request: asked.append(request))
    window = make_window(qtbot, monkeypatch)
    window.load_model(folder_entry(folder), LoadSettings())
    qtbot.waitUntil(lambda: not window.loader.is_loading and bool(asked), timeout=30_000)
    [request] = asked
    assert request.files == (str(folder / "modeling_custom.py"),)
    qtbot.waitUntil(lambda: "ships its own Python code" in window.banner.label.text(), timeout=5_000)
    assert window.state.loaded_model is None and not marker.exists()
    window.close()


def test_a_yes_loads_again_allowing_the_code(qtbot, monkeypatch, custom_code_folder):
    folder, _marker = custom_code_folder
    monkeypatch.setattr(main_window_module, "confirm_remote_code", lambda parent, request: True)
    window = make_window(qtbot, monkeypatch)
    loads = []
    real_load = window.loader.load

    def load(entry, settings) -> None:
        loads.append(settings)
        if not settings.trust_remote_code:  # the trusted load itself runs headless in tests/core/test_remote_code.py
            real_load(entry, settings)

    monkeypatch.setattr(window.loader, "load", load)
    window.load_model(folder_entry(folder), LoadSettings())
    qtbot.waitUntil(lambda: len(loads) == 2, timeout=30_000)
    assert [settings.trust_remote_code for settings in loads] == [False, True]
    window.close()


def test_the_dialog_names_the_files_and_shows_their_code(qtbot, custom_code_folder, monkeypatch):
    from PySide6.QtWidgets import QMessageBox, QWidget

    from workbench.qt.generation.model_loader import RemoteCodeRequest

    folder, _marker = custom_code_folder
    shown = {}

    def fake_exec(box):
        shown["text"], shown["details"] = box.text(), box.detailedText()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    parent = QWidget()
    qtbot.addWidget(parent)
    request = RemoteCodeRequest(folder_entry(folder), LoadSettings(), (str(folder / "modeling_custom.py"),), "refused")
    assert remote_code_dialog.confirm_remote_code(parent, request) is False  # closing the box is a no
    assert str(folder / "modeling_custom.py") in shown["text"]
    assert "class CustomForCausalLM" in shown["details"]


def test_a_no_is_said_in_the_windows_language(qtbot, qapp, monkeypatch, custom_code_folder):
    """The refusal's message was turned into plain text on the loading thread and lost its translation."""
    from PySide6.QtCore import QCoreApplication

    from workbench.qt.common.language import CHINESE, install_language

    folder, _marker = custom_code_folder
    monkeypatch.setattr(main_window_module, "confirm_remote_code", lambda parent, request: False)
    installed = install_language(qapp, CHINESE)
    try:
        window = make_window(qtbot, monkeypatch)
        window.load_model(folder_entry(folder), LoadSettings())
        qtbot.waitUntil(lambda: not window.loader.is_loading and window.banner.label.text() != "", timeout=30_000)
        assert "ships its own Python code" not in window.banner.label.text()
        assert str(folder) in window.banner.label.text()
        window.close()
    finally:
        for translator in installed:
            QCoreApplication.removeTranslator(translator)
