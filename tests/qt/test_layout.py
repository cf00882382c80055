"""The window on real screens: it fits a 1366x768 laptop and a 1280x720 (150 %) screen, nothing is cut
off, every decoding control can be scrolled to, Ctrl+1..4 switch pages, docks stay put unless
unlocked, and a layout saved by an older version is ignored."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QCoreApplication, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QWidget,
)

from workbench.qt import main_window as main_window_module
from workbench.qt.attention.panel import AttentionPanel
from workbench.qt.common.app_state import AppState
from workbench.qt.common.language import CHINESE, install_language
from workbench.qt.common.settings_store import app_settings
from workbench.qt.compare.panel import ComparePanel
from workbench.qt.genlab.panel import GenLabPanel
from workbench.qt.lens.panel import LensPanel
from workbench.qt.main_window import MainWindow
from workbench.qt.token.panel import TokenPanel
from workbench.qt.training.panel import TrainingPanel

TASKBAR = 40
# (width, height) left for the window: a 1366x768 laptop, a 1920x1080 screen at 150 % (1280x720)
# and at 100 %, each less a taskbar.
SCREENS = [(1366, 768 - TASKBAR), (1280, 720 - TASKBAR), (1920, 1080 - TASKBAR)]


@pytest.fixture
def make_window(qtbot):
    def make() -> MainWindow:
        window = MainWindow(AppState())
        qtbot.addWidget(window)  # closed (and so shut down and saved) at the end of the test
        return window

    return make


@pytest.fixture
def shown_window(make_window, qtbot):
    window = make_window()
    window.setWindowState(Qt.WindowState.WindowNoState)  # sized by the test, not by the offscreen screen
    window.show()
    qtbot.waitExposed(window)
    return window


def in_scrolled_content(widget: QWidget) -> bool:
    """Inside a scroll area's viewport: clipped by design, reachable by scrolling."""
    parent = widget.parentWidget()
    while parent is not None:
        area = parent.parentWidget()
        if isinstance(area, QAbstractScrollArea) and area.viewport() is parent:
            return True
        parent = area
    return False


def cut_off_widgets(window: MainWindow) -> list[str]:
    problems = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.isWindow() or in_scrolled_content(widget):
            continue
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if not window.rect().contains(rect):
            problems.append(f"{type(widget).__name__} {widget.objectName()!r} at {rect} outside {window.rect()}")
    return problems


def test_the_minimum_size_fits_a_laptop_and_a_scaled_full_hd_screen(make_window):
    minimum = make_window().minimumSizeHint()
    # Room to spare for a title bar under the 1280x720 screen's taskbar.
    assert minimum.width() <= 1200 and minimum.height() <= 650, minimum
    for width, height in SCREENS:
        assert minimum.boundedTo(QSize(width, height)) == minimum


def test_a_long_line_over_the_output_wraps_instead_of_widening_the_window(qtbot, shown_window):
    window = shown_window
    window.resize(*SCREENS[1])
    # The longest such line: the one a beam search shows while it runs.
    window.output_view.set_info("Beam search: the answers appear when it ends (until then the best beam can still "
                                "change); its progress is in the status bar.")
    for _ in range(10):  # a layout request climbs one parent an event loop pass
        QCoreApplication.processEvents()
    assert window.minimumSizeHint().width() <= SCREENS[1][0]
    assert window.size() == QSize(*SCREENS[1]) and cut_off_widgets(window) == []


def test_a_long_status_line_stops_short_of_the_timings(qtbot, shown_window):
    window = shown_window
    window.resize(*SCREENS[0])
    window._show_timings(0.052, 36.4)
    qtbot.wait(10)
    window.show_problem("'nobody/no-such-model' is not in the Hugging Face cache (/home/someone/.cache/huggingface/"
                        "hub) and the hub cannot be reached from here: connect to the network once, or copy the "
                        "model's files into a folder and open that folder.")
    bar = window.statusBar()
    shown = bar.currentMessage()
    assert shown.startswith("'nobody/no-such-model' is not") and shown.endswith("…")
    assert bar.fontMetrics().horizontalAdvance(shown) < window.ttft_label.mapTo(bar, QPoint(0, 0)).x()
    window.show_status("Done.")
    assert bar.currentMessage() == "Done."


@pytest.mark.parametrize("width, height", SCREENS)
def test_nothing_is_cut_off_on_any_page(qtbot, shown_window, width, height):
    assert_every_page_fits(qtbot, shown_window, width, height)


@pytest.mark.parametrize("width, height", SCREENS)
def test_nothing_is_cut_off_in_chinese(qtbot, qapp, make_window, width, height):
    """Chinese labels are shorter but the CJK font is taller."""
    installed = install_language(qapp, CHINESE)
    try:
        window = make_window()
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.show()
        qtbot.waitExposed(window)
        assert window.windowTitle() == "生成工作台"
        assert_every_page_fits(qtbot, window, width, height)
    finally:
        for translator in installed:
            QCoreApplication.removeTranslator(translator)


