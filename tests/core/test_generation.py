"""The generation engine on a tiny random Llama: parity with model.generate, streaming,
probabilities, beams, cancellation, stop strings and bad input."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import torch

from tests.conftest import make_tiny_loaded
from workbench.core.decoding import DecodingSettings, to_generation_config
from workbench.core.errors import InvalidInputError, InvalidSettingsError
from workbench.core.generation import (
    ALTERNATIVES,
    BeamProgress,
    GenerationRequest,
    TokenEvent,
    generate,
    prompt_token_ids,
)
from workbench.core.jobs import CancelToken, drain
from workbench.core.text_stream import text_stream

PROMPT = "The capital of France"
GREEDY = DecodingSettings(mode="greedy", max_new_tokens=24)
SAMPLE = DecodingSettings(mode="sample", temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=24, seed=7)


def run(loaded, settings, prompt=PROMPT, chat=False, cancel=None, **request):
    events = []
    result = drain(generate(loaded, GenerationRequest(prompt, settings, chat=chat, **request), cancel), events.append)
    return events, result


def reference_generate(loaded, settings, prompt=PROMPT, chat=False, seed=None, **extra):
    """What plain model.generate gives for the same request: the ids after the prompt, padding removed."""
    ids = torch.tensor([prompt_token_ids(loaded, GenerationRequest(prompt, settings, chat=chat))])
    if seed is not None:
        torch.manual_seed(seed)
    output = loaded.model.generate(
        ids, attention_mask=torch.ones_like(ids), generation_config=to_generation_config(settings, loaded.tokenizer),
        **extra,
    )
    return [strip_padding(row[ids.shape[1]:].tolist(), loaded) for row in output]


def strip_padding(ids, loaded):
    eos = loaded.tokenizer.eos_token_id
    return ids[: ids.index(eos) + 1] if eos in ids else [i for i in ids if i != loaded.tokenizer.pad_token_id]


def frequent_token(loaded) -> int:
    """A token the tiny model samples often, to act as end-of-sequence in a test."""
    _, result = run(loaded, replace(SAMPLE, num_return_sequences=3))
    ids = [i for sequence in result.sequences for i in sequence.token_ids]
    return max(set(ids), key=ids.count)


@pytest.mark.parametrize("chat", [False, True])
def test_greedy_equals_model_generate(tiny_loaded, chat):
    events, result = run(tiny_loaded, GREEDY, chat=chat)
    assert [list(result.sequences[0].token_ids)] == reference_generate(tiny_loaded, GREEDY, chat=chat)
    assert len(events) == 24 and not result.stopped


def test_seeded_sampling_is_reproducible_and_matches_model_generate(tiny_loaded):
    settings = replace(SAMPLE, num_return_sequences=2)
    _, first = run(tiny_loaded, settings)
    _, second = run(tiny_loaded, settings)
    assert first.sequences == second.sequences and first.seed == 7
    expected = reference_generate(tiny_loaded, settings, seed=7)
    assert [list(s.token_ids) for s in first.sequences] == expected


def test_unseeded_run_reports_the_seed_that_reproduces_it(tiny_loaded):
    _, first = run(tiny_loaded, replace(SAMPLE, seed=None))
    assert first.seed is not None
    _, again = run(tiny_loaded, replace(SAMPLE, seed=first.seed))
    assert again.sequences[0].token_ids == first.sequences[0].token_ids


def test_events_add_up_to_the_result(tiny_loaded):
    events, result = run(tiny_loaded, GREEDY)
    sequence = result.sequences[0]
    assert all(isinstance(event, TokenEvent) for event in events)
    assert [event.step for event in events] == list(range(len(events)))
    assert tuple(event.token_id for event in events) == sequence.token_ids
    assert "".join(event.text for event in events) == sequence.text
    assert sequence.text == tiny_loaded.tokenizer.decode(sequence.token_ids, skip_special_tokens=True)
    assert sequence.tokens == tuple(events)
    expected_prompt = prompt_token_ids(tiny_loaded, GenerationRequest(PROMPT, GREEDY, chat=False))
    assert result.prompt_token_ids == tuple(expected_prompt)
    assert result.time_to_first_token_s is not None and 0 < result.time_to_first_token_s <= result.elapsed_s
    assert result.tokens_per_s == pytest.approx(24 / result.elapsed_s)


def test_raw_probabilities_are_the_models_softmax(tiny_loaded):
    events, result = run(tiny_loaded, GREEDY)
    ids = list(result.prompt_token_ids) + list(result.sequences[0].token_ids)
    with torch.no_grad():
        logits = tiny_loaded.model(torch.tensor([ids])).logits[0]  # (T, V)
    probs = torch.softmax(logits[len(result.prompt_token_ids) - 1 : -1], dim=-1)  # (steps, V)
    for event, row in zip(events, probs):
        assert event.prob == pytest.approx(row[event.token_id].item(), rel=1e-4)
        # Greedy applies no filter: the filtered distribution is the raw one.
        assert event.filtered_prob == pytest.approx(event.prob, rel=1e-5)
        top = row.topk(ALTERNATIVES)
        assert [alt.token_id for alt in event.alternatives] == top.indices.tolist()
        assert event.alternatives[0].token_id == event.token_id  # greedy picks the best


def test_filtered_probabilities_follow_the_filters(tiny_loaded):
    events, _ = run(tiny_loaded, replace(SAMPLE, top_k=3))
    for event in events:
        assert 0 <= event.prob <= 1 and 0 <= event.filtered_prob <= 1
        # top-k renormalises over 3 tokens, so each kept token gains probability...
        assert event.filtered_prob >= event.prob
        assert event.token_id in [alt.token_id for alt in event.alternatives[:3]]
        probs = [alt.prob for alt in event.alternatives]
        assert probs == sorted(probs, reverse=True)
        # ...the 3 best share all of it, and the rest get none.
        assert sum(alt.filtered_prob for alt in event.alternatives[:3]) == pytest.approx(1.0, abs=1e-4)
        assert all(alt.filtered_prob == 0 for alt in event.alternatives[3:])


def test_the_models_own_generation_config_adds_no_filter_of_its_own(tiny_loaded, monkeypatch):
    """A model whose generation_config.json suppresses tokens and cuts off unlikely ones: greedy still takes
    the likeliest token of the model's scores, and generate applies no processor but the traced chain."""
    model = tiny_loaded.model
    _, plain = run(tiny_loaded, GREEDY)
    favourite = plain.sequences[0].token_ids[0]
    model.generation_config.suppress_tokens = [favourite]
    model.generation_config.epsilon_cutoff = 0.2
    built = []
    own = model._get_logits_processor
    monkeypatch.setattr(model, "_get_logits_processor", lambda *args, **kwargs: built.append(own(*args, **kwargs))
                        or built[-1])
    events, greedy = run(tiny_loaded, GREEDY)
    assert greedy.sequences[0].token_ids == plain.sequences[0].token_ids  # the model's argmax, suppressed or not
    run(tiny_loaded, SAMPLE)
    assert [[type(processor).__name__ for processor in processors] for processors in built] == [["SamplerChain"]] * 2
    assert model.generation_config.suppress_tokens == [favourite]  # the model's own config is left as it was


