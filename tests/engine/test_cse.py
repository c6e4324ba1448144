"""Common-subexpression elimination: same values bit for bit, reassignment safe, counted per kernel."""
import ast
import math

import numpy as np
from brian2 import Network, NeuronGroup, StateMonitor, ms, start_scope

import astrosim
from astrosim.engine.cse import eliminate_common_subexpressions
from astrosim.engine.options import EngineOptions

SOURCE = """
def f(C, I, h, k):
    a = (C + 0.5 * k) * (C + 0.5 * k) / (I + (C + 0.5 * k))
    b = _0rt.exp(-(C + 0.5 * k)) + (C + 0.5 * k) ** 3
    C = C + a
    c = (C + 0.5 * k) * 2.0
    if c > 0:
        d = (h * I + 1.0) - (h * I + 1.0) ** 2
    else:
        d = 0.0
    out[0] = a
    e = out[0] * (h * I + 1.0) + out[0] * (h * I + 1.0)
    g = out[0] * h + 1.0
    z = bump(out)
    g2 = out[0] * h + 2.0
    return a, b, c, d, e, g, g2, z
"""

ARGS = [(0.3, 0.7, 0.2, 0.11), (1e-3, 2.5, 0.9, -0.4), (2.0, 0.1, 0.5, 3.0)]


class _RT:
    exp = staticmethod(math.exp)


def _bump(out):
    out[0] += 1.0
    return 0.0


def _run(source, *args):
    namespace = {"_0rt": _RT, "out": [0.0], "bump": _bump}
    exec(source, namespace)
    return namespace["f"](*args)


def test_values_are_bit_identical_and_temporaries_counted():
    counter = [0]
    new = eliminate_common_subexpressions(SOURCE, counter)
    # C + 0.5*k before the reassignment of C, and h*I + 1.0 in the branch and after it
    assert counter[0] >= 3
    for args in ARGS:
        assert _run(new, *args) == _run(SOURCE, *args)


def test_reassigned_names_and_changed_arrays_are_not_reused():
    # 'C = C + a' makes C + 0.5*k a new value, and bump() changes out[0] between two reads:
    # a temporary kept across either would change c or g2
    new = eliminate_common_subexpressions(SOURCE)
    for args in ARGS:
        got, ref = _run(new, *args), _run(SOURCE, *args)
        assert got[2] == ref[2] and got[6] == ref[6] and got == ref
    # numbering continues across texts (the blocks of one kernel): no temporary is assigned in
    # two blocks, where numba would have to unify its types
    counter = [0]
    first = _temporaries(eliminate_common_subexpressions(SOURCE, counter))
    second = _temporaries(eliminate_common_subexpressions(SOURCE, counter))
    assert len(first) == len(second) == counter[0] // 2 and not first & second


def _temporaries(source):
    return {node.id for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
            and node.id.startswith("_0cse")}


def _rk4(options):
    start_scope()
    g = NeuronGroup(50, """dC/dt = (C**2/(C**2 + K**2) - C)/(5*ms) + I/(20*ms) : 1
                          dh/dt = (C/(C + 0.3) - h)/(8*ms) : 1
                          I : 1 (constant)
                          K : 1 (constant)""", method="rk4", name="cells")
    g.C = "0.01*i"
    g.I = "0.02*(i % 7)"
    g.K = 0.4
    mon = StateMonitor(g, ["C", "h"], record=[0, 13, 49], name="mon")
    sim = astrosim.Simulator(Network(g, mon), seed=1, options=options)
    sim.run(5 * ms)
    return np.array(mon.C), np.array(mon.h), sim.kernel_facts


def test_kernel_results_equal_with_the_pass_on_and_off():
    c_on, h_on, facts_on = _rk4(EngineOptions(cse=True))
    c_off, h_off, facts_off = _rk4(EngineOptions(cse=False))
    assert facts_on["cse_temporaries"] > 0 and facts_off["cse_temporaries"] == 0
    np.testing.assert_array_equal(c_on, c_off)
    np.testing.assert_array_equal(h_on, h_off)
    assert np.ptp(c_on) > 0
