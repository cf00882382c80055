"""Readable token labels for heatmap axes: byte-level pieces decoded to text, whitespace made visible.

Byte-level BPE (GPT-2, SmolLM2, Gemma's byte fallback) spells bytes as odd letters ('Ġ' is a space,
'Ċ' a newline) and splits one Chinese character across several tokens. A label shows what its token
really is: the whole characters it holds as text, and the bytes of a character it shares with its
neighbours as a chip naming that character: 床 split in two reads ``⟨e5 ba:床⟩`` then ``⟨8a:床⟩``. A
token read alone (an alternative in a top-k list) has no neighbours: ``⟨e5 ba⟩``. ``text_of_labels``
joins labels back into the exact text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

_BYTE_FALLBACK = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")  # SentencePiece byte-fallback pieces
# Whitespace and control characters drawn as marks: a control byte (0x1d, a backspace...) would otherwise show
# as nothing or a box. The others are their Unicode pictures (␀ ␍ ␡), as `workbench train` prints them.
_VISIBLE_WHITESPACE = str.maketrans({**{chr(code): chr(0x2400 + code) for code in range(0x20)}, "\x7f": "␡",
                                     " ": "␣", "\n": "↵", "\t": "⇥"})
_MAX_GROUP_BYTES = 8  # a UTF-8 character is at most 4 bytes; longer undecodable runs are given up on
MAX_UNFINISHED_BYTES = 3  # of a character's 4 bytes at most, the ones before its last
LABEL_CHARS = 14  # longer token labels are elided on the axes
_NICE_STRIDES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


@dataclass(frozen=True)
class TokenSequence:
    ids: tuple[int, ...]
    labels: tuple[str, ...]  # readable, one per token
    special: tuple[bool, ...]  # True for tokens like <|im_start|> or [CLS]

    def __len__(self) -> int:
        return len(self.ids)


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return {char: byte for byte, char in bytes_to_unicode().items()}


def _is_byte_level(tokenizer) -> bool:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    decoder = getattr(backend, "decoder", None)
    return decoder is not None and "ByteLevel" in repr(decoder)


def _piece_bytes(piece: str, byte_level: bool) -> bytes:
    if byte_level:
        decoder = _byte_decoder()
        if all(char in decoder for char in piece):
            return bytes(decoder[char] for char in piece)
    match = _BYTE_FALLBACK.match(piece)
    if match:
        return bytes([int(match.group(1), 16)])
    return piece.replace("▁", " ").encode("utf-8")  # SentencePiece marks a leading space with '▁'


def token_bytes(tokenizer, token_id: int) -> bytes:
    """The bytes of text one token stands for: part of a character's for a piece of a split one."""
    piece = tokenizer.convert_ids_to_tokens(int(token_id))
    return _piece_bytes(piece, _is_byte_level(tokenizer))


def visible_text(text: str) -> str:
    """Whitespace and control characters drawn as marks (␣ ↵ ⇥ ␛) and an empty piece as ∅, so every token
    shows. A byte chip (⟨e5 ba:床⟩) keeps its own spaces: ␣ there would read as a space in the text."""
    pieces, start = [], 0
    for chip in _CHIP.finditer(text):
        pieces += [text[start:chip.start()].translate(_VISIBLE_WHITESPACE), chip.group(0)]
        start = chip.end()
    pieces.append(text[start:].translate(_VISIBLE_WHITESPACE))
    return "".join(pieces) or "∅"


_VISIBLE_MARKS = {mark: chr(code) for code, mark in _VISIBLE_WHITESPACE.items()}
_CHIP = re.compile(r"⟨([0-9a-f]{2}(?: [0-9a-f]{2})*)(?::[^⟩]*)?⟩")


def single_token_labels(tokenizer, token_ids: Sequence[int]) -> list[str]:
    """Each token labelled on its own: labels for alternatives, which are not a running text."""
    return [token_sequence(tokenizer, [token_id]).labels[0] for token_id in token_ids]