def test_a_model_whose_end_only_its_tokenizer_names_stops_there(tiny_loaded, monkeypatch):
    """Models trained here keep their end-of-text token in the tokenizer alone: generate stops at it too,
    so the speed counts the passes really made."""
    model, tokenizer = tiny_loaded.model, tiny_loaded.tokenizer
    _, plain = run(tiny_loaded, GREEDY)
    end = plain.sequences[0].token_ids[3]
    model.generation_config.eos_token_id = None
    tokenizer.eos_token = tokenizer.convert_ids_to_tokens(end)
    passes = []
    forward = model.forward
    monkeypatch.setattr(model, "forward", lambda *args, **kwargs: passes.append(1) or forward(*args, **kwargs))
    _, result = run(tiny_loaded, GREEDY)
    ids = result.sequences[0].token_ids
    assert ids[-1] == end and end not in ids[:-1]
    assert len(passes) == len(ids)  # the prompt's pass gives the first token; none after the end


def test_several_sequences_stream_and_stop_separately(tiny_loaded):
    stop_token = frequent_token(tiny_loaded)
    tiny_loaded.model.generation_config.eos_token_id = [tiny_loaded.tokenizer.eos_token_id, stop_token]
    settings = replace(SAMPLE, num_return_sequences=3)
    events, result = run(tiny_loaded, settings)
    assert {event.sequence for event in events} == {0, 1, 2}
    lengths = set()
    for index, sequence in enumerate(result.sequences):
        streamed = [event for event in events if event.sequence == index]
        assert tuple(event.token_id for event in streamed) == sequence.token_ids
        assert [event.step for event in streamed] == list(range(len(streamed)))
        if stop_token in sequence.token_ids:
            assert sequence.token_ids.index(stop_token) == len(sequence.token_ids) - 1  # nothing after its end
        lengths.add(len(sequence.token_ids))
    assert len(lengths) > 1  # the sequences really ended at different steps
    expected = reference_generate(tiny_loaded, settings, seed=7)
    expected = [ids[: ids.index(stop_token) + 1] if stop_token in ids else ids for ids in expected]
    assert [list(s.token_ids) for s in result.sequences] == expected


