"""``astrosim train`` refuses bad options before any work, and never downloads unless asked."""
import subprocess
import sys

import pytest

from astrosim.cli import main


@pytest.mark.parametrize("options, message", [
    (["--data", "foo=1"], "--data foo: not a data option of imdb"),
    (["--model", "heads=four"], "--model heads=four: model options take numbers"),
    (["--limit", "0"], "--limit must be at least 1"),
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--lr", "0"], "--lr must be > 0"),
    (["--lr=-1e-3"], "--lr must be > 0"),
    (["--resume"], "holds no checkpoint.pt"),
])
def test_bad_options_refused_before_work(tmp_path, monkeypatch, capsys, options, message):
    monkeypatch.setenv("ASTROSIM_DATA", str(tmp_path / "data"))
    out = tmp_path / "run"
    assert main(["train", "imdb", "--attention", "linear", "--out", str(out), *options]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists() and not (tmp_path / "data").exists()


def test_cuda_refused_on_cpu_build(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the refusal is for CPU-only machines")
    assert main(["train", "imdb", "--attention", "linear", "--device", "cuda", "--out", str(tmp_path / "r")]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


def test_missing_data_names_the_fetch_command_without_downloading(tmp_path):
    """No npm / apt-get / HTTP fetch: the data cache stays empty, one line names the command to run."""
    env = {"ASTROSIM_DATA": str(tmp_path / "data"), "PATH": "/nonexistent", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-m", "astrosim", "train", "sotu", "--attention", "linear",
                           "--epochs", "1", "--out", str(tmp_path / "run")], capture_output=True, text=True, env=env)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "astrosim data fetch sotu" in done.stderr and "--download" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not any((tmp_path / "data").rglob("*.tgz"))
