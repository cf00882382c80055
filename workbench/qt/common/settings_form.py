"""A form built from a settings class's field descriptions (core/settings_fields.py): one control per
field, its tooltip from the help, grouped by section. Numbers get labelled sliders or spin boxes,
choices and devices a combo box, switches a check box, folders a line edit with a browse button.
Labels, help and sections are translated with the settings class's name as the context."""

from __future__ import annotations

import dataclasses
import decimal
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible, QLargeIntSpinBox
from superqt.utils import signals_blocked

from workbench.core.devices import available_devices
from workbench.core.settings_fields import DEVICE, ESCAPED, FOLDER, DescribedField, described_field, described_fields
from workbench.qt.common.sliders import LabeledDoubleSlider, LabeledSlider
from workbench.qt.common.wheel_guard import scroll_past

_LARGEST_INT = 2**31 - 1  # a QSpinBox holds a C int


class _OrderList(QListWidget):
    """Rows in an order, rearranged by dragging, or with Alt+Up and Alt+Down on the current row."""

    moved = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(event.key())
        row = self.currentRow()
        if step is None or event.modifiers() != Qt.KeyboardModifier.AltModifier or not 0 <= row + step < self.count():
            super().keyPressEvent(event)
            return
        item = self.takeItem(row)
        self.insertItem(row + step, item)
        self.setCurrentRow(row + step)
        self.moved.emit()


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNESCAPES = {escape[1]: character for character, escape in _ESCAPES.items()}


def _escaped(text: str) -> str:
    """A text as one line of an ``ESCAPED`` field: a new line as \\n, a return as \\r, a tab as \\t, a backslash
    as \\\\."""
    return "".join(_ESCAPES.get(character, character) for character in text)


def _unescaped(line: str) -> str:
    """What ``_escaped`` wrote; any other backslash stays as typed (\\section is a stop string of its own)."""
    return re.sub(r"\\(.)", lambda match: _UNESCAPES.get(match[1], match[0]), line)


_MOST_DECIMALS = 12


def _decimals_of(value: float) -> int:
    """The decimal places ``value`` needs to be shown exactly (3e-06: 6), at most ``_MOST_DECIMALS``."""
    exponent = decimal.Decimal(repr(float(value))).as_tuple().exponent
    return min(_MOST_DECIMALS, max(0, -exponent)) if isinstance(exponent, int) else 0


class _DecimalsAsNeededSpinBox(QDoubleSpinBox):
    """Shows ``shown`` decimals, more where a value needs them (a learning rate of 2e-06 as 0.000002), and keeps a
    typed value to 12 places: with 5, a typed 0.000002 was rounded to the box's minimum, which reads as "auto"."""

    def __init__(self, shown: int) -> None:
        super().__init__()
        self._shown = shown
        self.setDecimals(_MOST_DECIMALS)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        return self.locale().toString(value, "f", max(self._shown, _decimals_of(value)))

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt's name)
        # Qt's adaptive step is a tenth of the value's leading digit, at least one unit of the last decimal: taken at
        # the decimals shown, not the 12 kept (one step up from 0 or "auto" went to 1e-12).
        self.setDecimals(max(self._shown, _decimals_of(self.value())))
        try:
            super().stepBy(steps)
        finally:
            self.setDecimals(_MOST_DECIMALS)


def whole_number_box(settings_class: type, name: str) -> QLargeIntSpinBox:
    """A spin box over a whole-number setting's valid range, its help as the tooltip, for a panel that lays it out
    itself (the seed beside its lock); large: a seed goes up to 2**32 - 1, past a C int."""
    field = described_field(settings_class, name)
    box = QLargeIntSpinBox()
    box.setRange(int(field.info.minimum), int(field.info.maximum))
    box.setToolTip(QCoreApplication.translate(settings_class.__name__, field.info.help))
    return box


@dataclasses.dataclass(frozen=True)
class _Control:
    """The widget that edits one field and how to read and write its value."""

    widget: QWidget  # what is shown in the row
    editor: QWidget  # what holds the value (the line edit inside a folder row)
    read: Callable[[], Any]
    write: Callable[[Any], None]


