"""The float64 reference formulas: paper equations written out by hand, numpy/torch agreement, write/read loop."""
import numpy as np
import pytest
import torch

from astrosim.attention import (
    AstromorphicOptions,
    astro_weights,
    astromorphic_attention,
    astromorphic_options,
    astromorphic_read,
    astromorphic_write,
    feature_map,
    kozachkov_attention,
    linear_attention,
    reference_attention,
    relative_position_matrix,
    softmax_attention,
)

RNG = np.random.default_rng(42)


def _qkv(*lead, n=9, d=4, e=5):
    return (RNG.normal(size=(*lead, n, d)), RNG.normal(size=(*lead, n, d)), RNG.normal(size=(*lead, n, e)))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _phi(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def test_feature_map_is_elu_plus_one():
    x = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(feature_map(x), torch.nn.functional.elu(torch.tensor(x)).numpy() + 1.0, rtol=1e-13)
    assert np.all(feature_map(x) > 0)


def test_eq18_paper_preset_written_out():
    """Eq. 18 literally: L = phi(Q) sigma(phi(K)^T V + W_astro V) / (m phi(Q) [(sum_t phi(k_t))^alpha]^T)."""
    q, k, v = _qkv(n=6, d=3, e=3)
    M = RNG.normal(size=(3, 6)) * 0.5
    P = relative_position_matrix(6, "exp", 0.1)
    w = _phi((M.T @ M @ P @ M.T)).T  # W_astro, (m, N)
    opts = astromorphic_options("astromorphic", "paper", dim=8)
    assert opts.scale == 4000.0
    m = 500 * 8
    expected = _phi(q) @ _sigmoid(_phi(k).T @ v + w @ v) / (m * (_phi(q) @ (_phi(k).sum(0) ** 0.25))[:, None])
    np.testing.assert_allclose(astromorphic_attention(q, k, v, w_astro=w, options=opts), expected, rtol=1e-13)
    np.testing.assert_allclose(astro_weights(M, P), w, rtol=1e-13)


def test_eq11_inside_scale_and_algorithm1_per_token_alpha_written_out():
    q, k, v = _qkv(n=7, d=3, e=2)
    opts = AstromorphicOptions(scale=11.0, scale_placement="inside", alpha=0.3, alpha_placement="per_token",
                               positional=False)
    g = (_phi(k) ** 0.3).sum(0)
    expected = _phi(q) @ _sigmoid(_phi(k).T @ v / 11.0) / (_phi(q) @ g)[:, None]
    np.testing.assert_allclose(astromorphic_attention(q, k, v, options=opts), expected, rtol=1e-13)


def test_default_tokens_scale_is_the_number_of_visible_tokens():
    q, k, v = _qkv(n=5, d=2, e=2)
    opts = AstromorphicOptions(positional=False)
    causal = astromorphic_attention(q, k, v, causal=True, options=opts)
    for i in range(5):
        kk, vv = k[: i + 1], v[: i + 1]
        row = _phi(q[i]) @ _sigmoid(_phi(kk).T @ vv / (i + 1)) / (_phi(q[i]) @ _phi(kk).sum(0) ** 0.25)
        np.testing.assert_allclose(causal[i], row, rtol=1e-13)


def test_kozachkov_with_unit_scale_is_linear_attention():
    q, k, v = _qkv(2, 3)
    for causal in (False, True):
        np.testing.assert_allclose(kozachkov_attention(q, k, v, causal=causal),
                                   linear_attention(q, k, v, causal=causal), rtol=1e-12)
        np.testing.assert_allclose(kozachkov_attention(q, k, v, causal=causal, scale=7.0, scale_placement="outside"),
                                   linear_attention(q, k, v, causal=causal) / 7.0, rtol=1e-12)


def test_softmax_reference_matches_plain_softmax():
    q, k, v = _qkv(n=6, d=4, e=3)
    s = q @ k.T / 2.0
    mask = np.tril(np.ones((6, 6), bool))
    w = np.where(mask, np.exp(s - s.max(-1, keepdims=True)), 0.0)
    np.testing.assert_allclose(softmax_attention(q, k, v, causal=True), (w / w.sum(-1, keepdims=True)) @ v,
                               rtol=1e-12)


@pytest.mark.parametrize("kind", ["astromorphic", "kozachkov", "linear", "softmax"])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_numpy_and_torch_agree(kind, causal):
    q, k, v = _qkv(2, n=8, d=3, e=3)
    w = astro_weights(RNG.normal(size=(3, 10)), relative_position_matrix(10))
    mask = np.ones((2, 8), bool)
    mask[1, 5:] = False
    a = reference_attention(kind, q, k, v, causal=causal, key_mask=mask, w_astro=w)
    b = reference_attention(kind, *(torch.tensor(t) for t in (q, k, v)), causal=causal,
                            key_mask=torch.tensor(mask), w_astro=torch.tensor(w))
    assert isinstance(b, torch.Tensor) and b.dtype == torch.float64
    np.testing.assert_allclose(b.numpy(), a, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["astromorphic", "kozachkov", "linear", "softmax"])
def test_last_causal_row_equals_full_attention(kind):
    q, k, v = _qkv(3, n=10)
    w = astro_weights(RNG.normal(size=(4, 10)) * 0.3, relative_position_matrix(10))
    full = reference_attention(kind, q, k, v, w_astro=w)
    causal = reference_attention(kind, q, k, v, causal=True, w_astro=w)
    np.testing.assert_allclose(causal[..., -1, :], full[..., -1, :], rtol=1e-12)


@pytest.mark.parametrize("options", [
    AstromorphicOptions(),
    AstromorphicOptions(sigma=False, alpha_placement="per_token", scale=3.0),
    astromorphic_options("astromorphic", "paper", dim=16),
    AstromorphicOptions(positional=False, scale_placement="outside"),
], ids=["default", "plain-per-token", "paper", "outside"])
def test_write_loop_then_read_equals_attention(options):
    q, k, v = _qkv(2, 3, n=8, d=4, e=3)
    w = astro_weights(RNG.normal(size=(3, 4, 12)) * 0.3, relative_position_matrix(12))
    mask = RNG.random((2, 1, 8)) > 0.3
    state = astromorphic_write(k, v, w_astro=w, key_mask=mask, options=options)
    out = astromorphic_read(q, state, options=options)["L"]
    np.testing.assert_allclose(out, astromorphic_attention(q, k, v, w_astro=w, key_mask=mask, options=options),
                               rtol=1e-12, atol=1e-15)
    assert state["H"].shape == (2, 3, 4, 3) and state["g"].shape == (2, 3, 4)


def test_masked_reciprocal_gives_zero_for_queries_without_keys():
    q, k, v = _qkv(n=4)
    mask = np.zeros(4, bool)
    for kind in ("astromorphic", "linear", "softmax"):
        out = reference_attention(kind, q, k, v, key_mask=mask, options=AstromorphicOptions(positional=False))
        assert np.all(out == 0.0)


def test_relative_position_matrix_forms():
    P = relative_position_matrix(5, "exp", 0.5)
    np.testing.assert_allclose(P[0], np.exp(-0.5 * np.arange(5)))
    np.testing.assert_allclose(relative_position_matrix(4, "distance")[3, 0], 0.75)
    with pytest.raises(ValueError, match="unknown kernel"):
        relative_position_matrix(4, "cosine")


def test_bad_options_and_shapes_raise():
    with pytest.raises(ValueError, match="scale_placement"):
        AstromorphicOptions(scale_placement="middle")
    with pytest.raises(ValueError, match="scale"):
        AstromorphicOptions(scale=-1.0)
    with pytest.raises(TypeError, match="unknown astromorphic attention option"):
        astromorphic_options(alfa=0.3)
    with pytest.raises(KeyError, match="preset"):
        astromorphic_options(preset="fast")
    with pytest.raises(ValueError, match="needs dim"):
        astromorphic_options(preset="paper")
    q, k, v = _qkv(n=4)
    with pytest.raises(ValueError, match="no w_astro"):
        astromorphic_attention(q, k, v)
    with pytest.raises(ValueError, match="must be"):
        astromorphic_attention(q, k[:3], v, options=AstromorphicOptions(positional=False))
    with pytest.raises(KeyError, match="Available"):
        reference_attention("cosine", q, k, v)
