"""Causal circuits: query t is read before token t + 1 is written, on every tier."""
import numpy as np
import pytest

from astrosim.analysis import compare, mapping
from astrosim.attention import reference as ref
from astrosim.attention.options import astromorphic_options

TOL = 1e-10


def _rel(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(b).max(), 1e-300))


@pytest.mark.parametrize("kind, overrides", [
    ("astromorphic", {}),
    ("astromorphic", {"scale_placement": "outside"}),
    ("kozachkov", {}),
])
def test_causal_rate_circuit_matches_masked_reference(kind, overrides):
    q, k, v, w = compare.random_inputs(2, 3, 3, 2, seed=1)
    options = astromorphic_options(kind, **overrides)
    out = compare.simulate(q, k, v, w, options=options, T=0.01, dt=5e-4, mode="rate", backend="brian2", causal=True)
    w_ref = w if options.positional else None
    # explicit masked (lower-triangular visibility) form of the reference
    target = ref.astromorphic_attention(q, k, v, w_astro=w_ref, causal=True, options=options)
    assert _rel(out["L"], target) < TOL
    assert _rel(out["phi_q"], ref.feature_map(q)) < TOL
    # the causal answer differs from the non-causal one, so the test can tell them apart
    assert _rel(target, ref.astromorphic_attention(q, k, v, w_astro=w_ref, options=options)) > 1e-3


def _changed_after(arrays, t, seed):
    rng = np.random.default_rng(seed)
    out = []
    for a in arrays:
        b = a.copy()
        b[:, t + 1:] = rng.standard_normal(b[:, t + 1:].shape)
        out.append(b)
    return out


@pytest.mark.parametrize("mode", ["rate", "spiking", "biophysical"])
def test_no_leak_from_later_tokens(mode):
    # Changing tokens t+1.. (keys, values and queries) leaves every output at positions <= t unchanged;
    # the gains are fixed in advance (calibrated on other data), as in generation.
    N, t = 3, 0
    q, k, v, w = compare.random_inputs(2, N, 3, 2, seed=2)
    q2, k2, v2 = _changed_after((q, k, v), t, seed=3)
    options = mapping.circuit_options("astromorphic")
    cq, ck, cv, cw = compare.random_inputs(2, N, 3, 2, seed=9)
    scales = mapping.CircuitScales.calibrate(cq, ck, cv, cw, options, causal=True, margin=2.0)
    bio = mode == "biophysical"
    if bio:
        pytest.importorskip("numba")
    T, dt = (0.05, 1e-4) if bio else (0.01, 5e-4)
    backend = "astrosim" if bio else "brian2"  # the biophysical tier (dt = 0.1 ms) is slow on Brian2's numpy target
    run = lambda a, b, c, causal: compare.simulate(a, b, c, w, options=options, T=T, dt=dt, mode=mode,  # noqa: E731
                                                   backend=backend, seed=5, causal=causal, scales=scales)
    one, two = run(q, k, v, True), run(q2, k2, v2, True)
    assert np.array_equal(one["L"][:, :t + 1], two["L"][:, :t + 1])
    assert not np.array_equal(one["L"][:, t + 1:], two["L"][:, t + 1:])
    # the non-causal circuit (all tokens written first) does let later tokens change earlier outputs
    if mode == "rate":
        nc1, nc2 = run(q, k, v, False), run(q2, k2, v2, False)
        assert not np.allclose(nc1["L"][:, :t + 1], nc2["L"][:, :t + 1])
