"""Word tokenisation, vocabularies, ragged id arrays and GloVe-format vectors."""
import gzip

import numpy as np
import pytest

from astrosim.data.glove import load_glove
from astrosim.data.text import Vocab, encode_ragged, id_dtype, pad_truncate, tokenize_words


def test_tokenize_words_lowercases_and_drops_html_breaks():
    assert tokenize_words("It's GREAT!<br /><br />Really.") == ["it's", "great", "!", "really", "."]


def test_vocab_orders_by_count_then_token_and_maps_unknowns():
    v = Vocab.build([["b", "a", "b"], ["c", "b", "a"]], max_size=4)
    assert v.itos == ["<pad>", "<unk>", "b", "a"]
    assert v.encode(["a", "zzz", "c"]) == [3, 1, 1]
    assert Vocab.build([["x", "x", "y"]], min_count=2).itos == ["<pad>", "<unk>", "x"]


def test_ragged_encoding_and_padding(tmp_path):
    v = Vocab.build([["a", "b", "c"]])
    flat, offsets = encode_ragged([["a", "b", "c"], [], ["c"]], v)
    assert flat.dtype == np.uint16 and offsets.tolist() == [0, 3, 3, 4]
    padded = pad_truncate(flat, offsets, 2)
    assert padded.tolist() == [[v.stoi["a"], v.stoi["b"]], [0, 0], [v.stoi["c"], 0]]
    assert pad_truncate(flat, offsets, 4, rows=np.array([2, 0])).tolist()[1][:3] == flat[:3].tolist()
    v.save(tmp_path / "v.json")
    assert Vocab.load(tmp_path / "v.json").itos == v.itos
    assert id_dtype(70_000) == np.int32


def test_glove_file_fills_known_words(tmp_path):
    v = Vocab.build([["the", "movie", "great"]])
    path = tmp_path / "glove.txt.gz"
    with gzip.open(path, "wt") as f:
        f.write("The 1 2 3\nthe 4 5 6\nmovie 0.5 0.25 -1\nnew york 7 8 9\n")
    matrix, found = load_glove(path, v, seed=1)
    assert matrix.shape == (len(v), 3) and matrix.dtype == np.float32 and found == 2
    np.testing.assert_array_equal(matrix[v.stoi["the"]], [4, 5, 6])  # exact form wins over "The"
    np.testing.assert_array_equal(matrix[v.stoi["movie"]], [0.5, 0.25, -1])
    assert not matrix[0].any()  # padding row
    assert np.abs(matrix[v.stoi["great"]]).max() < 1  # random init for a missing word
    (tmp_path / "bad.txt").write_text("the 1 2 3\nmovie 1 2\n")
    with pytest.raises(ValueError, match="line 2"):
        load_glove(tmp_path / "bad.txt", v)


def test_glove_vectors_initialise_the_text_model(tmp_path):
    import torch

    from astrosim.models.transformers import TextClassifier, TextClassifierConfig

    v = Vocab.build([["good", "bad"]])
    (tmp_path / "g.txt").write_text("good 1 0 0 0 0 0\nbad 0 1 0 0 0 0\n")
    matrix, _ = load_glove(tmp_path / "g.txt", v)
    model = TextClassifier(TextClassifierConfig(vocab_size=len(v), dim=8, heads=2, max_len=4, attention="softmax",
                                                embedding_dim=6), embeddings=torch.from_numpy(matrix))
    assert torch.equal(model.tok.weight[v.stoi["good"]], torch.tensor([1.0, 0, 0, 0, 0, 0]))
