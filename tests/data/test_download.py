"""Official-source downloads: loopback HTTP, checksum checks, archive unpacking, real loaders."""
import hashlib
import pickle

import numpy as np
import pytest

from astrosim.data.cifar10 import fetch_cifar10, load_cifar10, read_cifar_batch
from astrosim.data.store import ChecksumError, download
from astrosim.data.wikitext import fetch_wikitext2, load_wikitext2, read_token_file


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_download_checks_sha256_and_removes_bad_files(http_root, tmp_path):
    root, url = http_root
    (root / "blob.bin").write_bytes(b"astro" * 1000)
    good = hashlib.sha256(b"astro" * 1000).hexdigest()
    path = download(url + "blob.bin", tmp_path / "got" / "blob.bin", sha256=good, progress=False)
    assert path.read_bytes() == b"astro" * 1000
    with pytest.raises(ChecksumError, match="sha256"):
        download(url + "blob.bin", tmp_path / "bad" / "blob.bin", sha256="0" * 64, progress=False)
    assert not list((tmp_path / "bad").iterdir())  # neither the file nor a .part is left


def test_cifar10_fetch_from_loopback(http_root, data_home, make_cifar):
    root, url = http_root
    archive, truth = make_cifar(root / "cifar-10-python.tar.gz")
    with pytest.raises(ChecksumError):
        fetch_cifar10(url=url + "cifar-10-python.tar.gz")  # the built-in md5 is the real archive's
    folder = fetch_cifar10(url=url + "cifar-10-python.tar.gz", md5=_md5(archive))
    assert folder == data_home / "cifar10"
    d = load_cifar10()
    x, y = d["train"]
    assert x.shape == (20, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.uint8
    # rows are the pickled rows reshaped channel-first, in a fixed shuffled order
    stacked = np.concatenate([truth[f"data_batch_{i}"][0] for i in range(1, 6)]).reshape(-1, 3, 32, 32)
    labels = np.concatenate([truth[f"data_batch_{i}"][1] for i in range(1, 6)])
    order = np.random.default_rng(0).permutation(20)
    np.testing.assert_array_equal(x, stacked[order])
    np.testing.assert_array_equal(y, labels[order])
    assert d["test"][0].shape == (4, 3, 32, 32)
    assert load_cifar10(limit=7)["train"][0].shape[0] == 7


def test_cifar_batch_rejects_other_pickles():
    with pytest.raises(ValueError, match="not a CIFAR-10 batch"):
        read_cifar_batch(pickle.dumps({b"images": []}))
    with pytest.raises(ValueError, match="expected"):
        read_cifar_batch(pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}))


def test_wikitext2_fetch_and_encode(http_root, data_home, make_wikitext):
    make, lines = make_wikitext
    root, url = http_root
    archive = make(root / "wikitext-2-v1.zip")
    with pytest.raises(ChecksumError):
        fetch_wikitext2(base_url=url)  # the built-in md5 is the real archive's
    folder = fetch_wikitext2(base_url=url, md5=_md5(archive))
    d = load_wikitext2(folder=folder)
    train_tokens = read_token_file(folder / "wiki.train.tokens")
    assert len(d["train"]) == len(train_tokens) == sum(len(l.split()) + 1 for l in lines["train"])
    assert d["vocab"].decode(d["train"][:4]) == ["=", "Valkyria", "=", "<eos>"]
    test_words = d["vocab"].decode(d["test"])
    assert "Robert" not in test_words and "<unk>" in test_words  # unseen in training -> <unk>
    assert d["train"].dtype == np.uint16
