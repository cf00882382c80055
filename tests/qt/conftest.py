"""Every Qt test fails when it leaves a QThread running or a QTimer active (napari does the same):
a thread left running aborts the process when Python destroys it, and a live timer fires into the
next test. Each test's cyclic garbage is collected when it ends, on the GUI thread."""

from __future__ import annotations

import gc
import traceback

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QTimer

from workbench.qt import main_window as main_window_module
from workbench.qt.common.app_state import AppState
from workbench.qt.common.plain_labels import show_labels_as_plain_text
from workbench.qt.main_window import MainWindow

_THREAD_GRACE_MS = 10_000  # after a failure, let a leaked thread end before the next test starts


def _tracking(real_start, started: dict[QObject, str]):
    def start(self, *args) -> None:
        started[self] = "".join(traceback.format_stack(limit=8)[:-1])
        real_start(self, *args)

    return start


@pytest.fixture(scope="session", autouse=True)
def labels_as_the_app_shows_them(qapp):
    """The application-wide label rule ``launch_gui`` installs: every test's widgets show their text as the app's
    window does."""
    show_labels_as_plain_text(qapp)


@pytest.fixture(autouse=True)
def no_dangling_threads_or_timers(qapp, monkeypatch):
    started: dict[QObject, str] = {}  # every thread and timer started during the test, with where
    monkeypatch.setattr(QThread, "start", _tracking(QThread.start, started))
    monkeypatch.setattr(QTimer, "start", _tracking(QTimer.start, started))
    yield
    # Widgets the test closed are deleted now, with their timers: what is left outlived its owner.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    # pyqtgraph's menus and control widgets have no Qt parent and sit in reference cycles. Left to a later
    # test, Python's collector may free them on that test's worker thread, and a widget destroyed off the
    # GUI thread deadlocks or crashes Qt. What is still alive then is frozen: the next collection scans only
    # what the next test makes (a full one scans torch's and transformers' ~440k objects, 0.3 s a test).
    gc.collect()
    gc.freeze()
    dangling = []
    for thing, where in started.items():
        if not shiboken6.isValid(thing):
            continue
        if isinstance(thing, QThread) and thing.isRunning():
            dangling.append(f"a QThread still running, started at\n{where}")
            thing.wait(_THREAD_GRACE_MS)
        elif isinstance(thing, QTimer) and thing.isActive():
            dangling.append(f"a QTimer still active, started at\n{where}")
            thing.stop()
    if dangling:
        pytest.fail("The test left work behind:\n" + "\n".join(dangling), pytrace=False)


@pytest.fixture
def make_window(qtbot, monkeypatch):
    """Windows without inspector panels (they have their own tests), closed after the test."""
    monkeypatch.setattr(main_window_module, "inspector_panels", lambda state: [])
    windows: list[MainWindow] = []

    def make(loaded=None) -> MainWindow:
        window = MainWindow(AppState())
        qtbot.addWidget(window)
        if loaded is not None:
            window.use_loaded_model(loaded)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def window(make_window, tiny_loaded):
    return make_window(tiny_loaded)


@pytest.fixture
def state(tiny_loaded):
    """An AppState with the tiny model loaded, as the inspector panels see it in the window."""
    state = AppState()
    state.set_loaded_model(tiny_loaded)
    return state


@pytest.fixture
def show_panel(qtbot):
    """show_panel(PanelClass, state, width, height): an inspector panel shown at that size, shut down after the test."""
    panels = []

    def show(panel_class, state: AppState, width: int, height: int):
        panel = panel_class(state)
        qtbot.addWidget(panel)
        panel.resize(width, height)
        panel.show()
        panels.append(panel)
        return panel

    yield show
    for panel in panels:
        panel.shutdown()


def wait_until_settled(count, qtbot, quiet_ms: int = 600, timeout_ms: int = 20_000) -> int:
    """Pause acts between steps: the step under way still arrives, late on a busy machine. Wait until ``count()``
    (the steps drawn) has not changed for ``quiet_ms`` and return it."""
    waited, last, quiet = 0, count(), 0
    while quiet < quiet_ms:
        assert waited < timeout_ms, "the run did not pause"
        qtbot.wait(100)
        waited += 100
        now = count()
        quiet = quiet + 100 if now == last else 0
        last = now
    return last
