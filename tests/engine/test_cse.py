"""Common-subexpression elimination: fewer operations, same values bit for bit, reassignment safe."""
import math

from astrosim.engine.cse import eliminate_common_subexpressions

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
    return a, b, c, d, e
"""


class _RT:
    exp = staticmethod(math.exp)


def _run(source, *args):
    namespace = {"_0rt": _RT, "out": [0.0]}
    exec(source, namespace)
    return namespace["f"](*args)


def test_values_are_bit_identical_and_operations_fewer():
    new = eliminate_common_subexpressions(SOURCE)
    assert new.count("C + 0.5 * k") < SOURCE.count("C + 0.5 * k")
    assert "_0cse" in new
    for args in [(0.3, 0.7, 0.2, 0.11), (1e-3, 2.5, 0.9, -0.4), (2.0, 0.1, 0.5, 3.0)]:
        assert _run(new, *args) == _run(SOURCE, *args)


def test_reassigned_names_and_subscripts_are_not_reused():
    new = eliminate_common_subexpressions(SOURCE)
    # after 'C = C + a' the expression C + 0.5*k is a new value: c must not use the old temp
    temp = next(ln.split("=")[0].strip() for ln in new.splitlines()
                if ln.strip().startswith("_0cse") and "C +" in ln)
    line = next(ln for ln in new.splitlines() if ln.strip().startswith("c ="))
    assert temp not in line and "C +" in line
    # array reads are never cached: out[0] may change between reads
    assert new.count("out[0]") == SOURCE.count("out[0]")
