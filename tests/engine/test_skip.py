"""Summed variables skipped while their inputs are unchanged: same values as Brian2, every step."""
import numpy as np
import pytest
from brian2 import Network, NeuronGroup, StateMonitor, Synapses, ms, start_scope

import astrosim
from astrosim.engine.skip import skip_unchanged_sums


def _net(sum_expr="G_A_post = G_A_pre : 1 (summed)", slow_dt=1 * ms):
    """Synapses on the default 0.1 ms clock, driven by astrocyte-like cells on a slower one."""
    start_scope()
    src = NeuronGroup(20, "dv/dt = (1.4 - v)/(6*ms) : 1", threshold="v > 1", reset="v = 0",
                      method="exact", name="src")
    src.v = "0.05*i"
    tgt = NeuronGroup(10, "", name="tgt")
    syn = Synapses(src, tgt, "G_A : 1\ndg/dt = G_A*(1 - g)/(5*ms) - g/(30*ms) : 1 (clock-driven)",
                   on_pre="g += 0.1", method="exact", name="syn")
    syn.connect(j="i % 10")
    astro = NeuronGroup(4, "dG_A/dt = (G_0 - G_A)/(3*ms) : 1\ndc/dt = 1/(4*ms) : 1\n"
                        "G_0 : 1 (constant)", threshold="c > 1", reset="c = 0\nG_A += 0.5",
                        method="euler", dt=slow_dt, name="astro")
    astro.G_0 = "0.5 + 0.1*i"
    link = Synapses(astro, syn, sum_expr, name="link")
    link.connect(j="k for k in range(i, N_post, 4)")
    mon = StateMonitor(syn, ["G_A", "g"], record=True, name="mon")
    return Network(src, tgt, syn, astro, link, mon), syn, astro, mon


def _both(duration=12 * ms, between=None, **kw):
    out = []
    for engine in ("brian2", "astrosim"):
        net, syn, astro, mon = _net(**kw)
        sim = None
        if engine == "brian2":
            net.run(duration)
            if between:
                between(astro)
                net.run(duration)
        else:
            sim = astrosim.Simulator(net, seed=1)
            sim.run(duration)
            if between:
                between(astro)
                sim.run(duration)
        out.append((np.array(mon.G_A), np.array(mon.g), sim))
    return out


def test_sum_on_slow_inputs_is_skipped_and_matches_brian2_at_every_step():
    ref, got = _both()
    assert got[2].kernel_facts["skipped_sums"] >= 1  # the astrocyte -> synapse sum is guarded
    np.testing.assert_array_equal(got[0], ref[0])  # G_A is bit-identical at every step
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-12, atol=0)
    assert len(np.unique(ref[0][0])) > 5  # G_A really changes during the run


def test_inputs_changed_from_python_between_runs_are_seen():
    def bump(astro):
        astro.G_A = [3.0, 0.0, 1.0, 2.0]
    ref, got = _both(duration=6 * ms, between=bump)
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-12, atol=0)


@pytest.mark.parametrize("expr", ["G_A_post = G_A_pre*(1 + 1e-9*sin(t/ms)) : 1 (summed)",
                                  "G_A_post = G_A_pre + 1e-9*rand() : 1 (summed)"])
def test_sums_of_time_or_random_numbers_are_not_skipped(expr):
    net, *_ = _net(sum_expr=expr)
    sim = astrosim.Simulator(net, seed=1)
    sim.run(0.5 * ms)
    assert sim.kernel_facts["skipped_sums"] == 0


def _calls(*texts):
    return [(0, t) for t in texts]


def test_a_target_written_elsewhere_or_read_by_the_sum_is_never_skipped():
    arrays = {"T", "X", "Y"}
    summed = "for _ti in range(3):\n    T[_b, _ti] = X[_b, _ti]"
    writer = "for _i in range(3):\n    X[_b, _i] = Y[_b, _i] + 1.0"
    calls, flags = skip_unchanged_sums(_calls(summed, writer), {0: "T"}, arrays)
    assert flags == ["_0dirty0"]
    assert calls[0][1].startswith("if _0dirty0:")
    assert calls[1][1].endswith("_0dirty0 = True")
    other = "T[_b, 0] = 2.0"
    assert skip_unchanged_sums(_calls(summed, other), {0: "T"}, arrays)[1] == []
    own = "for _ti in range(3):\n    T[_b, _ti] = X[_b, _ti] + T[_b, 0]"
    assert skip_unchanged_sums(_calls(own, writer), {0: "T"}, arrays)[1] == []
    passed = "_rt.fill(X, 1.0)"  # an array passed whole to a function counts as written
    calls, _ = skip_unchanged_sums(_calls(summed, passed), {0: "T"}, arrays)
    assert calls[1][1].endswith("_0dirty0 = True")
    shape_only = "n = X.shape[1]"
    calls, _ = skip_unchanged_sums(_calls(summed, shape_only), {0: "T"}, arrays)
    assert "_0dirty0 = True" not in calls[1][1]


def test_batched_copies_skip_independently_and_match_brian2():
    ref, _ = _both()
    net, syn, astro, mon = _net()
    sim = astrosim.Simulator(net, batch=2, seed=1)
    sim.set_batch_values(astro, "G_0", np.array([[0.5, 0.6, 0.7, 0.8], [0.0, 0.0, 0.0, 0.0]]))
    sim.run(12 * ms)
    assert sim.kernel_facts["skipped_sums"] >= 1
    data = sim.monitor_data(mon)
    np.testing.assert_array_equal(data["G_A"][0], ref[0].T)  # copy 0: the Brian2 run
    assert np.all(data["G_A"][1][:9] == 0)  # copy 1 has no drive until its first reset
    assert not np.array_equal(data["G_A"][1], data["G_A"][0])
