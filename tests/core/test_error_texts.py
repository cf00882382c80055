"""The core's errors carry marked texts: the command line prints the English, and the window can
translate the template (context "Errors") and fill in the same values."""

from __future__ import annotations

import pytest

from workbench.core.catalog import Catalog
from workbench.core.checkpoints import STATE_FILE, load_checkpoint
from workbench.core.errors import InvalidInputError, ModelNotFoundError
from workbench.core.i18n import Text
from workbench.core.training.corpus import read_corpus


def test_a_folder_that_is_not_a_model_folder(tmp_path):
    with pytest.raises(ModelNotFoundError) as raised:
        Catalog().resolve(str(tmp_path))
    message = raised.value.args[0]
    assert isinstance(message, Text) and message.context == "Errors"
    assert str(raised.value) == f"{tmp_path} is not a model folder: it has no config.json."
    assert message.template == "{path} is not a model folder: it has no config.json."
    assert message.values == {"path": tmp_path}


def test_a_missing_corpus_file(tmp_path):
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(InvalidInputError) as raised:
        read_corpus(missing)
    message = raised.value.args[0]
    assert isinstance(message, Text) and message.context == "Errors"
    template = "{path} does not exist: give a text file or a folder of .txt files."
    assert message == template.format(path=missing)
    assert message.template == template and message.values == {"path": missing}


def test_a_corpus_that_is_not_utf8_keeps_the_byte_and_its_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9".encode("latin-1"))
    with pytest.raises(InvalidInputError) as raised:
        read_corpus(path)
    message = raised.value.args[0]
    assert message == (
        f"{path} is not UTF-8 text: the byte 0xe9 at offset 3 is not valid UTF-8. Save it as UTF-8 and try again."
    )
    assert message.values == {"path": path, "byte": 0xE9, "offset": 3}
    assert "0x{byte:02x}" in message.template


def test_a_damaged_checkpoint_names_the_file_in_one_whole_sentence(tmp_path):
    (tmp_path / STATE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInputError) as raised:
        load_checkpoint(tmp_path)
    message = raised.value.args[0]
    assert message == (
        f"The checkpoint in {tmp_path} cannot be resumed: {STATE_FILE} is damaged (it is not readable JSON). "
        "Start a new run in another folder."
    )
    assert isinstance(message, Text) and message.values == {"folder": tmp_path, "name": STATE_FILE}
