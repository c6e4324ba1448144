"""Generated stand-ins for the official CIFAR-10 and WikiText-2 archives, and a loopback HTTP server."""
import functools
import http.server
import io
import pickle
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def make_cifar_archive(path, per_batch=4, seed=0):
    """A tar.gz laid out like ``cifar-10-python.tar.gz`` with tiny batches; returns (path, images, labels)."""
    rng = np.random.default_rng(seed)
    truth = {}
    with tarfile.open(path, "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
            labels = [int(v) for v in rng.integers(0, 10, per_batch)]
            truth[name] = (data, labels)
            blob = pickle.dumps({b"batch_label": name.encode(), b"data": data, b"labels": labels,
                                 b"filenames": [b"x.png"] * per_batch}, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path, truth


WIKI_LINES = {
    "train": [" = Valkyria = \n", " the game began development in 2010 , carrying over a large portion . \n", " \n",
              " it met with <unk> praise in japan . \n"] * 40,
    "valid": [" = Tower = \n", " the tower was built in 1890 . \n"] * 10,
    "test": [" = Robert = \n", " robert was an english actor . \n", " he began his career in 2000 . \n"] * 10,
}


def make_wikitext_archive(path):
    """A zip laid out like ``wikitext-2-v1.zip``."""
    with zipfile.ZipFile(path, "w") as z:
        for split, lines in WIKI_LINES.items():
            z.writestr(f"wikitext-2/wiki.{split}.tokens", "".join(lines))
    return path


@pytest.fixture
def http_root(tmp_path):
    """Serve ``tmp_path / 'www'`` on 127.0.0.1; yields (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """An empty ``ASTROSIM_DATA`` cache."""
    home = tmp_path / "cache"
    monkeypatch.setenv("ASTROSIM_DATA", str(home))
    return home


@pytest.fixture
def make_cifar():
    """The CIFAR-10 archive generator."""
    return make_cifar_archive


@pytest.fixture
def make_wikitext():
    """The WikiText-2 archive generator and its lines."""
    return make_wikitext_archive, WIKI_LINES
