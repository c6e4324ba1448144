"""Each protocol reproduces a published or analytic value, on brian2.run and on astrosim's engine, and the two agree.

Settings are reduced for CI; the full-size runs are the protocols' defaults (see docs/protocols.md).
"""
import numpy as np
from brian2 import Hz, ms, second, umolar

from astrosim.protocols import get


def _both(name, overrides, seed=7, out=None):
    """Run a protocol on both simulators with the same settings and seed (``out``: HDF5 of the astrosim run)."""
    return tuple(get(name).run(dict(overrides, engine=engine), seed=seed, out=out if engine == "astrosim" else None)
                 for engine in ("brian2", "astrosim"))


def test_stdp_window_matches_analytic_window():
    """Song, Miller & Abbott (2000) trace STDP: one pair changes w by A_pre e^(-dt/tau_pre) or A_post e^(dt/tau_post)."""
    ref, fast = _both("stdp_window", {"max_delay": 40 * ms, "delay_step": 10 * ms})
    for result in (ref, fast):
        assert result["summary"]["max_abs_error"] < 1e-12
        assert abs(result["summary"]["fitted_tau_pre_ms"] - 20.0) < 1e-6
    np.testing.assert_allclose(fast["dw"], ref["dw"], rtol=1e-12, atol=1e-15)


def test_gliotransmission_ppr_matches_de_pitta_2011_table():
    """Paired-pulse ratios vs the closed form of De Pitta et al. (2011) (models-and-validation 8.2, 3 decimals)."""
    ref, fast = _both("gliotransmission", {"delays": [10.0, 100.0, 500.0] * ms, "sweep_duration": 0 * second,
                                           "steps_duration": 0 * second})
    for result in (ref, fast):
        assert result["summary"]["max_abs_error_vs_analytic"] < 1e-12
        assert result["summary"]["max_abs_error_vs_table_8_2"] < 6e-4
        # alpha = 0 at Gamma_S = 0.5 turns depression into facilitation at 10 ms; alpha = 1 deepens depression
        ppr = dict(zip(zip(result["alpha"], result["gamma"], result["delay_ms"]), result["ppr"]))
        assert ppr[(0.0, 0.5, 10.0)] > 1 > ppr[(0.0, 0.0, 10.0)] > ppr[(1.0, 0.5, 10.0)]
    np.testing.assert_allclose(fast["ppr"], ref["ppr"], rtol=1e-12, equal_nan=True)
    # the release-vs-rate sweep (Stimberg et al. 2019 Fig. 4C) is tested in test_gliotransmission_sweep.py


def test_key_value_write_matches_paper_equations():
    """Paper Eq. 9/11: W = (1/m) phi(K)^T V; Eqs. 13-14: g = (sum_t phi(k_t))^alpha."""
    ref, fast = _both("key_value_write", {"n_tokens": 4, "key_dim": 6, "value_dim": 3})
    for result in (ref, fast):
        assert result["summary"]["W_max_rel_error"] < 1e-10
        assert result["summary"]["g_alpha_max_rel_error"] < 1e-10
    np.testing.assert_allclose(fast["W"], ref["W"], rtol=1e-10, atol=1e-14)


def test_calcium_oscillations_match_li_rinzel_table():
    """Li-Rinzel periods vs the LSODA reference of models-and-validation 8.1 (De Pitta 2009 AM/FM regimes)."""
    short = {"ip3_values": [0.34, 0.5, 0.6] * umolar, "duration": 40 * second, "analysis_window": 20 * second,
             "dt": 10 * ms, "edge_rounds": 0}  # edges: test_oscillation_edges.py
    ref, fast = _both("calcium_oscillations", short)
    for a, b in zip(ref["sweeps"], fast["sweeps"]):
        np.testing.assert_allclose(b["calcium"], a["calcium"], rtol=1e-7, atol=1e-12)
    full = get("calcium_oscillations").run(dict(short, duration=300 * second, analysis_window=200 * second,
                                                engine="astrosim"))
    k3_01, k3_005 = full["sweeps"]
    assert np.isnan(k3_01["period_s"][0]) and np.isnan(k3_005["period_s"][0])  # 0.34 uM: steady for both
    np.testing.assert_allclose(k3_01["period_s"][1:], [11.5, 11.0], rtol=0.01)
    np.testing.assert_allclose(k3_01["amplitude_uM"][1:], [0.337, 0.364], rtol=0.02)
    assert np.isnan(k3_005["period_s"][1])  # 0.5 uM lies below the k3 = 0.05 window (0.528 uM)
    np.testing.assert_allclose(k3_005["period_s"][2], 28.4, rtol=0.01)


def test_release_probability_tracks_2ag_and_pr_formula():
    """2-AG is the spike train filtered by the Appendix-D kernel; PR = clip(PR0(1 + (DSE + eSP)/100), 0, 1)."""
    ref, fast = _both("release_probability", {"duration": 20 * second, "average_from": 10 * second})
    for result in (ref, fast):
        assert result["summary"]["AG_reconstruction_max_error"] < 1e-9
        assert result["summary"]["PR_formula_max_error"] < 1e-12
        assert np.all(np.array(result["summary"]["mean_DSE"]) < 0)  # 2-AG depresses release
    rate_ref, rate_fast = np.mean(ref["summary"]["neuron_rate_Hz"]), np.mean(fast["summary"]["neuron_rate_Hz"])
    assert abs(rate_fast - rate_ref) / rate_ref < 0.15  # independent random streams: statistical agreement


def test_calcium_vs_frequency_is_sublinear_on_both_engines(tmp_path):
    """Paper Fig. 3: mean Ca2+ rises with input rate, concavely (0 < alpha < 1); brian2 copies vs astrosim batch."""
    from astrosim.io import load

    settings = {"rates": [1.0, 3.0, 10.0] * Hz, "duration": 12 * second, "average_from": 6 * second,
                "repeats": 2, "synapses_per_neuron": 3}
    ref, fast = _both("calcium_vs_frequency", settings, out=tmp_path / "sweep.h5")
    assert fast["sim"].batch == 6  # the whole sweep ran as one batched simulation
    assert load(str(tmp_path / "sweep.h5"))["astrocyte"].batch_size == 6  # streamed with the batch axis
    for result in (ref, fast):
        ca = result["calcium_uM"]
        assert np.all(np.diff(ca) > 0)
        assert 0 < result["summary"]["alpha_raw"] < 1
    np.testing.assert_allclose(fast["calcium_uM"], ref["calcium_uM"], rtol=0.15)


def test_calcium_wave_engines_agree_and_junction_fluxes_cancel():
    """Stimberg et al. (2019) Fig. 5 ring, reduced to 8 cells: brian2.run and astrosim.run give the same wave.

    The Goldberg et al. (2010) junction flux is odd in the IP3 difference, so the fluxes summed over all
    cells vanish at every instant (analytic); in 60 s the wave travels 3 junctions in both runs.
    """
    ref, fast = _both("calcium_wave", {"n_cells": 8, "duration": 60 * second})
    for result in (ref, fast):
        assert result["summary"]["max_abs_summed_junction_flux_uM_per_s"] < 1e-12
        assert result["summary"]["reach_cells"] == 3
    np.testing.assert_allclose(fast["calcium"], ref["calcium"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(fast["arrival"], ref["arrival"], rtol=0, atol=1e-9)
    assert abs(fast["summary"]["delay_s_per_cell"] - ref["summary"]["delay_s_per_cell"]) < 1e-9
