"""Word-level tokenisation, vocabularies built from training text, and ragged id arrays."""
import collections
import json
import re
from pathlib import Path

import numpy as np

__all__ = ["PAD", "UNK", "EOS", "tokenize_words", "Vocab", "encode_ragged", "pad_truncate", "id_dtype"]

PAD, UNK, EOS = "<pad>", "<unk>", "<eos>"

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize_words(text, lower=True):
    """Split text into words and single punctuation marks (HTML line breaks removed).

    >>> tokenize_words("It's great!<br />Really.")
    ["it's", 'great', '!', 'really', '.']
    """
    text = _BR.sub(" ", text)
    if lower:
        text = text.lower()
    return _WORD.findall(text)


def id_dtype(size):
    """Smallest unsigned dtype (uint16 or int32) that holds ids below ``size``."""
    return np.uint16 if size <= np.iinfo(np.uint16).max + 1 else np.int32


class Vocab:
    """Token ↔ id table; ids 0.. follow ``specials`` then tokens by descending training count.

    Parameters
    ----------
    tokens : list of str
        Token strings in id order.
    """

    def __init__(self, tokens):
        self.itos = list(tokens)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("Vocab: duplicate tokens")
        self.unk = self.stoi.get(UNK)

    @classmethod
    def build(cls, token_lists, *, max_size=None, min_count=1, specials=(PAD, UNK)):
        """Count tokens over training sequences and keep the most frequent ones (ties by token)."""
        counts = collections.Counter()
        for toks in token_lists:
            counts.update(toks)
        for s in specials:
            counts.pop(s, None)
        ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(specials))]
        return cls(list(specials) + ranked)

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        """Ids of ``tokens``; unknown tokens map to ``<unk>`` (KeyError if the vocab has none)."""
        if self.unk is None:
            return [self.stoi[t] for t in tokens]
        get, unk = self.stoi.get, self.unk
        return [get(t, unk) for t in tokens]

    def decode(self, ids):
        """Tokens of ``ids``."""
        return [self.itos[int(i)] for i in ids]

    def save(self, path):
        """Write the token list as JSON."""
        Path(path).write_text(json.dumps(self.itos, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path):
        """Read a vocabulary written by :meth:`save`."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))


def encode_ragged(token_lists, vocab):
    """Encode sequences into one flat id array plus offsets (``offsets[i]:offsets[i+1]`` is row i)."""
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    offsets = np.zeros(len(token_lists) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.empty(int(offsets[-1]), dtype=id_dtype(len(vocab)))
    for i, toks in enumerate(token_lists):
        flat[offsets[i] : offsets[i + 1]] = vocab.encode(toks)
    return flat, offsets


def pad_truncate(flat, offsets, max_len, pad_id=0, rows=None):
    """Rows of a ragged array cut to their first ``max_len`` ids and right-padded, shape (n, max_len).

    ``rows`` (optional) selects and orders the rows to return.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    starts, ends = offsets[:-1], offsets[1:]
    if rows is not None:
        starts, ends = starts[rows], ends[rows]
    lengths = np.minimum(ends - starts, max_len)
    cols = np.arange(max_len)
    keep = cols[None, :] < lengths[:, None]
    out = np.full((len(lengths), max_len), pad_id, dtype=flat.dtype)
    out[keep] = flat[(starts[:, None] + cols[None, :])[keep]]
    return out
