"""GloVe-format word vectors from a local text file (optionally gzipped) mapped onto a vocabulary."""
import gzip
from pathlib import Path

import numpy as np

__all__ = ["load_glove"]


def load_glove(path, vocab, *, dim=None, init_std=0.1, seed=0):
    """Embedding matrix for ``vocab`` from a GloVe text file ("word v1 v2 ... vD" per line).

    Rows of words missing from the file are drawn from N(0, init_std²); row 0 (padding) is zero.
    A cased file fills a lower-cased vocabulary through the exact form first, then the lowercase.

    Parameters
    ----------
    path : path
        ``.txt`` or ``.txt.gz`` file.
    vocab : astrosim.data.text.Vocab
    dim : int, optional
        Vector size; read from the first line when omitted.

    Returns
    -------
    matrix : np.ndarray, float32 (len(vocab), dim)
    found : int
        How many vocabulary rows came from the file.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    matrix = None
    exact = np.zeros(len(vocab), dtype=bool)
    filled = np.zeros(len(vocab), dtype=bool)
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").rstrip().split(" ")
            if matrix is None:
                dim = dim or len(parts) - 1
                if dim < 1:
                    raise ValueError(f"{path}: line 1 has no vector")
                rng = np.random.default_rng(seed)
                matrix = rng.normal(0.0, init_std, (len(vocab), dim)).astype(np.float32)
            if len(parts) < dim + 1:
                raise ValueError(f"{path}: line {n} has {len(parts) - 1} values, expected {dim}")
            word = " ".join(parts[:-dim])
            for key, is_exact in ((word, True), (word.lower(), False)):
                i = vocab.stoi.get(key)
                if i is not None and not exact[i] and (is_exact or not filled[i]):
                    try:
                        matrix[i] = np.asarray(parts[-dim:], dtype=np.float32)
                    except ValueError as err:
                        raise ValueError(f"{path}: line {n}: {err}") from None
                    filled[i] = True
                    exact[i] |= is_exact
    if matrix is None:
        raise ValueError(f"{path}: empty file")
    matrix[0] = 0.0
    filled[0] = False
    return matrix, int(filled.sum())
