"""Errors meant for a person: the message is one clear line, shown as is."""

import errno

from workbench.core.i18n import QT_TRANSLATE_NOOP


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


class NonFiniteScoresError(WorkbenchError):
    """The model computed NaN or infinity: damaged weights, or numbers too large for its dtype."""

    def __init__(self, model_name: str, dtype: str) -> None:
        if dtype in ("float16", "bfloat16"):  # a 16-bit type's range is a likely cause beside damage
            message = QT_TRANSLATE_NOOP(
                "Errors", "{name} computed numbers that are not finite (NaN or infinity) in {dtype}: its weights "
                "may be damaged (reinstall or retrain it), or overflow a 16-bit type (load it in float32).")
        else:
            message = QT_TRANSLATE_NOOP(
                "Errors", "{name} computed numbers that are not finite (NaN or infinity) in {dtype}: its weights "
                "may be damaged (reinstall or retrain it).")
        super().__init__(message.fill(name=model_name, dtype=dtype))


class RemoteCodeRefusedError(ModelLoadError):
    """The model ships its own Python code, and running it was not allowed."""

    def __init__(self, message: str, files: list[str]) -> None:
        super().__init__(message)
        self.files = files  # the code that would run, for a dialog that asks first


_DISK_FULL = ("No space left on device", "os error 28", "Disk quota exceeded")
_NO_MEMORY = ("can't allocate memory", "out of memory", "Cannot allocate memory")


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` says memory ran out: Python's MemoryError, or the RuntimeError torch's allocators raise
    (CUDA's ``OutOfMemoryError`` is one; the CPU and MPS allocators say so in the message)."""
    return isinstance(error, MemoryError) or (
        isinstance(error, RuntimeError) and any(words in str(error) for words in _NO_MEMORY))


def plain_error(error: BaseException) -> WorkbenchError | None:
    """A library's failure the person can act on, said as such: a full disk or too little memory (a
    safetensors or allocator error would read as a fault of the workbench). None for anything else."""
    text = str(error)
    reason = (text.splitlines() or [type(error).__name__])[0]
    if getattr(error, "errno", None) == errno.ENOSPC or any(words in text for words in _DISK_FULL):
        return WorkbenchError(QT_TRANSLATE_NOOP(
            "Errors", "The disk is full ({reason}): free some space, or write elsewhere, and try again. What was "
            "saved before is kept.").fill(reason=reason))
    if is_out_of_memory(error):
        return WorkbenchError(QT_TRANSLATE_NOOP(
            "Errors", "Not enough memory ({reason}): try a smaller model, batch, context or sample.").fill(
                reason=reason))
    return None
