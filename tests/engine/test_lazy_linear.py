"""Observation-driven integration of linear variables (``astrosim.engine.lazy_linear``): the
same values as step-by-step integration (pass off) and as Brian2's numpy target, to 1e-12."""
import numpy as np
import pytest
import brian2 as b2
from brian2 import ms, Hz
from hypothesis import given, settings, strategies as st, HealthCheck

from astrosim.engine import Simulator
from astrosim.engine.lazy_linear import advance, linear_variables

METHODS = ("exact", "euler", "rk2", "rk4")


def _close(a, b, what):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, what
    scale = np.abs(b).max() if b.size else 0.0
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * scale, err_msg=what)


def _network(method, seed, n_src=4, n_tgt=3, slow=5, rhs="-a*x + c", duration=40):
    """Spike generator -> synapses with a clock-driven ``x``; coefficients ``a``, ``c`` rewritten
    on a clock ``slow`` times slower; ``x`` read by the pathway, a summed variable (slow target
    clock) and a slow monitor."""
    b2.start_scope()
    rng = np.random.default_rng(seed)
    dt = 0.1 * ms
    n_spikes = int(rng.integers(1, 30))
    times = np.unique(rng.integers(0, int(duration / 0.1), n_spikes)) * dt
    indices = rng.integers(0, n_src, len(times))
    src = b2.SpikeGeneratorGroup(n_src, indices, times, dt=dt, name="lz_src")
    tgt = b2.NeuronGroup(n_tgt, "v : 1\ny : 1", dt=slow * dt, name="lz_tgt")
    syn = b2.Synapses(src, tgt, f"""dx/dt = {rhs} : 1 (clock-driven)
                      a : Hz
                      c : Hz
                      w : 1
                      y_post = x : 1 (summed)""",
                      on_pre="v_post += x\nx += w", method=method, dt=dt, name="lz_syn")
    pairs = [(i, j) for i in range(n_src) for j in range(n_tgt) if rng.random() < 0.7]
    pairs = pairs or [(0, 0)]
    syn.connect(i=[i for i, _ in pairs], j=[j for _, j in pairs])
    syn.a = rng.uniform(0.0, 200.0, len(syn)) * Hz
    syn.c = rng.uniform(-50.0, 50.0, len(syn)) * Hz
    syn.w = rng.uniform(0.1, 1.0, len(syn))
    syn.x = rng.uniform(-1.0, 1.0, len(syn))
    syn.run_regularly("a = a*0.9 + 7*Hz\nc = -0.5*c + 3*Hz", dt=slow * dt, name="lz_coef")
    mon = b2.StateMonitor(syn, "x", record=True, dt=slow * dt, name="lz_mon")
    vmon = b2.StateMonitor(tgt, ["v", "y"], record=True, name="lz_vmon")
    return b2.Network(src, tgt, syn, mon, vmon), syn, mon, vmon


def _run(method, seed, engine, duration=40, **kw):
    net, syn, mon, vmon = _network(method, seed, duration=duration, **kw)
    sim = None
    if engine is None:
        b2.prefs.codegen.target = "numpy"
        net.run(duration * ms)
    else:
        sim = Simulator(net, lazy_linear=engine)
        sim.run(duration * ms)
    out = {"x": mon.x[:], "v": vmon.v[:], "y": vmon.y[:], "x_end": np.asarray(syn.x[:])}
    return out, sim


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=st.sampled_from(METHODS), seed=st.integers(0, 2 ** 31 - 1),
       slow=st.sampled_from([2, 5, 10]))
def test_lazy_matches_step_by_step_and_brian2(method, seed, slow):
    lazy, sim = _run(method, seed, True, slow=slow)
    assert sim.kernel_facts["lazy_linear"] == ["lz_syn.x"]
    step, sim_off = _run(method, seed, False, slow=slow)
    assert not sim_off.kernel_facts.get("lazy_linear")
    ref, _ = _run(method, seed, None, slow=slow)
    for key in lazy:
        _close(lazy[key], step[key], f"{method} {key}: lazy vs step by step")
        _close(lazy[key], ref[key], f"{method} {key}: lazy vs Brian2 numpy")


def test_continued_runs_and_values_set_between_runs():
    net, syn, mon, vmon = _network("exact", 3)
    sim = Simulator(net, lazy_linear=True)
    sim.run(10 * ms)
    syn.x = 0.25
    sim.run(15 * ms)
    lazy = np.asarray(syn.x[:])
    net, syn, mon, vmon = _network("exact", 3)
    sim = Simulator(net, lazy_linear=False)
    sim.run(10 * ms)
    syn.x = 0.25
    sim.run(15 * ms)
    _close(lazy, syn.x[:], "x after two runs")


@pytest.mark.parametrize("rhs", ["-a*x**2 + c", "-a*x + c*sin(2*pi*t*Hz)",
                                 "-a*x + c + 0.1*xi/sqrt(ms)"])
def test_nonlinear_time_dependent_and_stochastic_updates_are_left_alone(rhs):
    method = "euler"
    net, syn, mon, vmon = _network(method, 5, rhs=rhs)
    sim = Simulator(net, lazy_linear=True, seed=11)
    sim.run(10 * ms)
    assert not sim.kernel_facts.get("lazy_linear")


