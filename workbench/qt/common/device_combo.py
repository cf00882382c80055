"""A device choice that does not import torch to be built: the window shows it at start-up,
and torch takes seconds to import."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from workbench.core.devices import EVERY_MACHINE_DEVICES, available_devices


class DeviceComboBox(QComboBox):
    """Starts with the devices every machine has; the GPUs are listed when the list is first opened."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.addItems(EVERY_MACHINE_DEVICES)
        self._complete = False

    def set_device(self, name: str) -> None:
        """Choose ``name``, listed or not yet: loading checks that the device exists."""
        if self.findText(name) < 0:
            self.addItem(name)
        self.setCurrentText(name)

    def complete(self) -> None:
        """Add each GPU this machine has (asks torch, once)."""
        if self._complete:
            return
        self._complete = True
        for name in available_devices():
            if self.findText(name) < 0:
                self.addItem(name)

    def showPopup(self) -> None:
        self.complete()
        super().showPopup()
