"""Batch axis: per-copy parameters/initial values, independent random streams, batched results."""
import numpy as np
import pytest
from brian2 import (Hz, Network, NeuronGroup, PoissonGroup, PopulationRateMonitor, SpikeMonitor,
                    StateMonitor, Synapses, ms, start_scope)

import astrosim

TAUS = [8 * ms, 10 * ms, 12 * ms]
I0S = [1.5, 1.2, 2.0]


def _lif(I0=1.5, tau=10 * ms):
    start_scope()
    G = NeuronGroup(4, "dv/dt = (I - v)/tau : 1 (unless refractory)\nI : 1", threshold="v>1",
                    reset="v=0", refractory=2 * ms, method="euler", namespace={"tau": tau},
                    name="lif")
    G.I = "I0 + i*0.1"
    S = Synapses(G, G, "w : 1", on_pre="v_post += w", delay=1 * ms, name="rec")
    S.connect(j="(i+1)%4")
    S.w = 0.05
    SM = SpikeMonitor(G)
    M = StateMonitor(G, "v", record=[0, 2])
    R = PopulationRateMonitor(G)
    return Network(G, S, SM, M, R), G, SM, M, R


def test_batch_copies_equal_separate_brian_runs():
    net, G, SM, M, R = _lif()
    sim = astrosim.Simulator(net, batch=3, seed=1)
    sim.set_batch_values(G, "tau", TAUS)
    sim.set_batch_values(G, "I", np.array([I0S]).T + np.arange(4) * 0.1)
    sim.run(20 * ms)
    sim.run(10 * ms)
    vm, sp, rt = sim.monitor_data(M), sim.monitor_data(SM), sim.monitor_data(R)
    v_end = sim.get_states(G, "v")
    assert vm["v"].shape == (3, 300, 2) and rt["rate"].shape == (3, 300)
    assert v_end.shape == (3, 4)
    assert len(M.t) == 0  # batched results stay out of the Brian2 monitors
    for b in range(3):
        net, G, SM, M, R = _lif(I0S[b], TAUS[b])
        net.run(30 * ms)
        assert np.abs(M.v[:].T - vm["v"][b]).max() < 1e-12
        np.testing.assert_array_equal(SM.i[:], sp["i"][b])
        np.testing.assert_allclose(SM.t_[:], sp["t"][b], rtol=0, atol=1e-12)
        np.testing.assert_array_equal(SM.count[:], sp["count"][b])
        np.testing.assert_allclose(R.rate_[:], rt["rate"][b], rtol=1e-12)
        np.testing.assert_allclose(G.v[:], np.asarray(v_end[b]), rtol=1e-12, atol=1e-12)
    assert len(sp["t"][2]) > len(sp["t"][1])  # copies really differ


def _noisy():
    start_scope()
    P = PoissonGroup(50, 40 * Hz)
    G = NeuronGroup(20, "dv/dt = -v/(10*ms) + 0.5*xi/sqrt(ms) : 1", method="euler",
                    threshold="v > 1", reset="v = 0")
    SP, SG = SpikeMonitor(P), SpikeMonitor(G)
    return Network(P, G, SP, SG), SP, SG


def test_batch_random_streams_independent_and_reproducible():
    def run(seed):
        net, SP, SG = _noisy()
        sim = astrosim.Simulator(net, batch=2, seed=seed)
        sim.run(50 * ms)
        return sim.monitor_data(SP), sim.monitor_data(SG)

    a, b, c = run(5), run(5), run(6)
    for k in range(2):
        for name in ("t", "i"):
            np.testing.assert_array_equal(a[k][name][0], b[k][name][0])
            np.testing.assert_array_equal(a[k][name][1], b[k][name][1])
    assert not np.array_equal(a[0]["i"][0], a[0]["i"][1])  # copies draw separate streams
    assert not np.array_equal(a[0]["i"][0], c[0]["i"][0])  # another seed, another stream


def test_set_batch_values_checks():
    net, G, SM, M, R = _lif()
    sim = astrosim.Simulator(net, batch=2)
    with pytest.raises(ValueError, match="expected 2 values"):
        sim.set_batch_values(G, "tau", [1 * ms, 2 * ms, 3 * ms])
    with pytest.raises(ValueError, match="read-only"):
        sim.set_batch_values(G, "i", [1, 2])
    with pytest.raises(ValueError, match="batched"):
        astrosim.Simulator(net).set_batch_values(G, "tau", [1 * ms])
    with pytest.raises(ValueError):
        astrosim.Simulator(net, batch=0)
