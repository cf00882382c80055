"""Char-level and byte-level BPE tokenizers round-trip any text, Chinese included."""

import numpy as np
from transformers import AutoTokenizer

from workbench.core.training.tokenization import (
    UNKNOWN,
    _per_character_ids,
    bpe_tokenizer,
    char_tokenizer,
    encode_corpus,
)

CORPUS = "床前明月光，疑是地上霜。\n舉頭望明月，低頭思故鄉。\nThe quick brown fox  jumps\tover the lazy dog.\r\n"


def test_char_tokenizer_round_trips_exactly_one_token_per_character(tmp_path):
    tokenizer = char_tokenizer(CORPUS)
    ids = tokenizer.encode(CORPUS)
    assert len(ids) == len(CORPUS)
    assert tokenizer.decode(ids) == CORPUS
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert reloaded.encode(CORPUS) == ids
    assert reloaded.decode(ids) == CORPUS


def test_char_tokenizer_maps_unseen_characters_to_unknown():
    tokenizer = char_tokenizer("abc")
    ids = tokenizer.encode("a床c")
    assert ids[1] == tokenizer.convert_tokens_to_ids(UNKNOWN)
    assert tokenizer.decode([ids[0], ids[2]]) == "ac"


def test_char_tokenizer_is_sorted_like_nanogpt():
    tokenizer = char_tokenizer("cab")
    ids = [tokenizer.convert_tokens_to_ids(c) for c in "abc"]
    assert ids == sorted(ids)


def test_bpe_tokenizer_round_trips_unseen_text_and_respects_vocab_size(tmp_path):
    tokenizer = bpe_tokenizer(CORPUS * 20, vocab_size=300)
    assert len(tokenizer) <= 300
    unseen = "Ünïcödé 😀 and 秋風 never seen"
    assert tokenizer.decode(tokenizer.encode(unseen)) == unseen
    assert len(tokenizer.encode(CORPUS)) < len(CORPUS.encode("utf-8"))  # merges learned
    tokenizer.save_pretrained(tmp_path)
    assert AutoTokenizer.from_pretrained(tmp_path).decode(tokenizer.encode(CORPUS)) == CORPUS


def test_encode_corpus_matches_encoding_the_whole_text():
    text = CORPUS * 3000  # several chunks
    tokenizer = bpe_tokenizer(text, vocab_size=400)
    ids = encode_corpus(tokenizer, text)
    assert ids.dtype == np.uint16
    assert ids.tolist() == tokenizer.encode(text)


def test_a_tokenizer_that_marks_each_texts_start_encodes_the_corpus_as_one_text():
    """A Metaspace pre-tokenizer (Llama 2, Mistral) puts "▁" before a text's first word and merges across
    newlines: encoded in pieces, each piece would start with a "▁" the whole text does not have there."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    text = "\n".join(f"the cat sat on the mat {index % 7}" for index in range(8000))  # several 64K pieces
    backend = Tokenizer(models.BPE(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    backend.train_from_iterator([text[:5000]], trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>"]))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>")
    assert encode_corpus(tokenizer, text).tolist() == tokenizer(text, add_special_tokens=False)["input_ids"]




def test_a_character_corpus_is_looked_up_as_the_tokenizer_encodes_it(tmp_path):
    """The per-character lookup (numpy, 10x faster than the tokenizer's own pass) gives the tokenizer's ids:
    characters beyond the BMP, unseen ones (<unk>), whitespace of every kind, a tokenizer saved and reloaded
    (a resumed run), a corpus several lookup chunks long. A text holding a special token's text is left to the
    tokenizer, which takes that text as one token; so is any other kind of tokenizer."""
    tokenizer = char_tokenizer(CORPUS + "😀")
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    text = CORPUS + "秋風 😀 never seen \u00a0\u2028!"
    for each in (tokenizer, reloaded):
        expected = each(text, add_special_tokens=False)["input_ids"]
        assert each.convert_tokens_to_ids(UNKNOWN) in expected
        assert _per_character_ids(each.backend_tokenizer, text, np.uint16, chunk=7).tolist() == expected
        assert encode_corpus(each, text).tolist() == expected
    with_special = "abc<|endoftext|>def<unk>"
    assert _per_character_ids(tokenizer.backend_tokenizer, with_special, np.uint16) is None
    assert encode_corpus(tokenizer, with_special).tolist() == tokenizer(with_special, add_special_tokens=False)[
        "input_ids"]
    assert encode_corpus(tokenizer, "").tolist() == []
    assert _per_character_ids(bpe_tokenizer(CORPUS * 20, 300).backend_tokenizer, "abc", np.uint16) is None
