"""Each task trains for one epoch on the CPU through its real data path (slices or generated files)."""
import io
import json
import pickle
import tarfile

import numpy as np
import pytest

from astrosim.train.session import evaluate_run, make_config, run_training


def _check_run(out, summary, lm=False):
    assert summary["status"] == "completed" and summary["epochs_done"] == 1
    rows = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["examples_per_s"] > 0
    assert (out / "metrics.csv").read_text().startswith("epoch,")
    key = "test_ppl" if lm else "test_acc"
    assert np.isfinite(rows[0][key])
    return rows[0]


def test_imdb_slice(tmp_path, fixtures, tiny):
    cfg = make_config("imdb", "astromorphic", tmp_path / "run", model=tiny, data={"max_len": 48, "vocab_size": 400,
                      "block": 50}, epochs=1, limit=80, batch_size=16, device="cpu", progress=False)
    row = _check_run(tmp_path / "run", run_training(cfg, source=fixtures / "imdb_slice.json"))
    assert 0 <= row["test_acc"] <= 1
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["train_examples"] == 80 and "word level" in info["tokenisation"]


def test_fashion_mnist_slice(tmp_path, fixtures, tiny):
    cfg = make_config("fashion-mnist", "linear", tmp_path / "run", model={**tiny, "stem_channels": 4},
                      epochs=1, limit=96, limit_test=64, batch_size=32, device="cpu", progress=False)
    _check_run(tmp_path / "run", run_training(cfg, source=fixtures / "fashion-mnist"))


def test_cifar10_generated_archive(tmp_path, tiny):
    rng = np.random.default_rng(0)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            blob = pickle.dumps({b"data": rng.integers(0, 256, (8, 3072), dtype=np.uint8),
                                 b"labels": rng.integers(0, 10, 8).tolist()})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    from astrosim.data.cifar10 import fetch_cifar10
    from astrosim.data.store import file_digest

    folder = fetch_cifar10(tmp_path / "cache", archive=archive, md5=file_digest(archive, "md5"))
    cfg = make_config("cifar10", "kozachkov", tmp_path / "run", model={**tiny, "stem_channels": 4}, epochs=1,
                      batch_size=16, device="cpu", progress=False)
    _check_run(tmp_path / "run", run_training(cfg, source=folder))


def test_sotu_slice(tmp_path, fixtures, tiny, monkeypatch):
    monkeypatch.setenv("ASTROSIM_DATA", str(tmp_path / "cache"))
    cfg = make_config("sotu", "astromorphic", tmp_path / "run", model=tiny, data={"seq_len": 32}, epochs=1,
                      limit=60, limit_test=20, batch_size=16, device="cpu", progress=False)
    row = _check_run(tmp_path / "run", run_training(cfg, source=fixtures / "sotu"), lm=True)
    assert row["test_ppl"] == pytest.approx(np.exp(row["test_loss"]))
    assert "per word-level token" in json.loads((tmp_path / "run" / "config.json").read_text())["perplexity"]


def test_wikitext2_generated_files(tmp_path, tiny):
    folder = tmp_path / "wt"
    folder.mkdir()
    words = " the cat sat on the mat . the dog ran to the park . a bird sang in the tree . \n"
    for split, n in (("train", 60), ("valid", 5), ("test", 8)):
        (folder / f"wiki.{split}.tokens").write_text(words * n)
    cfg = make_config("wikitext2", "softmax", tmp_path / "run", model=tiny, data={"seq_len": 16}, epochs=1,
                      batch_size=8, device="cpu", lr=3e-3, progress=False)
    row = _check_run(tmp_path / "run", run_training(cfg, source=folder), lm=True)
    vocab = json.loads((tmp_path / "run" / "config.json").read_text())["vocab_size"]
    assert row["test_ppl"] < vocab  # it learned something about a 16-word language
    again = evaluate_run(tmp_path / "run")
    assert again["ppl"] == pytest.approx(row["test_ppl"], rel=1e-5)
