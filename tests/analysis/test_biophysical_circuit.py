"""The biophysical tier: LIF f-I curve, Li-Rinzel calcium, and an error that falls with time per token."""
import numpy as np
import pytest

from astrosim.analysis import biophysical, compare, mapping
from astrosim.attention import reference as ref


def test_lif_current_inverts_rate():
    rates = np.array([0.0, 1.0, 20.0, 150.0, 400.0])
    assert np.allclose(biophysical.lif_rate(biophysical.lif_current(rates)), rates, rtol=1e-8, atol=1e-9)
    with pytest.raises(ValueError, match="maximum 1/t_ref"):
        biophysical.lif_current(600.0)


def test_li_rinzel_calcium_is_sublinear_in_ip3():
    ip3 = np.array([1.0, 2.0, 4.0, 8.0])
    ca = np.array([biophysical.steady_calcium(x) for x in ip3])
    slopes = np.diff(np.log(ca)) / np.diff(np.log(ip3))
    assert np.all(np.diff(ca) > 0) and np.all(slopes < 0.5) and np.all(slopes > 0.05)


def test_build_refuses_a_rate_stimulus():
    q, k, v, w = compare.random_inputs(1, 2, 2, 2)
    with pytest.raises(ValueError, match="biophysical tier"):
        biophysical.build(mapping.encode(q, k, v, w, T=0.01, dt=5e-4))


def test_biophysical_error_falls_with_time_per_token():
    pytest.importorskip("numba")
    # the sizes of the leak test in test_causal_circuit.py: the same compiled kernel
    q, k, v, w = compare.random_inputs(2, 4, 3, 2, seed=11)
    options = mapping.circuit_options("astromorphic")
    target = ref.astromorphic_attention(q, k, v, w_astro=w, causal=True, options=options)
    rows = []
    for T in (0.02, 0.2):
        out = compare.simulate(q, k, v, w, options=options, T=T, dt=1e-4, mode="biophysical", backend="astrosim",
                               causal=True)
        rows.append((compare.errors(out["L"], target)["rel_error"].mean(),
                     np.linalg.norm(out["phi_k"] - ref.feature_map(k)) / np.linalg.norm(ref.feature_map(k))))
    (short, code_short), (long, code_long) = rows
    assert long < short / 1.5, rows
    # regular LIF firing: the count code's error falls about as 1/T (10x time, at least 4x smaller)
    assert code_long < code_short / 4, rows


def test_departure_attributes_error_to_the_stage_that_has_it():
    q, k, v, w = compare.random_inputs(3, 4, 3, 2, seed=4)
    options = mapping.circuit_options("astromorphic")
    write = ref.astromorphic_write(k, v, w_astro=w, options=options)
    target = ref.astromorphic_attention(q, k, v, w_astro=w, options=options)
    exact = {"phi_k": ref.feature_map(k), "v": v, "phi_q": ref.feature_map(q), "H": write["H"], "g": write["g"],
             "L_ratio": target, "L": target, "w_astro": np.broadcast_to(w, (3,) + w.shape[1:])}
    assert max(biophysical.departure(q, k, v, w, exact, options).values()) < 1e-12
    wrong_g = dict(exact, g=write["g"] ** 0.5)
    rows = biophysical.departure(q, k, v, w, wrong_g, options)
    assert rows["L_g_only"] > 0.01 and rows["L_H_only"] < 1e-12
