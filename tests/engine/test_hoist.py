"""Per-source/per-target hoisting: bit-identical to per-synapse evaluation, and agreement with Brian2.

The pass itself is checked two ways: compiled networks run with the pass on and off must give
identical monitors, and the rewriting of drawn expressions (hypothesis) is executed in plain
Python against the original statements, synapse by synapse.
"""
import math

import brian2 as b2
import numpy as np
import pytest
from brian2 import Network, NeuronGroup, StateMonitor, Synapses, SpikeMonitor, ms, start_scope
from hypothesis import given, settings, strategies as st

import astrosim
from astrosim.engine import EngineOptions
from astrosim.engine import names as K
from astrosim.engine.hoist import plan_hoisting
from tests.engine.networks.compare import relative_error


def _net():
    """Astrocyte-like sources feeding neurons through a summed variable with pre- and
    post-only terms; a synaptic state update and a pathway reading both sides."""
    start_scope()
    astro = NeuronGroup(6, "dc/dt = (c0 - c)/(7*ms) : 1\nc0 : 1 (constant)", method="euler",
                        name="astro")
    astro.c = "0.3 + 0.4*i"
    astro.c0 = "2.5 - 0.3*i"
    neurons = NeuronGroup(9, "dv/dt = (I - v)/(10*ms) : 1\nI : 1", threshold="v > 0.4",
                          reset="v = 0", method="euler", name="neurons")
    neurons.v = "0.05*i"
    sic = Synapses(astro, neurons, "w : 1 (constant)\n"
                   "I_post = w*log(clip(c_pre*3, 1, inf))*exp(-v_post) + sqrt(c_pre)/(1 + c_pre**2)"
                   " : 1 (summed)", name="sic")
    sic.connect(p=0.8)
    sic.w = "0.2 + 0.05*(i % 4)"
    rec = Synapses(neurons, astro, "dx/dt = (tanh(v_pre) + log(1 + c_post) - x)/(5*ms) : 1 (clock-driven)",
                   on_pre="c_post += 0.01*x", method="euler", name="rec")
    rec.connect(p=0.9)
    mon = StateMonitor(neurons, ["I", "v"], record=True, name="mon")
    amon = StateMonitor(astro, "c", record=True, name="amon")
    xmon = StateMonitor(rec, "x", record=np.arange(10), name="xmon")
    spikes = SpikeMonitor(neurons, name="spikes")
    return Network(astro, neurons, sic, rec, mon, amon, xmon, spikes), (mon, amon, xmon, spikes)


def _run(engine, **options):
    b2.seed(3)
    net, (mon, amon, xmon, spikes) = _net()
    sim = None
    if engine == "brian2":
        net.run(20 * ms)
    else:
        sim = astrosim.Simulator(net, seed=1, options=EngineOptions(**options))
        sim.run(20 * ms)
    out = {"I": np.array(mon.I), "v": np.array(mon.v), "c": np.array(amon.c), "x": np.array(xmon.x),
           "spikes": np.array(spikes.t_)}
    return out, sim


def test_hoisting_is_bit_identical_and_agrees_with_brian2():
    ref, _ = _run("brian2")
    on, sim_on = _run("astrosim", hoist=True, precise_math=True)
    off, sim_off = _run("astrosim", hoist=False, precise_math=True)
    assert sim_on.kernel_facts["hoisted"] >= 3  # log(...), sqrt(...)/(...) per source, exp per target
    assert sim_off.kernel_facts["hoisted"] == 0
    assert sim_on.kernel_facts["skipped_sums"] == sim_off.kernel_facts["skipped_sums"]
    assert len(ref["spikes"]) > 5
    for key in ref:
        np.testing.assert_array_equal(on[key], off[key], err_msg=key)
        assert relative_error(on[key], ref[key]) <= 1e-12, key


def test_fast_maths_with_hoisting_stays_within_the_documented_bound():
    ref, _ = _run("brian2")
    fast, sim = _run("astrosim", hoist=True, precise_math=False)
    assert sim.kernel_facts["hoisted"] >= 3
    for key in ("I", "v", "c", "x"):
        assert relative_error(fast[key], ref[key]) <= 1e-6, key


