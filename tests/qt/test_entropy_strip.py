"""The entropy and surprisal strip under the output: the streamed tokens' own numbers, drawn by a
throttle, per sequence tab, with a hover readout; restored runs too, old ones without entropies."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from superqt import QElidingLabel

from tests.qt.test_main_window import set_prompt
from workbench.core.sessions import RunToken, open_session, session_path
from workbench.qt.generation.entropy_strip import EntropyStrip


@pytest.fixture
def strip(qtbot):
    widget = EntropyStrip()
    qtbot.addWidget(widget)
    widget.resize(800, 110)
    widget.show()
    return widget


def point_pos(strip: EntropyStrip, step: int, value: float):
    """Where the point of ``step`` at ``value`` is, in the plot widget's viewport."""
    scene_pos = strip.plot.getViewBox().mapViewToScene(QPointF(step, value))
    return strip.plot_widget.mapFromScene(scene_pos)


def points_drawn(strip: EntropyStrip) -> int:
    steps, _ = strip.surprisal_points.getData()
    return 0 if steps is None else len(steps)


def test_the_strip_shows_each_streamed_tokens_entropy_and_surprisal(qtbot, window):
    set_prompt(window, "The capital of France", mode="sample", max_new_tokens=10, min_new_tokens=10)
    streamed = []
    window.state.token_streamed.connect(streamed.append)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000):
        window.generate()
    entropy, surprisal = window.entropy_strip.values()
    np.testing.assert_allclose(entropy, [event.entropy for event in streamed], rtol=1e-6)
    np.testing.assert_allclose(surprisal, [event.surprisal for event in streamed], rtol=1e-6)
    assert window.entropy_strip.entropy_curve.getData()[1].tolist() == entropy.tolist()


def test_streamed_tokens_are_drawn_together_by_the_throttle(qtbot, strip):
    strip.begin(1)
    for prob in (0.5, 0.25, 0.125):
        strip.add_token(0, RunToken("a", prob, (), entropy=1.0))
    assert points_drawn(strip) == 0  # held back, not one redraw per token
    qtbot.waitUntil(lambda: points_drawn(strip) == 3, timeout=2000)
    assert strip.surprisal_points.getData()[1] == pytest.approx([math.log(2), math.log(4), math.log(8)])


def test_the_strip_follows_the_sequence_tab_and_reads_out_the_hovered_token(qtbot, window):
    set_prompt(window, "The quick", mode="sample", max_new_tokens=6, num_return_sequences=2)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate()
    second = finished.args[0].result.sequences[1].tokens
    window.output_view.tabs.setCurrentIndex(1)
    strip = window.entropy_strip
    assert strip.values()[0].tolist() == pytest.approx([token.entropy for token in second])
    window.show()
    qtbot.waitExposed(window)


    def hovering_the_third_point() -> bool:
        qtbot.mouseMove(strip.plot_widget.viewport(), point_pos(strip, 2, second[2].entropy))  # once laid out
        return "token 3 " in strip.readout.text()

    qtbot.waitUntil(hovering_the_third_point, timeout=2000)
    assert f"{second[2].entropy:.2f}" in strip.readout.text()
    assert f"{second[2].surprisal:.2f}" in strip.readout.text()


def test_a_restored_run_keeps_its_entropies_and_an_old_one_says_it_has_none(qtbot, make_window, tiny_loaded):
    window = make_window(tiny_loaded)
    set_prompt(window, "Attention lets", mode="greedy", max_new_tokens=5, min_new_tokens=5)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate()
    tokens = finished.args[0].result.sequences[0].tokens
    window.close()  # saves the session

    reopened = make_window(tiny_loaded)
    reopened.restore_run(reopened.runs_panel.runs()[0])
    assert reopened.entropy_strip.values()[0].tolist() == pytest.approx([token.entropy for token in tokens])
    reopened.close()

    data = json.loads(session_path().read_text(encoding="utf-8"))
    for token in data["runs"][0]["sequences"][0]["tokens"]:
        del token["entropy"]  # as a session saved before entropies were kept
    session_path().write_text(json.dumps(data), encoding="utf-8")
    assert open_session().problem is None
    old = make_window(tiny_loaded)
    old.restore_run(old.runs_panel.runs()[0])
    entropy, surprisal = old.entropy_strip.values()
    assert np.isnan(entropy).all()
    assert surprisal.tolist() == pytest.approx([token.surprisal for token in tokens])
    assert "without entropies" in old.entropy_strip.readout.text()


