"""Readable token labels for heatmap axes: byte-level pieces decoded to text, whitespace made visible.

Byte-level BPE (GPT-2, SmolLM2) spells bytes as odd letters ('Ġ' is a space, 'Ċ' a newline) and
splits one Chinese character across several tokens. Labels decode the bytes, and tokens that
only make a character together are labelled with that character and their part, e.g. "床(1/3)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

_BYTE_FALLBACK = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")  # SentencePiece byte-fallback pieces
_VISIBLE_WHITESPACE = str.maketrans({" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"})
_MAX_GROUP_BYTES = 8  # a UTF-8 character is at most 4 bytes; longer undecodable runs are given up on
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


def visible_text(text: str) -> str:
    """Whitespace drawn as marks (␣ ↵ ⇥) and an empty piece as ∅, so every token shows."""
    return text.translate(_VISIBLE_WHITESPACE) or "∅"


def single_token_labels(tokenizer, token_ids: Sequence[int]) -> list[str]:
    """Each token decoded on its own, made visible: labels for alternatives, which are not a running text."""
    return [visible_text(text) for text in tokenizer.batch_decode([[int(token_id)] for token_id in token_ids])]


def _special_label(piece: str) -> str:
    looks_marked = piece[:1] in "<[" and piece[-1:] in ">]"
    return piece if looks_marked else f"[{piece}]"


def _flush(group: list[tuple[int, bytes]], labels: list[str]) -> None:
    text = visible_text(b"".join(data for _, data in group).decode("utf-8", errors="replace"))
    for part, (index, _) in enumerate(group, start=1):
        labels[index] = text if len(group) == 1 else f"{text}({part}/{len(group)})"
    group.clear()


def token_sequence(tokenizer, token_ids: Sequence[int]) -> TokenSequence:
    """Labels for ``token_ids`` that a person can read, with special tokens marked."""
    ids = tuple(int(i) for i in token_ids)
    pieces = tokenizer.convert_ids_to_tokens(list(ids))
    special_ids = set(getattr(tokenizer, "all_special_ids", []) or [])
    special = tuple(i in special_ids for i in ids)
    byte_level = _is_byte_level(tokenizer)
    labels = [""] * len(ids)
    group: list[tuple[int, bytes]] = []  # tokens whose bytes only decode together
    for index, (piece, is_special) in enumerate(zip(pieces, special)):
        piece = piece if piece is not None else f"<id {ids[index]}>"
        if is_special:
            if group:
                _flush(group, labels)
            labels[index] = _special_label(piece)
            continue
        group.append((index, _piece_bytes(piece, byte_level)))
        joined = b"".join(data for _, data in group)
        try:
            joined.decode("utf-8")
        except UnicodeDecodeError:
            if len(joined) <= _MAX_GROUP_BYTES:
                continue  # the character goes on in the next token
        _flush(group, labels)
    if group:
        _flush(group, labels)
    return TokenSequence(ids=ids, labels=tuple(labels), special=special)


def elide(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def label_stride(pixels_per_token: float, pixels_per_label: float) -> int:
    """Label every token when they fit, else every 2nd, 5th, 10th...: the first stride whose labels do not overlap."""
    return next((s for s in _NICE_STRIDES if s * pixels_per_token >= pixels_per_label), _NICE_STRIDES[-1])
