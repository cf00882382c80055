"""Streamed text pieces add up to the tokenizer's own decode: byte-level BPE, SentencePiece
style (Metaspace + byte fallback) and a Python-only tokenizer, Chinese and emoji included."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_tiny_tokenizer
from workbench.core.text_stream import _LibraryTextStream, _PythonTextStream, text_stream

TEXT = "The capital of France is Paris. 床前明月光，疑是地上霜。 The fox 🦊 jumps."


def sentencepiece_style_tokenizer():
    """A Llama-2 style tokenizer: BPE over Metaspace words, unknown characters as byte tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>"]
    words = Tokenizer(models.BPE())
    words.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    words.train_from_iterator(
        ["The capital of France is Paris. The quick brown fox jumps. 明月"] * 4,
        trainers.BpeTrainer(vocab_size=200, special_tokens=specials),
    )
    trained = json.loads(words.to_str())["model"]
    vocab = dict(trained["vocab"])
    for byte in range(256):  # byte fallback needs every byte token in the vocabulary
        vocab.setdefault(f"<0x{byte:02X}>", len(vocab))
    merges = [tuple(merge) for merge in trained["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=True, unk_token="<unk>"))
    tokenizer.add_special_tokens(specials)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def python_only_tokenizer():
    from transformers import ByT5Tokenizer

    return ByT5Tokenizer()  # one token per byte, no Rust backend


TOKENIZERS = {
    "byte-level BPE": make_tiny_tokenizer,
    "SentencePiece style": sentencepiece_style_tokenizer,
    "Python only": python_only_tokenizer,
}


@pytest.fixture(params=list(TOKENIZERS), scope="module")
def tokenizer(request):
    return TOKENIZERS[request.param]()


def stream_pieces(tokenizer, ids, context_ids=()):
    stream = text_stream(tokenizer, context_ids)
    return [stream.add(token_id) for token_id in ids]


def test_streamed_pieces_add_up_to_the_decoded_text(tokenizer):
    ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    ids = ids[:5] + [tokenizer.eos_token_id] + ids[5:]  # a special token is skipped, as decode skips it
    pieces = stream_pieces(tokenizer, ids)
    assert "".join(pieces) == tokenizer.decode(ids, skip_special_tokens=True) == TEXT
    assert "" in pieces  # some characters really are split over several tokens...
    assert not any("\ufffd" in piece for piece in pieces)  # ...and never shown half-done


def test_text_continues_the_context_with_its_leading_space(tokenizer):
    ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    context, generated = ids[:4], ids[4:]
    pieces = stream_pieces(tokenizer, generated, context)
    whole = tokenizer.decode(ids, skip_special_tokens=True)
    assert "".join(pieces) == whole[len(tokenizer.decode(context, skip_special_tokens=True)) :]


def test_sentencepiece_answer_keeps_the_space_its_first_token_starts_with():
    tokenizer = sentencepiece_style_tokenizer()
    ids = tokenizer("The capital of France is Paris.", add_special_tokens=False)["input_ids"]
    assert tokenizer.convert_ids_to_tokens(ids[-1]) == "▁Paris."
    assert tokenizer.decode(ids[-1:]) == "Paris."  # alone, the decoder strips the space
    assert stream_pieces(tokenizer, ids[-1:], ids[:-1]) == [" Paris."]


@pytest.mark.parametrize(
    ("make_tokenizer", "kind"),
    [(make_tiny_tokenizer, _LibraryTextStream), (sentencepiece_style_tokenizer, _LibraryTextStream),
     (python_only_tokenizer, _PythonTextStream)],
)
def test_fast_tokenizers_use_the_library_stream(make_tokenizer, kind):
    assert isinstance(text_stream(make_tokenizer()), kind)


def test_a_text_cut_inside_a_character_leaves_that_character_out():
    from workbench.core.text_stream import complete_text

    tokenizer = make_tiny_tokenizer()
    ids = tokenizer("月光 on the 霰", add_special_tokens=False)["input_ids"]  # 霰: not in the training text, 3 bytes
    assert tokenizer.decode(ids[:-1]).endswith("\ufffd")  # the last character's bytes cut short
    assert complete_text(tokenizer, ids[:-1]) == "月光 on the "
    assert complete_text(tokenizer, ids) == "月光 on the 霰"
    context = tokenizer("月光", add_special_tokens=False)["input_ids"]
    assert complete_text(tokenizer, ids[len(context):], context_ids=context) == " on the 霰"


@pytest.mark.parametrize("name", ["byte-level BPE", "SentencePiece style"])  # tokens that split characters
def test_a_context_that_ends_inside_a_character_gives_that_character_at_the_token_that_completes_it(name):
    """A branch forced to a character's first bytes: the stream once gave the whole context's text again there."""
    tokenizer = TOKENIZERS[name]()
    ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    whole = tokenizer.decode(ids, skip_special_tokens=True)
    cuts = [cut for cut in range(1, len(ids)) if tokenizer.decode(ids[:cut]).endswith("\ufffd")]
    assert cuts  # the text has contexts that end inside a character
    for cut in cuts:
        pieces = stream_pieces(tokenizer, ids[cut:], ids[:cut])
        # The context's text up to its last whole character: its longest start that decodes cleanly.
        whole_part = max(k for k in range(cut + 1) if "\ufffd" not in tokenizer.decode(ids[:k]))
        assert "".join(pieces) == whole[len(tokenizer.decode(ids[:whole_part])) :], cut
        assert not any("\ufffd" in piece for piece in pieces)
