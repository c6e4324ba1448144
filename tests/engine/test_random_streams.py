"""Counter-based random streams: distribution, independence, and element-parallel determinism.

Draws are keyed by (copy key, element, time step, call site); the tests check uniform and
normal moments and Kolmogorov-Smirnov statistics, Poisson means and variances, the absence of
correlation between neighbouring elements, steps, sites and batch copies, and that a network
whose noisy update runs on threads gives the same numbers as the serial run.
"""
import numba
import numpy as np
import pytest
from brian2 import Network, NeuronGroup, StateMonitor, ms
from scipy import stats

import astrosim
from astrosim.engine import runtime

N = 200_000
Z = 5.0  # z-score bound (a false alarm about once in 3 million per check)


@numba.njit
def _draw(kind, s, b, n, step, site, lam):
    out = np.empty(n)
    for i in range(n):
        if kind == 0:
            out[i] = runtime.ctr_uniform(s, b, i, step, site)
        elif kind == 1:
            out[i] = runtime.ctr_normal(s, b, i, step, site)
        else:
            out[i] = runtime.ctr_poisson(lam, s, b, i, step, site)
    return out


STATE = runtime.seed_states(12345, 3)


def _z_mean(x, mean, var):
    return abs(x.mean() - mean) / np.sqrt(var / len(x))


def test_uniform_moments_and_ks():
    u = _draw(0, STATE, 0, N, 7, 2, 0.0)
    assert u.min() >= 0 and u.max() < 1
    assert _z_mean(u, 0.5, 1 / 12) < Z
    assert _z_mean((u - 0.5) ** 2, 1 / 12, 1 / 80 - 1 / 144) < Z  # variance 1/12
    assert stats.kstest(u, "uniform").pvalue > 1e-4


def test_normal_moments_and_ks():
    x = _draw(1, STATE, 1, N, 3, 0, 0.0)
    assert _z_mean(x, 0.0, 1.0) < Z
    assert _z_mean(x ** 2, 1.0, 2.0) < Z
    assert abs(stats.skew(x)) < Z * np.sqrt(6 / N)
    assert stats.kstest(x, "norm").pvalue > 1e-4


@pytest.mark.parametrize("lam", [0.3, 4.0, 80.0])
def test_poisson_mean_and_variance(lam):
    k = _draw(2, STATE, 2, N, 11, 5, lam)
    assert np.all(k == np.round(k)) and k.min() >= 0
    assert _z_mean(k, lam, lam) < Z
    assert abs(k.var() - lam) / (lam * np.sqrt(2 / N) + np.sqrt(lam / N)) < 2 * Z


def _corr_z(a, b):
    return abs(np.corrcoef(a, b)[0, 1]) * np.sqrt(len(a))


def test_independence_across_elements_steps_sites_and_copies():
    base = _draw(0, STATE, 0, N, 7, 2, 0.0)
    assert _corr_z(base[:-1], base[1:]) < Z  # neighbouring elements
    for other in (_draw(0, STATE, 0, N, 8, 2, 0.0),  # next step
                  _draw(0, STATE, 0, N, 7, 3, 0.0),  # another call site
                  _draw(0, STATE, 1, N, 7, 2, 0.0)):  # another batch copy
        assert _corr_z(base, other) < Z
        assert not np.array_equal(base, other)
    # the same counter gives the same number (no hidden state)
    np.testing.assert_array_equal(base, _draw(0, STATE, 0, N, 7, 2, 0.0))


def _noisy_run(**options):
    net = Network()
    G = NeuronGroup(64, "dv/dt = -v/(5*ms) + 0.5*xi/sqrt(ms) : 1", method="euler", name="noisy")
    mon = StateMonitor(G, "v", record=True, name="noisy_mon")
    net.add(G, mon)
    sim = astrosim.Simulator(net, seed=42, rng="counter", **options)
    sim.run(20 * ms)
    return np.array(mon.v), sim


def test_counter_stream_is_the_same_on_threads_and_statistically_right():
    serial, _ = _noisy_run(parallel_min_size=0)
    threaded, sim = _noisy_run(parallel_min_size=16)  # 64 elements: threaded
    assert sim.kernel_facts["threaded_blocks"] >= 1
    np.testing.assert_array_equal(threaded, serial)
    # Ornstein-Uhlenbeck from 0: var(v) = sigma**2 tau/2 (1 - exp(-2t/tau)) at t = 20 ms
    var = 0.25 * 5 / 2 * (1 - np.exp(-2 * 20 / 5))
    last = serial[:, -1]
    assert abs(last.var() - var) / (var * np.sqrt(2 / len(last))) < Z
    assert abs(last.mean()) / np.sqrt(var / len(last)) < Z


@numba.njit
def _binomials(s, n, p, qn, bound, count):
    out = np.empty(count)
    for i in range(count):
        out[i] = runtime.ctr_binomial_exact(s, 0, i, 1, 0, n, p, qn, bound)
    return out


@pytest.mark.parametrize("n, p", [(100, 0.001), (400, 0.005), (7, 0.9), (30, 0.5)])
def test_binomial_inversion_with_constants_computed_once(n, p):
    """The host's ``q**n`` and bound are the kernel's, and the draws have binomial moments."""
    qn, bound = runtime.binomial_constants(n, p)
    _, _, _, qn_kernel, bound_kernel = runtime._binomial_setup(n, p)
    assert qn == qn_kernel and bound == bound_kernel
    k = _binomials(STATE, n, p, qn, bound, N)
    assert k.min() >= 0 and k.max() <= n
    assert _z_mean(k, n * p, n * p * (1 - p)) < Z
    assert stats.chisquare(*_binned(k, n, p)).pvalue > 1e-4


def _binned(k, n, p):
    """Observed and expected counts of the outcomes with at least 20 expected draws."""
    values = np.arange(n + 1)
    expected = stats.binom.pmf(values, n, p) * len(k)
    keep = expected >= 20
    observed = np.bincount(k.astype(int), minlength=n + 1)
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    return obs, exp * obs.sum() / exp.sum()