def labels_after(tokenizer, context_ids: Sequence[int], token_ids: Sequence[int]) -> list[str]:
    """Each of ``token_ids`` labelled as it would read after ``context_ids``: alone, except that where the context
    ends within a character, a token completing it names the character it makes (``⟨97:北⟩`` after ``⟨e5 8c⟩``,
    not the bare ``⟨97⟩``): the top-k lists of a position inside a character."""
    context = single_token_labels(tokenizer, list(context_ids)[-MAX_UNFINISHED_BYTES:])
    return labels_after_labels(context, single_token_labels(tokenizer, token_ids))


def byte_chip(data: bytes, character: str | None = None) -> str:
    """Bytes that are not a whole character on their own, e.g. ⟨e5 ba:床⟩ (with the character they help make)."""
    hex_bytes = " ".join(f"{byte:02x}" for byte in data)
    return f"⟨{hex_bytes}:{character}⟩" if character else f"⟨{hex_bytes}⟩"


def unfinished_character_tokens(tokenizer, token_ids: Sequence[int]) -> tuple[int, ...]:
    """The last of ``token_ids`` that hold the first bytes of a character whose last bytes are yet to come (a
    branch forced to a Chinese character's first token): () when the ids end on whole characters."""
    special_ids = set(getattr(tokenizer, "all_special_ids", []) or [])
    tail: list[tuple[int, bytes]] = []
    for token_id in reversed([int(i) for i in token_ids][-MAX_UNFINISHED_BYTES:]):  # a token holds a byte at least
        if token_id in special_ids:
            break
        tail.insert(0, (token_id, token_bytes(tokenizer, token_id)))
    unfinished = _unfinished_length(b"".join(data for _, data in tail))
    pending: list[int] = []
    while unfinished > 0 and tail:
        token_id, data = tail.pop()
        pending.insert(0, token_id)
        unfinished -= len(data)
    return tuple(pending)


