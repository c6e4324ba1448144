"""User-defined Brian2 functions with Python code run in the compiled kernel (or are refused clearly)."""
import numpy
import pytest
from brian2 import (Function, Network, NeuronGroup, StateMonitor, check_units, defaultclock,
                    implementation, mV, ms, volt)

import astrosim
from astrosim.engine import UnsupportedFeatureError

OFFSET = 3 * mV  # a quantity global: bound by its SI value
GAIN = 2.0


@implementation("cpp", "double usersin(double x) { return sin(x); }")
@check_units(x=1, result=1)
def usersin(x):
    return numpy.sin(x)


@implementation("cython", "cdef double shifted(double x, double y):\n    return 0")
@check_units(x=volt, y=1, result=volt)
def shifted(x, y):
    return GAIN * x * y + OFFSET if y > 0.5 else abs(x)


def _run(equations, values, namespace=None, steps=3):
    G = NeuronGroup(len(values), equations, method="euler")
    G.u = values
    M = StateMonitor(G, "y", record=True)
    astrosim.Simulator(Network(G, M)).run(steps * defaultclock.dt, namespace=namespace)
    return M.y_[:, -1]


def test_function_objects_with_python_code_match_numpy():
    u = numpy.array([0.0, 0.7, 2.0, 3.0])
    got = _run("y = usersin(u) : 1 (constant over dt)\nu : 1", u)
    numpy.testing.assert_allclose(got, numpy.sin(u), rtol=1e-15)
    got = _run("y = shifted(u*mV, u) : volt (constant over dt)\nu : 1", u)
    want = [abs(x * 1e-3) if x <= 0.5 else GAIN * x * 1e-3 * x + 3e-3 for x in u]
    numpy.testing.assert_allclose(got, want, rtol=1e-15)


def test_plain_function_closure_and_integration():
    rate = 0.25

    @check_units(x=1, result=1)
    def decay(x):
        return -rate * x  # a closure over a number

    G = NeuronGroup(3, "dy/dt = decay(y)/ms : 1", method="euler")
    G.y = [1.0, 2.0, 4.0]
    M = StateMonitor(G, "y", record=True)
    astrosim.Simulator(Network(G, M)).run(10 * defaultclock.dt)
    factor = (1 - 0.25 * float(defaultclock.dt / ms)) ** 10  # forward Euler, 10 steps
    numpy.testing.assert_allclose(G.y[:], numpy.array([1.0, 2.0, 4.0]) * factor, rtol=1e-12)


def _scaled(k):
    if k == 2:
        def scaled(x):
            return x * 2.0
    else:
        def scaled(x):
            return x * 3.0
    return Function(check_units(x=1, result=1)(scaled), stateless=True)


def test_redefined_function_recompiles():
    """Same name, other code: the kernel module (keyed by its source) is a different one."""
    u = numpy.array([1.0, 2.0])
    numpy.testing.assert_allclose(_run("y = f(u) : 1\nu : 1", u, namespace={"f": _scaled(2)}), 2 * u)
    numpy.testing.assert_allclose(_run("y = f(u) : 1\nu : 1", u, namespace={"f": _scaled(3)}), 3 * u)


TABLE = numpy.arange(3.0)


def notelementwise(x):
    return numpy.cumsum(x)[-1]


def reads_array(x):
    return x + TABLE[0]


@pytest.mark.parametrize("func, problem", [
    (notelementwise, "numba cannot compile it"),
    (reads_array, "global 'TABLE'"),
    (lambda x: 2 * x, "not defined with 'def'"),
])
def test_refusals_name_the_function_and_the_problem(func, problem):
    f = Function(check_units(x=1, result=1)(func), stateless=True)
    with pytest.raises(UnsupportedFeatureError) as err:
        _run("y = f(u) : 1\nu : 1", numpy.array([1.0]), namespace={"f": f})
    message = str(err.value)
    assert "'f'" in message and problem in message