class SettingsForm(QWidget):
    """Controls for the ``names`` fields of ``settings_class``, in that order. ``custom`` gives a
    panel's own widget for a field (labelled and helped like the others, read by the panel)."""

    changed = Signal()  # any control was edited

    def __init__(
        self,
        settings_class: type,
        names: Sequence[str],
        *,
        custom: Mapping[str, QWidget] | None = None,
        sliders: bool = False,
        collapsible: bool = False,
        collapsed: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = settings_class.__name__
        self._sliders = sliders
        self._collapsible = collapsible
        self._collapsed = set(collapsed)  # sections that start folded (advanced ones)
        self._controls: dict[str, _Control] = {}
        self._rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self._sections: dict[str, QFormLayout] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        fields = {field.name: field for field in described_fields(settings_class)}
        custom = custom or {}
        for name in names:
            field = fields[name]
            if name in custom:
                widget = custom[name]
            else:
                control = self._build(field)
                self._controls[name] = control
                if field.default is not dataclasses.MISSING:
                    control.write(field.default)
                widget = control.widget
            self._add_row(field, widget)
        scroll_past(self)

    def translate(self, text: str) -> str:
        return QCoreApplication.translate(self._context, text)

    # --- reading and writing ----------------------------------------------------------

    def control(self, name: str) -> QWidget:
        """The widget that holds ``name``'s value (a spin box, slider, combo box, check box or line edit)."""
        return self._controls[name].editor

    def values(self) -> dict[str, Any]:
        """The value of every field this form edits (not the panel's own widgets)."""
        return {name: control.read() for name, control in self._controls.items()}

    def set_value(self, name: str, value: Any) -> None:
        """Set one field as an edit would: its control's signals fire."""
        self._controls[name].write(value)

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (other keys are ignored) without a signal per control; ``changed`` fires once."""
        for name, control in self._controls.items():
            if name in values:
                with signals_blocked(control.editor):
                    control.write(values[name])
        self.changed.emit()

    def hide_unused(self, unused: Collection[str]) -> None:
        """Show every row but those of the settings the current values leave ``unused``."""
        for name, (form, widget) in self._rows.items():
            form.setRowVisible(widget, name not in unused)

    # --- building ---------------------------------------------------------------------

    def _section(self, title: str) -> QFormLayout:
        if title not in self._sections:
            body = QWidget()
            form = QFormLayout(body)
            if not title:
                form.setContentsMargins(0, 0, 0, 0)
                self._layout.addWidget(body)
            elif self._collapsible:
                form.setContentsMargins(4, 0, 0, 0)
                section = QCollapsible(self.translate(title))
                section.addWidget(body)
                if title not in self._collapsed:
                    section.expand(animate=False)
                self._layout.addWidget(section)
            else:
                group = QGroupBox(self.translate(title))
                QVBoxLayout(group).addWidget(body)
                body.layout().setContentsMargins(0, 0, 0, 0)
                self._layout.addWidget(group)
            self._sections[title] = form
        return self._sections[title]

    def _add_row(self, field: DescribedField, widget: QWidget) -> None:
        form = self._section(field.info.section)
        label_text, tooltip = self.translate(field.info.label), self.translate(field.info.help)
        if isinstance(widget, _OrderList):  # how to use this control: the window's own, not the setting's help
            tooltip += "\n" + QCoreApplication.translate(
                "SettingsForm", "Drag the rows, or move the current one with Alt+Up and Alt+Down.")
        widget.setToolTip(tooltip)
        if isinstance(widget, QCheckBox):  # the box carries its own label
            widget.setText(label_text)
            row = widget
            form.addRow(row)
        elif self._sliders and isinstance(widget, (LabeledSlider, LabeledDoubleSlider)):
            row = QWidget()  # the label above the slider, so the slider gets the whole width
            row_layout = QVBoxLayout(row)
            row_layout.setContentsMargins(0, 2, 0, 2)
            row_layout.setSpacing(0)
            label = QLabel(label_text)
            label.setToolTip(tooltip)
            row_layout.addWidget(label)
            row_layout.addWidget(widget)
            form.addRow(row)
        else:
            label = QLabel(label_text)
            label.setToolTip(tooltip)
            row = widget
            form.addRow(label, row)
        self._rows[field.name] = (form, row)

    def _build(self, field: DescribedField) -> _Control:
        info = field.info
        if field.value_type is bool:
            box = QCheckBox()
            box.toggled.connect(self.changed)
            return _Control(box, box, box.isChecked, box.setChecked)
        if field.value_type is tuple and info.choices:
            return self._order(field)
        if info.choices or info.kind == DEVICE:
            return self._combo(field)
        if field.value_type in (int, float):
            return self._number(field)
        if field.value_type is tuple:
            return self._lines(field)
        return self._text(field)

    def _combo(self, field: DescribedField) -> _Control:
        combo = QComboBox()
        if field.info.kind == DEVICE:
            combo.addItems(available_devices())
            combo.currentIndexChanged.connect(self.changed)
            return _Control(combo, combo, combo.currentText, combo.setCurrentText)
        for value, label in field.info.choices:
            combo.addItem(self.translate(label), value)
        combo.currentIndexChanged.connect(self.changed)
        return _Control(combo, combo, combo.currentData, lambda value: combo.setCurrentIndex(combo.findData(value)))

    def _number(self, field: DescribedField) -> _Control:
        info, whole = field.info, field.value_type is int
        low, high = field.soft_range
        low = -_LARGEST_INT if low is None else low
        high = _LARGEST_INT if high is None else high
        box: QWidget
        if whole and high > _LARGEST_INT:
            box = QLargeIntSpinBox()  # seeds go up to 2**32 - 1, past a C int
        elif self._sliders:
            horizontal = Qt.Orientation.Horizontal
            box = LabeledSlider(horizontal) if whole else LabeledDoubleSlider(horizontal)
            if not whole:
                box.setDecimals(info.decimals)
        else:
            box = QSpinBox() if whole else _DecimalsAsNeededSpinBox(info.decimals)
            if not whole:
                box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            if info.special:
                box.setSpecialValueText(self.translate(info.special))
        if isinstance(box, QAbstractSpinBox):
            box.setKeyboardTracking(False)  # the finished number is checked, not each keystroke
        step = info.step or (1 if whole else 10**-info.decimals)
        unset = None  # the box's minimum, shown as the special text ("auto"), where it stands for None
        if field.optional and info.special:
            if not info.exclusive_minimum:
                # One step below a minimum that is a value itself, which stays one (a final learning rate of 0); the
                # field's own step then, so one step from "auto" reaches that minimum, not negative values between.
                low -= step
                if isinstance(box, QDoubleSpinBox):
                    box.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
            unset = low
        box.setRange(low, high)
        box.setSingleStep(step)
        box.valueChanged.connect(self.changed)

        def read() -> Any:
            value = int(box.value()) if whole else round(box.value(), box.decimals())
            return None if value == unset else value

        def write(value: Any) -> None:
            if value is None:
                box.setValue(low)
                return
            if isinstance(box, LabeledDoubleSlider):  # a run's 3e-6 was rounded to 0.00000, which read as "auto"
                box.setDecimals(max(info.decimals, _decimals_of(value)))
            # A value past the suggested range is the settings' own (a run's 8192-token context): kept, not clamped.
            box.setRange(min(box.minimum(), value), max(box.maximum(), value))
            box.setValue(value)

        return _Control(box, box, read, write)

    def _text(self, field: DescribedField) -> _Control:
        """A line of text; empty stands for None where the field allows it, and shows ``special``."""
        edit = QLineEdit()
        edit.setPlaceholderText(self.translate(field.info.special))
        edit.textChanged.connect(self.changed)

        def read() -> str | None:
            return (edit.text().strip() or None) if field.optional else edit.text()

        control = _Control(edit, edit, read, lambda value: edit.setText(value or ""))
        if field.info.kind != FOLDER:
            return control
        browse = QPushButton(QCoreApplication.translate("SettingsForm", "Folder…"))
        browse.setToolTip(self.translate(field.info.help))

        def choose() -> None:
            folder = QFileDialog.getExistingDirectory(self, self.translate(field.info.label))
            if folder:
                edit.setText(folder)

        browse.clicked.connect(choose)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(edit, 1)
        row_layout.addWidget(browse)
        return dataclasses.replace(control, widget=row)

    def _order(self, field: DescribedField) -> _Control:
        """An order of the field's choices, rearranged by dragging the rows or with Alt+Up and Alt+Down."""
        listing = _OrderList()
        listing.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        labels = dict(field.info.choices)
        listing.model().rowsMoved.connect(self.changed)
        listing.moved.connect(self.changed)

        def read() -> tuple[str, ...]:
            return tuple(listing.item(row).data(Qt.ItemDataRole.UserRole) for row in range(listing.count()))

        def write(value: tuple[str, ...]) -> None:
            listing.clear()
            for name in value:
                item = QListWidgetItem(self.translate(labels.get(name, name)))
                item.setData(Qt.ItemDataRole.UserRole, name)
                listing.addItem(item)
            row_height = listing.sizeHintForRow(0)
            listing.setFixedHeight(row_height * max(1, listing.count()) + 2 * listing.frameWidth() + 4)
            if not listing.signalsBlocked():  # as an edit would (set_values blocks it and fires once)
                self.changed.emit()

        return _Control(listing, listing, read, write)

    def _lines(self, field: DescribedField) -> _Control:
        """Several texts, one per line. Blank lines are dropped; where the field's texts may hold a new line or be
        blank (``ESCAPED``: stop strings, where "\\n" is the commonest), each line is read with escapes and only
        empty lines are dropped."""
        escaped = field.info.kind == ESCAPED
        edit = QPlainTextEdit()
        edit.setPlaceholderText(QCoreApplication.translate("SettingsForm", "one per line; \\n for a new line")
                                if escaped else QCoreApplication.translate("SettingsForm", "one per line"))
        edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 12)
        edit.setTabChangesFocus(True)  # a form's field: Tab moves to the next one
        edit.textChanged.connect(self.changed)

        def read() -> tuple[str, ...]:
            lines = edit.toPlainText().split("\n")
            if escaped:
                return tuple(_unescaped(line) for line in lines if line)
            return tuple(line for line in lines if line.strip())

        def write(value: tuple[str, ...]) -> None:
            edit.setPlainText("\n".join(_escaped(text) for text in value) if escaped else "\n".join(value))

        return _Control(edit, edit, read, write)
