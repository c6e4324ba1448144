"""Uniform read-only arrays as scalars, target-major summed variables and threaded loops vs Brian2."""
import numpy as np
from brian2 import (Network, NeuronGroup, StateMonitor, Synapses, ms, second,
                    start_scope)

import astrosim
from astrosim.engine.ir import Block
from astrosim.engine.options import EngineOptions
from astrosim.engine.specialize import substitute_scalars, uniform_readonly

_SYN = """
dY/dt = -Y/(25*ms) : 1 (clock-driven)
dg/dt = k*G*(1 - g) - g/(50*ms) : 1 (clock-driven)
G : 1
"""


def _net(n_pre, n_post, G_value, coupled):
    start_scope()
    src = NeuronGroup(n_pre, "dv/dt = (1.5 - v)/(8*ms) : 1", threshold="v > 1",
                      reset="v = 0", method="exact", name="src")
    src.v = "rand()"
    tgt = NeuronGroup(n_post, "s : 1", name="tgt")
    syn = Synapses(src, tgt, _SYN, on_pre="Y += 1\ng += 0.1*(1 - g)", method="exact",
                   namespace={"k": 40 / second}, name="syn")
    syn.connect(j="i % N_post")
    syn.G = G_value
    objs = [src, tgt, syn]
    if coupled:  # the astrocyte-like driver writes G through a summed variable
        drv = NeuronGroup(5, "dG_drive/dt = (0.3 - G_drive)/(20*ms) : 1", method="exact",
                          name="drv")
        link = Synapses(drv, syn, "G_post = G_drive_pre : 1 (summed)", name="link")
        link.connect(j="k for k in range(i, N_post, 5)")  # one term per synapse
        objs += [drv, link]
    to_tgt = Synapses(syn, tgt, "s_post = g_pre + Y_pre : 1 (summed)", name="to_tgt")
    to_tgt.connect(j="i % N_post")  # n_pre / n_post terms per target
    mon = StateMonitor(syn, ["g", "Y"], record=[0, 1, n_pre - 1], name="mon")
    objs += [to_tgt, mon]
    return Network(*objs), syn, tgt, mon


def _compare(n_pre, n_post, G_value, coupled, duration=5 * ms):
    results = []
    for engine in ("brian2", "astrosim"):
        np.random.seed(5)  # the same random initial v for both
        net, syn, tgt, mon = _net(n_pre, n_post, G_value, coupled)
        if engine == "brian2":
            net.run(duration)
            sim = None
        else:
            sim = astrosim.Simulator(net, seed=1)
            sim.run(duration)
        results.append((np.array(syn.g[:]), np.array(syn.Y[:]), np.array(tgt.s[:]),
                        np.array(mon.g[:]), sim))
    return results


def test_uniform_unwritten_variable_becomes_a_scalar_and_matches_brian2():
    ref, got = _compare(300, 150, 0.25, coupled=False)
    assert got[-1].kernel_facts["scalar_arrays"]  # syn.G is read-only and uniform here
    for a, b in zip(ref[:4], got[:4]):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


def test_written_or_varying_variables_are_not_specialised():
    _, got = _compare(300, 150, 0.25, coupled=True)
    assert not got[-1].kernel_facts["scalar_arrays"]  # written by the summed variable 'link'
    net, syn, _, _ = _net(300, 150, 0.0, coupled=False)
    syn.G = "0.01*i"
    sim = astrosim.Simulator(net, seed=1)
    sim.run(1 * ms)
    assert not sim.kernel_facts["scalar_arrays"]


def _record(reads=(), writes=(), whole=()):
    return Block(template="stateupdate", owner="o", group="g", clock_index=0, scalar_code="",
                 vector_code="", kwds={}, codeobj=None, reads=frozenset(reads),
                 writes=frozenset(writes), uses_random=False, uses_time=False,
                 passed_whole=frozenset(whole))


def test_uniform_readonly_rules_on_records():
    values = {"a": np.zeros((1, 4)), "b": np.array([[1.0, 2.0]]), "c": np.ones((1, 3)),
              "d": np.full((1, 2), np.nan), "e": np.zeros((1, 2)), "f": np.zeros(3, dtype=np.int32),
              "g": np.ones(2)}
    blocks = [_record(reads={"a", "b", "c", "d", "e", "f"}, writes={"c"}),
              _record(reads={"a"}, whole={"e"})]
    # b varies, c written, d NaN, e passed whole, f integer, g read by no block
    assert uniform_readonly(blocks, values) == {"a": 0.0}
    assert uniform_readonly(blocks + [None], values) == {}  # a block without a record
    assert uniform_readonly(blocks, None) == {}


def test_substituted_scalars_compute_the_same_values():
    text = "x = a[_b, k[i]] * 2.0\ny = a[_b, i] + b[i]\nout[0] = x + y"
    new = substitute_scalars(text, {"a": 0.75})
    for i in range(3):
        arrays = {"a": np.full((1, 4), 0.75), "b": np.arange(4.0), "k": np.array([3, 2, 1, 0]),
                  "_b": 0, "i": i, "out": np.zeros(1)}
        ref, got = dict(arrays, out=np.zeros(1)), dict(arrays, out=np.zeros(1), _0uniforma=0.75)
        exec(text, {}, ref)
        exec(new, {}, got)
        assert ref["out"][0] == got["out"][0]


def test_results_equal_with_the_pass_on_and_off():
    runs = []
    for on in (True, False):
        np.random.seed(5)
        net, syn, tgt, mon = _net(300, 150, 0.25, coupled=False)
        sim = astrosim.Simulator(net, seed=1, options=EngineOptions(specialize=on))
        sim.run(3 * ms)
        runs.append((np.array(mon.g), np.array(mon.Y), np.array(tgt.s[:]), sim.kernel_facts))
    assert runs[0][3]["scalar_arrays"] == ["_array_syn_G"] and not runs[1][3]["scalar_arrays"]
    for a, b in zip(runs[0][:3], runs[1][:3]):
        np.testing.assert_array_equal(a, b)


def test_threaded_updates_and_summed_variables_match_brian2():
    # 24,000 synapses and targets: above the default threshold of 20,000 for threads
    ref, got = _compare(24000, 24000, 0.25, coupled=True, duration=2 * ms)
    assert got[-1].kernel_facts["threaded_blocks"] >= 2  # the update and the summed variable
    for a, b in zip(ref[:4], got[:4]):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)
