"""Tokenizers trained on a corpus, saved as ``PreTrainedTokenizerFast`` so every trained
model goes through the same generation engine as a pretrained one."""

from __future__ import annotations

import json

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

END_OF_TEXT = "<|endoftext|>"
UNKNOWN = "<unk>"
EVERY_CHARACTER = r"[\s\S]"  # the character tokenizer's split: each character alone
IGNORED_LABEL = -100  # a target no loss counts (cross_entropy's default ignore_index): inside a <bos> prefix


def _wrap(tokenizer: Tokenizer, **special) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=END_OF_TEXT,
        pad_token=END_OF_TEXT,
        clean_up_tokenization_spaces=False,
        **special,
    )


def char_tokenizer(text: str) -> PreTrainedTokenizerFast:
    """One token per character seen in ``text`` (sorted, as nanoGPT does); others map to <unk>."""
    characters = sorted(set(text))
    vocab = {END_OF_TEXT: 0, UNKNOWN: 1}
    vocab.update({char: index + 2 for index, char in enumerate(characters) if char not in vocab})
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNKNOWN))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(EVERY_CHARACTER), behavior="isolated")
    tokenizer.decoder = decoders.Fuse()  # join characters back with nothing in between
    return _wrap(tokenizer, unk_token=UNKNOWN)


def bpe_tokenizer(text: str, vocab_size: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE (GPT-2 style): any text round-trips, no unknown tokens."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[END_OF_TEXT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_chunks(text), trainer=trainer)
    return _wrap(tokenizer)


def _chunks(text: str, size: int = 1 << 16) -> list[str]:
    """Pieces of about ``size`` characters, cut just after a newline that sits between two
    non-space characters: most pre-tokenizers split there anyway (byte-level BPE, Gemma's), so
    encoding the pieces in a parallel batch gives the same ids as encoding the whole text."""
    pieces, start = [], 0
    while start < len(text):
        end = start + size
        while end < len(text) and not (
            text[end - 1] == "\n" and not text[end - 2].isspace() and not text[end].isspace()
        ):
            end += 1
        pieces.append(text[start:end])
        start = end
    return pieces


def _cut_changes_nothing(backend, text: str, cut: int, context: int = 256) -> bool:
    """Whether the text around ``cut`` encodes to the same ids whole as in two pieces. Not so for a Metaspace
    pre-tokenizer (Llama 2, Mistral): each piece gets its own leading "▁", and no merge spans the newline."""
    left, right = text[max(0, cut - context):cut], text[cut:cut + context]
    whole = backend.encode(left + right, add_special_tokens=False).ids
    return whole == backend.encode(left, add_special_tokens=False).ids + backend.encode(
        right, add_special_tokens=False).ids


def encode_corpus(tokenizer, text: str) -> np.ndarray:
    """Token ids of the whole text as one compact array (uint16 when the vocabulary allows): the ids the
    tokenizer gives the whole text, in parallel pieces where cutting there changes no id."""
    dtype = np.uint16 if len(tokenizer) <= np.iinfo(np.uint16).max + 1 else np.int32
    backend = tokenizer.backend_tokenizer
    by_character = _per_character_ids(backend, text, dtype)
    if by_character is not None:
        return by_character
    pieces = _chunks(text)
    cuts = np.cumsum([len(piece) for piece in pieces[:-1]]).tolist()
    if not all(_cut_changes_nothing(backend, text, cut) for cut in cuts):
        pieces = [text]
    encodings = backend.encode_batch(pieces, add_special_tokens=False)
    arrays = [np.asarray(encoding.ids, dtype=dtype) for encoding in encodings]
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)


def _per_character_ids(backend, text: str, dtype, chunk: int = 1 << 22) -> np.ndarray | None:
    """The ids a per-character tokenizer (``char_tokenizer``'s, also as saved and reloaded) gives ``text``, looked
    up in numpy: the tokenizer's own pass over a 1 MB corpus took 0.55 s on 2 cores and 1.35 s on a 16-core GPU
    host, longer than a GPU's 100 training steps. None for any other tokenizer, and for a text that holds an added
    token's text (``<|endoftext|>``), which the tokenizer reads as one token."""
    if not isinstance(backend.model, models.WordLevel) or not isinstance(backend.pre_tokenizer, pre_tokenizers.Split):
        return None  # said without writing out a large tokenizer (Gemma's 262K-token vocabulary) as JSON
    spec = json.loads(backend.to_str())
    pre_tokenizer = spec.get("pre_tokenizer") or {}
    per_character = (
        spec.get("normalizer") is None
        and pre_tokenizer.get("pattern") == {"Regex": EVERY_CHARACTER}
        and pre_tokenizer.get("behavior") == "Isolated"
        and not pre_tokenizer.get("invert")
    )
    if not per_character or any(token["content"] in text for token in spec.get("added_tokens", ())):
        return None
    vocab = spec["model"]["vocab"]
    characters = sorted((ord(word), index) for word, index in vocab.items() if len(word) == 1)
    code_points = np.array([point for point, _ in characters], dtype=np.uint32)  # (C,) sorted
    ids = np.array([index for _, index in characters], dtype=dtype)  # (C,)
    unknown = vocab[spec["model"]["unk_token"]]
    if not characters:
        return np.full(len(text), unknown, dtype=dtype)
    pieces = [np.zeros(0, dtype=dtype)]
    for start in range(0, len(text), chunk):
        try:
            points = np.frombuffer(text[start:start + chunk].encode("utf-32-le"), dtype=np.uint32)  # (n,)
        except UnicodeEncodeError:  # a lone surrogate: the tokenizer's own pass says what it makes of it
            return None
        where = np.searchsorted(code_points, points).clip(max=len(code_points) - 1)  # (n,)
        pieces.append(np.where(code_points[where] == points, ids[where], unknown).astype(dtype))
    return np.concatenate(pieces)
