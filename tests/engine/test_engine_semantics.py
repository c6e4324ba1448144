"""astrosim against Brian2's numpy target on small deterministic networks (rel. error <= 1e-9)."""
import numpy as np
from brian2 import (EventMonitor, Network, NeuronGroup, PopulationRateMonitor, SpikeGeneratorGroup,
                    SpikeMonitor, StateMonitor, Synapses, TimedArray, linked_var, ms, seed,
                    start_scope)

import astrosim

TOL = 1e-9


def _data(objs):
    out = {}
    for name, mon in objs.items():
        if isinstance(mon, EventMonitor):
            out[name + ".t"] = np.asarray(mon.t_[:]).copy()
            out[name + ".i"] = np.asarray(mon.i[:]).copy()
            out[name + ".count"] = np.asarray(mon.count[:]).copy()
            for var in mon.record_variables:
                out[f"{name}.{var}"] = np.asarray(mon.variables[var].get_value()).copy()
        elif isinstance(mon, StateMonitor):
            out[name + ".t"] = np.asarray(mon.t_[:]).copy()
            for var in mon.record_variables:
                out[f"{name}.{var}"] = np.asarray(mon.variables[var].get_value()).copy()
        elif isinstance(mon, PopulationRateMonitor):
            out[name + ".t"] = np.asarray(mon.t_[:]).copy()
            out[name + ".rate"] = np.asarray(mon.rate_[:]).copy()
    return out


def assert_matches_brian(build, durations, namespace=None):
    """Build twice (same seed), run with Brian2 and with astrosim, compare every monitor."""
    namespace = namespace or {}
    start_scope()
    seed(3)
    net, objs = build()
    for d in durations:
        net.run(d, namespace=namespace)
    ref = _data(objs)
    start_scope()
    seed(3)
    net, objs = build()
    sim = astrosim.Simulator(net)
    for d in durations:
        sim.run(d, namespace=namespace)
    got = _data(objs)
    assert ref.keys() == got.keys()
    for key in ref:
        a, b = ref[key], got[key]
        assert a.shape == b.shape, (key, a.shape, b.shape)
        if a.size:
            scale = max(1.0, float(np.abs(a).max()))
            assert np.abs(a - b).max() <= TOL * scale, key
    return ref


def _stdp():
    inp = SpikeGeneratorGroup(4, [0, 1, 2, 3, 0, 2], [1, 2, 3, 4, 10, 12] * ms)
    G = NeuronGroup(3, "dv/dt = -v/(10*ms) : 1", threshold="v>0.5", reset="v=0",
                    refractory=3 * ms, method="exact")
    S = Synapses(inp, G, """w : 1
        dapre/dt = -apre/(20*ms) : 1 (event-driven)
        dapost/dt = -apost/(20*ms) : 1 (event-driven)""",
                 on_pre="""v_post += w
        apre += 0.01
        w = clip(w + apost, 0, 1)""",
                 on_post="""apost -= 0.012
        w = clip(w + apre, 0, 1)""")
    S.connect()
    S.w = "rand()*0.6"
    S.delay = "j*1*ms + i*0.5*ms"
    R = Synapses(G, G, on_pre="v_post += 0.2", delay=2 * ms)
    R.connect(condition="i!=j")
    SM = SpikeMonitor(G)
    M = StateMonitor(S, ["w", "apre"], record=True)
    return Network(inp, G, S, R, SM, M), {"SM": SM, "M": M}


def test_stdp_delays_refractory_two_runs():
    ref = assert_matches_brian(_stdp, [7 * ms, 13 * ms])
    assert len(ref["SM.t"]) > 3  # the network does spike


def _summed_astro():
    N = NeuronGroup(4, "dv/dt = (Isyn - v)/(5*ms) : 1\nIsyn : 1", threshold="v>0.8",
                    reset="v=0", method="rk4")
    N.v = "i*0.2"
    S = Synapses(N, N, """w : 1
        G_A : 1
        dx/dt = -x/(3*ms) : 1 (clock-driven)
        Isyn_post = w*x*(1 + G_A) + 0.5 : 1 (summed)""", on_pre="x += 1", method="euler",
                 name="syn")
    S.connect(p=1)
    S.w = "rand()"
    A = NeuronGroup(2, "dc/dt = (Y - c)/(10*ms) : 1\nY : 1", method="exponential_euler")
    A.c = [0.5, 1.0]
    # explicit names: Brian breaks ties in the schedule by name, so both builds must agree
    to_astro = Synapses(S, A, "Y_post = x_pre/N_incoming : 1 (summed)", name="syn_to_astro")
    to_astro.connect(j="i % 2")
    to_syn = Synapses(A, S, "G_A_post = c_pre : 1 (summed)", name="astro_to_syn")
    to_syn.connect(j="i*7 + 1")
    M = StateMonitor(N, ["v", "Isyn"], record=True)
    MA = StateMonitor(A, "c", record=True)
    MS = StateMonitor(S, "G_A", record=[0, 1, 8])
    SM = SpikeMonitor(N)
    R = PopulationRateMonitor(N)
    return (Network(N, S, A, to_astro, to_syn, M, MA, MS, SM, R),
            {"M": M, "MA": MA, "MS": MS, "SM": SM, "R": R})


