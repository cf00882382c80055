"""Errors meant for a person: the message is one clear line, shown as is."""


class WorkbenchError(Exception):
    """A problem the user can act on. ``str(error)`` is the one-line message."""


class ModelNotFoundError(WorkbenchError):
    """An unknown model id, a missing path, or hub files that are not cached offline."""


class ModelLoadError(WorkbenchError):
    """A file or folder that exists but cannot be loaded as a model."""


class InvalidSettingsError(WorkbenchError):
    """Decoding, training or capture settings that cannot be used together."""


class InvalidInputError(WorkbenchError):
    """A prompt, corpus or image set that cannot be used (empty, too long, not UTF-8...)."""


class CancelledError(WorkbenchError):
    """Work stopped because the user asked it to."""


class RemoteCodeRefusedError(ModelLoadError):
    """The model ships its own Python code, and running it was not allowed."""

    def __init__(self, message: str, files: list[str]) -> None:
        super().__init__(message)
        self.files = files  # the code that would run, for a dialog that asks first
