"""Byte-level BPE (the GPT-2 scheme) read from local ``vocab.json`` + ``merges.txt`` files."""
import functools
import json
import re
from pathlib import Path

__all__ = ["byte_symbols", "BPETokenizer"]

# GPT-2's pre-tokeniser, with Unicode letter/number classes written for the stdlib ``re``.
_PRE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")


@functools.lru_cache(maxsize=1)
def byte_symbols():
    """The reversible byte → printable character table of byte-level BPE (list of 256 characters)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


class BPETokenizer:
    """Encode text into the ids of a byte-level BPE vocabulary.

    Parameters
    ----------
    vocab : dict str -> int
        Token strings (in the byte-symbol alphabet) to ids.
    merges : list of (str, str)
        Merge rules, highest priority first.
    """

    def __init__(self, vocab, merges):
        self.vocab = dict(vocab)
        self.inverse = {i: t for t, i in self.vocab.items()}
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.symbols = byte_symbols()
        self.unsymbol = {c: b for b, c in enumerate(self.symbols)}
        missing = [c for c in self.symbols if c not in self.vocab]
        if missing:
            raise ValueError(f"BPE vocabulary lacks {len(missing)} of the 256 byte symbols; not a byte-level vocabulary")
        self._cache = {}

    @classmethod
    def from_files(cls, folder=None, *, vocab_path=None, merges_path=None):
        """Read ``vocab.json`` and ``merges.txt`` (GPT-2 layout: an optional '#version' first line)."""
        vocab_path = Path(vocab_path or Path(folder) / "vocab.json")
        merges_path = Path(merges_path or Path(folder) / "merges.txt")
        vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
        merges = []
        for n, line in enumerate(merges_path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#version"):
                continue
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(f"{merges_path}: line {n} is not a pair of symbols: {line!r}")
            merges.append(tuple(parts))
        return cls(vocab, merges)

    def __len__(self):
        return len(self.vocab)

    def _merge(self, word):
        if word in self._cache:
            return self._cache[word]
        parts = list(word)
        while len(parts) > 1:
            pairs = [(self.ranks.get((a, b), None), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            ranked = [(r, i) for r, i in pairs if r is not None]
            if not ranked:
                break
            best = min(ranked)[0]
            out, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and self.ranks.get((parts[i], parts[i + 1])) == best:
                    out.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        self._cache[word] = parts
        return parts

    def encode(self, text):
        """Token ids of ``text``."""
        ids = []
        for piece in _PRE.findall(text):
            word = "".join(self.symbols[b] for b in piece.encode("utf-8"))
            ids.extend(self.vocab[t] for t in self._merge(word))
        return ids

    def decode(self, ids):
        """Text of ``ids`` (invalid UTF-8 is replaced)."""
        data = bytes(self.unsymbol[c] for i in ids for c in self.inverse[int(i)])
        return data.decode("utf-8", errors="replace")
