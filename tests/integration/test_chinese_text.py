"""Chinese text end to end under the packaged models' real tokenizers: every token label shows what the
token really is and the labels join back into the exact sentence; streaming never shows U+FFFD."""

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from workbench.core.attention_tokens import (
    single_token_labels,
    text_of_labels,
    token_sequence,
    unfinished_character_tokens,
)
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


@pytest.mark.parametrize("sentence", SENTENCES)
def test_the_tokens_of_an_unfinished_last_character_are_found(tokenizer, sentence):
    ids = tokenizer(sentence, add_special_tokens=False)["input_ids"]
    for cut in range(1, len(ids) + 1):
        pending = unfinished_character_tokens(tokenizer, ids[:cut])
        assert pending == tuple(ids[cut - len(pending):cut])
        # Independently, by the tokenizer's own decoding: found exactly where the text so far ends unfinished,
        # and before them it ends whole.
        assert bool(pending) == tokenizer.decode(ids[:cut]).endswith("\ufffd")
        assert not tokenizer.decode(ids[:cut - len(pending)]).endswith("\ufffd")


@pytest.mark.parametrize("forced", [False, True])
def test_an_alternative_that_completes_a_begun_character_names_that_character(smollm2, forced):
    # SmolLM2 spells most Chinese characters in two or three byte tokens: where the answer has begun one (or a
    # branch was forced to its first bytes), the alternatives are its possible last bytes, each shown with the
    # character it would make. Greedy and beam search alike.
    tokenizer = smollm2.tokenizer
    forced_ids = tokenizer("北", add_special_tokens=False)["input_ids"][:-1] if forced else []
    assert forced_ids or not forced
    named = 0
    greedy = DecodingSettings(mode="greedy", max_new_tokens=24)
    for settings in (greedy, DecodingSettings(mode="beam", num_beams=2, max_new_tokens=12)):
        request = GenerationRequest(prompt="说出三种颜色。", settings=settings, trace=True,
                                    prefill_ids=tuple(forced_ids))
        tokens = drain(generate(smollm2, request)).sequences[0].tokens
        pending = list(forced_ids)
        for token in tokens:
            shown = {alternative.token_id: alternative.text for alternative in token.alternatives}
            assert shown.items() <= token.trace.token_texts.items()  # the fork popup and the Token page read these
            for token_id, text in shown.items():
                made = tokenizer.decode([*pending, token_id])  # independently: the bytes begun, then this token's
                if pending and text.startswith("⟨") and "\ufffd" not in made:
                    assert text.endswith(f":{made[-1]}⟩"), (made, text)
                    named += 1
            pending = [] if token.text else [*pending, token.token_id]
        if forced:  # the first step already completes the forced character
            assert any(text.endswith(":北⟩") for text in (alt.text for alt in tokens[0].alternatives))
    assert named >= 10
