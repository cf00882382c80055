"""The Drift tab of a fine-tuning run: where the model is moving away from its base.

One strip per probe text, one cell per token, coloured by the KL divergence KL(base ‖ now) of the
next-token distribution there (nats), as the latest evaluation recorded it. Clicking a token loads
the base and the model kept at that evaluation on the CPU (``core/training/drift.py``, once for
both) and shows their five likeliest next tokens side by side and each head's change of attention
row at that token (now minus base).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget
from superqt import QElidingLabel

from workbench.core.attention_tokens import visible_text
from workbench.core.training.drift import DriftDetail, DriftReader
from workbench.core.training.probes import ProbeRecord
from workbench.core.training.snapshots import snapshot_steps
from workbench.qt.common.app_state import AppState
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import translated
from workbench.qt.common.probabilities import percent
from workbench.qt.common.tooltips import literal
from workbench.qt.lens.grid import LensGrid

STRIP_HEIGHT = 120  # one row of cells with its rotated token labels and colour bar
VISIBLE_STRIPS = 3  # more scroll
CONTENT_MIN_HEIGHT = 440  # the strips and a readable comparison grid
_DRIFT_MAP = "inferno"
_CHANGE_MAP = "CET-D1"  # diverging: blue for attention taken away, red for attention added


class _ProbeStrip(LensGrid):
    """One probe's row of cells; says which strip it is with each click and hover (bound methods, not
    lambdas: a lambda holding the view would keep the pyqtgraph items for the garbage collector)."""

    token_clicked = Signal(int, int)  # (strip, position)
    token_hovered = Signal(int, int)  # (strip, position); position -1 off the cells

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
        self.setFixedHeight(STRIP_HEIGHT)
        self.column_clicked.connect(self._clicked)
        self.hovered.connect(self._hovered)

    def _clicked(self, position: int) -> None:
        self.token_clicked.emit(self.index, position)

    def _hovered(self, _row: int, position: int) -> None:
        self.token_hovered.emit(self.index, position)


class DriftView(QWidget):
    needs_room = True  # under the plots, the Training curves give this tab most of the height

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[ProbeRecord] = []  # the latest evaluation's, with drift
        self.out_dir: Path | None = None
        self.block_size = 0
        self.reader: DriftReader | None = None
        self.shown: DriftDetail | None = None

        self._waiting_text = self.tr("The drift from the base model shows here when a run fine-tunes.")
        self.header = QLabel(self._waiting_text)
        self.header.setWordWrap(True)
        self.header.setToolTip(self.tr(
            "KL(base ‖ now) of the next-token distribution at each token of each probe, in nats: 0 where the "
            "fine-tuned model still predicts as its base did, larger where it has moved."))
        self.strips: list[_ProbeStrip] = []
        self._strips_box = QWidget()
        self._strips_layout = QVBoxLayout(self._strips_box)
        self._strips_layout.setContentsMargins(0, 0, 0, 0)
        self._strips_layout.addStretch(1)  # strips keep their height at the top
        scroll = QScrollArea()
        scroll.setWidget(self._strips_box)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        # One table beside the grid, not above it: the tab is short on a laptop screen.
        self.tops = QLabel()
        self.tops.setTextFormat(Qt.TextFormat.RichText)  # two tables, their tokens escaped
        self.tops.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.tops.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tops.setToolTip(self.tr("The five likeliest next tokens after the clicked token, for each model."))
        self.change = LensGrid()
        self.change.setToolTip(self.tr(
            "Each head's attention row at the clicked token: the fine-tuned model's minus the base's. "
            "Red: attention added to that earlier token; blue: attention taken away."))
        self.change.set_axis_titles(self.tr("layer and head"), self.tr("the token attended to"))
        self.change.hovered.connect(self._show_change_at)
        self.readout = QElidingLabel()
        detail = QWidget()
        detail_layout = QHBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.tops)
        detail_layout.addWidget(self.change, 1)
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(scroll)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 0)  # the strips keep their height; a taller tab goes to the comparison
        splitter.setStretchFactor(1, 1)
        scroll.setMinimumHeight(STRIP_HEIGHT)
        self.status = QElidingLabel(self.tr("Click a token of a strip to compare the two models there."))

        # The strips and the comparison scroll inside the tab when it is short (under the plots on a
        # laptop screen) rather than stretching the whole page.
        content = QWidget()
        content.setMinimumHeight(CONTENT_MIN_HEIGHT)
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(splitter)
        self._outer = outer = QScrollArea()
        outer.setWidget(content)
        outer.setWidgetResizable(True)
        outer.setMinimumHeight(0)
        outer.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(outer, 1)
        layout.addWidget(self.readout)
        layout.addWidget(self.status)

        self.job = Job(state.jobs, parent=self, one_at_a_time=True)  # a checkpoint loads whole, unstoppable
        self.job.event.connect(self._show_status)
        self.job.finished.connect(self._show_detail)
        self.job.failed.connect(self.status.setText)
        self.show_records([])

    # --- what there is to show -------------------------------------------------------------------

    def set_run(self, out_dir: str | Path, base_model: str | None, block_size: int) -> None:
        """A new run: a fine-tune of ``base_model`` (None: not a fine-tune, nothing to show)."""
        self.job.abandon()
        self.out_dir, self.block_size = Path(out_dir), block_size
        if self.reader is None or self.reader.base_model != base_model:
            self.reader = DriftReader(base_model) if base_model else None  # the old models go with it
        self.show_records([])

    def show_records(self, records: Sequence[ProbeRecord]) -> None:
        """The probes of the latest evaluation: one strip each (records without drift show nothing)."""
        self.records = [record for record in records if record.drift]
        # Empty strips and an empty grid said nothing: until a fine-tune's drift comes, the header alone says why.
        for widget in (self._outer, self.readout, self.status):
            widget.setVisible(bool(self.records))
        while len(self.strips) < len(self.records):  # strips are kept for the next evaluation, not rebuilt
            self._add_strip()
        for index, strip in enumerate(self.strips):
            strip.setVisible(index < len(self.records))
        for strip, record in zip(self.strips, self.records):
            labels = list(record.tokens) or [str(position) for position in range(len(record.drift))]
            strip.set_labels([self.tr("probe {0}").format(record.probe + 1)], labels)
            drift = np.array([record.drift], dtype=np.float32)  # (1, T)
            strip.set_values(drift, (0.0, max(float(drift.max()), 1e-3)), pg.colormap.get(_DRIFT_MAP),
                             self.tr("KL, nats"))
            strip.setToolTip(literal(record.text))
        if not self.records:
            self.header.setText(self._waiting_text)  # not the last run's step: that run is gone from here
        else:  # up to three strips in view; the comparison takes the rest
            strips_height = min(len(self.records), VISIBLE_STRIPS) * (STRIP_HEIGHT + 6)
            total = sum(self.splitter.sizes()) or self.height()
            self.splitter.setSizes([strips_height, max(total - strips_height, STRIP_HEIGHT)])
            self.header.setText(self.tr(
                "Drift from the base at step {0}: KL(base ‖ now) per token, in nats. Click a token to compare "
                "the two models there.").format(self.records[0].step))

    def _add_strip(self) -> None:
        strip = _ProbeStrip(len(self.strips))
        strip.token_clicked.connect(self.compare_at)
        strip.token_hovered.connect(self._show_drift_at)
        self._strips_layout.insertWidget(len(self.strips), strip)
        self.strips.append(strip)

    # --- one token, both models ----------------------------------------------------------------

    def compare_at(self, strip: int, position: int) -> None:
        """Compare the base and the model kept at the strip's step at token ``position`` (in the background)."""
        if strip >= len(self.records):
            return
        record = self.records[strip]
        for index, other in enumerate(self.strips):
            other.select_column(position if index == strip else -1)
        folder = snapshot_steps(self.out_dir).get(record.step) if self.out_dir else None
        if self.reader is None or folder is None:
            self.status.setText(self.tr("The model of step {0} is not kept: set Keep the latest above 0 to compare "
                                        "at every evaluation.").format(record.step))
            return
        reader, block_size = self.reader, self.block_size
        self.job.start(lambda cancel: reader.read(folder, record.step, record.text, block_size, position, cancel))

    def _show_detail(self, detail: DriftDetail) -> None:
        self.shown = detail
        self.tops.setText(self._tops_html(detail))
        change = detail.attention_change  # (L, H, T)
        layers, heads, _ = change.shape
        rows = [self.tr("L{0} H{1}").format(layer, head) for layer in range(layers) for head in range(heads)]
        self.change.set_labels(rows, list(detail.tokens))
        reach = max(float(np.abs(change).max()), 1e-3)
        self.change.set_values(change.reshape(layers * heads, -1), (-reach, reach), pg.colormap.get(_CHANGE_MAP),
                               self.tr("attention now − base"))
        self.status.setText(self.tr("Token {0} of probe “{1}”: KL {2:.4f} nats.").format(
            detail.position, detail.probe, detail.kl))

    def _tops_html(self, detail: DriftDetail) -> str:
        """After the clicked token: the base's five likeliest next tokens beside the kept model's."""
        def cells(pair: tuple[str, float] | None) -> str:
            if pair is None:
                return "<td></td><td></td>"
            return f"<td>“{html.escape(visible_text(pair[0]))}”</td><td align='right'>{percent(pair[1])}</td>"

        rows = "".join(f"<tr>{cells(base)}<td width='12'></td>{cells(kept)}</tr>"
                       for base, kept in zip(detail.base_top, detail.kept_top))
        title = self.tr("After “{0}”").format(html.escape(visible_text(detail.tokens[-1])))
        base, kept = html.escape(self.tr("base")), html.escape(self.tr("step {0}").format(detail.step))
        return (f"<b>{title}</b><table cellspacing='2'><tr><th colspan='2' align='left'>{base}</th><td></td>"
                f"<th colspan='2' align='left'>{kept}</th></tr>{rows}</table>")

    def _show_drift_at(self, strip: int, position: int) -> None:
        record = self.records[strip] if strip < len(self.records) else None
        if record is not None and 0 <= position < len(record.drift):
            token = record.tokens[position] if position < len(record.tokens) else str(position)
            self.readout.setText(self.tr("Probe {0}, “{1}”: KL {2:.4f} nats").format(
                record.probe + 1, visible_text(token), record.drift[position]))

    def _show_change_at(self, row: int, column: int) -> None:
        detail = self.shown
        if detail is None or row < 0 or column < 0:
            return
        heads = detail.base_attention.shape[1]
        layer, head = divmod(row, heads)
        base, kept = detail.base_attention[layer, head, column], detail.kept_attention[layer, head, column]
        self.readout.setText(self.tr("L{0} H{1} → “{2}”: base {3:.3f}, now {4:.3f} ({5:+.3f})").format(
            layer, head, visible_text(detail.tokens[column]), base, kept, kept - base))

    def _show_status(self, message: str) -> None:
        self.status.setText(translated(message))  # what the job is doing, in the interface's language

    def shutdown(self) -> None:
        self.job.shutdown()
