"""Training on two CPU ranks (gloo DDP), each holding half of the data, matches one process with the
same global batch, and resumes."""
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from astrosim.train.distributed import RankShard, run_ranks, train_argv
from astrosim.train.session import make_config, run_training

sys.path.insert(0, str(Path(__file__).parent))
import ddp_ranks  # noqa: E402  (imported by name in the rank processes)

#: Largest relative difference allowed between the 2-rank and the 1-process run: float32 gradient
#: sums in another order. Measured on 3 epochs: losses 6e-8, weights 2.6e-7 (docs/training.md).
TOLERANCE = 1e-5
KEYS = ("train_loss", "train_acc", "test_loss", "test_acc", "lr")


def _cfg(out, tiny, epochs=2, resume=False):
    tiny = dict(tiny, dropout=0.0)  # dropout masks would differ between a batch and its two halves
    return make_config("imdb", "astromorphic", out, model=tiny, data={"max_len": 32, "vocab_size": 300, "block": 50},
                       epochs=epochs, limit=64, limit_test=32, batch_size=16, device="cpu", progress=False,
                       resume=resume)


def _rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def _weights(out):
    return torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)["model"]


def _close(a, b, tol):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_module):
    """One single-process run, one uninterrupted 2-rank run, one 2-rank run stopped after epoch 1 and resumed."""
    tmp = tmp_path_factory.mktemp("ddp")
    source = str(Path(__file__).resolve().parents[1] / "fixtures" / "imdb_slice.json")
    run_training(_cfg(tmp / "single", tiny_module), source=source)
    jobs = [(asdict(_cfg(tmp / "ddp", tiny_module)), None), (asdict(_cfg(tmp / "resumed", tiny_module)), 1)]
    run_ranks(2, ddp_ranks.train, jobs, source, str(tmp))  # one launch: both jobs in the same two ranks
    stopped = _rows(tmp / "resumed")
    assert not (tmp / "resumed" / "summary.json").exists()
    run_ranks(2, ddp_ranks.train, [(asdict(_cfg(tmp / "resumed", tiny_module, resume=True)), None)], source)
    return tmp, stopped


@pytest.fixture(scope="module")
def tiny_module(tmp_path_factory):
    """The tiny model of tests/train/conftest.py, with a private data cache for the whole module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASTROSIM_DATA", str(tmp_path_factory.mktemp("cache")))  # the rank processes inherit it
        yield {"dim": 16, "heads": 2, "layers": 1}


def test_two_ranks_match_one_process_with_the_same_global_batch(runs):
    tmp, _ = runs
    single, ddp = _rows(tmp / "single"), _rows(tmp / "ddp")
    assert len(single) == len(ddp) == 2
    for a, b in zip(single, ddp):
        for key in KEYS:
            assert _close(a[key], b[key], TOLERANCE), (key, a[key], b[key])
    ws, wd = _weights(tmp / "single"), _weights(tmp / "ddp")
    assert ws.keys() == wd.keys()  # rank 0 saves the bare model: checkpoints are interchangeable
    worst = max(float((ws[k] - wd[k]).abs().max() / ws[k].abs().max().clamp(min=1e-12)) for k in ws)
    assert worst < TOLERANCE, worst
    # rank 0 alone writes: one row per epoch, one summary
    assert json.loads((tmp / "ddp" / "summary.json").read_text())["epochs_done"] == 2


def test_each_rank_holds_only_its_share_of_the_data(runs):
    tmp, _ = runs
    shares = [json.loads((tmp / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [s["partition"] for s in shares] == [[0, 2], [1, 2]]
    assert all(s["sizes"] == [64, 32] for s in shares)  # the global sizes (limit, limit_test)
    assert [s["held"] for s in shares] == [{"train": 32, "test": 16}] * 2


def test_two_ranks_resume_after_an_interrupt_exactly(runs):
    tmp, stopped = runs
    assert len(stopped) == 1
    assert [{k: r[k] for k in KEYS} for r in _rows(tmp / "resumed")] == \
        [{k: r[k] for k in KEYS} for r in _rows(tmp / "ddp")]
    a, b = _weights(tmp / "resumed"), _weights(tmp / "ddp")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_rank_shard_splits_each_global_batch_and_scales_the_count():
    class Data:
        kind = "text"

        def epoch_batches(self, batch_size, generator):
            x = torch.arange(10)
            for s in range(0, 10, batch_size):
                yield (x[s:s + batch_size],), x[s:s + batch_size]

        @staticmethod
        def loss_and_correct(logits, targets):
            return logits.sum(), 0, targets.numel()

    halves = [list(RankShard(Data(), r, 2).epoch_batches(4, None)) for r in (0, 1)]
    assert [b[1].tolist() for b in halves[0]] == [[0, 1], [4, 5], [8]]
    assert [b[1].tolist() for b in halves[1]] == [[2, 3], [6, 7], [9]]
    shard = RankShard(Data(), 1, 2)
    counts = [shard.loss_and_correct(inputs[0].float(), targets)[2] for inputs, targets in shard.epoch_batches(4, None)]
    assert counts == [2.0, 2.0, 1.0]  # the global batch's count / ranks (batches of 4, 4, 2)
    assert shard.loss_and_correct(torch.ones(3), torch.arange(3))[2] == 3  # evaluation: the real count
    with pytest.raises(ValueError, match="smaller than"):
        list(RankShard(Data(), 0, 2).epoch_batches(1, None))


def test_nproc_flag_launches_torchrun_and_writes_the_log_once(tmp_path, fixtures, tiny):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "astrosim.cli.train", "imdb", "--attention", "linear", "--device", "cpu",
           "--epochs", "1", "--limit", "32", "--limit-test", "16", "--batch-size", "8", "--data",
           "max_len=16,vocab_size=200,block=50", "--model", "dim=8,heads=2,layers=1,dropout=0", "--source",
           str(fixtures / "imdb_slice.json"), "--out", str(out), "--quiet", "--nproc", "2"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("epoch 1:") == 1, done.stdout
    assert len(_rows(out)) == 1 and (out / "checkpoint.pt").exists()
    assert json.loads((out / "config.json").read_text())["config"]["batch_size"] == 8


def test_train_argv_drops_the_nproc_flag():
    assert train_argv(["astrosim", "train", "imdb", "--nproc", "2", "--seed", "1"]) == ["imdb", "--seed", "1"]
    assert train_argv(["/x/astrosim/cli/train.py", "imdb", "--nproc=4"]) == ["imdb"]
