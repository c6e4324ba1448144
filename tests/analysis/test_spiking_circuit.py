"""The spiking circuit approaches the algorithmic output as the presentation time grows."""
import numpy as np

from astrosim.analysis import compare, mapping


def test_spiking_error_falls_with_time():
    q, k, v, w = compare.random_inputs(8, 4, 4, 3, seed=0)
    rows = compare.sweep_time(q, k, v, w, times=(0.01, 0.16), dt=5e-4, backend="brian2", seed=4)
    short, long = rows[0]["rel_error"], rows[1]["rel_error"]
    # A rate code over 16x the time should shrink the error about 4x; require at least 1.8x.
    assert long < short / 1.8, rows
    assert rows[1]["cosine"] > rows[0]["cosine"]
    assert np.isfinite(rows[1]["rel_error_ratio"])


def test_spiking_readout_is_unbiased_for_counts():
    # Write-mode counts decode to phi(k) and v without bias: the mean over many cells is close.
    q, k, v, w = compare.random_inputs(8, 4, 4, 3, seed=5)
    out = compare.simulate(q, k, v, w, T=0.05, dt=5e-4, mode="spiking", backend="brian2", seed=6)
    phi_k = mapping.ref.feature_map(k)
    assert abs(out["phi_k"].mean() / phi_k.mean() - 1) < 0.05
    assert abs(out["g"].mean() / mapping.ref.astromorphic_write(k, v, w_astro=w)["g"].mean() - 1) < 0.02


def test_activity_monitors_agree_with_slot_counts():
    import brian2

    from astrosim.analysis.circuit import build_circuit, run_circuit

    q, k, v, w = compare.random_inputs(2, 3, 2, 2, seed=7)
    brian2.defaultclock.dt = 5e-4 * brian2.second
    stim = mapping.encode(q, k, v, w, T=0.02, dt=5e-4)
    circ = build_circuit(stim, "spiking", record_activity=True)
    state = run_circuit(circ, "brian2", seed=8)
    assert circ.monitors["spikes_hidden"].num_spikes == state["hidden_n"].sum()
    assert circ.monitors["spikes_output"].num_spikes == state["output_n"].sum()
    assert circ.monitors["spikes_release"].num_spikes == state["astro_na"].sum()
