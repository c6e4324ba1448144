"""Stimberg et al. (2018) neuron-glia examples 2, 3 and 4: astrosim vs brian2.run.

Deterministic parts must agree to a norm-wise relative error of 1e-9; stochastic parts
(Milstein noise, Poisson input) are compared statistically, with tolerances derived below,
and must repeat exactly under the same seed.

Statistical tolerances. Every stochastic comparison reduces the data to N quantities that are
independent and identically distributed *within one run* (one value per noisy astrocyte or per
Poisson source), so each back end yields a sample mean m with standard error s/sqrt(N). If both
back ends draw from the same distribution, z = (m_a - m_b) / sqrt(s_a²/N + s_b²/N) is
approximately standard normal, and we require |z| < 5 (false alarm ≈ 6e-7 per check). Spreads
are compared through log(s_a/s_b), whose standard error for near-normal data is
sqrt(1/(2(N-1))) per sample, i.e. sqrt(1/(N-1)) for the difference; again 5 standard errors.
Spike counts are checked against their exact expectation: each source spikes in a step with
probability p = rate*dt, so a count over n source-steps is Binomial(n, p) with variance
n p (1-p). The CV of ISIs estimated from n exponential-like intervals has variance ≈ 1/n
(delta method with moments 1, 1, 2, 9 of the unit exponential), so two estimates differ by
less than 5*sqrt(1/n_a + 1/n_b).
"""
import sys
from pathlib import Path

import numpy as np
import brian2 as b2
from brian2 import Hz, ms, second

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from astrosim.testing.networks import build_gchi_astrocytes, build_io_synapse, build_synrel  # noqa: E402
from tests.engine.networks.compare import (  # noqa: E402
    assert_close, assert_same_spikes, astrosim_run, run_backend)

RTOL = 1e-9
Z_MAX = 5.0


