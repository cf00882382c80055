"""`workbench attention` on a tiny model folder: NPZ layout, headless PNG, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtGui import QImage

from workbench.cli import main


def test_writes_npz_and_png(tiny_folder, tiny_loaded, tmp_path, capsys):
    out, png = tmp_path / "a.npz", tmp_path / "a.png"
    code = main(["attention", "--model", str(tiny_folder), "--prompt", "The quick brown fox", "--out", str(out),
                 "--png", str(png), "--layer", "1", "--head", "rollout"])
    assert code == 0, capsys.readouterr().err
    ids = tiny_loaded.tokenizer("The quick brown fox")["input_ids"]
    with np.load(out, allow_pickle=False) as data:
        assert data["attentions"].shape == (2, 4, len(ids), len(ids))
        assert data["tokens"].dtype.kind == "U" and list(data["token_ids"]) == ids
        with torch.no_grad():
            expected = tiny_loaded.model(torch.tensor([ids]), output_attentions=True).attentions
        assert np.abs(data["attentions"] - torch.stack(expected)[:, 0].numpy()).max() < 1e-5
    image = QImage(str(png))
    assert not image.isNull() and image.width() >= 700
    assert f"{len(ids)} tokens, 2 layers x 4 heads" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--prompt", "   "], "empty"),
        (["--prompt", "hi", "--head", "all"], "Unknown head"),
        (["--prompt", "hi", "--png", "x.png", "--layer", "7"], "Layer 7 does not exist"),
        (["--prompt", "hi", "--chat"], "no chat template"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tiny_folder, tmp_path, capsys, extra, message):
    tokenizer_config = tiny_folder / "tokenizer_config.json"
    if "--chat" in extra:  # a model without a chat template
        import json

        config = json.loads(tokenizer_config.read_text())
        config.pop("chat_template", None)
        tokenizer_config.write_text(json.dumps(config))
        (tiny_folder / "chat_template.jinja").unlink(missing_ok=True)
    code = main(["attention", "--model", str(tiny_folder), "--out", str(tmp_path / "a.npz"), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_unknown_model_and_wrong_suffix(tmp_path, capsys):
    assert main(["attention", "--model", str(tmp_path / "nope"), "--prompt", "hi", "--out", str(tmp_path / "a.npz")]) == 2
    assert main(["attention", "--model", "x", "--prompt", "hi", "--out", str(tmp_path / "a.txt")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and ".npz" in err[1]