def test_several_sequences_end_separately_at_a_stop_string(tiny_loaded):
    # Each row stops streaming at its own stop string while the others go on, as generate pads it.
    settings = replace(SAMPLE, num_return_sequences=3)
    _, full = run(tiny_loaded, settings)
    # A letter that two rows write and the prompt does not end with (transformers reads the prompt's end too).
    prompt_end = tiny_loaded.tokenizer.decode(full.prompt_token_ids)[-8:]
    stop = next(letter for letter in "etaoinshrdlucmfwypvbgkjqxz"
                if letter not in prompt_end and sum(letter in s.text for s in full.sequences) >= 2)
    stopped = replace(settings, stop_strings=(stop,))
    events, result = run(tiny_loaded, stopped)
    for index, sequence in enumerate(result.sequences):
        streamed = [event for event in events if event.sequence == index]
        assert tuple(event.token_id for event in streamed) == sequence.token_ids
    expected = reference_generate(tiny_loaded, stopped, seed=7, tokenizer=tiny_loaded.tokenizer)
    assert [list(s.token_ids) for s in result.sequences] == expected
    lengths = [len(s.token_ids) for s in result.sequences]
    assert len(set(lengths)) > 1 and min(lengths) < len(full.sequences[0].token_ids)  # ended at different steps


def test_beam_search_reports_progress_and_delivers_the_beams(tiny_loaded):
    settings = DecodingSettings(mode="beam", num_beams=3, num_return_sequences=2, max_new_tokens=12)
    events, result = run(tiny_loaded, settings)
    assert events and all(isinstance(event, BeamProgress) for event in events)
    assert [event.step for event in events] == list(range(1, len(events) + 1))
    assert events[-1].max_steps == 12
    assert len(result.sequences) == 2
    assert [list(s.token_ids) for s in result.sequences] == reference_generate(tiny_loaded, settings)
    for sequence in result.sequences:
        assert len(sequence.tokens) == len(sequence.token_ids)
        assert all(0 < token.prob <= 1 and 0 < token.filtered_prob <= 1 for token in sequence.tokens)


def test_cancel_stops_within_one_token_and_keeps_the_partial_text(tiny_loaded):
    cancel = CancelToken()
    events = []
    job = generate(tiny_loaded, GenerationRequest(PROMPT, GREEDY, chat=False), cancel)

    def on_event(event):
        events.append(event)
        if len(events) == 3:
            cancel.cancel()

    result = drain(job, on_event)
    assert result.stopped
    assert 3 <= len(result.sequences[0].token_ids) <= 4 < 24
    assert result.sequences[0].token_ids[:3] == tuple(event.token_id for event in events[:3])
    _, again = run(tiny_loaded, GREEDY)  # the engine stays usable
    assert not again.stopped and len(again.sequences[0].token_ids) == 24


@pytest.mark.parametrize("settings", [GREEDY, DecodingSettings(mode="beam", num_beams=2, num_return_sequences=2,
                                                                   max_new_tokens=24)], ids=["greedy", "beam"])
