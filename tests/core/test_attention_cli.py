"""`workbench attention` on a tiny model folder: NPZ layout, PNG drawn without Qt, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import drop_chat_template
from workbench.cli import main
from workbench.cli.attention_png import EMPTY_CELL, heatmap_side, viridis, write_heatmap_png


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
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width >= 700
    assert f"{len(ids)} tokens, 2 layers x 4 heads" in capsys.readouterr().out


def test_without_model_it_reads_the_default_model(tiny_folder, tmp_path, monkeypatch, capsys):
    from workbench.core.catalog import Catalog

    monkeypatch.setattr(Catalog, "default_entry", lambda catalog: catalog.resolve(str(tiny_folder)))
    assert main(["attention", "--prompt", "The quick brown fox", "--out", str(tmp_path / "a.npz")]) == 0
    assert "2 layers x 4 heads" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--prompt", "   "], "empty"),
        (["--prompt", "hi", "--png", "x.png", "--head", "all"], "Unknown head"),
        (["--prompt", "hi", "--png", "x.png", "--layer", "7"], "Layer 7 does not exist"),
        (["--prompt", "hi", "--chat"], "no chat template"),
        # A flag that would do nothing is refused, not dropped.
        (["--prompt", "hi", "--layer", "1"], "--layer and --head choose what --png draws: give --png too."),
        (["--prompt", "hi", "--head", "mean"], "--layer and --head choose what --png draws"),
        (["--prompt", "hi", "--target", "Bonjour"], "--target is the decoder's text of an encoder-decoder model"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tiny_folder, tmp_path, capsys, extra, message):
    if "--chat" in extra:  # a model without a chat template
        drop_chat_template(tiny_folder)
    code = main(["attention", "--model", str(tiny_folder), "--out", str(tmp_path / "a.npz"), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_unknown_model_and_wrong_suffix(tmp_path, capsys):
    missing_model = str(tmp_path / "nope")
    assert main(["attention", "--model", missing_model, "--prompt", "hi", "--out", str(tmp_path / "a.npz")]) == 2
    assert main(["attention", "--model", "x", "--prompt", "hi", "--out", str(tmp_path / "a.txt")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and ".npz" in err[1]


def test_png_draws_the_matrix_in_viridis_with_the_causal_mask_grey(tmp_path):
    matrix = np.tril(np.full((4, 4), 0.25, dtype=np.float32))
    matrix[3, 0] = 1.0  # the peak: the brightest colour
    path = tmp_path / "m.png"
    write_heatmap_png(matrix, list("abcd"), list("abcd"), path, "title", causal=True)
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))  # (H, W, 3)
    assert pixels.shape == (heatmap_side(4), heatmap_side(4) + 80, 3)
    colours = {tuple(colour) for colour in pixels.reshape(-1, 3)}
    assert tuple(viridis(np.array(1.0))) in colours and tuple(viridis(np.array(0.25))) in colours
    assert EMPTY_CELL in colours  # the masked upper triangle
    assert tuple(viridis(np.array(0.0))) in colours  # the colour bar's bottom


def _drawn_as_missing(fonts, character: str) -> bool:
    from workbench.cli import attention_png

    font = fonts._font_for(character)
    return attention_png._glyph(font, character) == attention_png._glyph(font, attention_png._NO_SUCH_CHARACTER)


def test_each_character_of_a_label_is_drawn_by_a_font_that_has_it():
    """Chinese labels were all boxes: the one font tried (DejaVu Sans) has no Chinese, Noto Sans CJK no ⟨⟩."""
    from workbench.cli.attention_png import _Fonts

    if _drawn_as_missing(_Fonts(12), "床"):
        pytest.skip("no font with Chinese characters on this system")
    fonts = _Fonts(12)
    for character in "⟨e5 ba:床⟩前，A":
        assert not _drawn_as_missing(fonts, character), character
    assert fonts.missing == set()


def test_characters_no_font_has_are_said_on_stderr(tiny_folder, tmp_path, capsys, monkeypatch):
    from workbench.cli import attention_png

    monkeypatch.setattr(attention_png, "_FONT_FILES", ())  # only Pillow's own font, which has no Chinese
    code = main(["attention", "--model", str(tiny_folder), "--prompt", "床前明月光", "--out", str(tmp_path / "a.npz"),
                 "--png", str(tmp_path / "a.png"), "--device", "cpu"])
    assert code == 0 and (tmp_path / "a.png").exists()
    err = capsys.readouterr().err
    assert "note: no font on this system draws" in err and "床" in err and "fonts-noto-cjk" in err


def test_png_to_a_missing_folder_is_a_workbench_error(tmp_path):
    from workbench.core.errors import WorkbenchError

    with pytest.raises(WorkbenchError, match="Could not write the image"):
        write_heatmap_png(np.eye(2), ["a", "b"], ["a", "b"], tmp_path / "no" / "m.png", "title")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--png", "x.png", "--layer", "99"], "Layer 99 does not exist"),
        (["--png", "x.png", "--head", "99"], "Head 99 does not exist"),
    ],
)
def test_png_options_are_checked_before_anything_is_written(tiny_folder, tmp_path, capsys, monkeypatch, extra,
                                                            message):
    from workbench.core import attention

    captured = []
    monkeypatch.setattr(attention, "capture_attention", lambda *args, **kwargs: captured.append(args))
    results = tmp_path / "results"
    results.mkdir()
    extra = [str(results / arg) if arg.endswith(".png") else arg for arg in extra]
    command = ["attention", "--model", str(tiny_folder), "--prompt", "hi", "--out", str(results / "a.npz"), *extra]
    assert main(command) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert list(results.iterdir()) == []  # neither the NPZ nor the PNG
    assert captured == []  # nor the capture's work: the layers and heads are known before it


def bad_places(tmp_path):
    (tmp_path / "plain").write_text("a file")
    (tmp_path / "folder.npz").mkdir()
    return {
        "under /proc": "/proc/attention.npz",
        "parent is a file": str(tmp_path / "plain" / "a.npz"),
        "an existing folder": str(tmp_path / "folder.npz"),
        "a missing folder": str(tmp_path / "nonexistent" / "sub" / "a.npz"),
    }


def test_output_places_that_cannot_be_written_are_refused_before_loading(tmp_path, capsys, monkeypatch):
    from workbench.core import loading

    monkeypatch.setattr(loading, "load_model", lambda *args, **kwargs: pytest.fail("the model was loaded"))
    before = sorted(tmp_path.rglob("*"))
    for place in bad_places(tmp_path).values():
        assert main(["attention", "--prompt", "hi", "--out", place]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:"), (place, err)
    assert not (tmp_path / "nonexistent").exists()  # no folder made behind the person's back
    assert len(sorted(tmp_path.rglob("*"))) == len(before) + 2  # just the two places bad_places made
