"""Circuit attention substituted into a (tiny, untrained) astromorphic text classifier."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _tiny_model():
    from astrosim.models.transformers import TextClassifier, TextClassifierConfig

    torch.manual_seed(0)
    cfg = TextClassifierConfig(vocab_size=50, max_len=6, dim=8, heads=2, dropout=0.0, attention="astromorphic")
    return TextClassifier(cfg).eval()


def test_rate_circuit_reproduces_model_heads():
    from astrosim.analysis import model_source

    model = _tiny_model()
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 50, size=(3, 6))
    labels = rng.integers(0, 2, size=3)
    result = model_source.model_comparison(model, tokens, labels, T=0.01, dt=5e-4, modes=("rate",))
    assert result["head_error"]["rate"]["rel_error"] < 1e-5  # float32 model against float64 circuit
    assert result["agreement"]["rate"] == 1.0
    assert result["accuracy"]["rate"] == result["accuracy_algorithmic"]


def test_capture_heads_rejects_softmax_layer():
    from astrosim.analysis import model_source
    from astrosim.models.transformers import TextClassifier, TextClassifierConfig

    model = TextClassifier(TextClassifierConfig(vocab_size=20, max_len=4, dim=8, heads=2, attention="softmax"))
    with pytest.raises(ValueError, match="astromorphic/kozachkov attention only"):
        model_source.capture_heads(model, torch.ones(1, 4, dtype=torch.long), None)


def test_select_examples_truncates_long_reviews():
    from astrosim.analysis.model_source import select_examples

    x = np.array([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
    xs, ys, idx = select_examples(x, np.array([0, 1, 1]), 5, 3)
    assert idx.tolist() == [0, 2] and xs.shape == (2, 3) and ys.tolist() == [0, 1]


def test_chunked_comparison_resumes_and_refuses_other_settings(tmp_path):
    from astrosim.analysis import model_source

    model = _tiny_model()
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 50, size=(3, 6))
    labels = rng.integers(0, 2, size=3)
    path = tmp_path / "rate.jsonl"
    first = model_source.chunked_comparison(model, tokens, labels, path, mode="rate", T=0.01, dt=5e-4, chunk=2,
                                            max_seconds=0.0)  # the budget stops it after one chunk
    assert first["examples_run"] == 2 and first["pending_examples"] == 1
    again = model_source.chunked_comparison(model, tokens, labels, path, mode="rate", T=0.01, dt=5e-4, chunk=2,
                                            shard=(0, 2))  # shard 0 of 2 holds only the finished chunk
    assert again["examples_run"] == 2
    full = model_source.chunked_comparison(model, tokens, labels, path, mode="rate", T=0.01, dt=5e-4, chunk=2,
                                           shard=(1, 2))
    assert full["examples_run"] == 3 and full["chunks_run"] == 2 and full["agreement"] == 1.0
    whole = model_source.model_comparison(model, tokens, labels, T=0.01, dt=5e-4, modes=("rate",))
    assert full["accuracy"] == whole["accuracy"]["rate"]
    lo, hi = full["accuracy_ci95"]
    assert 0.0 <= lo <= full["accuracy"] <= hi <= 1.0
    with pytest.raises(ValueError, match="other settings"):
        model_source.chunked_comparison(model, tokens, labels, path, mode="rate", T=0.02, dt=5e-4, chunk=2)


def test_wilson_interval_covers_the_proportion():
    from astrosim.analysis.model_source import wilson_interval

    lo, hi = wilson_interval(766, 1000)
    assert 0.738 < lo < 0.741 and 0.791 < hi < 0.794
