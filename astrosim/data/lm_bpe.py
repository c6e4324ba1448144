"""Language-model corpora (SOTU, WikiText-2) encoded with a local byte-level BPE; cached id arrays."""
import hashlib
import json
from pathlib import Path

import numpy as np

from astrosim.data.bpe import BPETokenizer
from astrosim.data.store import data_dir
from astrosim.data.text import id_dtype

__all__ = ["EOT", "bpe_corpus"]

EOT = "<|endoftext|>"


def _split_texts(corpus, folder, cuts, variant):
    if corpus == "sotu":
        from astrosim.data.sotu import CUT_YEARS, _split_of, read_addresses

        texts = {"train": [], "valid": [], "test": []}
        for year, _, text in read_addresses(folder):
            texts[_split_of(year, cuts or CUT_YEARS)].append(text)
        return texts
    if corpus == "wikitext2":
        from astrosim.data.wikitext import SPLITS, WIKITEXT2

        suffix = WIKITEXT2[variant][3]
        return {s: [(Path(folder) / f"wiki.{s}.{suffix}").read_text(encoding="utf-8")] for s in SPLITS}
    raise ValueError(f"bpe: unknown corpus {corpus!r} (sotu or wikitext2)")


def bpe_corpus(corpus, folder, bpe_dir, *, cuts=None, variant="v1"):
    """``{'train', 'valid', 'test'}`` BPE id arrays and ``'meta'`` for ``corpus`` read from ``folder``.

    Each document (a SOTU address, a whole WikiText split) is followed by ``<|endoftext|>`` when
    the vocabulary has it. Arrays are cached in the data cache, keyed by the files used.
    """
    tok = BPETokenizer.from_files(bpe_dir)
    vocab_bytes = (Path(bpe_dir) / "vocab.json").read_bytes() + (Path(bpe_dir) / "merges.txt").read_bytes()
    key = hashlib.sha1(vocab_bytes + f"{Path(folder).resolve()}:{cuts}:{variant}".encode()).hexdigest()[:12]
    out = data_dir(corpus) / f"bpe-{key}"
    if not (out / "meta.json").exists():
        eot = tok.vocab.get(EOT)
        out.mkdir(parents=True, exist_ok=True)
        meta = {"vocab_size": len(tok), "tokenisation": f"byte-level BPE from {bpe_dir}", "splits": {}}
        for split, docs in _split_texts(corpus, folder, cuts, variant).items():
            ids = []
            for doc in docs:
                ids.extend(tok.encode(doc))
                if eot is not None:
                    ids.append(eot)
            arr = np.asarray(ids, dtype=id_dtype(len(tok)))
            np.save(out / f"{split}_ids.npy", arr)
            meta["splits"][split] = {"tokens": len(arr), "documents": len(docs)}
        (out / "meta.json").write_text(json.dumps(meta, indent=1))
    result = {s: np.load(out / f"{s}_ids.npy") for s in ("train", "valid", "test")}
    result["meta"] = json.loads((out / "meta.json").read_text())
    return result
