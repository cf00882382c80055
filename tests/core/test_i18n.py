"""Marked texts (``Text``) survive what the core does with its records: copies, pickles and JSON files."""

from __future__ import annotations

import copy
import json
import pickle

from workbench.core.i18n import QT_TRANSLATE_NOOP, Text, text_from_data, text_to_data

ADVICE = QT_TRANSLATE_NOOP("Errors", "Use more text.")
MESSAGE = QT_TRANSLATE_NOOP("Errors", "{count} tokens are too few. {advice}").fill(count=3, advice=ADVICE)


def _same(read, marked: Text) -> bool:
    return (isinstance(read, Text) and read == marked
            and (read.context, read.template, read.values) == (marked.context, marked.template, marked.values))


def test_a_marked_text_is_copied_and_pickled_as_itself():
    """``dataclasses.asdict`` deep-copies a run whose model name is a marked text: it failed with a TypeError."""
    for read in (copy.copy(MESSAGE), copy.deepcopy(MESSAGE), pickle.loads(pickle.dumps(MESSAGE))):
        assert _same(read, MESSAGE) and _same(read.values["advice"], ADVICE)


def test_a_marked_text_goes_through_json_and_comes_back_marked():
    data = json.loads(json.dumps(text_to_data(MESSAGE)))
    assert _same(text_from_data(data), MESSAGE)
    assert text_to_data("plain") == "plain" and text_from_data("plain") == "plain"
    for damaged in (None, 5, [], {"context": "Errors"}, {"context": "Errors", "template": "{x}", "values": []},
                    {"context": 1, "template": "t", "values": {}},
                    {"context": "Errors", "template": "{x} {y}", "values": {"x": 1}},
                    {"context": "Errors", "template": "{x.real.y}", "values": {"x": 1}},  # AttributeError
                    {"context": "Errors", "template": "{x[0]}", "values": {"x": 1}}):  # TypeError
        assert text_from_data(damaged) is None, damaged
