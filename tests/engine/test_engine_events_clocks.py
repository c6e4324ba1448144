"""Custom-event pathways, unrecorded event monitors, empty runs and run(profile=True)."""
import numpy as np
import pytest
from brian2 import (EventMonitor, Network, NeuronGroup, SpikeMonitor, Synapses, ms,
                    profiling_summary, second, start_scope)
from brian2.devices.device import reset_device, set_device

import astrosim


def _custom_event_net():
    start_scope()
    G = NeuronGroup(5, "dv/dt = (1.5 + 0.1*i - v) / (10*ms) : 1", threshold="v > 1",
                    reset="v = 0", events={"half": "v > 0.5 and v < 0.6"}, method="euler",
                    name="src")
    T = NeuronGroup(5, "x : 1\ny : 1", name="tgt")
    S1 = Synapses(G, T, on_pre="x_post += 1", on_event="half", name="by_event")
    S1.connect(j="i")
    S2 = Synapses(G, T, on_pre={"pre": "y_post += 1", "late": "x_post += 10"},
                  on_event={"pre": "spike", "late": "half"}, delay={"late": 1 * ms},
                  name="mixed")
    S2.connect(j="(i + 1) % 5")
    EM = EventMonitor(G, "half", record=False, name="em_norec")
    SM = SpikeMonitor(G, record=False, name="sm_norec")
    SR = SpikeMonitor(G, name="sm_rec")
    return Network(G, T, S1, S2, EM, SM, SR), T, EM, SM, SR


def _results(T, EM, SM, SR):
    return (T.x[:].copy(), T.y[:].copy(), int(EM.num_events), EM.count[:].copy(),
            int(SM.num_spikes), SM.count[:].copy(), int(SR.num_spikes))


def test_custom_event_pathways_and_unrecorded_monitors_match_brian2():
    net, *objs = _custom_event_net()
    net.run(40 * ms)
    ref = _results(*objs)
    net, *objs = _custom_event_net()
    astrosim.Simulator(net).run(40 * ms)
    got = _results(*objs)
    assert ref[2] > 0 and ref[4] > 0 and ref[0].sum() > 0  # the events did happen
    for r, g in zip(ref, got):
        np.testing.assert_array_equal(g, r)
    assert got[4] == got[6] == got[5].sum()  # num_spikes counted without recording


def test_unrecorded_monitor_counts_across_runs():
    start_scope()
    G = NeuronGroup(3, "dv/dt = (2 - v) / (5*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="exact")
    SM = SpikeMonitor(G, record=False)
    net = Network(G, SM)
    sim = astrosim.Simulator(net)
    sim.run(10 * ms)
    first = int(SM.num_spikes)
    sim.run(10 * ms)
    assert first > 0
    assert int(SM.num_spikes) == SM.count[:].sum() > first


def test_run_without_code_advances_clock_for_referred_subexpression():
    start_scope()
    G = NeuronGroup(4, "out = sin(2*pi*t*freq) + x : 1\nx : 1\nfreq : Hz (shared)")
    G.freq = 1 / second
    G.x = np.arange(4)
    G2 = NeuronGroup(4, "")
    G2.variables.add_reference("out", G)
    net = Network(G, G2)
    astrosim.Simulator(net).run(0.25 * second)
    assert float(G.t / second) == pytest.approx(0.25)
    np.testing.assert_allclose(G2.out[:], np.arange(4) + 1.0)


def test_profile_true_reports_time_per_code_object():
    start_scope()
    G = NeuronGroup(2000, "dv/dt = (1.2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="euler", name="profiled")
    H = NeuronGroup(2, "dw/dt = -w / (10*ms) : 1", method="euler", name="tiny")
    S = Synapses(G, G, "w : 1", on_pre="v_post += 0.001*w", name="profiled_syn")
    S.connect(p=0.05)
    net = Network(G, H, S)
    set_device("astrosim")
    try:
        net.run(20 * ms, profile=True)
        info = dict(net.profiling_info)
        summary = str(profiling_summary(net))
        net.run(1 * ms)  # as in Brian2, a run without profiling clears the information
    finally:
        reset_device("runtime")
    assert {"profiled_stateupdater", "profiled_spike_thresholder", "profiled_spike_resetter",
            "profiled_syn_pre", "tiny_stateupdater"} <= set(info)
    assert all(float(t) >= 0 for t in info.values())
    # 2,000 neurons plus ~200k synaptic events cost far more than 2 neurons
    assert info["profiled_stateupdater"] > info["tiny_stateupdater"]
    assert info["profiled_syn_pre"] > info["tiny_stateupdater"]
    assert "profiled_syn_pre" in summary
    with pytest.raises(ValueError, match="No profiling info"):
        net.profiling_info
