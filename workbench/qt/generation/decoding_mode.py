"""What every decoding form does when its mode changes: the Generate page's panel and a Compare column's
dialog follow the same rules."""

from __future__ import annotations

import dataclasses
from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from workbench.core.decoding import SAMPLING_ONLY, DecodingSettings, with_mode
from workbench.qt.common.settings_form import SettingsForm


class DecodingModeRules(QObject):
    """Keeps a DecodingSettings form true to its mode. Switching modes, values still at the old mode's
    default (or its preset's) take the new mode's, so that a sampling default (Balanced's repetition
    penalty) or beam search's no-repeat n-gram does not follow the person into greedy; each mode's own
    values come back when the person returns to it. Knobs the mode does not use are disabled."""

    def __init__(self, form: SettingsForm, read: Callable[[], DecodingSettings],
                 write: Callable[[DecodingSettings], None], outside_form: dict[str, QWidget] | None = None) -> None:
        """``outside_form``: the widgets of settings the panel edits itself (the seed's row), by name."""
        super().__init__(form)
        self._read, self._write = read, write
        self.mode_combo = form.control("mode")
        edited = form.values()
        self._knobs = {name: form.control(name) for name in (*SAMPLING_ONLY, "num_beams") if name in edited}
        self._knobs.update(outside_form or {})
        self._shown_mode = self.mode_combo.currentData()
        self._left_in_mode: dict[str, DecodingSettings] = {}  # what each mode showed when the person left it
        self.mode_combo.currentIndexChanged.connect(self._mode_switched)

    def shown(self, settings: DecodingSettings) -> None:
        """The form now shows ``settings`` (set by the program, not switched by the person)."""
        self._shown_mode = settings.mode

    def enable_knobs(self, settings: DecodingSettings) -> None:
        unused = settings.unused_settings()
        for name, knob in self._knobs.items():
            knob.setEnabled(name not in unused)

    def _mode_switched(self) -> None:
        mode = self.mode_combo.currentData()
        if mode == self._shown_mode:
            return  # the program is showing settings of this mode, half set: nothing was switched
        previous = dataclasses.replace(self._read(), mode=self._shown_mode)
        self._left_in_mode[previous.mode] = previous
        self._write(with_mode(previous, mode, self._left_in_mode.get(mode)))