def test_cancel_lands_between_layers_even_in_the_prefill(tiny_loaded, settings):
    """Beam search too: it read a long prompt whole before a Stop landed (14 s for 1,200 tokens of SmolLM2)."""
    cancel = CancelToken()
    layers = tiny_loaded.model.model.layers
    later_layer_calls = []
    # Stop while the first layer of the prompt's forward pass runs: the next layer must not run.
    first = layers[0].register_forward_hook(lambda module, args, output: cancel.cancel())
    last = layers[-1].register_forward_hook(lambda module, args, output: later_layer_calls.append(1))
    try:
        result = drain(generate(tiny_loaded, GenerationRequest(PROMPT, settings, chat=False), cancel))
    finally:
        first.remove()
        last.remove()
    assert result.stopped and [sequence.token_ids for sequence in result.sequences] == \
        [()] * settings.num_return_sequences
    assert later_layer_calls == []
    assert all("forward" not in layer.__dict__ for layer in layers)  # the checks are gone
    _, again = run(tiny_loaded, GREEDY)  # the engine stays usable
    assert not again.stopped and len(again.sequences[0].token_ids) == 24


def test_cancel_stops_beam_search(tiny_loaded):
    cancel = CancelToken()
    settings = DecodingSettings(mode="beam", num_beams=2, max_new_tokens=24)
    job = generate(tiny_loaded, GenerationRequest(PROMPT, settings, chat=False), cancel)
    result = drain(job, lambda event: cancel.cancel() if event.step == 2 else None)
    assert result.stopped and len(result.sequences[0].token_ids) < 24


def test_leaving_a_run_early_releases_the_model(tiny_loaded):
    job = generate(tiny_loaded, GenerationRequest(PROMPT, GREEDY, chat=False))
    next(job)
    job.close()  # the consumer went away: the helper thread must end and the lock be free
    acquired = []
    other = threading.Thread(target=lambda: acquired.append(tiny_loaded.lock.acquire(timeout=5)))
    other.start()
    other.join()
    assert acquired == [True]
    assert not any(thread.name == "workbench-generate" for thread in threading.enumerate())


def test_stop_strings_end_the_run_and_are_cut_off(tiny_loaded):
    settings = replace(SAMPLE, top_k=5)
    events, full = run(tiny_loaded, settings)
    # A token from the middle whose text appears nowhere before it (transformers matches
    # stop strings against the prompt's end too).
    before = tiny_loaded.tokenizer.decode(full.prompt_token_ids)
    for index, event in enumerate(events):
        if index >= 3 and event.text.isascii() and event.text.strip() and event.text not in before:
            break
        before += event.text
    else:
        pytest.fail("no usable stop string in the sample")
    stopped_settings = replace(settings, stop_strings=(event.text,))
    _, result = run(tiny_loaded, stopped_settings)
    sequence = result.sequences[0]
    assert sequence.token_ids == full.sequences[0].token_ids[: index + 1]
    assert sequence.text == "".join(e.text for e in events[:index])  # cut before the stop string
    expected = reference_generate(tiny_loaded, stopped_settings, seed=7, tokenizer=tiny_loaded.tokenizer)
    assert [list(sequence.token_ids)] == expected


def test_incremental_decoding_never_splits_a_character(tiny_tokenizer):
    text = "床前明月光，疑是地上霜。 The fox."
    ids = tiny_tokenizer(text)["input_ids"]
    assert len(ids) > len(text)  # some characters really are split over several tokens
    stream = text_stream(tiny_tokenizer)
    pieces = [stream.add(token_id) for token_id in ids]
    assert "".join(pieces) == text
    assert not any("\ufffd" in piece for piece in pieces)


def test_chat_and_raw_prompts(tiny_loaded):
    raw = GenerationRequest("Hello there", GREEDY, chat=False)
    assert prompt_token_ids(tiny_loaded, raw) == tiny_loaded.tokenizer("Hello there")["input_ids"]
    chat = GenerationRequest("Hello there", GREEDY, system_prompt="Be brief.", chat=True)
    text = tiny_loaded.tokenizer.decode(prompt_token_ids(tiny_loaded, chat))
    assert text == "<|system|>Be brief.<|end|><|user|>Hello there<|end|><|assistant|>"
    # Unspecified: the template when there is one.
    assert prompt_token_ids(tiny_loaded, replace(chat, chat=None)) == prompt_token_ids(tiny_loaded, chat)
    plain = make_tiny_loaded(chat=False)
    assert prompt_token_ids(plain, replace(chat, chat=None)) == plain.tokenizer("Hello there")["input_ids"]


