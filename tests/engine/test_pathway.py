"""Event-driven pathways (``astrosim.engine.delivery``, ``templates/synapses``): the split of the
per-synapse code from the accumulation into targets is bit-identical to the fused loop, and both
agree with Brian2's numpy target, for STP ``on_pre``, several pathways, homogeneous and
heterogeneous delays, unordered synapses, presynaptic accumulation and batch copies."""
import numpy as np
import pytest
from brian2 import (Network, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor, StateMonitor,
                    Synapses, ms, seed, start_scope)

import astrosim
from astrosim.engine.delivery import plan_delivery
from astrosim.engine.options import default_options

TOL = 1e-9
STP = """w : 1
du_S/dt = -u_S/(50*ms) : 1 (event-driven)
dx_S/dt = (1 - x_S)/(100*ms) : 1 (event-driven)"""
RELEASE = "u_S += 0.5*(1 - u_S)\nr_S = u_S*x_S\nx_S -= r_S\n"
BUF = "_0acc"


# -- the planner ------------------------------------------------------------------------------
def _code(*lines):
    return "\n".join(lines)


LOADS = ("_postsynaptic_idx = _array_S__synaptic_post[_idx]",
         "g_post = _array_G_g[_0b, _postsynaptic_idx]",
         "x = _array_S_x[_0b, _idx]")
STORES = ("_array_G_g[_0b, _postsynaptic_idx] = g_post", "_array_S_x[_0b, _idx] = x")


def test_plan_splits_a_single_accumulation():
    plan = plan_delivery(_code(*LOADS, "x = x*0.5", "g_post += 2.0*x", *STORES), BUF,
                         {"g_post", "x"})
    assert plan is not None and len(plan.accumulations) == 1
    acc = plan.accumulations[0]
    assert (acc.array, acc.index, acc.op, acc.batched) == ("_array_G_g", "_postsynaptic_idx", "+",
                                                           True)
    assert "_array_G_g" not in plan.per_synapse
    assert f"{BUF}[_0b, 0, _0j] = 2.0*x" in plan.per_synapse
    assert "_array_S_x[_0b, _idx] = x" in plan.per_synapse


@pytest.mark.parametrize("middle", [
    ("g_post = 0.5*g_post + x",),            # not an accumulation
    ("g_post *= x",),
    ("g_post += x", "g_post += x"),          # two terms: summed order would change
    ("g_post += x", "x = g_post"),           # the target is read
    ("g_post += g_post*x",),
])
def test_plan_refuses_other_writes(middle):
    assert plan_delivery(_code(*LOADS, *middle, *STORES), BUF, {"g_post", "x"}) is None


def test_plan_refuses_integer_targets_and_pure_accumulation():
    assert plan_delivery(_code(*LOADS, "g_post += x", *STORES), BUF, {"x"}) is None
    # nothing per synapse is stored: the fused loop is as fast
    assert plan_delivery(_code(*LOADS[:2], "g_post += 1.0", STORES[0]), BUF, {"g_post"}) is None


# -- against Brian2 ---------------------------------------------------------------------------
def _net(*, delays="none", two_connects=False, pre_acc=False):
    src = SpikeGeneratorGroup(6, [0, 1, 2, 3, 4, 5, 0, 2, 4, 1, 3, 5, 0],
                              [1, 1, 2, 3, 3, 4, 6, 7, 7, 9, 10, 12, 15] * ms)
    G = NeuronGroup(8, """dg/dt = -g/(5*ms) : 1
                          dh/dt = -h/(8*ms) : 1
                          dv/dt = (g + h - v)/(10*ms) : 1
                          a : 1""", threshold="v > 0.02", reset="v = 0", method="exact",
                    name="targets")
    S = Synapses(src, G, STP, on_pre={"fast": RELEASE + "g_post += w*r_S",
                                      "slow": "h_post -= 0.5*w*x_S"},
                 on_post=("a_post += 0.0" if not pre_acc else None), name="stp")
    if two_connects:
        S.connect(j="(i + 3) % 8")
        S.connect(j="i")
        S.connect(p=0.5)
    else:
        S.connect(p=0.7)
    S.w = "0.1 + rand()*0.2"
    S.x_S = 1
    if delays == "homogeneous":
        S.fast.delay = 1 * ms
        S.slow.delay = 2.5 * ms
    elif delays == "heterogeneous":
        S.fast.delay = "rand()*4*ms"
        S.slow.delay = "j*0.3*ms"
    objs = [src, G, S]
    mons = {"SM": SpikeMonitor(G), "M": StateMonitor(G, ["g", "h", "v"], record=True),
            "MS": StateMonitor(S, ["u_S", "x_S"], record=True, when="after_synapses")}
    if pre_acc:  # the targets feed a second group whose spikes act back: presynaptic accumulation
        H = NeuronGroup(8, "dz/dt = -z/(10*ms) : 1", threshold="z > 1", reset="z = 0",
                        method="exact", name="back")
        B = Synapses(G, H, "k : 1\ndc/dt = -c/(20*ms) : 1 (event-driven)",
                     on_pre="c += 1\nz_post += k*c", on_post="c *= 0.5\na_pre += c*k",
                     name="back_syn")
        B.connect(p=0.6)
        B.k = "rand()"
        H.z = "rand()"
        drive = Synapses(SpikeGeneratorGroup(8, [0, 3, 5, 7], [2, 5, 8, 11] * ms, name="back_in"),
                         H, on_pre="z_post += 1.5", name="drive")
        drive.connect(j="i")
        objs += [H, B, drive.source, drive]
        mons["MH"] = StateMonitor(H, "z", record=True)
        mons["MA"] = StateMonitor(G, "a", record=True)
        mons["SH"] = SpikeMonitor(H)
    return Network(*objs, *mons.values()), mons, S


