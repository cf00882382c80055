"""Turn a sequence's token ids into text pieces as they stream, never splitting a character.

Fast tokenizers (every tokenizer trained here, GGUF conversions, most hub models) use the
library's ``DecodeStream``. A few hub models still ship only a Python tokenizer (BioGPT,
CTRL, XLM): those get the same algorithm written with ``tokenizer.decode``.

Both decode in the context of the prompt's last tokens, so an answer that starts with a
word keeps its leading space (SentencePiece decoders drop it at the start of a text).
Special tokens are skipped, as the engine's final text skips them.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from tokenizers.decoders import DecodeStream

from workbench.core.attention_tokens import unfinished_character_tokens


class TextStream(Protocol):
    def add(self, token_id: int) -> str:
        """The text this token completes: "" while a character's bytes are incomplete."""


class _LibraryTextStream:
    def __init__(self, backend_tokenizer, context_ids: Sequence[int]) -> None:
        self.backend_tokenizer = backend_tokenizer
        self.stream = DecodeStream(list(context_ids), skip_special_tokens=True)

    def add(self, token_id: int) -> str:
        return self.stream.step(self.backend_tokenizer, token_id) or ""


class _PythonTextStream:
    """DecodeStream's algorithm for tokenizers without a Rust backend: decode a short
    window (the previous piece's tokens plus the new ones) and hold text back while it
    ends in an incomplete UTF-8 character."""

    def __init__(self, tokenizer, context_ids: Sequence[int]) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = list(context_ids)
        self.prefix_offset = 0
        self.read_offset = len(self.ids)

    def add(self, token_id: int) -> str:
        self.ids.append(token_id)
        decode = self.tokenizer.decode
        before = decode(self.ids[self.prefix_offset : self.read_offset], skip_special_tokens=True)
        after = decode(self.ids[self.prefix_offset :], skip_special_tokens=True)
        if len(after) <= len(before) or after.endswith("\ufffd"):
            return ""
        self.prefix_offset, self.read_offset = self.read_offset, len(self.ids)
        return after[len(before) :]


def text_stream(tokenizer, context_ids: Sequence[int] = ()) -> TextStream:
    """A stream for one sequence whose text continues after ``context_ids``. A context that ends within a
    character (a branch forced to its first bytes) starts the stream where that character begins, its bytes
    fed in: the token that completes it gives the character, where a stream begun after them would give the
    whole context's text again (it reads as a replacement character, which the new text does not continue)."""
    context_ids = list(context_ids)
    begun = len(unfinished_character_tokens(tokenizer, context_ids))
    whole, pending = context_ids[: len(context_ids) - begun], context_ids[len(context_ids) - begun :]
    backend_tokenizer = getattr(tokenizer, "backend_tokenizer", None)
    if backend_tokenizer is not None:
        stream: TextStream = _LibraryTextStream(backend_tokenizer, whole)
    else:
        stream = _PythonTextStream(tokenizer, whole)
    for token_id in pending:
        stream.add(token_id)  # "": the character is not whole yet
    return stream


def complete_text(tokenizer, ids: Sequence[int], context_ids: Sequence[int] = ()) -> str:
    """``ids`` as text after ``context_ids``, as the streamed answer shows it: a last character whose bytes have
    not all come (a sample cut at its length) is left out, not shown as a replacement character."""
    stream = text_stream(tokenizer, context_ids)
    return "".join(stream.add(token_id) for token_id in ids)
