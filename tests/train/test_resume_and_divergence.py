"""Checkpoints resume to the same result; a NaN/inf loss ends the run as 'diverged', not as a crash."""
import json

import pytest
import torch

from astrosim.cli import main
from astrosim.train.session import make_config, run_training


class Killed(Exception):
    """Stands for the process being killed."""


def _cfg(out, tiny, epochs=2):
    return make_config("imdb", "astromorphic", out, model=tiny, data={"max_len": 32, "vocab_size": 300, "block": 50,
                       "token_dropout": 0.1}, epochs=epochs, limit=64, limit_test=32, batch_size=16, device="cpu",
                       progress=False)


def _rows(out):
    return [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]


def _same(a, b):
    keys = ("train_loss", "train_acc", "test_loss", "test_acc", "lr")
    return [{k: r[k] for k in keys} for r in a] == [{k: r[k] for k in keys} for r in b]


@pytest.mark.parametrize("where", ["after-epoch", "mid-epoch"])
def test_killed_and_resumed_run_matches_uninterrupted(tmp_path, fixtures, tiny, where):
    source = fixtures / "imdb_slice.json"
    straight = run_training(_cfg(tmp_path / "a", tiny), source=source)
    assert straight["status"] == "completed"

    def after_epoch(epoch, record):
        if epoch == 1:
            raise Killed

    def mid_epoch(epoch, step):
        if epoch == 2 and step == 1:
            raise Killed

    hooks = {"on_epoch_end": after_epoch} if where == "after-epoch" else {"on_step": mid_epoch}
    with pytest.raises(Killed):
        run_training(_cfg(tmp_path / "b", tiny), source=source, **hooks)
    assert len(_rows(tmp_path / "b")) == 1
    cfg = _cfg(tmp_path / "b", tiny)
    cfg.resume = True
    resumed = run_training(cfg, source=source)
    assert resumed["status"] == "completed" and resumed["epochs_done"] == 2
    assert _same(_rows(tmp_path / "a"), _rows(tmp_path / "b"))


def test_resume_refuses_a_different_configuration(tmp_path, fixtures, tiny):
    run_training(_cfg(tmp_path / "a", tiny, epochs=1), source=fixtures / "imdb_slice.json")
    cfg = _cfg(tmp_path / "a", tiny, epochs=1)
    cfg.resume, cfg.lr = True, 0.5
    with pytest.raises(ValueError, match="lr"):
        run_training(cfg, source=fixtures / "imdb_slice.json")
    with pytest.raises(FileExistsError, match="--resume"):
        run_training(_cfg(tmp_path / "a", tiny, epochs=1), source=fixtures / "imdb_slice.json")


def test_nan_loss_is_recorded_as_divergence(tmp_path, fixtures, tiny):
    def poison(epoch, step):
        if step == 0:
            raise_nan()

    model_holder = {}

    def raise_nan():
        with torch.no_grad():
            for p in model_holder["model"].parameters():
                p.fill_(float("nan"))

    import astrosim.train.session as session

    real = session.build_model

    def capture(*a, **k):
        model_holder["model"] = real(*a, **k)
        return model_holder["model"]

    session.build_model = capture
    try:
        summary = run_training(_cfg(tmp_path / "d", tiny), source=fixtures / "imdb_slice.json", on_step=poison)
    finally:
        session.build_model = real
    assert summary["status"] == "diverged" and summary["diverged_at"]["epoch"] == 1
    assert _rows(tmp_path / "d")[-1]["status"] == "diverged"
    assert json.loads((tmp_path / "d" / "summary.json").read_text())["status"] == "diverged"


def test_cli_train_evaluate_report_and_divergence_exit_code(tmp_path, fixtures, capsys):
    common = ["--source", str(fixtures / "imdb_slice.json"), "--model", "dim=16,heads=2", "--data",
              "max_len=32,vocab_size=300,block=50", "--limit", "48", "--epochs", "1", "--batch-size", "16",
              "--device", "cpu", "--quiet"]
    for seed in (0, 1):
        assert main(["train", "imdb", "--attention", "softmax", "--seed", str(seed), "--out",
                     str(tmp_path / "runs" / f"imdb-softmax-s{seed}"), *common]) == 0
    assert main(["evaluate", str(tmp_path / "runs" / "imdb-softmax-s0")]) == 0
    assert "test loss" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "rep")]) == 0
    table = (tmp_path / "rep" / "report.md").read_text()
    assert "| imdb-softmax | imdb | softmax | 0,1 |" in table and " ± " in table
    assert (tmp_path / "rep" / "curves-imdb.png").stat().st_size > 1000
    code = main(["train", "imdb", "--attention", "linear", "--lr", "1e30", "--out", str(tmp_path / "boom"), *common])
    assert code == 3
    assert "DIVERGED" in capsys.readouterr().out