@pytest.mark.parametrize(
    ("make_request", "error", "message"),
    [
        (lambda: GenerationRequest("   "), InvalidInputError, "The prompt is empty"),
        (lambda: GenerationRequest("fox " * 200, chat=False), InvalidInputError, "reads at most 128 tokens"),
        (lambda: GenerationRequest(PROMPT, DecodingSettings(top_p=0)), InvalidSettingsError,
         "Top-p must be greater than 0 and at most 1"),
    ],
)
def test_bad_input_gives_one_clear_line_and_the_engine_stays_usable(tiny_loaded, make_request, error, message):
    with pytest.raises(error) as raised:
        drain(generate(tiny_loaded, make_request()))
    assert message in str(raised.value) and "\n" not in str(raised.value)
    _, result = run(tiny_loaded, GREEDY)
    assert len(result.sequences[0].token_ids) == 24


def test_chat_without_template_is_refused():
    plain = make_tiny_loaded(chat=False)
    with pytest.raises(InvalidInputError, match="has no chat template"):
        drain(generate(plain, GenerationRequest(PROMPT, GREEDY, chat=True)))


def test_an_encoder_cannot_generate(tiny_loaded):
    encoder = replace(tiny_loaded, entry=replace(tiny_loaded.entry, can_generate=False, name="MiniLM"))
    with pytest.raises(InvalidInputError, match="MiniLM is an encoder"):
        drain(generate(encoder, GenerationRequest(PROMPT, GREEDY)))