def test_an_empty_strip_shows_no_ticks_and_says_what_will_appear(strip):
    assert "stream" in strip.readout.text()
    assert strip.plot.getAxis("bottom")._tickLevels == [[], []] and strip.plot.getAxis("left")._tickLevels == [[], []]
    strip.add_token(0, RunToken(text="a", prob=0.5, entropy=1.0))
    strip._redraw()
    assert strip.plot.getAxis("bottom")._tickLevels is None and "Hover a point" in strip.readout.text()


def test_the_token_axis_counts_from_one_as_the_readout_and_fork_popup_do(strip):
    for index in range(10):
        strip.add_token(0, RunToken(text=f" t{index}", prob=0.5, entropy=1.0))
    strip._redraw()
    axis = strip.plot.getAxis("bottom")
    positions = [0.0, 4.0, 8.0]  # where the points of the 1st, 5th and 9th tokens sit
    assert axis.tickStrings(positions, 1.0, 4.0) == ["1", "5", "9"]
    major = axis.tickValues(-0.5, 9.5, 600)[0]  # the points of tokens 1 to 10 span -0.5 to 9.5
    assert all(position + 1 == round(position + 1) and (position + 1) % major[0] == 0 for position in major[1])
    assert strip.readout_text(8).startswith("token 9 ")


def test_a_narrow_strip_gives_its_readout_a_line_of_its_own_rather_than_cut_it(qtbot, strip):
    strip.empty_text = "Drawn once both branches are scored."
    strip._redraw()
    strip.resize(450, 140)  # half a 1366-pixel output: one branch of the side-by-side view
    qtbot.waitUntil(lambda: strip.readout.y() > strip.legend.y())
    readout = strip.readout  # room for the whole text, not "Dr…"
    assert readout.contentsRect().width() >= readout.fontMetrics().horizontalAdvance(readout.text())
    strip.resize(900, 110)
    qtbot.waitUntil(lambda: strip.readout.y() == strip.legend.y())


def test_a_hovered_token_s_numbers_fit_a_third_of_a_laptop_screen(qtbot, strip):
    strip.begin(1)
    strip.add_token(0, RunToken(" somewhere", 0.03125, (), entropy=2.3456))
    qtbot.waitUntil(lambda: points_drawn(strip) == 1, timeout=2000)
    strip.resize(258, 150)  # one branch of three side by side at 1366 pixels
    text = strip.readout_text(0)
    strip.readout.setText(text)
    qtbot.waitUntil(lambda: strip.readout.wordWrap() and strip.readout.width() > 200)
    readout = strip.readout
    lines = QElidingLabel.wrapText(text, readout.contentsRect().width(), readout.font())
    assert len(lines) <= 2 and "".join(lines).replace(" ", "") == text.replace(" ", "")  # all of it, no "…"
    assert readout.contentsRect().height() >= len(lines) * readout.fontMetrics().lineSpacing()
    strip.resize(900, 110)
    qtbot.waitUntil(lambda: not readout.wordWrap() and readout.y() == strip.legend.y())  # one line, beside it


def test_a_one_token_answer_is_one_point_of_each_from_zero(strip):
    """The model that ends the text at once: one token numbered 1 (no token 2), both numbers drawn (a line through
    one point drew no entropy), on an axis from 0 (the point sat on the axis line at the bottom of an autoscale)."""
    strip.add_token(0, RunToken(text="", prob=0.23, entropy=2.6))  # surprisal 1.47
    strip._redraw()
    (x_low, x_high), (y_low, y_high) = strip.plot.getViewBox().viewRange()
    assert (x_low, x_high) == pytest.approx((-0.5, 0.5)) and y_low == 0 and y_high > 2.6
    assert strip.entropy_curve.opts["symbol"] is not None and strip.entropy_curve.getData()[1].tolist() == [2.6]
    for index in range(3):  # more tokens: the entropy is a line again
        strip.add_token(0, RunToken(text=f" t{index}", prob=0.5, entropy=1.0))
    strip._redraw()
    assert strip.entropy_curve.opts["symbol"] is None
