"""Fashion-MNIST (60k/10k 28×28 grey images, 10 classes) from the Debian package or the official files."""
import shutil
import tempfile
from pathlib import Path

import numpy as np

from astrosim.data.idx import read_idx
from astrosim.data.store import DataNotFoundError, apt_download, data_dir, download, extract_deb, verify_file

__all__ = ["FMNIST_DEB", "FMNIST_FILES", "fetch_fashion_mnist", "load_fashion_mnist"]

FMNIST_DEB = ("dataset-fashion-mnist=0.0~git20200523.55506a9-1",
              "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0")
_DEB_DIR = "usr/share/datasets/fashion-mnist"
OFFICIAL_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# file name -> (sha256 of the Debian package's copy, md5 published with the official download)
FMNIST_FILES = {
    "train-images-idx3-ubyte.gz": ("b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                                   "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "train-labels-idx1-ubyte.gz": ("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
                                   "25c81989df183df01b3e8a0aad5dffbe"),
    "t10k-images-idx3-ubyte.gz": ("cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                                  "bef4ecab320f06d8554ea6380940ec79"),
    "t10k-labels-idx1-ubyte.gz": ("8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
                                  "bb300cfdad3c16e7a12a480ee83cd310"),
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def fetch_fashion_mnist(root=None, *, source="package", base_url=OFFICIAL_URL):
    """Put the four IDX files into the cache and return the folder.

    ``source='package'`` uses ``apt-get download`` + ``dpkg -x`` (sha256 of the .deb and of each
    file checked); ``source='url'`` downloads from ``base_url`` with the published md5s.
    """
    folder = Path(root) if root else data_dir("fashion-mnist")
    if all((folder / name).exists() for name in FMNIST_FILES):
        return folder
    if source == "url":
        for name, (_, md5) in FMNIST_FILES.items():
            download(base_url.rstrip("/") + "/" + name, folder / name, md5=md5)
        return folder
    if source != "package":
        raise ValueError(f"fashion-mnist: unknown source {source!r} (use 'package' or 'url')")
    spec, sha = FMNIST_DEB
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        deb = apt_download(spec, tmp, sha256=sha)
        tree = extract_deb(deb, Path(tmp) / "tree")
        for name, (sha_file, _) in FMNIST_FILES.items():
            verify_file(tree / _DEB_DIR / name, sha256=sha_file)
            shutil.move(str(tree / _DEB_DIR / name), folder / name)
    return folder


def _cached(folder, stem, gz_name, cache):
    npy = folder / f"{stem}.npy"
    if cache and npy.exists():
        return np.load(npy)
    if not (folder / gz_name).exists():
        raise DataNotFoundError(f"fashion-mnist: {folder / gz_name} missing (run 'astrosim data fetch fashion-mnist')")
    array = read_idx(folder / gz_name)
    if cache:
        np.save(npy, array)
    return array


def load_fashion_mnist(*, limit=None, limit_test=None, shuffle_seed=0, folder=None):
    """``{'train': (x, y), 'test': (x, y)}`` with x uint8 (n, 1, 28, 28) and y uint8.

    Splits are shuffled with a fixed generator before the optional ``limit``/``limit_test``.
    ``folder`` holds the four IDX files (default: the cache, fetched if missing; only there are
    the decoded arrays cached as .npy).
    """
    cache = folder is None
    folder = Path(folder) if folder else fetch_fashion_mnist()
    out = {}
    for split, prefix, lim in (("train", "train", limit), ("test", "t10k", limit_test if limit_test is not None else limit)):
        x = _cached(folder, f"{split}_images", f"{prefix}-images-idx3-ubyte.gz", cache)
        y = _cached(folder, f"{split}_labels", f"{prefix}-labels-idx1-ubyte.gz", cache)
        if len(x) != len(y) or x.shape[1:] != (28, 28):
            raise ValueError(f"fashion-mnist: {split} images {x.shape} do not match labels {y.shape}")
        order = np.random.default_rng(shuffle_seed).permutation(len(y))[:lim]
        out[split] = (x[order][:, None], y[order])
    return out
