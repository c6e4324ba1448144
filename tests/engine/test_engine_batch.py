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


def test_per_copy_constants_in_synapses_code():
    """Constants of on_pre, on_post and summed-variable code take each copy's value, equal to an
    unbatched run with that value (they once took the presynaptic group's, i.e. copy 0's)."""
    from brian2 import Network, NeuronGroup, Synapses, ms, start_scope

    def build(A_pre, A_post, F):
        start_scope()
        pre = NeuronGroup(2, "dv/dt = 1/(1*ms) : 1", threshold="v > 1", reset="v = 0", method="euler",
                          name="pre")
        post = NeuronGroup(2, "dv/dt = 1.3/(1*ms) : 1\ns : 1", threshold="v > 1", reset="v = 0",
                           method="euler", name="post")
        syn = Synapses(pre, post, "w : 1\ns_post = F * w : 1 (summed)",
                       on_pre="w += A_pre", on_post="w -= A_post", name="syn",
                       namespace={"A_pre": A_pre, "A_post": A_post, "F": F})
        syn.connect()
        return Network(pre, post, syn), syn, post

    values = [(0.01, 0.002, 3.0), (0.05, 0.004, 5.0)]
    net, syn, post = build(*values[0])
    sim = astrosim.Simulator(net, batch=2, seed=3)
    for k, name in enumerate(("A_pre", "A_post", "F")):
        sim.set_batch_values(syn, name, np.array([v[k] for v in values]))
    sim.run(5 * ms)
    w, s = sim.get_states(syn, "w"), sim.get_states(post, "s")
    for copy, vals in enumerate(values):
        net1, syn1, post1 = build(*vals)
        astrosim.Simulator(net1, seed=3).run(5 * ms)
        np.testing.assert_allclose(w[copy], syn1.w[:], rtol=1e-12)
        np.testing.assert_allclose(s[copy], post1.s[:], rtol=1e-12)
    assert not np.allclose(w[0], w[1])