# -- the rewriting itself, executed in Python --------------------------------------------
_PRE, _POST, _SYN = ["a_pre", "b_pre"], ["u_post"], ["w"]
_FUNCS = [K.EXP, K.LOG, f"{K.NP}.sqrt", f"{K.RT}.clip"]


def _leaf():
    return st.sampled_from(_PRE + _POST + _SYN + ["k", "0.5", "2.0"])


def _expr(depth):
    if depth == 0:
        return _leaf()
    sub = _expr(depth - 1)
    return st.one_of(
        _leaf(),
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(_FUNCS[:3]), sub).map(lambda t: f"{t[0]}({K.ABS}({t[1]}) + 0.25)"),
        st.tuples(sub).map(lambda t: f"{K.RT}.clip({t[0]}, 0.1, 3.0)"),
        st.tuples(sub).map(lambda t: f"{K.POW}({K.ABS}({t[0]}) + 0.1, 0.5)"),
    )


_LOADS = ("_presynaptic_idx = _array_s__synaptic_pre[_idx]\n"
          "_postsynaptic_idx = _array_s__synaptic_post[_idx]\n"
          f"a_pre = _array_src_a[{K.BATCH}, _presynaptic_idx]\n"
          f"b_pre = _array_src_b[{K.BATCH}, _presynaptic_idx]\n"
          f"u_post = _array_tgt_u[{K.BATCH}, _postsynaptic_idx]\n"
          f"w = _array_s_w[{K.BATCH}, _idx]\n")


def _namespace(rng):
    n_src, n_tgt, n_syn = 5, 4, 40
    import astrosim.engine.runtime as rt

    def vclip(x, lo, hi):
        return min(max(x, lo), hi)

    ns = {K.EXP: math.exp, K.LOG: math.log, K.POW: lambda a, b: (1.0 * a) ** b, K.NP: np, "np": np, K.ABS: abs,
          K.RT: type("rt", (), {"clip": staticmethod(vclip)}), K.BATCH: 0, "k": 1.7,
          "_array_s__synaptic_pre": rng.integers(2, 2 + n_src, n_syn),
          "_array_s__synaptic_post": rng.integers(0, n_tgt, n_syn),
          "_array_src_a": rng.uniform(0.1, 2, (1, 2 + n_src)),
          "_array_src_b": rng.uniform(-1, 1, (1, 2 + n_src)),
          "_array_tgt_u": rng.uniform(-1, 1, (1, n_tgt)),
          "_array_s_w": rng.uniform(0, 1, (1, n_syn))}
    _ = rt
    return ns, n_syn


def _execute(code, ns, n_syn, prelude=""):
    values = []
    scope = dict(ns)
    with np.errstate(all="ignore"):
        if prelude:
            exec(prelude, scope)
        for idx in range(n_syn):
            scope["_idx"] = idx
            try:
                exec(code, scope)
                values.append(scope["_synaptic_var"])
            except (ValueError, ZeroDivisionError, OverflowError):
                values.append("error")
    return values


@settings(max_examples=60, deadline=None)
@given(expr=_expr(3), seed=st.integers(0, 2 ** 16))
def test_drawn_expressions_rewrite_to_the_same_values(expr, seed):
    code = _LOADS + f"_synaptic_var = {expr}"
    temporaries = {}

    def temporary(side, j):
        return temporaries.setdefault((side, j), f"_0tmp_{side}{j}")

    sides = {"pre": ("_0lo_pre", "_0hi_pre"), "post": ("_0lo_post", "_0hi_post")}
    new_code, plans = plan_hoisting(code, sides, temporary)
    ns, n_syn = _namespace(np.random.default_rng(seed))
    bounds = {"pre": (2, 7), "post": (0, 4)}
    prelude = []
    for plan in plans:
        lo, hi = bounds[plan.side]
        prelude += [f"{sides[plan.side][0]} = {lo}", f"{sides[plan.side][1]} = {hi}"]
        for j, _ in plan.values:
            prelude.append(f"{temporary(plan.side, j)} = np.zeros((1, {hi - lo}))")
        prelude.append(f"for {plan.loop_index} in range({lo}, {hi}):")
        prelude += [f"    {stmt}" for stmt in plan.setup]
        prelude += [f"    try:\n        {temporary(plan.side, j)}[{K.BATCH}, {plan.loop_index} - {lo}] = {e}\n"
                    "    except (ValueError, ZeroDivisionError, OverflowError):\n"
                    f"        {temporary(plan.side, j)}[{K.BATCH}, {plan.loop_index} - {lo}] = np.nan"
                    for j, e in plan.values]
    expected = _execute(code, ns, n_syn)
    got = _execute(new_code, ns, n_syn, "\n".join(prelude))
    for e, g in zip(expected, got):
        if e == "error" or (isinstance(e, float) and math.isnan(e)):
            continue  # an error per synapse becomes a NaN temporary; the kernel's error model is numpy's
        assert g == e or (isinstance(g, float) and math.isnan(g) and math.isnan(e)), (expr, new_code)