def assert_every_page_fits(qtbot, window, width, height) -> None:
    window.resize(width, height)
    assert window.size() == QSize(width, height)
    for index in range(window.pages.count()):
        window.pages.setCurrentIndex(index)
        qtbot.wait(10)  # let the page lay itself out
        assert cut_off_widgets(window) == [], window.pages.tabText(index)
        page = window.pages.currentWidget()
        if index > 0:  # the inspector pages scroll only on screens smaller than these
            assert page.horizontalScrollBar().maximum() == 0 and page.verticalScrollBar().maximum() == 0
    assert not window.runs_dock.isVisible()  # on the Generate page only
    window.pages.setCurrentIndex(0)
    assert window.runs_dock.isVisible()


def test_every_decoding_control_can_be_scrolled_to_in_a_tall_column(qtbot, shown_window):
    window = shown_window
    window.resize(*SCREENS[0])
    qtbot.wait(10)
    scroll = window.decoding_scroll
    # The settings fill the column under the prompt, not a strip of it.
    assert scroll.height() >= window.left_splitter.height() * 2 // 5
    controls = [widget for kind in (QAbstractSlider, QAbstractSpinBox, QComboBox, QAbstractButton)
                for widget in window.decoding_panel.findChildren(kind) if widget.isVisible()]
    assert len(controls) > 15
    viewport = scroll.viewport()
    for control in controls:
        # The whole control (ensureWidgetVisible would only bring a spin box's text cursor into view).
        centre = control.mapTo(scroll.widget(), control.rect().center())
        scroll.ensureVisible(centre.x(), centre.y(), control.width() // 2 + 1, control.height() // 2 + 1)
        rect = QRect(control.mapTo(viewport, QPoint(0, 0)), control.size())
        assert viewport.rect().contains(rect), control.toolTip() or type(control).__name__


def test_ctrl_number_switches_between_generate_and_the_inspector_pages(make_window):
    window = make_window()
    titles = [window.pages.tabText(index) for index in range(window.pages.count())]
    assert titles == ["Generate", "Attention", "Token", "Lens", "Compare", "Training", "Generative lab"]
    actions = window.page_actions.actions()
    # The offscreen platform cannot deliver key presses to window shortcuts: check the bindings.
    assert [action.shortcut() for action in actions] == [QKeySequence(f"Ctrl+{n}") for n in range(1, 8)]
    # In the open View menu each page is picked by its number, as Ctrl+number picks it anywhere.
    assert [action.text() for action in actions] == [f"&{n} {title}" for n, title in enumerate(titles, 1)]
    for action, kind in zip(actions[1:], (AttentionPanel, TokenPanel, LensPanel, ComparePanel, TrainingPanel,
                                             GenLabPanel)):
        action.trigger()
        assert isinstance(window.pages.currentWidget().widget().build(), kind)  # a LazyPanel until first shown
        assert action.isChecked()
    actions[0].trigger()
    assert window.pages.currentWidget() is window.generate_page
    window.pages.setCurrentIndex(2)  # a click on a tab: the View menu follows
    assert actions[2].isChecked() and not actions[0].isChecked()


def test_docks_are_locked_until_unlocked_and_the_choice_is_kept(make_window):
    window = make_window()
    docks = window.findChildren(QDockWidget)
    assert docks and all(dock.features() == QDockWidget.DockWidgetFeature.DockWidgetClosable for dock in docks)
    window.unlock_action.trigger()
    assert all(dock.features() & QDockWidget.DockWidgetFeature.DockWidgetFloatable for dock in docks)
    window.close()
    reopened = make_window()
    assert reopened.unlock_action.isChecked()
    assert reopened.runs_dock.features() & QDockWidget.DockWidgetFeature.DockWidgetMovable


@pytest.mark.parametrize(("width", "height"), SCREENS[:2])
def test_branches_side_by_side_open_under_the_output_only_and_not_again_at_start(qtbot, shown_window, make_window,
                                                                                width, height):
    from workbench.core.tree import BranchScore, GenerationTree

    window = shown_window
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.height() == height)
    left = window.left_splitter.size()
    window.compare_branches(GenerationTree(model="a model not loaded", weights_hash="", prompt="p"), [])
    words = tuple(" light scatters in the air" for _ in range(40))
    for name, column in zip("AB", window.side_by_side.columns):  # what two scored branches show
        column.show_score(name, "· another answer · The answer to this question lies in the atmosphere",
                          BranchScore("n", 3, words, (-1.1,) * 40, (2.0,) * 40))
    window.side_by_side.heading.setText("The model prefers A: -1.090 against -2.053 nats per token after the fork.")
    qtbot.waitUntil(window.side_by_side_dock.isVisible)
    for _ in range(10):  # a layout request climbs one parent an event loop pass
        QCoreApplication.processEvents()
    assert window.left_splitter.size() == left  # the decoding controls keep their room
    dock_left = window.side_by_side_dock.mapTo(window, QPoint(0, 0)).x()
    assert dock_left >= window.output_page.mapTo(window, QPoint(0, 0)).x()
    assert window.side_by_side_dock.height() >= window.output_page.height() // 3
    for column in window.side_by_side.columns:  # each strip whole: at 1366 it was cut to 2 ticks and no x axis
        assert column.strip.height() >= column.strip.minimumSizeHint().height() - 2
    if width == 1366:  # and in view; where the height lacks (1280x680), they scroll instead of pushing the window
        assert window.side_by_side.scroll.verticalScrollBar().maximum() == 0
    window.close()
    assert make_window().side_by_side_dock.isHidden()  # an empty comparison does not come back


