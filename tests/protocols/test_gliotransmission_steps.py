"""Rate-step time course of the gliotransmission protocol (Stimberg et al. 2019, Fig. 4B): Campbell, switch, engines.

Statistics of the Poisson run. Each unit's input spikes in a step of length T with probability p = rate*dt
per 1-ms step, so its spike count is Binomial(T/dt, p) and, with N independent units, the total count has
standard deviation sqrt(N T/dt p (1 - p)). A spike releases r_S and adds rho_c Y_T r_S to Y_S, which is
cleared at Omega_c; at 0.011 Hz (mean interval 91 s against recovery times of 0.3-0.5 s) every release is
the rested U_0* = 0.6, so the time average of Y_S over the step is (rho_c Y_T U_0*/Omega_c) K/(N T) for K
spikes in all: mean rate*rho_c*Y_T*U_0*/Omega_c (Campbell's theorem), standard error
(rho_c Y_T U_0*/Omega_c) sqrt(p (1 - p)/(dt N T)). Sampling Y_S every 10 ms and a spike near a step end
shift the sampled mean by at most 2.5 % (exponential with a 25-ms time constant sampled at a random phase
on a 10-ms grid: 24.5-25.5 ms instead of 25 ms), far below the 19 % standard error at N = 500, T = 5 s.
Every check allows 5 standard errors (a false alarm of 6e-7 per check for a random seed).
"""

import numpy as np
import pytest
from brian2 import Network, BrianObject, defaultclock, ms, second, umolar

import astrosim
from astrosim.models.synapses import tsodyks_markram
from astrosim.protocols.gliotransmission import SWEEP_CONDITIONS, campbell_glutamate, rate_steps

from astrosim.testing.networks import build_synrel  # the published example's equations, written out

RATES = [0.011, 0.11, 1.1, 11.0]  # Hz, the steps of Fig. 4B (5 s each in the Brian2 example)
Z_MAX = 5.0
COPIES, STEP = 500, 5.0


@pytest.fixture(scope="module")
def default_run():
    return rate_steps(RATES, STEP * second, copies=COPIES, seed=3)