def test_single_side_terms_are_hoisted_whole():
    code = _LOADS + (f"_synaptic_var = w * {K.LOG}(a_pre + 1.0) * {K.EXP}(-u_post)"
                     f" + {K.NP}.sqrt(a_pre) / (1.0 + b_pre)\n")
    new_code, plans = plan_hoisting(code, {"pre": ("lo", "hi"), "post": ("lo2", "hi2")},
                                    lambda side, j: f"t_{side}{j}")
    found = {p.side: [e for _, e in p.values] for p in plans}
    assert len(found["pre"]) == 2 and len(found["post"]) == 1
    assert K.LOG not in new_code.split("_synaptic_var")[-1] and K.EXP not in new_code
    assert "t_pre0[_0b, _presynaptic_idx - lo]" in new_code


def test_synapse_dependent_and_written_values_are_not_hoisted():
    code = (_LOADS + f"_synaptic_var = {K.EXP}(w * a_pre) + {K.LOG}(u_post + w)\n")
    new_code, plans = plan_hoisting(code, {"pre": ("lo", "hi"), "post": ("lo2", "hi2")},
                                    lambda side, j: f"t_{side}{j}")
    assert plans == []
    written = (_LOADS + f"_synaptic_var = {K.EXP}(a_pre)\n_array_src_a[{K.BATCH}, _presynaptic_idx] = w\n")
    _, plans = plan_hoisting(written, {"pre": ("lo", "hi")}, lambda side, j: f"t_{side}{j}")
    assert plans == []
    randomised = _LOADS + f"_synaptic_var = {K.EXP}({K.RANDOM_ALIASES['uniform']}(a_pre))\n"
    _, plans = plan_hoisting(randomised, {"pre": ("lo", "hi")}, lambda side, j: f"t_{side}{j}")
    assert plans == []


def test_nest_astrocyte_example_per_synapse_sic_is_bit_identical():
    """NEST's astrocyte example as a first transcription writes it (the SIC's logarithm in every
    connection): hoisted once per astrocyte, the neurons' SIC and spikes do not change by a bit."""
    from astrosim.testing.networks import run_in_namespace
    from astrosim.testing.networks.nest_astro_brunel import build_nest_astro_brunel

    out = {}
    for hoist in (False, True):
        start_scope()
        b2.defaultclock.dt = 0.1 * ms
        ns = build_nest_astro_brunel(0.02, per_synapse_sic=True, record=20)
        ns["astrocytes"].Ca_astro = "(0.1 + 0.5*rand())*umolar"  # above the SIC threshold for many
        sim = run_in_namespace(astrosim.run, ns, 30 * ms, options=EngineOptions(hoist=hoist), seed=1)
        out[hoist] = (np.array(ns["sic_mon"].I_SIC_), np.array(ns["spikes"].t_), sim.kernel_facts["hoisted"])
    assert out[False][2] == 0 and out[True][2] >= 1
    assert np.count_nonzero(out[True][0]) > 10 and len(out[True][1]) > 10
    np.testing.assert_array_equal(out[True][0], out[False][0])
    np.testing.assert_array_equal(out[True][1], out[False][1])
