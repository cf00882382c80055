"""The generative lab's core: data, VAE and GAN training, checkpoints, PNG grids, CLI."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from workbench.cli import main as cli_main
from workbench.core.errors import InvalidInputError, InvalidSettingsError
from workbench.core.genlab.data import ImageSet, load_digits_set, load_image_folder
from workbench.core.genlab.evaluation import DigitClassifier
from workbench.core.genlab.images import png_bytes, tile_grid, write_png
from workbench.core.genlab.settings import GenLabSettings
from workbench.core.genlab.storage import load_checkpoint, load_model, save_model
from workbench.core.genlab.trainer import CheckpointEvent, EpochEnd, StepMetrics, train
from workbench.core.jobs import RunControl, drain


@pytest.fixture(scope="module")
def small_digits() -> ImageSet:
    """400 training digits: enough to learn something in a second."""
    digits = load_digits_set()
    return replace(digits, train=digits.train[:400], train_labels=digits.train_labels[:400])


def quick(model: str, **changes) -> GenLabSettings:
    return GenLabSettings.for_model(model, hidden_dim=64, batch_size=32, device="cpu", **changes)


def run(settings, images, **kwargs):
    events = []
    result = drain(train(settings, images=images, **kwargs), events.append)
    return result, events


def test_digits_split_is_fixed_and_scaled():
    digits = load_digits_set()
    assert digits.train.shape == (1437, 64) and digits.held_out.shape == (360, 64)
    assert digits.train.min() == 0.0 and digits.train.max() == 1.0
    assert sorted(np.bincount(digits.held_out_labels)) [0] >= 35  # stratified: every digit held out
    load_digits_set.cache_clear()
    assert np.array_equal(load_digits_set().held_out, digits.held_out)


def test_the_digit_score_is_sklearns_own_verdict_counted(small_digits):
    """The lab's quality figures against a logistic regression fitted here on the same split, counted by hand."""
    from sklearn.linear_model import LogisticRegression

    digits = load_digits_set()
    reference = LogisticRegression(max_iter=3000).fit(small_digits.train, small_digits.train_labels)
    probabilities = reference.predict_proba(digits.held_out)  # (N, 10)
    noisy = np.clip(digits.held_out + np.random.default_rng(0).normal(0, 0.4, digits.held_out.shape), 0, 1)
    classifier = DigitClassifier(small_digits)
    score = classifier.score(digits.held_out)
    assert score.count == 360
    assert score.confident_fraction == pytest.approx((probabilities.max(axis=1) > 0.9).mean())
    shares = np.bincount(probabilities.argmax(axis=1), minlength=10) / 360
    np.testing.assert_allclose(score.class_fractions, shares)
    assert score.classes_present == int((shares >= 0.03).sum()) == 10
    same = (reference.predict(digits.held_out) == reference.predict(noisy)).mean()
    assert classifier.agreement(digits.held_out, noisy) == pytest.approx(same) and 0.3 < same < 1