def test_rate_steps_follow_campbell_switch_on_with_the_astrocyte_and_lower_glutamate(default_run):
    copies, step, dt, run = COPIES, STEP, 1e-3, default_run
    p = np.asarray(RATES) * dt
    expected_spikes = copies * step / dt * p
    assert np.all(np.abs(run["input_spikes"] - expected_spikes) < Z_MAX * np.sqrt(expected_spikes * (1 - p)))

    # Campbell's theorem at the lowest rate, for the synapse without gliotransmission
    u0 = tsodyks_markram.PARAMETERS["U_0_star"]
    mean = float(campbell_glutamate(RATES[0], u0))
    se = float(campbell_glutamate(1.0, u0)) * np.sqrt(p[0] * (1 - p[0]) / (dt * copies * step))
    measured = run["none"]["step_glutamate_uM"][0]
    assert abs(measured - mean) < Z_MAX * se + 0.025 * mean, (measured, mean, se)

    # closed loop: identical to no gliotransmission until the unit's own astrocyte first releases (G_A = 0
    # before), different afterwards; hardly any closed-loop astrocyte is activated at 0.011 Hz (that needs
    # several spikes within seconds), all of them by the end of the 11-Hz step
    y = np.asarray(run["network"].monitor.Y_S).reshape(copies, 3, -1)
    t = run["t"]
    closed, none = SWEEP_CONDITIONS.index("closed-loop"), SWEEP_CONDITIONS.index("none")
    first = np.full(copies, np.inf)
    is_closed = run["release_astrocyte"] % 2 == 0
    np.minimum.at(first, run["release_astrocyte"][is_closed] // 2, run["release_times"][is_closed])
    before = t[None, :] <= first[:, None]
    assert np.array_equal(y[:, closed][before], y[:, none][before])
    assert np.mean(np.abs(y[:, closed][~before] - y[:, none][~before]) > 0) > 0.5
    assert run["closed_loop_activated"][0] < 0.02 and run["closed_loop_activated"][-1] == 1
    # open loop: its astrocyte (IP3 clamped near 1 uM) releases whatever the input, so at the lowest rate
    # the open-loop synapse already releases far less than the other two
    assert run["open-loop"]["step_gamma"][0] > 0.5
    assert run["open-loop"]["step_glutamate_uM"][0] < 0.6 * run["none"]["step_glutamate_uM"][0]

    # Fig. 4B: at 11 Hz both kinds of gliotransmission lower the mean glutamate, by > 5 combined SEM
    for label in ("closed-loop", "open-loop"):
        gap = run["none"]["step_glutamate_uM"][-1] - run[label]["step_glutamate_uM"][-1]
        sem = np.hypot(run["none"]["step_glutamate_sem_uM"][-1], run[label]["step_glutamate_sem_uM"][-1])
        assert gap > Z_MAX * sem, (label, gap, sem)

    # the recorded condition means (summed into a 3-cell group) are the means of the synapses
    for c, label in enumerate(SWEEP_CONDITIONS):
        np.testing.assert_allclose(run[label]["glutamate_uM"], y[:, c].mean(axis=0) / 1e-3, rtol=1e-9, atol=1e-12)


def test_rate_steps_agree_between_brian2_and_engine():
    """Periodic input (deterministic) at 1000/2**k Hz: brian2.run and astrosim.run give the same time course; both
    astrocytes of each unit release within the run, so the gliotransmitter paths are compared too."""
    kwargs = dict(copies=2, input_kind="regular", seed=1)
    runs = [rate_steps([3.90625, 62.5], 1.5 * second, engine=engine, **kwargs) for engine in ("brian2", "astrosim")]
    for label in SWEEP_CONDITIONS:
        for field in ("glutamate_uM", "gamma"):
            np.testing.assert_allclose(runs[1][label][field], runs[0][label][field], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{label} {field}")
    np.testing.assert_array_equal(runs[1]["input_spikes"], runs[0]["input_spikes"])
    np.testing.assert_allclose(runs[1]["release_times"], runs[0]["release_times"], atol=1e-12)
    for run in runs:
        assert len(run["release_times"]) >= 4 and run["closed-loop"]["gamma"].max() > 0.5
        y = np.asarray(run["network"].monitor.Y_S).reshape(2, 3, -1)
        for c, label in enumerate(SWEEP_CONDITIONS):  # summed condition means = means of the synapses
            np.testing.assert_allclose(run[label]["glutamate_uM"], y[:, c].mean(axis=0) / 1e-3, rtol=1e-9, atol=1e-12)


def test_rate_steps_match_the_published_script_network(default_run):
    """The example's own equations (benchmarks build_synrel) on the engine, another seed: per-step mean glutamate
    of every condition within 5 combined SEM of the protocol's; the open-loop astrocytes (input-independent,
    deterministic) release at the same times in both."""
    defaultclock.dt = 1 * ms  # the example's dt
    ns = build_synrel(COPIES)
    astrosim.Simulator(Network(*[v for v in ns.values() if isinstance(v, BrianObject)]), seed=5).run(4 * STEP * second)
    t = np.asarray(ns["syn_mon"].t / second)
    which = np.minimum((t / STEP + 1e-9).astype(int), 3)
    y = np.asarray(ns["syn_mon"].Y_S / umolar).reshape(3, COPIES, -1)  # closed, open, none blocks
    for c, label in enumerate(("closed-loop", "open-loop", "none")):
        per_step = np.stack([y[c][:, which == k].mean(axis=1) for k in range(4)], axis=1)
        sem = np.hypot(per_step.std(axis=0, ddof=1) / np.sqrt(COPIES), default_run[label]["step_glutamate_sem_uM"])
        z = (per_step.mean(axis=0) - default_run[label]["step_glutamate_uM"]) / sem
        assert np.all(np.abs(z) < Z_MAX), (label, z)
    spikes = ns["astro_spikes"]
    open_script = np.unique(np.asarray(spikes.t / second)[np.asarray(spikes.i[:]) >= COPIES])
    open_protocol = np.unique(default_run["release_times"][default_run["release_astrocyte"] % 2 == 1])
    assert len(open_protocol) >= 2
    np.testing.assert_allclose(open_script, open_protocol, atol=1e-9)
