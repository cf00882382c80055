"""Qt views of the workbench. Everything here runs on top of ``workbench.core``."""

import os

# pyqtgraph and superqt (through qtpy) take the first binding they find: make it ours.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("QT_API", "pyside6")