def _z(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return abs(a.mean() - b.mean()) / se


def _log_spread_ratio_in_se(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    se = np.sqrt(1 / (2 * (len(a) - 1)) + 1 / (2 * (len(b) - 1)))
    return abs(np.log(a.std(ddof=1) / b.std(ddof=1))) / se


# --- example 2: synaptically activated astrocytes, Milstein noise --------------------------
N_NOISY = 100
GCHI = dict(n_astro=2 * N_NOISY, noise=(0, 1), f_0=2 * Hz)  # even: deterministic, odd: noisy
GCHI_T = 2 * second  # f_0 raised from 0.5 Hz so that four synaptic events fall in 2 s


def _gchi(run_function, seed, run_kwargs=None):
    return run_backend(run_function, build_gchi_astrocytes, GCHI_T, seed=seed, dt=1 * ms,
                       state_vars={"astrocytes": ["Gamma_A", "I", "C", "h"]},
                       run_kwargs=run_kwargs, **GCHI)


def test_gchi_astrocyte_deterministic_and_noisy():
    ref = _gchi(b2.run, seed=790824)
    got = _gchi(astrosim_run(), seed=790824)
    det = slice(0, None, 2)
    for var in ["Gamma_A", "C", "h", "I"]:
        key = f"astro_mon.{var}"
        assert_close({key: got[key][det]}, {key: ref[key][det]}, rtol=RTOL)
        # noisy astrocytes: time average per astrocyte, compared across back ends
        a, b = got[key][1::2].mean(axis=1), ref[key][1::2].mean(axis=1)
        assert b.std() > 0 and a.std() > 0, f"{var}: noisy astrocytes show no spread"
        assert _z(a, b) < Z_MAX, f"{var}: mean of noisy astrocytes differs (z={_z(a, b):.2f})"
        ratio = _log_spread_ratio_in_se(a, b)
        assert ratio < Z_MAX, f"{var}: spread of noisy astrocytes differs ({ratio:.2f} SE)"
    assert np.ptp(ref["astro_mon.Gamma_A"][0]) > 1e-3  # synaptic input does reach the astrocytes


def test_gchi_astrocyte_repeats_under_seed():
    if astrosim_run() is b2.run:
        kwargs = None
    else:
        kwargs = {"seed": 1234}
    first = _gchi(astrosim_run(), seed=5, run_kwargs=kwargs)
    second_ = _gchi(astrosim_run(), seed=5, run_kwargs=kwargs)
    for key in first:
        np.testing.assert_array_equal(first[key], second_[key], err_msg=key)


# --- example 3: gliotransmission onto three synapses, deterministic -------------------------
def test_io_synapse_matches_brian2():
    """Spike generator → 3 synapses, two modulated by RK4 astrocytes (threshold/refractory on C)."""
    kwargs = dict(transient=3 * second)
    duration = 3.6 * second
    state = {"synapses": ["Y_S", "Gamma_S", "u_S", "x_S", "r_S", "G_A"],
             "astrocyte": ["I", "C", "h", "x_A", "G_A"]}
    ref = run_backend(b2.run, build_io_synapse, duration, seed=1, dt=1 * ms, state_vars=state, **kwargs)
    got = run_backend(astrosim_run(), build_io_synapse, duration, seed=1, dt=1 * ms,
                      state_vars=state, **kwargs)
    assert len(ref["ast_spikes.i"]) >= 2  # both astrocytes release gliotransmitter
    assert_same_spikes(got, ref, "ast_spikes")
    assert_close(got, ref, rtol=RTOL)


# --- example 4: Poisson-driven tripartite synapses, closed/open loop -----------------------
N_SYN = 100
RATES = (0.011, 0.11, 1.1, 11) * Hz
EPOCH = 0.5 * second
SYNREL = dict(n_synapses=N_SYN, rates=RATES, rate_dt=EPOCH, record_dt=10 * ms)
DT = 1 * ms


def _synrel(run_function, seed, run_kwargs=None):
    return run_backend(run_function, build_synrel, 4 * EPOCH, seed=seed, dt=DT,
                       run_kwargs=run_kwargs, **SYNREL)


def _isis(i, t, t0, t1):
    sel = (t >= t0) & (t < t1)
    out = [np.diff(np.sort(t[sel][i[sel] == k])) for k in range(N_SYN)]
    return np.concatenate(out)


def test_synrel_statistics_match_brian2():
    ref = _synrel(b2.run, seed=16283)
    got = _synrel(astrosim_run(), seed=16283)
    steps = int(round(EPOCH / DT))
    for res in (ref, got):
        i, t = res["source_spikes.i"], res["source_spikes.t"]
        for k, rate in enumerate(RATES):
            p = float(rate * DT)
            n = N_SYN * steps
            count = np.sum((t >= k * float(EPOCH)) & (t < (k + 1) * float(EPOCH)))
            z = abs(count - n * p) / np.sqrt(n * p * (1 - p))
            assert z < Z_MAX, f"epoch {k}: {count} spikes, expected {n * p:.1f} (z={z:.2f})"
    last = (3 * float(EPOCH), 4 * float(EPOCH))
    isi_a = _isis(got["source_spikes.i"], got["source_spikes.t"], *last)
    isi_b = _isis(ref["source_spikes.i"], ref["source_spikes.t"], *last)
    cv_a, cv_b = isi_a.std() / isi_a.mean(), isi_b.std() / isi_b.mean()
    assert abs(cv_a - cv_b) < Z_MAX * np.sqrt(1 / len(isi_a) + 1 / len(isi_b)), (cv_a, cv_b)
    # neurotransmitter per synapse, time-averaged over the last epoch, for each synapse family
    tsel = ref["syn_mon.t"] >= last[0]
    for fam in range(3):  # closed loop, open loop, no gliotransmission
        rows = slice(fam * N_SYN, (fam + 1) * N_SYN)
        a = got["syn_mon.Y_S"][rows][:, tsel].mean(axis=1)
        b = ref["syn_mon.Y_S"][rows][:, tsel].mean(axis=1)
        assert _z(a, b) < Z_MAX, f"synapse family {fam}: Y_S differs (z={_z(a, b):.2f})"


def test_synrel_repeats_under_seed():
    kwargs = None if astrosim_run() is b2.run else {"seed": 77}
    first = _synrel(astrosim_run(), seed=3, run_kwargs=kwargs)
    second_ = _synrel(astrosim_run(), seed=3, run_kwargs=kwargs)
    assert len(first["source_spikes.i"]) > 100
    for key in first:
        np.testing.assert_array_equal(first[key], second_[key], err_msg=key)