def test_fast_reader_leaves_variable_step_by_step():
    """A monitor recording every step gains nothing: the variable stays step by step."""
    net, syn, mon, vmon = _network("exact", 7)
    fast = b2.StateMonitor(syn, "x", record=True, name="lz_fast")
    net.add(fast)
    sim = Simulator(net, lazy_linear=True)
    sim.run(5 * ms)
    assert not sim.kernel_facts.get("lazy_linear")


def test_linear_analysis():
    assert linear_variables("_x = x*exp(-a*dt) + c\nx = _x", {"x"}) == {"x"}
    assert linear_variables("_x = x + dt*(-x**2)\nx = _x", {"x"}) is None
    assert linear_variables("_x = x + dt*(-x*y)\n_y = y - dt*y\nx = _x\ny = _y",
                            {"x", "y"}) is None  # coupled
    assert linear_variables("_x = x + dt*sin(t)\nx = _x", {"x"}) is None
    assert linear_variables("_x = x + dt*clip(x, 0, 1)\nx = _x", {"x"}) is None


@given(a=st.floats(-0.99, 1.5), b=st.floats(-10, 10), x0=st.floats(-10, 10),
       n=st.integers(0, 300))
@settings(max_examples=200, deadline=None)
def test_closed_form_equals_repeated_steps(a, b, x0, n):
    x = x0
    for _ in range(n):
        x = a * x + b
    y = advance(x0, a, b, n)
    scale = max(abs(x0), abs(b) / max(abs(1 - a), 1e-300) if a != 1 else abs(b) * n, 1.0)
    scale *= max(1.0, abs(a)) ** n
    assert abs(y - x) <= 1e-12 * scale


def _fig6(lazy):
    from brian2 import umolar
    from astrosim.testing.networks import build_coba_with_astro

    b2.start_scope()
    b2.seed(3)
    ns = build_coba_with_astro(80, 20, 16)
    ns["astrocytes"].G_A = "50*umolar*rand()"  # gliotransmitter present: Gamma_S moves
    ns["syn_mon"] = b2.StateMonitor(ns["exc_syn"], ["Y_S", "Gamma_S"], record=range(40),
                                    dt=1 * ms, name="lz6_syn_mon")
    ns["ast_mon"] = b2.StateMonitor(ns["astrocytes"], ["C", "Y_S"], record=True,
                                    name="lz6_ast_mon")
    net = b2.Network([v for v in ns.values() if isinstance(v, b2.BrianObject)])
    sim = Simulator(net, seed=1, lazy_linear=lazy)
    sim.run(100 * ms, namespace=ns)
    out = {"Y_S": ns["syn_mon"].Y_S[:], "Gamma_S": ns["syn_mon"].Gamma_S[:],
           "C": ns["ast_mon"].C[:], "Y_S_astro": ns["ast_mon"].Y_S[:],
           "exc_Y_S": np.asarray(ns["exc_syn"].Y_S[:]),
           "exc_Gamma_S": np.asarray(ns["exc_syn"].Gamma_S[:]),
           "inh_Y_S": np.asarray(ns["inh_syn"].Y_S[:]),
           "spikes": np.asarray(ns["exc_mon"].i[:])}
    return out, sim


def test_fig6_class_network_matches_step_by_step():
    """The Fig. 6 neuron-astrocyte network: Y_S and Gamma_S of both synapse groups lazy (read by
    the pathways, the astrocytes' 10 ms summed variable; G_A rewritten by a skipped sum)."""
    lazy, sim = _fig6(True)
    assert {"astro_net_exc_syn.Y_S", "astro_net_exc_syn.Gamma_S",
            "astro_net_inh_syn.Y_S"} <= set(sim.kernel_facts["lazy_linear"])
    assert np.ptp(lazy["Gamma_S"]) > 0
    step, _ = _fig6(False)
    for key in lazy:
        _close(lazy[key], step[key], key)


def test_overflow_of_a_lazy_variable_is_reported():
    from astrosim.engine.errors import SimulationError

    b2.start_scope()
    src = b2.SpikeGeneratorGroup(1, [0], [1 * ms], name="lz_nan_src")
    tgt = b2.NeuronGroup(1, "v : 1", name="lz_nan_tgt")
    syn = b2.Synapses(src, tgt, "dx/dt = a*x : 1 (clock-driven)\na : Hz", on_pre="v_post += x",
                      method="exact", name="lz_nan_syn")
    syn.connect()
    syn.a = 2000 * Hz
    syn.x = 1e306
    sim = Simulator(b2.Network(src, tgt, syn), lazy_linear=True)
    with pytest.raises(SimulationError, match="'x' became NaN or infinite"):
        sim.run(5 * ms)
    assert sim.kernel_facts["lazy_linear"] == ["lz_nan_syn.x"]


def test_linear_variables_reads_a_long_update_without_expanding_it():
    """Forty chained stages (an RK-like update) are decided in well under a second."""
    import time

    lines, prev = [], "x"
    for k in range(40):
        lines.append(f"_k{k} = -({prev} + _k{k - 1 if k else 0}*0.5*dt)/tau + I/tau" if k else f"_k0 = -x/tau + I/tau")
        prev = f"_k{k}"
    lines += [f"_x = x + dt*({' + '.join(f'_k{k}' for k in range(40))})/40", "x = _x"]
    t0 = time.perf_counter()
    assert linear_variables("\n".join(lines), {"x"}) == {"x"}
    lines.insert(-2, "_k39 = _k39*_k38")
    assert linear_variables("\n".join(lines), {"x"}) is None
    assert time.perf_counter() - t0 < 5.0