def test_summed_variables_and_synapses_on_synapses():
    ref = assert_matches_brian(_summed_astro, [6 * ms, 6 * ms])
    assert ref["MS.G_A"][:, 1].max() > 0  # astrocyte -> synapse coupling is exercised


STIM = TimedArray(np.array([0, 1, 2, 0.5, 3]), dt=1.3 * ms)


def _clocks():
    G = NeuronGroup(3, "dv/dt = (stim(t) - v)/(5*ms) : 1\nx : 1", method="euler",
                    threshold="v > 0.5", reset="v = 0", refractory=1 * ms)
    G2 = NeuronGroup(2, "du/dt = -u/(2*ms) + 1/ms : 1", dt=0.25 * ms, method="exact",
                     threshold="u>1.5", reset="u=0")
    G.run_regularly("x += 1 + v", dt=0.3 * ms)
    S = Synapses(G2, G, on_pre="v += 0.1")
    S.connect()
    M = StateMonitor(G, ["v", "x"], record=True)
    M2 = StateMonitor(G2, "u", record=[1], dt=0.5 * ms)
    SM = SpikeMonitor(G2)
    return Network(G, G2, S, M, M2, SM), {"M": M, "M2": M2, "SM": SM}


def test_several_clocks_timedarray_run_regularly():
    assert_matches_brian(_clocks, [7 * ms, 5 * ms], namespace={"stim": STIM})


def _refractory_condition():
    G = NeuronGroup(4, """dv/dt = (2 - v)/(5*ms) : 1 (unless refractory)
        dC/dt = (v - C)/(2*ms) : 1""", threshold="v>1", reset="""v = 0
        C += 0.5""", refractory="C > 0.4", method="heun")
    G.v = "i*0.3"
    sub = G[1:3]
    S = Synapses(sub, G[2:], on_pre="C_post += 0.1*sign(v_pre - 0.5)*abs(v_pre)")
    S.connect()
    M = StateMonitor(G, ["v", "C"], record=True)
    SM = SpikeMonitor(sub)
    return Network(G, S, M, SM), {"M": M, "SM": SM}


def test_refractory_condition_and_subgroups():
    ref = assert_matches_brian(_refractory_condition, [20 * ms])
    assert len(ref["SM.t"]) > 0


def _methods_functions():
    eqs = """dv/dt = (-v + I + 0.5*sin(2*pi*t/(3*ms)))/tau : 1
        dw/dt = (v - w)/(7*ms) : 1
        I = clip(tanh(w) + sqrt(abs(w)) + log(1 + w**2) + exp(-w**2), -1, 3) : 1
        tau : second (constant)
        g : 1 (shared)"""
    mons, groups = {}, []
    for method in ["rk2", "exponential_euler"]:
        G = NeuronGroup(3, eqs, method=method, threshold="v > 1.2",
                        reset="v = -0.5*sign(w) + floor(w) + int(w*2)/3\nw *= 0.9")
        G.tau = "(3 + i)*ms"
        G.v = "i*0.2"
        G.w = 0.1
        G.run_regularly("g = g + 1", dt=1 * ms)
        groups.append(G)
        mons[method] = StateMonitor(G, ["v", "w", "g"], record=True)
    E = NeuronGroup(2, "dx/dt = -x/(4*ms) + y/(2*ms) : 1\ndy/dt = -y/(6*ms) : 1",
                    method="exact")
    E.x = 1
    E.y = "1 + i"
    C = NeuronGroup(2, "dz/dt = (1 + i)/ms : 1", events={"big": "z > 2"}, method="euler")
    C.run_on_event("big", "z = 0")
    L = NeuronGroup(2, "zz : 1 (linked)")
    L.zz = linked_var(E, "x", index=[1, 0])
    mons["exact"] = StateMonitor(E, ["x", "y"], record=True)
    mons["event"] = EventMonitor(C, "big", variables=["z"])
    mons["linked"] = StateMonitor(L, "zz", record=True)
    mons["spikes"] = SpikeMonitor(groups[0], variables=["w"])
    return Network(*groups, E, C, L, *mons.values()), mons


def test_methods_functions_events_linked_shared():
    ref = assert_matches_brian(_methods_functions, [5 * ms, 3 * ms])
    assert len(ref["event.t"]) > 0 and len(ref["spikes.t"]) > 0
