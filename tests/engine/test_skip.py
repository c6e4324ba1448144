"""Summed variables skipped while their inputs are unchanged: same values as Brian2, every step."""
import re

import numpy as np
import pytest
from brian2 import (Network, NeuronGroup, PopulationRateMonitor, SpikeGeneratorGroup,
                    SpikeMonitor, StateMonitor, Synapses, ms, start_scope)

import astrosim
from astrosim.engine.ir import Block
from astrosim.engine.render import ModuleBuilder
from astrosim.engine.skip import skippable_sums


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


def _record(reads=(), writes=(), target=None, random=False, time=False, whole=()):
    """A block record with only what the skip decision reads."""
    return Block(template="summed_variable" if target else "stateupdate", owner="o", group="g",
                 clock_index=0, scalar_code="", vector_code="", kwds={}, codeobj=None,
                 reads=frozenset(reads), writes=frozenset(writes), uses_random=random,
                 uses_time=time, target=target, passed_whole=frozenset(whole))


def test_skip_rules_on_records():
    summed = _record(reads={"X", "C"}, writes={"T"}, target="T")
    writer = _record(reads={"Y"}, writes={"X"})
    unrelated = _record(reads={"X"}, writes={"Z"})
    assert skippable_sums([summed, writer, unrelated]) == {0: [1]}
    # its target written by another block, read by the sum, or other stores: never skipped
    assert skippable_sums([summed, _record(writes={"T"})]) == {}
    assert skippable_sums([_record(reads={"X", "T"}, writes={"T"}, target="T"), writer]) == {}
    assert skippable_sums([_record(reads={"X"}, writes={"T", "W"}, target="T")]) == {}
    # time, random numbers, or a block without a record: never skipped
    assert skippable_sums([_record(reads={"X"}, writes={"T"}, target="T", time=True)]) == {}
    assert skippable_sums([_record(reads={"X"}, writes={"T"}, target="T", random=True)]) == {}
    assert skippable_sums([summed, None]) == {}
    # an array passed whole to a function counts as written
    assert skippable_sums([summed, _record(whole={"X"})]) == {0: [1]}


def test_records_declare_every_store_of_the_rendered_blocks(monkeypatch):
    """The passes trust ``Block.writes``: every Brian2 array a rendered block stores into (its
    code or its template) or passes whole to a function must be there."""
    seen = {}
    original = ModuleBuilder.source

    def keep(self, *args, **kw):
        seen["builder"] = self
        return original(self, *args, **kw)

    monkeypatch.setattr(ModuleBuilder, "source", keep)
    start_scope()
    src = NeuronGroup(8, "dv/dt = (1.5 - v)/(5*ms) : 1 (unless refractory)", threshold="v > 1",
                      reset="v = 0", refractory=2 * ms, method="exact", name="src")
    gen = SpikeGeneratorGroup(3, [0, 1, 2], [0.5, 1.0, 1.5] * ms, name="gen")
    tgt = NeuronGroup(4, "u : 1\nw_tot : 1", name="tgt")
    syn = Synapses(src, tgt, "w : 1\nw_tot_post = w : 1 (summed)", on_pre="u_post += w",
                   name="syn")
    syn.connect(j="i % 4")
    syn.w = "0.1*i"
    push = Synapses(gen, tgt, on_pre="u_post += 1", name="push")
    push.connect(j="i")
    mons = [SpikeMonitor(src, "v", name="sm"), StateMonitor(tgt, "u", record=True, name="st"),
            PopulationRateMonitor(src, name="rm")]
    sim = astrosim.Simulator(Network(src, gen, tgt, syn, push, *mons), seed=1)
    sim.run(3 * ms)
    builder = seen["builder"]
    brian = {n for n, spec in builder.arrays.items() if spec.kind == "brian"}
    templates = set()
    for block, (_, text) in zip(builder.blocks, builder.calls):
        templates.add(block.template)
        stored = set(re.findall(r"^\s*(_array_\w+)\[[^\n]*?\]\s*(?:=(?!=)|[-+*/]=)", text, re.M))
        whole = set(re.findall(r"(?<![\w.])(_array_\w+)\b(?!\s*\[|\.shape\b)", text))
        undeclared = ((stored | whole) & brian) - block.writes
        # the non-finite check hands the arrays the loop just wrote to a runtime function
        assert not undeclared, (block.owner, block.template, undeclared)
    assert {"stateupdate", "threshold", "reset", "synapses", "summed_variable", "spikegenerator",
            "spikemonitor", "statemonitor", "ratemonitor"} <= templates


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