def _data(mons, S):
    out = {"SM.i": np.asarray(mons["SM"].i[:]), "SM.t": np.asarray(mons["SM"].t_[:])}
    for var in ("g", "h", "v"):
        out[var] = np.asarray(mons["M"].variables[var].get_value()).copy()
    for var in ("u_S", "x_S"):
        out[var] = np.asarray(mons["MS"].variables[var].get_value()).copy()
    out["lastupdate"] = np.asarray(S.lastupdate_[:]).copy()
    if "MH" in mons:
        out["SH.t"] = np.asarray(mons["SH"].t_[:]).copy()
        out["z"] = np.asarray(mons["MH"].variables["z"].get_value()).copy()
        out["a"] = np.asarray(mons["MA"].variables["a"].get_value()).copy()
    return out


def _run(engine, build, duration=25 * ms, **options):
    start_scope()
    seed(11)
    net, mons, S = build()
    if engine == "brian":
        net.run(duration)
        return _data(mons, S), None
    sim = astrosim.Simulator(net, options=default_options().replace(**options))
    sim.run(duration)
    return _data(mons, S), sim.kernel_facts


CASES = {"homogeneous delays": dict(delays="homogeneous"),
         "heterogeneous delays": dict(delays="heterogeneous"),
         "several connect calls": dict(two_connects=True)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_split_delivery_is_bit_identical_and_matches_brian(case):
    build = lambda: _net(**CASES[case])  # noqa: E731
    ref, _ = _run("brian", build)
    fused, facts_off = _run("astrosim", build, split_delivery=False)
    split, facts_on = _run("astrosim", build, split_delivery=True)
    assert facts_off.get("split_pathways", 0) == 0
    assert facts_on["split_pathways"] == 3  # fast, slow and on_post (STP decay + a_post)
    # rows of contiguous ids: on_pre with one delay per pathway and one connect call (the
    # on_post pathway's rows, by target, are not contiguous here); delays growing with the
    # target index (slow) keep (source, delay) in id order, random ones (fast) do not
    expected = {"homogeneous delays": 2, "heterogeneous delays": 1, "several connect calls": 0}
    assert facts_on["ordered_pathways"] == expected[case]
    assert len(ref["SM.t"]) > 2 and np.abs(ref["g"]).max() > 0.01
    for key in ref:
        np.testing.assert_array_equal(split[key], fused[key], err_msg=key)
        scale = max(1.0, float(np.abs(ref[key]).max())) if ref[key].size else 1.0
        assert ref[key].shape == split[key].shape, key
        if ref[key].size:
            assert np.abs(ref[key] - split[key]).max() <= TOL * scale, key


def test_presynaptic_accumulation_and_other_writes():
    build = lambda: _net(pre_acc=True)  # noqa: E731
    ref, _ = _run("brian", build)
    fused, _ = _run("astrosim", build, split_delivery=False)
    split, facts = _run("astrosim", build, split_delivery=True)
    assert facts["split_pathways"] == 4  # fast, slow, back_syn's z_post and a_pre
    assert len(ref["SH.t"]) > 2 and np.abs(ref["a"]).max() > 0.1
    for key in ref:
        np.testing.assert_array_equal(split[key], fused[key], err_msg=key)
        if ref[key].size:
            assert np.abs(ref[key] - split[key]).max() <= TOL * max(1.0, np.abs(ref[key]).max())


def test_batch_copies_match_single_runs():
    def build():
        net, mons, S = _net(delays="homogeneous")
        return net, mons, S

    start_scope()
    seed(11)
    net, mons, S = build()
    sim = astrosim.Simulator(net, batch=2, seed=1)
    w0 = np.asarray(S.w[:]).copy()
    sim.set_batch_values(S, "w", np.stack([w0, 2 * w0]))
    sim.run(25 * ms)
    batched = sim.monitor_data(mons["M"])["g"]
    for b, factor in enumerate((1, 2)):
        start_scope()
        seed(11)
        net, mons, S = build()
        S.w = factor * np.asarray(S.w[:])
        astrosim.Simulator(net, seed=1).run(25 * ms)
        np.testing.assert_array_equal(batched[b], np.asarray(mons["M"].g[:]).T)
    assert np.abs(batched[1]).max() > np.abs(batched[0]).max()
