"""CIFAR-10 from the official python-pickle archive: download with checksum, unpack, cached arrays."""
import pickle
import tarfile
from pathlib import Path

import numpy as np

from astrosim.data.store import DataNotFoundError, data_dir, download, verify_file

__all__ = ["CIFAR10_URL", "CIFAR10_MD5", "fetch_cifar10", "read_cifar_batch", "load_cifar10"]

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def fetch_cifar10(root=None, *, url=CIFAR10_URL, md5=CIFAR10_MD5, archive=None):
    """Download (or take a local ``archive``), verify the md5, and cache decoded uint8 arrays.

    Returns the cache folder holding ``{train,test}_{images,labels}.npy``.
    """
    folder = Path(root) if root else data_dir("cifar10")
    if all((folder / f"{s}_{k}.npy").exists() for s in ("train", "test") for k in ("images", "labels")):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    if archive is not None:
        tar_path = verify_file(Path(archive), md5=md5)
    else:
        tar_path = download(url, folder / ARCHIVE, md5=md5)
    with tarfile.open(tar_path, "r:gz") as tar:
        members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
        for split, names in (("train", TRAIN_BATCHES), ("test", TEST_BATCHES)):
            xs, ys = [], []
            for name in names:
                if name not in members:
                    raise DataNotFoundError(f"{tar_path}: no member '{name}' (not the CIFAR-10 python archive?)")
                x, y = read_cifar_batch(tar.extractfile(members[name]).read(), source=f"{tar_path}:{name}")
                xs.append(x)
                ys.append(y)
            np.save(folder / f"{split}_images.npy", np.concatenate(xs))
            np.save(folder / f"{split}_labels.npy", np.concatenate(ys))
    return folder


def read_cifar_batch(data, source="batch"):
    """Images uint8 (n, 3, 32, 32) and labels uint8 from one pickled batch (bytes or path)."""
    if isinstance(data, (str, Path)):
        source, data = str(data), Path(data).read_bytes()
    batch = pickle.loads(data, encoding="bytes")
    try:
        raw, labels = batch[b"data"], batch[b"labels"]
    except (KeyError, TypeError):
        raise ValueError(f"{source}: not a CIFAR-10 batch (needs b'data' and b'labels')") from None
    raw = np.asarray(raw, dtype=np.uint8)
    if raw.ndim != 2 or raw.shape[1] != 3 * 32 * 32 or len(labels) != len(raw):
        raise ValueError(f"{source}: data shape {raw.shape} with {len(labels)} labels; expected (n, 3072)")
    labels = np.asarray(labels)
    if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise ValueError(f"{source}: labels outside 0..9")
    return raw.reshape(-1, 3, 32, 32), labels.astype(np.uint8)


def load_cifar10(*, limit=None, limit_test=None, shuffle_seed=0, folder=None):
    """``{'train': (x, y), 'test': (x, y)}``: x uint8 (n, 3, 32, 32), shuffled before the limits."""
    folder = Path(folder) if folder else data_dir("cifar10")
    out = {}
    for split, lim in (("train", limit), ("test", limit_test if limit_test is not None else limit)):
        path = folder / f"{split}_images.npy"
        if not path.exists():
            raise DataNotFoundError(f"cifar10: {path} missing (run 'astrosim data fetch cifar10')")
        x, y = np.load(path), np.load(folder / f"{split}_labels.npy")
        order = np.random.default_rng(shuffle_seed).permutation(len(y))[:lim]
        out[split] = (x[order], y[order])
    return out
