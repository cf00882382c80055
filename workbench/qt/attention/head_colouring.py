"""Colour the model overview's heads by a score: how much each head looks at the previous token,
at the token that followed this one last time (induction) or at the first token (sink), measured on
the loaded model by ``core/head_scores.py``, once per model, on a worker."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from workbench.core.head_scores import HeadScores, head_scores_job
from workbench.core.loading import LoadedModel
from workbench.qt.attention.overview import OverviewGrid
from workbench.qt.common.app_state import AppState
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import translated


class HeadColouring(QWidget):
    """A "Colour heads by" choice above the overview; the scores are computed the first time one is chosen."""

    def __init__(self, state: AppState, overview: OverviewGrid, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.overview = overview
        self.scores: HeadScores | None = None
        self.combo = QComboBox()
        self.combo.addItem(self.tr("nothing"), None)
        self.combo.addItem(self.tr("previous-token score"), "previous_token")
        self.combo.addItem(self.tr("induction score"), "induction")
        self.combo.addItem(self.tr("first-token (sink) score"), "sink")
        self.combo.setToolTip(self.tr(
            "Frame each head in the colour of its score on a random sequence repeated twice (the loaded model): "
            "its mean attention to the previous token, to the token that followed the current one last time (an "
            "induction head), or to the first token. The number is the score, from 0 to 1."))
        self.combo.currentIndexChanged.connect(self._show)
        self.status = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("Colour heads by")))
        layout.addWidget(self.combo)
        layout.addWidget(self.status, 1)
        self.job = Job(state.jobs, parent=self)
        self.job.event.connect(lambda message: self.status.setText(self.tr("Scoring every head…")))
        self.job.finished.connect(self._on_scores)
        self.job.failed.connect(self._on_failed)
        state.model_changed.connect(self._on_model_changed)

    @property
    def kind(self) -> str | None:
        return self.combo.currentData()

    def _show(self) -> None:
        loaded = self.state.loaded_model
        if self.kind is None:
            self.overview.set_head_scores(None)
            self.status.clear()
        elif self.scores is not None:
            self.overview.set_head_scores(getattr(self.scores, self.kind))
            self.status.setText(self.tr("Scores of {0}.").format(translated(loaded.entry.name)) if loaded else "")
        elif loaded is None:
            self.status.setText(self.tr("Load a model first."))
        elif not self.job.is_running:
            self.job.start(lambda cancel: head_scores_job(loaded, loaded.context_length, cancel))

    def _on_scores(self, scores: HeadScores) -> None:
        self.scores = scores
        self._show()

    def _on_failed(self, message: str) -> None:
        self.status.setText(message)
        self.combo.setCurrentIndex(0)

    def _on_model_changed(self, _loaded: LoadedModel | None) -> None:
        self.job.abandon()
        self.scores = None
        self.combo.setCurrentIndex(0)
        self._show()

    def shutdown(self) -> None:
        self.job.shutdown()
