"""The main window on a tiny random model: generate, stop, validation, runs, closing, sessions, loading."""

from __future__ import annotations

import dataclasses
import threading

import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from tests.conftest import make_tiny_loaded
from workbench.core.catalog import folder_entry
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import GenerationRequest
from workbench.core.loading import LoadSettings
from workbench.core.sessions import open_session, session_path
from workbench.qt import main_window as main_window_module
from workbench.qt.common.app_state import AppState
from workbench.qt.main_window import MainWindow


class SpyPanel(QWidget):
    """Stands in for an inspector panel: records that the window asked it to stop."""

    def __init__(self) -> None:
        super().__init__()
        self.shut_down = False

    def shutdown(self) -> None:
        self.shut_down = True


def set_prompt(window: MainWindow, prompt: str, **settings) -> None:
    window.prompt_editor.set_contents(prompt, chat=False)
    current = window.decoding_panel.settings()
    window.decoding_panel.set_settings(dataclasses.replace(current, **settings))
    window._count_prompt_tokens()  # skip the typing debounce


def test_generate_streams_text_and_keeps_the_run(qtbot, window):
    set_prompt(window, "The capital of France", mode="greedy", max_new_tokens=12, min_new_tokens=12)
    assert window.generate_button.isEnabled(), window.blocked_label.text()
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
    record = finished.args[0]
    assert len(record.result.sequences[0].token_ids) == 12
    assert window.output_view.sequence_text() == record.result.text != ""
    assert "tokens/s" in window.speed_label.text()
    assert window.runs_panel.list.count() == 1
    run = window.runs_panel.runs()[0]
    assert run.prompt == "The capital of France" and run.sequences[0].text == record.result.text
    assert window.generate_button.isEnabled() and not window.stop_button.isEnabled()


def test_generate_shortcut_and_several_sequences_get_tabs(qtbot, window):
    set_prompt(window, "The quick brown fox", mode="sample", max_new_tokens=6, num_return_sequences=3)
    # The offscreen platform never activates a window, so key presses cannot reach window
    # shortcuts; check the binding, then trigger the action the shortcut triggers.
    assert QKeySequence("Ctrl+Return") in window.generate_action.shortcuts()
    assert QKeySequence("Esc") in window.stop_action.shortcuts()
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate_action.trigger()
    assert window.output_view.tabs.count() == 3
    texts = [window.output_view.sequence_text(index) for index in range(3)]
    assert texts == [sequence.text for sequence in finished.args[0].result.sequences]
    lengths = " + ".join(str(len(sequence.tokens)) for sequence in finished.args[0].result.sequences)
    assert f"3 answers: {lengths} tok" in window.runs_panel.list.item(0).text()  # each answer, not their sum


def test_stop_cancels_mid_run_and_keeps_partial_output(qtbot, window):
    set_prompt(window, "The", mode="sample", max_new_tokens=120, min_new_tokens=120)
    window.generate()
    assert window.stop_button.isEnabled()
    qtbot.waitUntil(lambda: window.generation.streamed_tokens >= 2, timeout=15_000)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    result = finished.args[0].result
    assert result.stopped
    assert 2 <= len(result.sequences[0].token_ids) < 120
    assert window.output_view.sequence_text() == result.text
    assert window.runs_panel.runs()[0].stopped


def test_a_model_loaded_while_one_generates_frees_it_and_keeps_its_answer_from_the_inspectors(qtbot, window,
                                                                                               tiny_loaded):
    # The inspector pages read the model loaded now: the replaced one's answer would send them to a model being
    # freed, and the keeper's record of it would hold its weights for the whole session.
    set_prompt(window, "The", mode="sample", max_new_tokens=120, min_new_tokens=120)
    window.generate()
    qtbot.waitUntil(lambda: window.generation.streamed_tokens >= 2, timeout=15_000)
    newer = make_tiny_loaded(seed=1)
    window.use_loaded_model(newer)
    inspected = []
    window.state.generation_finished.connect(inspected.append)
    with qtbot.waitSignal(window.generation.finished, timeout=15_000) as finished:
        window.stop()
    assert finished.args[0].loaded is tiny_loaded and inspected == []
    assert window.runs_panel.runs()[0].stopped and window.state.loaded_model is newer
    assert next(tiny_loaded.model.parameters()).device.type == "meta"  # freed once the run let go of it
    assert next(newer.model.parameters()).device.type == "cpu"