def test_vae_losses_fall(small_digits):
    result, events = run(quick("vae", epochs=6), small_digits)
    first, last = result.history[0], result.history[-1]
    assert last["total"] < 0.8 * first["total"]
    assert last["reconstruction"] < first["reconstruction"]
    assert result.history[-1]["kl"] > 0  # the posterior moved away from the prior: the latent is used
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 6 and epochs[-1].samples.shape == (64, 8, 8)
    assert epochs[-1].reconstructions.shape == epochs[-1].originals.shape == (16, 8, 8)
    steps = [e for e in events if isinstance(e, StepMetrics)]
    assert len(steps) == 6 * (400 // 32) and set(steps[0].values) == {"reconstruction", "kl", "total"}


def test_gan_learns_digits_a_classifier_recognises():
    """Losses of a GAN need not fall; what must improve is the samples: real digits."""
    digits = load_digits_set()
    result, events = run(GenLabSettings.for_model("gan", epochs=40, device="cpu"), digits)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    classifier = DigitClassifier(digits)
    first, last = (classifier.score(e.samples.reshape(len(e.samples), -1)) for e in (epochs[0], epochs[-1]))
    assert last.confident_fraction >= first.confident_fraction + 0.1
    assert last.classes_present >= 4
    first_step = next(e for e in events if isinstance(e, StepMetrics))
    assert first_step.values["d_loss"] > 1.2  # about log(4): D cannot tell yet
    assert result.history[-1]["d_loss"] < first_step.values["d_loss"]  # the discriminator's loss falls
    assert 0 <= result.history[-1]["d_fake"] < result.history[-1]["d_real"] <= 1


@pytest.mark.parametrize("kind", ["vae", "gan"])
def test_checkpoint_reloads_to_identical_outputs(kind, small_digits, tmp_path):
    result, events = run(quick(kind, epochs=2), small_digits, checkpoint_dir=tmp_path / "ckpt")
    assert any(isinstance(e, CheckpointEvent) for e in events)
    z = torch.randn(10, result.model.config.latent_dim)
    reloaded = load_model(tmp_path / "ckpt")
    assert torch.equal(reloaded.sample(z), result.model.sample(z))
    save_model(tmp_path / "saved", reloaded)
    assert torch.equal(load_model(tmp_path / "saved").sample(z), result.model.sample(z))


def test_resume_continues_exactly_like_an_uninterrupted_run(small_digits, tmp_path):
    settings = quick("gan", epochs=4, checkpoint_every=2)
    straight, _ = run(settings, small_digits)
    run(replace(settings, epochs=2), small_digits, checkpoint_dir=tmp_path / "ckpt")
    resumed, _ = run(settings, small_digits, checkpoint_dir=tmp_path / "ckpt", resume=True)
    assert resumed.epochs_done == 4 and len(resumed.history) == 4
    for name, tensor in straight.model.state_dict().items():
        assert torch.equal(tensor, resumed.model.state_dict()[name]), name


def test_stop_checkpoints_and_returns_partial_result(small_digits, tmp_path):
    control = RunControl()
    job = train(quick("vae", epochs=50), control, images=small_digits, checkpoint_dir=tmp_path / "ckpt")
    seen = 0

    def on_event(event):
        nonlocal seen
        if isinstance(event, EpochEnd):
            seen += 1
            if seen == 2:
                control.cancel()

    result = drain(job, on_event)
    assert result.stopped and result.epochs_done == 2 and "Stopped" in result.message
    assert load_checkpoint(tmp_path / "ckpt").state["epoch"] == 2


@pytest.mark.parametrize("kind", ["vae", "gan"])
def test_a_stop_inside_an_epoch_resumes_exactly_like_an_uninterrupted_run(kind, small_digits, tmp_path):
    settings = quick(kind, epochs=2, checkpoint_every=100)
    straight, _ = run(settings, small_digits)
    control = RunControl()
    job = train(settings, control, images=small_digits, checkpoint_dir=tmp_path / "ckpt")
    stopped = drain(job, lambda event: isinstance(event, StepMetrics) and event.step == 5 and control.cancel())
    assert stopped.stopped and stopped.step == 5 and stopped.epochs_done == 0  # inside the first epoch
    resumed, _ = run(settings, small_digits, checkpoint_dir=tmp_path / "ckpt", resume=True)
    assert resumed.step == straight.step
    for name, tensor in straight.model.state_dict().items():
        assert torch.equal(tensor, resumed.model.state_dict()[name]), name
    assert [row["total" if kind == "vae" else "d_loss"] for row in resumed.history] == pytest.approx(
        [row["total" if kind == "vae" else "d_loss"] for row in straight.history])


def test_settings_problems_are_human():
    bad = GenLabSettings(model="gan", epochs=0, lr=-1.0, label_smoothing=0.7)
    problems = bad.problems()
    assert any("Epochs" in p for p in problems) and any("Learning rate" in p for p in problems)
    assert any("Label smoothing" in p for p in problems)
    with pytest.raises(InvalidSettingsError):
        bad.validate()
    with pytest.raises(InvalidSettingsError, match="vae or gan"):
        GenLabSettings.for_model("diffusion")
    assert GenLabSettings.for_model("gan", lr=None).lr == GenLabSettings.for_model("gan").lr


def test_a_folder_named_digits_is_the_persons_images_not_the_builtin_digits(tmp_path, monkeypatch):
    from workbench.core.genlab.data import load_image_set
    from workbench.core.genlab.settings import GenLabSettings

    monkeypatch.chdir(tmp_path)
    assert len(load_image_set("digits").train) > 1000  # the word alone: scikit-learn's digits
    rng = np.random.default_rng(0)
    (tmp_path / "digits").mkdir()
    for index in range(12):
        write_png(tmp_path / "digits" / f"mine{index:02}.png", rng.random((16, 16)))
    images = load_image_set("digits", size=8)
    assert len(images.train) + len(images.held_out) == 12
    assert "image_size" not in GenLabSettings(images="digits").unused_settings()  # it sizes these images


def test_image_folder_reads_images_and_names_the_unreadable_file(tmp_path):
    rng = np.random.default_rng(0)
    for index in range(12):
        write_png(tmp_path / f"digit{index:02}.png", rng.random((16, 16)))
    (tmp_path / "notes.txt").write_text("not an image, ignored")
    images = load_image_folder(tmp_path, size=8)
    assert images.train.shape[1] == 64 and len(images.train) + len(images.held_out) == 12
    assert 0.0 <= images.train.min() and images.train.max() <= 1.0

    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(InvalidInputError, match="broken.png") as error:
        load_image_folder(tmp_path, size=8)
    assert "\n" not in str(error.value)
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_image_folder(tmp_path / "missing")


def test_an_image_too_big_to_open_safely_is_named(tmp_path, monkeypatch):
    """Pillow refuses a decompression bomb with its own error: it was an "Unexpected error" naming no file."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(12):
        write_png(tmp_path / f"digit{index:02}.png", rng.random((8, 8)))
    write_png(tmp_path / "huge.png", rng.random((16, 16)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 256 pixels is over twice the limit: refused as a bomb
    with pytest.raises(InvalidInputError, match="Cannot read 'huge.png' as an image"):
        load_image_folder(tmp_path, size=8)


def test_png_grid_round_trips_through_pillow(tmp_path):
    from PIL import Image

    images = np.linspace(0, 1, 5 * 4 * 3, dtype=np.float32).reshape(5, 4, 3)
    grid = tile_grid(images, columns=3, padding=1)
    assert grid.shape == (2 * 5 - 1, 3 * 4 - 1)
    (tmp_path / "grid.png").write_bytes(png_bytes(grid, scale=2))
    with Image.open(tmp_path / "grid.png") as png:
        pixels = np.asarray(png)
    assert pixels.shape == (grid.shape[0] * 2, grid.shape[1] * 2)
    assert np.array_equal(pixels[::2, ::2], np.rint(grid * 255).astype(np.uint8))


def test_cli_writes_metrics_png_and_model(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli_main(
        ["genlab", "--model", "vae", "--epochs", "2", "--hidden-dim", "32", "--device", "cpu", "--out", str(out)]
    )
    assert code == 0
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [row["epoch"] for row in rows] == ["1", "2"] and float(rows[1]["total"]) > 0
    assert len(rows[1]["total"].split(".")[1]) == 6 and len(rows[1]["elapsed_s"].split(".")[1]) == 3
    assert (out / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "reconstructions.png").is_file()
    assert load_model(out / "model").config.kind == "vae"


def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys):
    assert cli_main(["genlab", "--model", "gan", "--epochs", "0", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: Epochs must be")
    assert cli_main(["genlab", "--images", str(tmp_path / "nowhere"), "--epochs", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: Image folder") and "Traceback" not in "".join(err)


def test_genlab_core_imports_without_qt():
    code = (
        "import sys; sys.modules.update({m: None for m in ('PySide6', 'pyqtgraph', 'superqt')});"
        "import workbench.core.genlab.trainer, workbench.core.genlab.evaluation, workbench.cli.genlab"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_switching_model_takes_its_tuned_values_and_keeps_the_rest():
    vae = GenLabSettings(seed=7, batch_size=32)
    gan = vae.switched_to("gan")
    gan_defaults = GenLabSettings.for_model("gan")
    assert (gan.model, gan.lr, gan.latent_dim) == ("gan", gan_defaults.lr, gan_defaults.latent_dim)
    assert (gan.seed, gan.batch_size) == (7, 32)
    assert gan.switched_to("vae") == vae


def test_cli_refuses_a_busy_or_unwritable_output_before_training(tmp_path, capsys, monkeypatch):
    from workbench.core.genlab import trainer

    monkeypatch.setattr(trainer, "train", lambda *args, **kwargs: pytest.fail("training started"))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "metrics.csv").write_text("an earlier run's metrics")
    (tmp_path / "plain").write_text("a file")
    for out in (busy, tmp_path / "plain", tmp_path / "plain" / "run", "/proc/genlab-run"):
        assert cli_main(["genlab", "--epochs", "1", "--out", str(out)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:")
    assert (busy / "metrics.csv").read_text() == "an earlier run's metrics"


def test_cli_flags_override_the_models_tuned_values():
    from workbench.cli import build_parser
    from workbench.cli.genlab import _settings

    def settings(*flags):
        return _settings(build_parser().parse_args(["genlab", "--out", "x", *flags]))

    assert settings("--model", "gan") == GenLabSettings.for_model("gan")
    assert settings("--model", "gan", "--epochs", "3", "--beta", "0").epochs == 3
    assert settings("--beta", "0").beta == 0.0  # 0 is a value, not "left out"


def test_the_vae_reports_the_negative_elbo_of_its_own_numbers(small_digits):
    """Reconstruction and KL as torch.distributions computes them from the same encoder outputs and noise."""
    from torch.distributions import Bernoulli, Normal, kl_divergence

    from workbench.core.genlab.models import ModelConfig, build_model

    model = build_model(ModelConfig("vae", small_digits.image_shape, latent_dim=4, hidden_dim=32))
    x = torch.from_numpy(np.array(small_digits.train[:16]))  # (B, pixels) in [0, 1]
    total, parts = model.loss(x, beta=0.5, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        mean, log_var = model.encode(x)  # (B, latent)
        noise = torch.randn(mean.shape, generator=torch.Generator().manual_seed(7))
        posterior = Normal(mean, torch.exp(0.5 * log_var))
        z = mean + posterior.stddev * noise
        # A pixel's intensity as a (continuous) Bernoulli target: -log p summed over pixels, per image.
        reconstruction = -Bernoulli(logits=model.decode_logits(z), validate_args=False).log_prob(x).sum() / len(x)
        kl = kl_divergence(posterior, Normal(torch.zeros_like(mean), torch.ones_like(mean))).sum() / len(x)
    assert parts["reconstruction"] == pytest.approx(reconstruction.item(), rel=1e-5)
    assert parts["kl"] == pytest.approx(kl.item(), rel=1e-5)
    assert parts["total"] == pytest.approx(reconstruction.item() + 0.5 * kl.item(), rel=1e-5) == total.item()


def test_a_gan_step_reports_its_discriminators_own_judgements(small_digits):
    """D(x), D(G(z)) and both losses recomputed with logsigmoid from copies of the networks the step used:
    the discriminator's numbers before its update, the generator's loss under the updated discriminator."""
    import copy

    import torch.nn.functional as F

    from workbench.core.genlab.models import ModelConfig, build_model
    from workbench.core.genlab.trainer import _GanStep

    settings = GenLabSettings.for_model("gan", label_smoothing=0.1)
    model = build_model(ModelConfig("gan", small_digits.image_shape, settings.latent_dim, settings.hidden_dim))
    before = copy.deepcopy(model)
    real = torch.from_numpy(np.array(small_digits.train[:32]))  # (B, pixels)
    metrics = _GanStep(model, settings, torch.Generator().manual_seed(3))(real)
    with torch.no_grad():
        z = torch.randn(len(real), settings.latent_dim, generator=torch.Generator().manual_seed(3))
        fake = before.generate(z)
        real_logits, fake_logits = before.discriminate(real), before.discriminate(fake)
        d_loss = -(0.9 * F.logsigmoid(real_logits) + 0.1 * F.logsigmoid(-real_logits)).mean() \
            - F.logsigmoid(-fake_logits).mean()
        g_loss = -F.logsigmoid(model.discriminate(fake)).mean()  # the updated D judging the step's fakes
    assert metrics["d_real"] == pytest.approx(torch.sigmoid(real_logits).mean().item(), rel=1e-5)
    assert metrics["d_fake"] == pytest.approx(torch.sigmoid(fake_logits).mean().item(), rel=1e-5)
    assert metrics["d_loss"] == pytest.approx(d_loss.item(), rel=1e-5)
    assert metrics["g_loss"] == pytest.approx(g_loss.item(), rel=1e-5)


def test_ctrl_c_checkpoints_writes_the_results_and_exits_130(tmp_path):
    out = tmp_path / "interrupted"
    command = [sys.executable, "-m", "workbench", "genlab", "--model", "gan", "--epochs", "100000",
               "--checkpoint-every", "100000", "--device", "cpu", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    # Wait for two epochs, so the interrupt lands inside the training loop, far from a scheduled checkpoint.
    while sum(line.startswith("epoch ") for line in lines) < 2:
        line = process.stderr.readline()
        assert line or process.poll() is None, "".join(lines)
        lines.append(line)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "stopping: writing a checkpoint" in stderr
    epochs = load_checkpoint(out / "checkpoint").state["epoch"]
    assert epochs >= 2  # the last whole epoch, not the last scheduled checkpoint (there was none)
    assert len(list(csv.DictReader((out / "metrics.csv").open()))) == epochs
    assert (out / "samples.png").is_file() and load_model(out / "model").config.kind == "gan"
    assert "Stopped during epoch" in stdout


def test_cli_resume_refuses_no_epochs_left_and_says_what_it_trained(tmp_path, capsys):
    out = tmp_path / "run"
    small = ["--model", "vae", "--hidden-dim", "16", "--device", "cpu", "--out", str(out)]
    assert cli_main(["genlab", "--epochs", "2", *small]) == 0
    capsys.readouterr()
    assert cli_main(["genlab", "--epochs", "1", "--resume", *small]) == 2
    assert "has trained 2 epochs already, and 1 were asked for" in capsys.readouterr().err
    assert cli_main(["genlab", "--epochs", "3", "--resume", *small]) == 0
    said = capsys.readouterr().out
    assert "Trained epochs 3 to 3" in said and "reconstructions.png" in said
    # Flags left out keep the run's values (its kind and sizes too); another shape is refused in one line.
    assert cli_main(["genlab", "--epochs", "4", "--resume", "--device", "cpu", "--out", str(out)]) == 0
    assert "Trained epochs 4 to 4" in capsys.readouterr().out
    assert cli_main(["genlab", "--epochs", "5", "--resume", "--latent-dim", "4", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: The run in {out} was started with latent size 16 (now 4): resume it with the same model settings, "
        "or start a new run in another folder.")
    assert cli_main(["genlab", "--epochs", "5", "--resume", "--model", "gan", "--out", str(out)]) == 2
    assert "The checkpoint holds a VAE, not a GAN." in capsys.readouterr().err


def test_cli_refuses_a_flag_the_model_would_ignore_and_a_refused_run_leaves_no_folder(tmp_path, capsys):
    assert cli_main(["genlab", "--epochs", "1", "--image-size", "16", "--out", str(tmp_path / "a")]) == 2
    assert "give --images too" in capsys.readouterr().err
    assert cli_main(["genlab", "--model", "gan", "--beta", "1", "--out", str(tmp_path / "a")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --beta is not used here: it weighs a VAE's KL term: add --model vae."]
    assert cli_main(["genlab", "--label-smoothing", "0.2", "--out", str(tmp_path / "a")]) == 2
    assert "error: --label-smoothing is not used here" in capsys.readouterr().err
    assert cli_main(["genlab", "--epochs", "1", "--device", "cuda:7", "--out", str(tmp_path / "b")]) == 2
    assert capsys.readouterr().err.startswith("error:")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_help_shows_each_flags_default_for_both_models(capsys):
    with pytest.raises(SystemExit):
        cli_main(["genlab", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    vae, gan = GenLabSettings.for_model("vae"), GenLabSettings.for_model("gan")
    assert f"(default: {vae.epochs} (VAE), {gan.epochs} (GAN))" in shown
    assert f"(default: {vae.batch_size})" in shown and "(default: )" not in shown
    assert "(default: vae)" in shown  # the model itself: what is used when --model is left out


def test_a_diverged_resume_keeps_the_good_model_and_pictures(tmp_path, capsys, monkeypatch):
    from workbench.core.genlab import trainer as genlab_trainer

    out = tmp_path / "run"
    small = ["--model", "vae", "--hidden-dim", "16", "--device", "cpu", "--out", str(out)]
    assert cli_main(["genlab", "--epochs", "1", *small]) == 0
    good = {path.name: path.read_bytes() for path in [out / "samples.png", *(out / "model").iterdir()]}
    capsys.readouterr()
    real_step = genlab_trainer._VaeStep.__call__

    def diverging_step(step, batch):  # the update blows the weights up to NaN
        values = real_step(step, batch)
        with torch.no_grad():
            for parameter in step.model.parameters():
                parameter.fill_(float("nan"))
        return {name: float("nan") for name in values}

    monkeypatch.setattr(genlab_trainer._VaeStep, "__call__", diverging_step)
    assert cli_main(["genlab", "--epochs", "3", "--resume", *small]) == 2
    assert "diverged" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in [out / "samples.png", *(out / "model").iterdir()]} == good