def test_a_run_that_cannot_fit_in_memory_is_refused_with_the_reason(tiny_loaded, monkeypatch):
    from workbench.core import generation

    settings = DecodingSettings(mode="beam", num_beams=8, max_new_tokens=24)
    needed = generation.generation_memory_bytes(tiny_loaded, settings, 10)
    config = tiny_loaded.model.config
    kv = 2 * config.num_hidden_layers * 8 * (10 + 24) * config.num_key_value_heads * config.head_dim * 4
    assert needed == kv + 2 * 24 * 8 * config.vocab_size * 4  # the cache plus each step's fp32 scores and logits
    monkeypatch.setattr(generation, "free_memory_bytes", lambda device: needed // 2)
    with pytest.raises(InvalidSettingsError, match=r"8 beams of 24 new tokens would need about .* GB free on cpu"):
        drain(generate(tiny_loaded, GenerationRequest(PROMPT, settings, chat=False)))


def test_free_memory_on_the_cpu_counts_what_the_kernel_can_give_back():
    from workbench.core.devices import free_memory_bytes

    free = free_memory_bytes(torch.device("cpu"))
    meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo", encoding="ascii"))
    assert abs(free - int(meminfo["MemAvailable"].split()[0]) * 1024) < 2**28  # read a moment apart


def test_a_forward_set_on_a_block_itself_is_kept(tiny_loaded):
    # accelerate (device maps, offloading) replaces a block's forward on the block itself: checking each block
    # for a Stop wraps it while generating and puts it back after.
    layer = tiny_loaded.model.model.layers[0]
    calls = []

    def own_forward(*args, **kwargs):
        calls.append(1)
        return type(layer).forward(layer, *args, **kwargs)

    layer.forward = own_forward
    try:
        _, result = run(tiny_loaded, GREEDY)
        assert len(result.sequences[0].token_ids) == 24 and len(calls) == 24  # the prompt, then a pass per token
        assert layer.forward is own_forward
    finally:
        del layer.forward


def test_a_block_listed_twice_is_checked_once_and_unwrapped():
    from workbench.core.model_parts import checked_before_each

    block, checks = torch.nn.Linear(2, 2), []
    with checked_before_each([block, block], lambda: checks.append(1)):
        block(torch.zeros(1, 2))
    assert checks == [1] and "forward" not in block.__dict__


@pytest.mark.parametrize("error", [
    RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory"),
    torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB."),
], ids=["cpu", "cuda"])
def test_running_out_of_memory_says_what_to_lower(tiny_loaded, monkeypatch, error):
    from workbench.core.errors import WorkbenchError

    def allocate(*args, **kwargs):
        raise error

    monkeypatch.setattr(tiny_loaded.model, "generate", allocate)
    with pytest.raises(WorkbenchError, match="ran out of memory: lower max new tokens"):
        drain(generate(tiny_loaded, GenerationRequest("Hello", DecodingSettings(mode="greedy", max_new_tokens=4))))
    monkeypatch.undo()
    assert drain(generate(tiny_loaded, GenerationRequest("Hello", DecodingSettings(max_new_tokens=2)))).sequences


def test_stop_strings_end_a_character_model_that_cannot_spell_abcdef(tmp_path):
    """transformers' StopStringCriteria reads each token's text after the letters "abcdef"; a character model
    trained on Chinese has none of them. Its stop strings still end greedy, sampled and beam answers where the
    stop string first appears, as cutting the unstopped answer there gives."""
    from workbench.core.loading import load_model_blocking
    from workbench.core.training.settings import TrainSettings
    from workbench.core.training.trainer import train

    corpus = tmp_path / "poem.txt"
    corpus.write_text("床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。\n" * 200, encoding="utf-8")
    settings = TrainSettings(corpus=str(corpus), out_dir=str(tmp_path / "run"), n_layer=1, n_head=2, n_embd=32,
                             block_size=16, batch_size=8, lr=1e-2, warmup_iters=2, max_iters=60, eval_interval=60,
                             eval_iters=1, checkpoint_interval=0, sample_tokens=0, device="cpu")
    drain(train(settings))
    loaded = load_model_blocking(settings.out_dir)
    assert "a" not in loaded.tokenizer.get_vocab()
    for mode in (GREEDY, replace(SAMPLE, max_new_tokens=30)):
        _, whole = run(loaded, replace(mode, max_new_tokens=30), prompt="床前")
        answer = whole.sequences[0]
        assert "。" in answer.text
        cut = next(index for index in range(len(answer.token_ids))
                   if "。" in loaded.tokenizer.decode(answer.token_ids[: index + 1]))
        _, stopped = run(loaded, replace(mode, max_new_tokens=30, stop_strings=("。",)), prompt="床前")
        assert stopped.sequences[0].token_ids == answer.token_ids[: cut + 1]
        assert stopped.sequences[0].text == answer.text[: answer.text.index("。")]
    _, beams = run(loaded, DecodingSettings(mode="beam", num_beams=2, max_new_tokens=30, stop_strings=("。",)),
                   prompt="床前")
    assert "。" not in beams.sequences[0].text and len(beams.sequences[0].token_ids) < 30


def test_the_decoding_stop_criteria_decides_as_transformers_does(tiny_loaded):
    """Where transformers' StopStringCriteria can read the vocabulary, the decoding criteria that stands in for it
    elsewhere stops the same rows at the same steps."""
    from transformers.generation.stopping_criteria import StopStringCriteria

    from workbench.core.generation import _DecodedStopStrings

    tokenizer = tiny_loaded.tokenizer
    # A long start: the decoding criteria reads only each row's last tokens.
    ids = tokenizer("word " * 80 + "The fox jumps over the lazy dog. 床前明月光，疑是地上霜。 The end.")["input_ids"]
    stops = ["fox", "g.", "月光", "霜。", " end"]
    theirs, ours = StopStringCriteria(tokenizer, stops), _DecodedStopStrings(tokenizer, stops)
    assert ours.tail < len(ids)
    decisions = []
    for end in range(1, len(ids) + 1):
        row = torch.tensor([ids[:end]])  # (1, end)
        decisions.append(bool(ours(row, None)[0]))
        assert decisions[-1] == bool(theirs(row, None)[0]), tokenizer.decode(ids[:end])
    assert sum(decisions) >= 4  # most stop strings were met along the way