def test_invalid_setting_disables_generate_with_a_message(window):
    set_prompt(window, "Hello", mode="greedy", num_return_sequences=3, max_new_tokens=8)
    assert not window.generate_button.isEnabled()
    assert not window.generate_action.isEnabled()
    assert "greedy decoding gives one answer" in window.decoding_panel.problems_label.text().lower()
    # Named beside the Generate button too: the panel's own message may be scrolled out of view.
    assert window.blocked_label.text() == ("Fix the decoding settings first: Greedy decoding gives one answer: use "
                                           "sampling or beam search for several sequences.")
    assert not window.blocked_label.isHidden()
    window.decoding_panel.form.control("num_return_sequences").setValue(1)
    assert window.generate_button.isEnabled()
    assert window.decoding_panel.problems_label.isHidden()


def test_a_long_prompt_is_counted_on_a_worker_and_a_newer_one_wins(qtbot, window):
    long_prompt = "The capital of France is Paris. " * (main_window_module.LONG_PROMPT_CHARS // 30)
    set_prompt(window, long_prompt, max_new_tokens=4)
    assert window.prompt_editor.token_label.text() == "Counting the prompt's tokens…"  # the window goes on
    window.generate()  # Ctrl+Enter before the count: it waits for it rather than encode on this thread
    assert not window.generation.is_running and window.generate_blocked_reason() == "Counting the prompt's tokens…"
    expected = len(window.state.loaded_model.tokenizer(long_prompt)["input_ids"])
    qtbot.waitUntil(lambda: f"The prompt is {expected} tokens" in window.prompt_editor.token_label.text(),
                    timeout=15_000)
    assert not window.generate_button.isEnabled()  # longer than the model reads, as a short count would say
    set_prompt(window, long_prompt, max_new_tokens=4)
    set_prompt(window, "Short", max_new_tokens=4)  # typed while the long one is counted
    qtbot.wait(500)  # the long count, abandoned, ends and is dropped
    short = len(window.state.loaded_model.tokenizer("Short")["input_ids"])
    assert window.prompt_editor.token_label.text().startswith(f"{short} tokens")
    assert window.generate_button.isEnabled()


def test_a_too_long_request_is_explained_before_and_during_a_run(qtbot, window):
    set_prompt(window, "The capital of France " * 20, max_new_tokens=100)
    assert not window.generate_button.isEnabled()
    assert "reads at most 128 tokens" in window.prompt_editor.token_label.text()
    assert window.blocked_label.text() == "Fix the prompt first: the line under it says why."  # not said twice
    # Should a request slip through anyway, the worker's error is shown and the window stays usable.
    window.generate(GenerationRequest("x " * 200, DecodingSettings(max_new_tokens=100), chat=False))
    qtbot.waitUntil(lambda: not window.generation.is_running, timeout=15_000)
    assert "reads at most" in window.banner.label.text() and not window.banner.isHidden()
    set_prompt(window, "Short", max_new_tokens=4)
    assert window.generate_button.isEnabled()


def test_a_run_clicked_in_the_list_restores_prompt_settings_and_output(qtbot, window):
    set_prompt(window, "Attention lets", mode="sample", temperature=1.3, top_k=7, max_new_tokens=8)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate()
    result = finished.args[0].result
    set_prompt(window, "Something else", mode="greedy", temperature=0.5, max_new_tokens=3)
    window.output_view.begin(1)

    item = window.runs_panel.list.item(0)
    rect = window.runs_panel.list.visualItemRect(item)
    qtbot.mouseClick(window.runs_panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    assert window.prompt_editor.prompt() == "Attention lets"
    settings = window.decoding_panel.settings()
    assert (settings.mode, settings.temperature, settings.top_k, settings.max_new_tokens) == ("sample", 1.3, 7, 8)
    assert settings.seed == result.seed and window.decoding_panel.seed_locked
    assert f"seed {result.seed} locked" in window.statusBar().currentMessage()  # said, not done quietly
    assert window.output_view.sequence_text() == result.text
    # The restored seed is locked: generating again reproduces the run exactly.
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as again:
        window.generate()
    assert again.args[0].result.text == result.text
    assert window.runs_panel.selected_run().id == window.shown_run_id  # the export buttons take the new run


def test_regenerate_draws_a_new_seed_unless_locked(qtbot, window):
    set_prompt(window, "The quick", mode="sample", max_new_tokens=4)
    seeds = []
    for action in (window.generate, window.regenerate):
        with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
            action()
        seeds.append(finished.args[0].result.seed)
    assert seeds[0] != seeds[1]
    window.decoding_panel.seed_lock.setChecked(True)  # locks the seed the last run used
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.regenerate()
    assert finished.args[0].result.seed == seeds[1]


def test_the_focus_stays_out_of_the_seed_box_while_runs_come_and_go(qtbot, window):
    """The seed box takes the wheel and keystrokes once it has the focus: a run must not hand it the focus, neither
    by disabling the button that had it nor by showing the seed it drew."""
    from PySide6.QtWidgets import QApplication

    window.show()
    qtbot.waitExposed(window)
    set_prompt(window, "The quick", mode="sample", max_new_tokens=4)
    for button in (window.generate_button, window.regenerate_button):
        button.setFocus()
        qtbot.waitUntil(button.hasFocus)
        with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert QApplication.focusWidget() is window.output_view.tabs.currentWidget()


def test_continue_goes_on_from_the_answer_with_the_prompt_kept(qtbot, window):
    set_prompt(window, "The quick brown", mode="greedy", max_new_tokens=5, min_new_tokens=5)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as first:
        window.generate()
    output = first.args[0].result.text
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as second:
        window.continue_output()
    request, result = second.args[0].request, second.args[0].result
    assert (request.prompt, request.prefill) == ("The quick brown", output)  # the prompt is still the person's
    assert result.text.startswith(output) and len(result.sequences[0].token_ids) == 5
    # What the model read: the prompt, then the answer so far, as an independent encoding gives them.
    tokenizer = window.state.loaded_model.tokenizer
    expected = tokenizer("The quick brown")["input_ids"] + tokenizer(output, add_special_tokens=False)["input_ids"]
    assert list(result.prompt_token_ids) == expected
    assert window.trees.trees[0].prompt == "The quick brown" and len(window.trees.trees) == 1  # the same tree
    # A prompt typed since is not lost when Continue puts the answer's own back: it waits in History.
    window.prompt_editor.prompt_edit.setPlainText("A new question, half written")
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.continue_output()
    assert window.session.editor.history[:2] == ["The quick brown", "A new question, half written"]
    assert "the prompt you typed is in History" in window.output_view.info_label.text()


def test_continue_after_a_chat_run_goes_on_with_the_assistant_turn(qtbot, window):
    set_prompt(window, "Hello there", mode="greedy", max_new_tokens=3, min_new_tokens=3)
    window.prompt_editor.set_contents("Hello there", "Be brief.", chat=True)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as first:
        window.generate()
    output = first.args[0].result.text
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as second:
        window.continue_output()
    request, result = second.args[0].request, second.args[0].result
    assert (request.prompt, request.system_prompt, request.chat, request.prefill) == (
        "Hello there", "Be brief.", True, output)
    templated = "<|system|>Be brief.<|end|><|user|>Hello there<|end|><|assistant|>"
    assert window.state.loaded_model.tokenizer.decode(result.prompt_token_ids) == templated + output
    assert window.prompt_editor.prompt() == "Hello there"  # not the template's markup


def test_a_prompt_from_the_history_keeps_the_system_prompt_and_ctrl_z_brings_the_draft_back(qtbot, window):
    editor = window.prompt_editor
    editor.set_history(["An old prompt"])
    editor.set_contents("My draft", "You are terse.", chat=True)
    editor._fill_history_menu()  # as the menu does when it opens
    next(action for action in editor.history_button.menu().actions() if action.toolTip() == "An old prompt").trigger()
    assert editor.prompt() == "An old prompt" and editor.system_prompt() == "You are terse."
    editor.prompt_edit.undo()
    assert editor.prompt() == "My draft"


def test_an_answer_the_model_ends_at_once_says_so(qtbot, make_window):
    loaded = make_tiny_loaded()
    loaded.model.model.norm.weight.data.zero_()  # every logit 0: greedy takes id 0, the end of text
    assert loaded.tokenizer.convert_ids_to_tokens(0) == loaded.tokenizer.eos_token
    window = make_window(loaded)
    set_prompt(window, "The quick brown", mode="greedy", max_new_tokens=5)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate()
    assert finished.args[0].result.sequences[0].token_ids == (0,)
    assert window.output_view.sequence_text() == ""
    assert "ended the text at its first step" in window.output_view.info_label.text()
    # Shown again from the Runs list (as after a restart, its Tree branch without tokens), it says the same,
    # not how to fork an answer that has no token to fork at.
    window.output_view.set_info("")
    window.restore_run(window.runs_panel.runs()[0])
    assert "ended the text at its first step" in window.output_view.info_label.text()


def test_closing_during_generation_stops_every_thread_and_panel(qtbot, make_window, monkeypatch, tiny_loaded):
    spy = SpyPanel()
    monkeypatch.setattr(main_window_module, "inspector_panels", lambda state: [("Spy", spy)])
    window = make_window(tiny_loaded)
    set_prompt(window, "The", mode="sample", max_new_tokens=120, min_new_tokens=120)
    window.generate()
    qtbot.waitUntil(lambda: window.generation.streamed_tokens >= 1, timeout=15_000)
    window.close()
    assert spy.shut_down
    assert not window.state.jobs.live()  # every thread ended, abandoned ones included
    assert not any(thread.name == "workbench-generate" for thread in threading.enumerate())
    assert open_session().problem is None  # the session was saved on close


def test_session_autosaves_and_reopens(qtbot, make_window, tiny_loaded):
    window = make_window(tiny_loaded)
    set_prompt(window, "Once upon a time", mode="greedy", max_new_tokens=4)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.generate()
    window.prompt_editor.prompt_edit.setPlainText("typed after the run")
    # Within two seconds of the last change the session is on disk, without closing the window.
    qtbot.waitUntil(lambda: open_session().session.editor.prompt == "typed after the run", timeout=2_000)
    saved = open_session().session
    assert len(saved.runs) == 1 and saved.editor.settings["mode"] == "greedy"

    reopened = make_window(make_tiny_loaded())
    assert reopened.prompt_editor.prompt() == "typed after the run"
    assert reopened.runs_panel.list.count() == 1
    assert reopened.decoding_panel.settings().mode == "greedy"
    assert reopened.banner.isHidden()


def test_a_damaged_session_is_set_aside_with_a_message(make_window):
    session_path().write_text("{ not json", encoding="utf-8")
    window = make_window()
    assert not window.banner.isHidden()
    assert "could not be read" in window.banner.label.text()
    assert list(session_path().parent.glob("session.damaged-*.json"))
    assert window.runs_panel.list.count() == 0


def test_cancelled_load_keeps_the_previous_model_and_a_later_load_replaces_it(qtbot, window, tiny_loaded, tmp_path):
    other = make_tiny_loaded(seed=1)
    folder = tmp_path / "tiny-folder"
    other.model.save_pretrained(folder)
    other.tokenizer.save_pretrained(folder)
    entry = window.state.catalog.resolve(str(folder))

    with qtbot.waitSignal(window.loader.cancelled, timeout=5_000):
        window.load_model(entry, window.model_picker.load_settings())
        window.model_picker.cancel_button.click()
    assert window.state.loaded_model is tiny_loaded  # at once, before the abandoned load ends
    assert not window.model_picker.cancel_button.isVisibleTo(window)
    qtbot.waitUntil(lambda: not window.state.jobs.live(), timeout=15_000)
    assert window.state.loaded_model is tiny_loaded

    cancelled = []
    window.loader.cancelled.connect(lambda: cancelled.append(True))
    with qtbot.waitSignal(window.state.model_changed, timeout=15_000) as changed:
        window.load_model(window.state.catalog.default_entry(), window.model_picker.load_settings())
        window.model_picker.open_reference(str(folder))  # another model opened while the first loads: it replaces it
        assert not cancelled and window.model_picker.combo.currentData() == entry.id  # the box keeps the choice
    assert changed.args[0].entry.id == str(folder.resolve())
    assert "tiny-folder" in window.model_picker.loaded_label.text()
    assert tiny_loaded.model.device == torch.device("meta")  # the replaced model was freed


def test_a_failed_load_shows_a_message_and_keeps_the_model(qtbot, window, tiny_loaded, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{}", encoding="utf-8")
    entry = window.state.catalog.resolve(str(bad))
    with qtbot.waitSignal(window.loader.failed, timeout=15_000):
        window.load_model(entry, window.model_picker.load_settings())
    assert not window.banner.isHidden() and window.banner.label.text()
    assert window.state.loaded_model is tiny_loaded


def _encoder_of(loaded):
    from workbench.core.loading import LoadedModel

    entry = dataclasses.replace(loaded.entry, id="tiny-encoder", name="Tiny encoder", can_generate=False)
    return LoadedModel(entry, loaded.model, loaded.tokenizer, loaded.device, loaded.dtype)


def test_regenerate_and_continue_wait_for_a_generation_and_a_model_that_can_generate(qtbot, window, tiny_loaded):
    set_prompt(window, "The quick", mode="greedy", max_new_tokens=3)
    assert window.generate_button.isEnabled()
    assert not window.regenerate_button.isEnabled() and not window.regenerate_action.isEnabled()  # nothing to rerun
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.generate()
    assert window.regenerate_button.isEnabled() and window.continue_button.isEnabled()
    window.state.set_loaded_model(_encoder_of(tiny_loaded))  # not use_loaded_model: it would free tiny_loaded
    assert not window.regenerate_button.isEnabled() and not window.regenerate_action.isEnabled()
    assert not window.continue_button.isEnabled() and not window.continue_action.isEnabled()
    assert "encoder" in window.blocked_label.text() and "color" in window.blocked_label.styleSheet()


def test_the_first_launch_hint_is_in_the_normal_text_colour(make_window):
    window = make_window()  # no model yet
    assert "pick one" in window.blocked_label.text() and window.blocked_label.styleSheet() == ""


def test_a_restored_run_shows_its_own_timings(qtbot, window):
    set_prompt(window, "Attention lets", mode="greedy", max_new_tokens=4)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.generate()
    run = window.runs_panel.runs()[0]
    window.ttft_label.clear()
    window.speed_label.setText("999.0 tokens/s")
    with qtbot.waitSignal(window.state.run_restored) as restored:
        window.restore_run(run)
    assert restored.args[0] is run
    assert window.speed_label.text() == f"{run.tokens_per_s:.1f} tokens/s"
    assert window.ttft_label.text() == f"first token {run.time_to_first_token_s * 1000:.0f} ms"


def test_a_panel_can_ask_the_window_to_open_a_model(qtbot, make_window, tiny_folder):
    window = make_window()
    entry = folder_entry(tiny_folder)
    with qtbot.waitSignal(window.state.model_changed, timeout=30_000):
        window.state.open_model_requested.emit(entry, LoadSettings(device="cpu"))
    assert window.state.loaded_model.entry.location == entry.location
    assert str(window.state.loaded_model.device) == "cpu"


def test_the_answer_on_screen_comes_back_at_the_next_start_beside_a_newer_prompt(qtbot, make_window, tiny_loaded):
    window = make_window(tiny_loaded)
    set_prompt(window, "The quick", mode="sample", max_new_tokens=5)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate()
    shown = finished.args[0].result
    window.prompt_editor.set_contents("A prompt typed after the run, not run yet")
    window.close()

    again = make_window(tiny_loaded)
    assert again.prompt_editor.prompt() == "A prompt typed after the run, not run yet"  # the editor as it was
    assert again.output_view.sequence_text() == shown.text  # and the answer that was on screen
    assert again.output_view.seed_label.text() == f"seed {shown.seed}"
    assert again.tree_dock_widget.shown_tree_id == again.trees.trees[0].id  # the tree of that answer's prompt
    assert again.tree_dock_widget.selected_node_ids() == [again.trees.trees[0].root.id]  # and its branch
    assert again.regenerate_action.isEnabled() and again.continue_action.isEnabled()  # and it can be taken on
    assert again.runs_panel.selected_run().id == again.shown_run_id  # the run the export buttons take


def test_a_branch_on_screen_at_closing_leaves_no_run_highlighted_at_the_next_start(qtbot, make_window, tiny_loaded):
    """The newest run was highlighted over an empty output: it claimed to be the answer on screen."""
    window = make_window(tiny_loaded)
    set_prompt(window, "The quick", mode="sample", max_new_tokens=5)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.generate()
    tree = window.trees.trees[0]
    window.show_node(tree, tree.root.id)  # a branch of the Tree on screen, not a run
    window.close()

    again = make_window(tiny_loaded)
    assert again.shown_run_id == "" and again.runs_panel.selected_run() is None


def test_the_answers_timings_show_on_the_generate_page_only(qtbot):
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    window._show_timings(0.05, 12.5)
    assert window.pages.count() > 1 and not window.speed_label.isHidden()
    window.pages.setCurrentIndex(1)
    assert window.speed_label.isHidden() and window.ttft_label.isHidden()
    window.pages.setCurrentIndex(0)
    assert not window.speed_label.isHidden() and window.speed_label.text() == "12.5 tokens/s"
    window.close()


def test_beam_search_says_why_its_answer_stays_empty_until_it_ends(qtbot, window):
    set_prompt(window, "The quick", mode="beam", num_beams=2, max_new_tokens=4)
    started = []
    window.state.generation_started.connect(lambda _live: started.append(window.output_view.info_label.text()))
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate()
    assert started and "the answers appear when it ends" in started[0]
    assert window.output_view.info_label.text() == ""  # the answer is there: nothing left to explain
    assert window.output_view.sequence_text() == finished.args[0].result.text


def accelerators_are_unique(texts: list[str]) -> bool:
    """Whether each menu text has an accelerator ("&x", not "&&") and no two share a letter."""
    letters = [text.replace("&&", "")[text.replace("&&", "").find("&") + 1:][:1].lower() if "&" in
               text.replace("&&", "") else "" for text in texts]
    return "" not in letters and len(set(letters)) == len(letters)


def test_every_menu_item_has_its_own_accelerator(window):
    # The languages are named in their own script (中文 has no letter to press); the arrow keys reach them.
    menus = [menu for menu in [window.menuBar(), *window.menuBar().findChildren(QMenu)]
             if not set(menu.actions()) & set(window.language_actions.actions())]
    assert len(menus) >= 5
    for menu in menus:
        texts = [action.text() for action in menu.actions() if not action.isSeparator()]
        assert accelerators_are_unique(texts), texts


def test_the_view_menus_colour_toggle_shows_and_follows_the_check_box(window):
    [action] = [action for menu in window.menuBar().findChildren(QMenu) for action in menu.actions()
                if action.text().replace("&", "") == window.output_view.colour_check.text()]
    assert action.isCheckable() and action.isChecked() == window.output_view.colour_check.isChecked()
    action.trigger()
    assert not action.isChecked() and not window.output_view.colour_check.isChecked()
    window.output_view.colour_check.setChecked(True)
    assert action.isChecked()


def test_a_greyed_chat_switch_says_why(window):
    window.prompt_editor.set_chat_available(False)
    assert not window.prompt_editor.chat_switch.isEnabled()
    assert "no chat template" in window.prompt_editor.chat_switch.toolTip()
    window.prompt_editor.set_chat_available(True)
    assert window.prompt_editor.chat_switch.toolTip().startswith("On: your prompt is wrapped")


def test_an_answer_brought_back_says_when_another_model_is_loaded(qtbot, make_window, tiny_loaded):
    window = make_window(tiny_loaded)
    set_prompt(window, "The quick", mode="greedy", max_new_tokens=3)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.generate()
    window.close()
    other = dataclasses.replace(tiny_loaded, entry=dataclasses.replace(tiny_loaded.entry, id="other", name="Other"))
    again = make_window(other)
    said = again.statusBar().currentMessage()
    assert f"made with {tiny_loaded.entry.name}" in said and "Other is loaded now" in said


def test_prompt_characters_a_character_model_never_saw_are_counted(qtbot, make_window):
    from tests.conftest import make_tiny_llama
    from workbench.core.catalog import FOLDER, ModelEntry
    from workbench.core.loading import LoadedModel
    from workbench.core.training.tokenization import char_tokenizer

    tokenizer = char_tokenizer("床前明月光，疑是地上霜。")
    model = make_tiny_llama(tokenizer)
    entry = ModelEntry(id="poems", name="Poems", source=FOLDER, architecture="llama", parameters=1,
                       can_generate=True, installed=True)
    window = make_window(LoadedModel(entry=entry, model=model, tokenizer=tokenizer, device=torch.device("cpu"),
                                     dtype=torch.float32))
    set_prompt(window, "明月 moon", max_new_tokens=20)
    label = window.prompt_editor.token_label.text()
    assert label.startswith("7 tokens") and "5 unknown to this model, read as <unk>" in label
    assert window.generate_button.isEnabled()  # a warning: the model reads them all the same
    set_prompt(window, "明月光")
    assert "unknown" not in window.prompt_editor.token_label.text()


def test_remove_asks_before_a_run_is_gone_for_good(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    set_prompt(window, "The quick", mode="greedy", max_new_tokens=3)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.generate()
    panel = window.runs_panel
    panel.list.setCurrentRow(0)
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *args: answers.pop(0))
    panel.remove_button.click()
    assert panel.list.count() == 1  # No: kept
    panel.remove_button.click()
    assert panel.list.count() == 0


def test_the_keyboard_starts_in_the_prompt_and_follows_into_a_page_switched_to(qtbot, monkeypatch, tiny_loaded):
    """It started in the model list (typing searched models), and Ctrl+2... left it on the page's frame, which shows
    no focus: the next Tab was needed to reach anything. A page still being built takes it once built."""
    from PySide6.QtWidgets import QApplication

    from workbench.qt.panels import LazyPanel

    monkeypatch.setattr(main_window_module, "inspector_panels", lambda state: [
        ("Compare", LazyPanel(state, "workbench.qt.compare.panel", "ComparePanel"))])
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.prompt_editor.prompt_edit)
    lazy = window.pages.widget(1).findChild(LazyPanel)
    window.pages.setCurrentIndex(1)  # before any model: the panel is not built, nothing to take the keyboard
    assert lazy.panel is None
    window.use_loaded_model(tiny_loaded)  # built now, on screen: the keyboard goes into it
    qtbot.waitUntil(lambda: lazy.panel is not None and lazy.panel.isAncestorOf(QApplication.focusWidget()))
    window.pages.setCurrentIndex(0)
    window.pages.setCurrentIndex(1)  # switched to once built: its first control again
    focused = QApplication.focusWidget()
    assert lazy.panel.isAncestorOf(focused) and focused.focusPolicy() & Qt.FocusPolicy.TabFocus
    window.close()


def test_tab_leaves_the_prompt_rather_than_typing_into_it(qtbot, window):
    """A tab typed into the prompt trapped the keyboard there (and was saved with it)."""
    from PySide6.QtWidgets import QApplication

    window.show()
    window.activateWindow()
    prompt = window.prompt_editor.prompt_edit
    prompt.setFocus()
    qtbot.waitUntil(prompt.hasFocus)
    qtbot.keyClicks(prompt, "Hello")
    qtbot.keyClick(prompt, Qt.Key.Key_Tab)
    assert window.prompt_editor.prompt() == "Hello" and QApplication.focusWidget() is not prompt


def test_enter_in_the_start_of_the_answer_generates(qtbot, window):
    set_prompt(window, "The capital of France", mode="greedy", max_new_tokens=4)
    qtbot.keyClicks(window.prompt_editor.prefill_edit, " Paris")
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        qtbot.keyClick(window.prompt_editor.prefill_edit, Qt.Key.Key_Return)
    assert finished.args[0].result.prefill_text == " Paris"


def test_after_the_answer_tab_goes_to_the_runs_and_the_tree_with_no_silent_stop(qtbot, window):
    """The entropy strip (no key does anything there) and the decoding panel's frame were Tab stops that showed
    nothing."""
    window.show()
    stops, widget = [], window.output_view.views()[0]
    while len(stops) < 3:
        widget = widget.nextInFocusChain()
        if widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            stops.append(widget)
    assert window.runs_panel.isAncestorOf(stops[0]) and window.tree_dock_widget.isAncestorOf(stops[1])
    assert window.decoding_scroll.focusPolicy() == Qt.FocusPolicy.NoFocus
