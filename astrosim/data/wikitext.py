"""WikiText-2 from the official zip archives (tokenised ``v1`` or ``raw-v1``): download, verify, encode."""
import json
import zipfile
from pathlib import Path

import numpy as np

from astrosim.data.store import DataNotFoundError, data_dir, download, verify_file
from astrosim.data.text import EOS, UNK, Vocab, id_dtype

__all__ = ["WIKITEXT2", "fetch_wikitext2", "read_token_file", "prepare_wikitext2", "load_wikitext2"]

_BASE = "https://s3.amazonaws.com/research.metamind.io/wikitext/"
# variant -> (archive name, md5 or None, member stem, file suffix)
WIKITEXT2 = {
    "v1": ("wikitext-2-v1.zip", "542ccefacc6c27f945fb54453812b3cd", "wikitext-2/wiki", "tokens"),
    "raw-v1": ("wikitext-2-raw-v1.zip", None, "wikitext-2-raw/wiki", "raw"),
}
SPLITS = ("train", "valid", "test")


def fetch_wikitext2(root=None, *, variant="v1", base_url=_BASE, archive=None, md5=None):
    """Download (or take a local ``archive``), check the md5 and unpack the three split files.

    The ``raw-v1`` archive has no published checksum here: pass ``md5`` to check one.
    Returns the folder holding ``wiki.{train,valid,test}.{tokens|raw}``.
    """
    if variant not in WIKITEXT2:
        raise ValueError(f"wikitext2: unknown variant {variant!r}; choose from {sorted(WIKITEXT2)}")
    name, known_md5, stem, suffix = WIKITEXT2[variant]
    md5 = md5 or known_md5
    folder = (Path(root) if root else data_dir("wikitext2")) / variant
    targets = {s: folder / f"wiki.{s}.{suffix}" for s in SPLITS}
    if all(p.exists() for p in targets.values()):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    zip_path = verify_file(Path(archive), md5=md5) if archive else download(base_url + name, folder / name, md5=md5)
    with zipfile.ZipFile(zip_path) as z:
        for s, target in targets.items():
            member = f"{stem}.{s}.{suffix}"
            if member not in z.namelist():
                raise DataNotFoundError(f"{zip_path}: no member '{member}'")
            target.write_bytes(z.read(member))
    return folder


def read_token_file(path):
    """Tokens of a WikiText file: whitespace-split lines, each followed by ``<eos>``."""
    tokens = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            tokens.extend(line.split())
            tokens.append(EOS)
    return tokens


def prepare_wikitext2(folder, out=None, *, variant="v1", min_count=1):
    """Encode the three splits with a vocabulary of all training tokens; cache ``{split}_ids.npy``."""
    folder = Path(folder)
    suffix = WIKITEXT2[variant][3]
    out = Path(out) if out else folder / "prepared"
    if (out / "meta.json").exists():
        return out
    tokens = {s: read_token_file(folder / f"wiki.{s}.{suffix}") for s in SPLITS}
    vocab = Vocab.build([tokens["train"]], min_count=min_count, specials=(UNK, EOS))
    out.mkdir(parents=True, exist_ok=True)
    for s in SPLITS:
        np.save(out / f"{s}_ids.npy", np.asarray(vocab.encode(tokens[s]), dtype=id_dtype(len(vocab))))
    vocab.save(out / "vocab.json")
    meta = {"vocab_size": len(vocab), "tokens": {s: len(tokens[s]) for s in SPLITS},
            "tokenisation": "WikiText word tokens (whitespace split), <eos> after every line"}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    return out


def load_wikitext2(*, folder=None, variant="v1"):
    """``{'train': ids, 'valid': ids, 'test': ids, 'vocab': Vocab}`` (1-D id arrays).

    ``folder`` holds the token files or is a prepared folder (with ``meta.json``).
    """
    folder = Path(folder) if folder else data_dir("wikitext2") / variant
    if (folder / "meta.json").exists():  # a prepared folder
        prepared = folder
    elif not all((folder / f"wiki.{s}.{WIKITEXT2[variant][3]}").exists() for s in SPLITS):
        raise DataNotFoundError(f"wikitext2: token files missing in {folder} (run 'astrosim data fetch wikitext2')")
    else:
        prepared = prepare_wikitext2(folder, variant=variant)
    out = {s: np.load(prepared / f"{s}_ids.npy") for s in SPLITS}
    out["vocab"] = Vocab.load(prepared / "vocab.json")
    return out