def _unfinished_length(data: bytes) -> int:
    """How many bytes at the end of ``data`` begin a UTF-8 character without its last bytes (0: it ends whole)."""
    for back in range(1, min(MAX_UNFINISHED_BYTES, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:  # ASCII: whole
            return 0
        if byte >= 0xC0:  # a lead byte: its character takes 2, 3 or 4 bytes
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if back < needed else 0
    return 0  # continuation bytes only: not the start of a character these ids hold


def is_byte_chip(text: str) -> bool:
    """Whether ``text`` is one byte chip (``⟨e5 ba⟩``, ``⟨8a:床⟩``): a token that is part of a character."""
    return _CHIP.fullmatch(text) is not None


def _label_bytes(label: str) -> bytes:
    """The bytes a label stands for: chips give back their bytes, visible marks their whitespace."""
    if label == "∅":
        return b""
    data, last = bytearray(), 0
    for chip in _CHIP.finditer(label):
        data += _unmark(label[last:chip.start()]).encode("utf-8") + bytes.fromhex(chip.group(1))
        last = chip.end()
    return bytes(data + _unmark(label[last:]).encode("utf-8"))


def text_of_labels(labels: Sequence[str]) -> str:
    """The text a run of labels stands for: chips give back their bytes, visible marks their whitespace."""
    return b"".join(_label_bytes(label) for label in labels).decode("utf-8", errors="replace")


def labels_read_together(alone: Sequence[str]) -> list[str]:
    """Labels of tokens read alone (``single_token_labels``), relabelled as the running text they make: the chips
    of a character split over tokens name it (``⟨e8 af⟩`` ``⟨b4⟩`` become ``⟨e8 af:说⟩`` ``⟨b4:说⟩``), as
    ``token_sequence`` labels them. For labels kept without their tokenizer (a comparison read back from disk)."""
    labels = list(alone)
    _label_by_bytes([_label_bytes(label) for label in alone], labels)
    return labels


def labels_after_labels(context: Sequence[str], alone: Sequence[str]) -> list[str]:
    """``labels_after`` from labels (kept without their tokenizer, as a comparison's are): each of ``alone`` as it
    would read after the tokens labelled ``context``, a byte that completes a character begun there naming it."""
    begun = b"".join(_label_bytes(label) for label in context[-MAX_UNFINISHED_BYTES:])
    begun = begun[len(begun) - _unfinished_length(begun):]
    if not begun:
        return list(alone)
    named = []
    for label in alone:
        together = ["", label]
        _label_by_bytes([begun, _label_bytes(label)], together)
        named.append(together[1] if is_byte_chip(label) else label)
    return named


def _unmark(text: str) -> str:
    return "".join(_VISIBLE_MARKS.get(char, char) for char in text)


def _characters(data: bytes) -> list[tuple[int, int, str | None]]:
    """(start, end, character) for each UTF-8 character of ``data``; a byte that starts none: (i, i + 1, None)."""
    spans, start = [], 0
    while start < len(data):
        for length in (1, 2, 3, 4):
            try:
                character = data[start:start + length].decode("utf-8")
            except UnicodeDecodeError:
                continue
            spans.append((start, start + length, character))
            start += length
            break
        else:
            spans.append((start, start + 1, None))
            start += 1
    return spans


def _special_label(piece: str) -> str:
    looks_marked = piece[:1] in "<[" and piece[-1:] in ">]"
    return piece if looks_marked else f"[{piece}]"


def _flush(group: list[tuple[int, bytes]], labels: list[str]) -> None:
    """Label each token of ``group`` (tokens whose bytes decode only together) by its own bytes."""
    joined = b"".join(data for _, data in group)
    characters = _characters(joined)
    start = 0
    for index, data in group:
        end = start + len(data)
        parts: list[tuple[str | None, bytes]] = []  # (character, bytes): whole, shared, or none (None)
        for first, last, character in characters:
            if last <= start or first >= end:
                continue
            own = joined[max(first, start):min(last, end)]
            if parts and character is None and parts[-1][0] is None:  # stray bytes make one chip
                parts[-1] = (None, parts[-1][1] + own)
            else:
                parts.append((character, own))
        labels[index] = "".join(
            visible_text(character) if character is not None and len(own) == len(character.encode("utf-8"))
            else byte_chip(own, character) for character, own in parts) or "∅"
        start = end
    group.clear()


def token_sequence(tokenizer, token_ids: Sequence[int]) -> TokenSequence:
    """Labels for ``token_ids`` that a person can read, with special tokens marked."""
    ids = tuple(int(i) for i in token_ids)
    pieces = tokenizer.convert_ids_to_tokens(list(ids))
    special_ids = set(getattr(tokenizer, "all_special_ids", []) or [])
    special = tuple(i in special_ids for i in ids)
    byte_level = _is_byte_level(tokenizer)
    pieces = [piece if piece is not None else f"<id {token_id}>" for piece, token_id in zip(pieces, ids)]
    labels = [_special_label(piece) if is_special else "" for piece, is_special in zip(pieces, special)]
    _label_by_bytes([None if is_special else _piece_bytes(piece, byte_level)
                     for piece, is_special in zip(pieces, special)], labels)
    return TokenSequence(ids=ids, labels=tuple(labels), special=special)


def _label_by_bytes(pieces: Sequence[bytes | None], labels: list[str]) -> None:
    """Label each token by its bytes (None: a special token, whose label stays): tokens whose bytes decode only
    together name the character they share."""
    group: list[tuple[int, bytes]] = []  # tokens whose bytes only decode together
    for index, data in enumerate(pieces):
        if data is None:
            if group:
                _flush(group, labels)
            continue
        group.append((index, data))
        joined = b"".join(part for _, part in group)
        try:
            joined.decode("utf-8")
        except UnicodeDecodeError:
            if len(joined) <= _MAX_GROUP_BYTES:
                continue  # the character goes on in the next token
        _flush(group, labels)
    if group:
        _flush(group, labels)


def elide(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def label_stride(pixels_per_token: float, pixels_per_label: float) -> int:
    """Label every token when they fit, else every 2nd, 5th, 10th...: the first stride whose labels do not overlap."""
    return next((s for s in _NICE_STRIDES if s * pixels_per_token >= pixels_per_label), _NICE_STRIDES[-1])