@pytest.fixture
def without_panels(monkeypatch):
    monkeypatch.setattr(main_window_module, "inspector_panels", lambda state: [])


def test_the_dock_layout_and_splitters_come_back(make_window, without_panels):
    window = make_window()
    window.runs_dock.hide()
    window.left_splitter.setSizes([300, 200])
    sizes = window.left_splitter.sizes()
    window.close()
    reopened = make_window()
    assert reopened.runs_dock.isHidden()
    assert reopened.left_splitter.sizes() == sizes


def test_a_layout_saved_by_an_older_version_is_ignored(make_window, without_panels):
    window = make_window()
    window.runs_dock.hide()
    window.left_splitter.setSizes([500, 10])
    squeezed = window.left_splitter.sizes()
    window.close()
    store = app_settings()
    # What the previous version saved: its states carry no version number (0).
    store.setValue("window/state", window.saveState())
    store.setValue("window/generate_state", window.generate_page.saveState())
    store.sync()
    reopened = make_window()
    assert not reopened.runs_dock.isHidden()
    assert reopened.left_splitter.sizes() != squeezed
    store.setValue("window/generate_state", QByteArray(b"not a state at all"))
    assert not make_window().runs_dock.isHidden()


def test_first_start_fills_the_screen_and_a_window_saved_off_screen_comes_back_on_it(make_window, without_panels):
    window = make_window()
    assert window.windowState() & Qt.WindowState.WindowMaximized
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.setGeometry(5000, 4000, 1300, 700)  # on a second monitor that is gone now
    window.close()
    reopened = make_window()
    available = reopened.screen().availableGeometry()
    assert available.contains(reopened.geometry().topLeft())


@pytest.mark.parametrize("width, height", SCREENS)
def test_the_training_samples_have_room_to_be_read(qtbot, shown_window, width, height):
    """Under the plots at full width where the two do not fit side by side (1280 and 1366 wide), beside them
    on a full HD screen: the sample text column is wide, and a few samples show without scrolling."""
    window = shown_window
    window.resize(width, height)
    titles = [window.pages.tabText(index) for index in range(window.pages.count())]
    window.pages.setCurrentIndex(titles.index("Training"))
    panel = window.pages.currentWidget().widget().build()
    qtbot.wait(10)
    page = window.pages.currentWidget()  # the built panel fits: no scrolling at these sizes
    assert page.horizontalScrollBar().maximum() == 0 and page.verticalScrollBar().maximum() == 0
    samples = panel.curves.samples
    qtbot.waitUntil(lambda: samples.header().sectionSize(2) > 0)
    assert samples.header().sectionSize(2) >= 450
    assert samples.height() >= 120
    beside = panel.curves.splitter.orientation() == Qt.Orientation.Horizontal
    assert beside == (width >= 1920)
    plots, tabs = panel.curves.splitter.sizes()
    assert plots >= tabs, (plots, tabs)  # sized from the page's new height, never squeezed to nothing
    # The tabs that draw a heatmap get the room to read it, and keep it: the tab bar stays where the next click
    # on a tab goes.
    sizes = []
    for tab in (panel.scrubber, panel.drift, samples, panel.curves.probes_table):
        panel.curves.evaluations.setCurrentWidget(tab)
        qtbot.wait(10)
        sizes.append(panel.curves.splitter.sizes())
        if tab is panel.scrubber:
            assert panel.scrubber.heatmap.height() >= 80, panel.scrubber.heatmap.height()
        elif tab is panel.drift:
            assert tab.height() >= 200, tab.height()
    assert all(each == sizes[0] for each in sizes), sizes


def test_on_a_small_screen_the_lists_beside_the_answer_give_it_room(qtbot, make_window):
    """At first start the Runs and Tree docks took 400 px whatever the screen: on a 1024-pixel one the answer
    was left about 200 px. They take at most three tenths of the window now (400 px from 1334 px up)."""
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    assert window.runs_dock.width() <= window.width() * 3 // 10 + 10, (window.runs_dock.width(), window.width())
