"""The noiseless rate circuit, read out by the mapping layer, equals the reference formulas."""
import numpy as np
import pytest

from astrosim.analysis import compare, mapping
from astrosim.analysis.circuit import build_circuit, run_circuit
from astrosim.attention import reference as ref
from astrosim.attention.options import astromorphic_options

TOL = 1e-10


def _rel(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(b).max(), 1e-300))


def _run(q, k, v, w, options, backend="brian2", T=0.01, dt=5e-4):
    import brian2

    brian2.defaultclock.dt = dt * brian2.second
    stim = mapping.encode(q, k, v, w, options=options, T=T, dt=dt)
    state = run_circuit(build_circuit(stim, "rate"), backend)
    return mapping.decode(state, stim), state


def _check_against_reference(out, q, k, v, w, options):
    w_ref = w if options.positional else None
    write = ref.astromorphic_write(k, v, w_astro=w_ref, options=options)
    read = ref.astromorphic_read(q, write, options=options)
    assert _rel(out["phi_k"], ref.feature_map(k)) < TOL
    assert _rel(out["phi_q"], ref.feature_map(q)) < TOL
    assert _rel(out["v"], v) < TOL
    assert _rel(out["H_neuron"], write["H_neuron"]) < TOL
    if options.positional:
        assert _rel(out["w_astro"], w) < TOL
        assert _rel(out["H_astro"], write["H_astro"]) < TOL
    assert _rel(out["H"], write["H"]) < TOL
    assert _rel(out["g"], write["g"]) < TOL
    assert _rel(out["C"], read["C"]) < TOL
    assert _rel(out["P"], read["P"]) < TOL
    assert _rel(out["L"], read["L"]) < TOL
    assert _rel(out["L"], ref.astromorphic_attention(q, k, v, w_astro=w_ref, options=options)) < TOL


@pytest.mark.parametrize("kind, overrides", [
    ("astromorphic", {}),
    ("astromorphic", {"scale_placement": "outside", "scale": 64.0}),
    ("astromorphic", {"sigma": False, "alpha": 0.5}),
    ("kozachkov", {}),
])
def test_rate_circuit_matches_reference(kind, overrides):
    q, k, v, w = compare.random_inputs(2, 4, 3, 2, seed=1)
    options = astromorphic_options(kind, **overrides)
    out, state = _run(q, k, v, w, options)
    _check_against_reference(out, q, k, v, w, options)
    # The sub-linear exponent comes out of the calcium fixed point: Ca = s ** (1 / n_pump).
    assert abs(mapping.fit_alpha(state["s"], state["Ca"]) - options.alpha) < 1e-9


def test_kozachkov_circuit_is_linear_attention():
    q, k, v, w = compare.random_inputs(2, 5, 3, 2, seed=2)
    out, _ = _run(q, k, v, w, mapping.circuit_options("kozachkov"))
    assert _rel(out["L"], ref.linear_attention(q, k, v)) < TOL


def test_rate_circuit_exact_with_astrosim_engine():
    pytest.importorskip("numba")
    q, k, v, w = compare.random_inputs(2, 4, 3, 2, seed=3)
    options = mapping.circuit_options("astromorphic")
    out, _ = _run(q, k, v, w, options, backend="astrosim")
    _check_against_reference(out, q, k, v, w, options)


def test_encode_rejects_bad_input():
    q, k, v, w = compare.random_inputs(1, 3, 2, 2)
    opts = mapping.circuit_options("astromorphic")
    with pytest.raises(ValueError, match="q, k must be"):
        mapping.encode(q[0], k, v, w, options=opts)
    bad = q.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="q contains NaN"):
        mapping.encode(bad, k, v, w, options=opts)
    with pytest.raises(ValueError, match="no w_astro"):
        mapping.encode(q, k, v, None, options=opts)
    with pytest.raises(NotImplementedError, match="alpha_placement"):
        mapping.encode(q, k, v, w, options=astromorphic_options("astromorphic", alpha_placement="per_token"))
    with pytest.raises(ValueError, match="whole number of steps"):
        mapping.encode(q, k, v, w, options=opts, T=0.01, dt=3e-4)


@pytest.mark.slow
def test_trials_on_engine_batch_axis():
    # Rate copies on the batch axis stay exact; spiking copies are independent noise draws.
    pytest.importorskip("numba")
    import brian2

    from astrosim.analysis.circuit import run_trials

    q, k, v, w = compare.random_inputs(1, 3, 2, 2, seed=4)
    options = mapping.circuit_options("astromorphic")
    brian2.defaultclock.dt = 5e-4 * brian2.second
    stim = mapping.encode(q, k, v, w, options=options, T=0.01, dt=5e-4)
    target = ref.astromorphic_attention(q, k, v, w_astro=w, options=options)
    for state in run_trials(build_circuit(stim, "rate"), 2):
        assert _rel(mapping.decode(state, stim)["L"], target) < TOL
    spikes = run_trials(build_circuit(stim, "spiking"), 2, seed=1)
    assert not np.array_equal(spikes[0]["hidden_n"], spikes[1]["hidden_n"])
