"""Uniform read-only arrays as scalars, target-major summed variables and threaded loops vs Brian2."""
import numpy as np
from brian2 import (Network, NeuronGroup, StateMonitor, Synapses, ms, second,
                    start_scope)

import astrosim
from astrosim.engine.specialize import readonly_uniform, substitute_scalars

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


def test_readonly_uniform_rules():
    arrays = {"a": np.zeros((1, 4)), "b": np.array([[1.0, 2.0]]), "c": np.ones((1, 3)),
              "d": np.full((1, 2), np.nan), "e": np.zeros((1, 2)), "f": np.zeros(3, dtype=np.int32)}
    text = ("x = a[_b, _k[i]]\ny = b[_b, i]\nc[_b, i] = y\nz = d[_b, 0]\n"
            "q = _rt.f(e)\nw = f[i]")
    found = readonly_uniform(text, arrays, list(arrays))
    assert found == {"a": 0.0}  # b varies, c written, d NaN, e passed whole, f integer
    assert substitute_scalars(text, found).startswith("x = _0uniforma\n")


def test_threaded_updates_and_summed_variables_match_brian2():
    # 24,000 synapses and targets: above the default threshold of 20,000 for threads
    ref, got = _compare(24000, 24000, 0.25, coupled=True, duration=2 * ms)
    assert got[-1].kernel_facts["threaded_blocks"] >= 2  # the update and the summed variable
    for a, b in zip(ref[:4], got[:4]):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)
