"""Byte-level BPE from local files, on a small generated vocabulary."""
import json

import pytest

from astrosim.data.bpe import BPETokenizer, byte_symbols


def _write(tmp_path, merges):
    symbols = byte_symbols()
    vocab = {c: i for i, c in enumerate(symbols)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    return vocab


def test_merges_apply_by_rank_and_text_round_trips(tmp_path):
    space = byte_symbols()[ord(" ")]
    vocab = _write(tmp_path, [("l", "o"), ("lo", "w"), (space, "low"), ("e", "r")])
    tok = BPETokenizer.from_files(tmp_path)
    assert space == "Ġ"  # the printable stand-in for a space
    ids = tok.encode("low lower")
    assert [tok.inverse[i] for i in ids] == ["low", "Ġlow", "er"]
    assert ids[0] == vocab["low"]
    text = "Fellow-Citizens: naïve café, 1790 — it's 12% done!\n\n"
    assert tok.decode(tok.encode(text)) == text


def test_rejects_a_vocabulary_without_the_byte_alphabet(tmp_path):
    (tmp_path / "vocab.json").write_text(json.dumps({"a": 0}))
    (tmp_path / "merges.txt").write_text("")
    with pytest.raises(ValueError, match="256 byte symbols"):
        BPETokenizer.from_files(tmp_path)
    _write(tmp_path, [])
    (tmp_path / "merges.txt").write_text("a b c\n")
    with pytest.raises(ValueError, match="line 1"):
        BPETokenizer.from_files(tmp_path)


def test_sotu_language_model_trains_on_bpe_ids(tmp_path, monkeypatch):
    from pathlib import Path

    from astrosim.train.session import make_config, run_training

    monkeypatch.setenv("ASTROSIM_DATA", str(tmp_path / "cache"))
    bpe = tmp_path / "bpe"
    bpe.mkdir()
    space = byte_symbols()[ord(" ")]
    vocab = _write(bpe, [("t", "h"), ("th", "e"), (space, "the"), ("i", "n"), (space, "in")])
    vocab["<|endoftext|>"] = len(vocab)
    (bpe / "vocab.json").write_text(json.dumps(vocab))
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "sotu"
    cfg = make_config("sotu", "kozachkov", tmp_path / "run", model={"dim": 16, "heads": 2}, epochs=1, limit=30,
                      limit_test=10, batch_size=16, device="cpu", progress=False,
                      data={"seq_len": 32, "bpe": str(bpe)})
    summary = run_training(cfg, source=fixtures)
    assert summary["status"] == "completed"
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["vocab_size"] == len(vocab) and "per BPE token" in info["perplexity"]
    from astrosim.data.lm_bpe import bpe_corpus

    d = bpe_corpus("sotu", fixtures, bpe)
    tok = BPETokenizer.from_files(bpe)
    assert d["meta"]["splits"]["train"]["documents"] == 3
    assert tok.decode(d["train"][:20]).startswith("Fellow-Citizens")
    assert (d["train"] == vocab["<|endoftext|>"]).sum() == 3
