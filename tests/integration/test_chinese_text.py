"""Chinese text end to end under the packaged models' real tokenizers: every token label shows what the
token really is and the labels join back into the exact sentence; streaming never shows U+FFFD."""

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from workbench.core.attention_tokens import single_token_labels, text_of_labels, token_sequence
from workbench.core.catalog import Catalog
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import GenerationRequest, generate
from workbench.core.jobs import drain
from workbench.core.text_stream import text_stream

SENTENCES = (
    "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
    "注意力机制让每个词元都能看到它前面的词元 (attention)。\n你好！",
)


@pytest.fixture(scope="module", params=["smollm2-135m-instruct", "gemma3-270m"])
def tokenizer(request):
    gguf = Path(Catalog().resolve(request.param).resolve_location())
    return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)  # the tokenizer the model loads with


@pytest.mark.parametrize("sentence", SENTENCES)
def test_token_labels_join_back_into_the_exact_sentence(tokenizer, sentence):
    ids = tokenizer(sentence, add_special_tokens=False)["input_ids"]
    labels = token_sequence(tokenizer, ids).labels
    assert text_of_labels(labels) == sentence
    assert not any("\ufffd" in label for label in labels)
    # Read alone (an alternative in a top-k list), a piece of a character is a chip of its bytes.
    assert not any("\ufffd" in label for label in single_token_labels(tokenizer, ids))


@pytest.mark.parametrize("sentence", SENTENCES)
def test_streaming_chinese_never_shows_a_replacement_character(tokenizer, sentence):
    ids = tokenizer(sentence, add_special_tokens=False)["input_ids"]
    stream = text_stream(tokenizer)
    pieces = [stream.add(token_id) for token_id in ids]
    assert not any("\ufffd" in piece for piece in pieces)
    assert "".join(pieces).lstrip() == sentence.lstrip()


def test_generating_chinese_shows_no_replacement_character_anywhere(smollm2):
    settings = DecodingSettings(mode="greedy", max_new_tokens=12)
    request = GenerationRequest(prompt="床前明月光，疑是地上霜。", settings=settings)
    result = drain(generate(smollm2, request))
    tokens = result.sequences[0].tokens
    assert tokens and not any("\ufffd" in token.text for token in tokens)
    # A token whose text waits for the rest of its character is shown by its bytes.
    assert all(token.label.startswith("⟨") for token in tokens if token.text == "")
    assert all(token.label for token in tokens) and not any("\ufffd" in token.label for token in tokens)
    shown = [alternative.text for token in tokens for alternative in token.alternatives]
    assert shown and not any("\ufffd" in text for text in shown)  # a character's first bytes show as a chip


def test_an_alternative_that_completes_a_begun_character_names_that_character(smollm2):
    # SmolLM2 spells most Chinese characters in two or three byte tokens: where the answer has begun one, the
    # alternatives are its possible last bytes, each shown with the character it would make.
    settings = DecodingSettings(mode="greedy", max_new_tokens=24)
    request = GenerationRequest(prompt="说出三种颜色。", settings=settings, trace=True)
    tokens = drain(generate(smollm2, request)).sequences[0].tokens
    tokenizer, pending, named = smollm2.tokenizer, [], 0
    for token in tokens:
        shown = {alternative.token_id: alternative.text for alternative in token.alternatives}
        assert shown.items() <= token.trace.token_texts.items()  # the fork popup and the Token page read the same
        for token_id, text in shown.items():
            made = tokenizer.decode([*pending, token_id])  # independently: the bytes begun, then this token's
            if pending and text.startswith("⟨") and "\ufffd" not in made:
                assert text.endswith(f":{made[-1]}⟩"), (made, text)
                named += 1
        pending = [] if token.text else [*pending, token.token_id]
    assert named >= 10
