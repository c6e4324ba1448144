"""Cost of the engine's vectorisable ``exp``, alone and inside the Γ_S synapse update.

Usage: ``python benchmarks/vecmath_exp.py [--n 640000] [--repeats 5]``. Prints nanoseconds per
element (best of ``repeats``, one thread) for: a plain copy loop, ``exp`` over an array, and the
exact Γ_S/Y_S update of the Fig. 6 synapses (two divisions, one ``exp``, non-finite count) with
and without its ``exp`` (replaced by its argument), so the share of the ``exp`` is visible.
"""
import argparse
import time

import numba
import numpy as np

from astrosim.engine import runtime as _rt


@numba.njit(error_model="numpy")
def _copy(x, out):
    for i in range(x.shape[0]):
        out[i] = 2.0 * x[i]


@numba.njit(error_model="numpy")
def _exp(x, out):
    for i in range(x.shape[0]):
        out[i] = _rt.exp(x[i])


def _gamma_update(with_exp):
    @numba.njit(error_model="numpy")
    def update(b, g_a, gamma, y, o_g, omega_g, lio1, lio2, lio3, lio4):
        nf = 0
        for i in range(g_a.shape[1]):
            ga = g_a[b, i]
            c63 = o_g * ga
            c64 = omega_g + c63
            arg = lio2 * -ga
            e = _rt.exp(arg) if with_exp else arg
            g = c63 / c64 + lio1 * (gamma[b, i] * e) - lio3 * (ga * e) / c64
            yy = lio4 * y[b, i]
            gamma[b, i] = g
            y[b, i] = yy
            if not abs(g) < np.inf:
                nf += 1
            if not abs(yy) < np.inf:
                nf += 1
        return nf
    return update


def _best(fn, args, repeats, inner=20):
    fn(*args)
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn(*args)
        best = min(best, (time.perf_counter() - t) / inner)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=640_000, help="elements (synapses)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    numba.set_num_threads(1)
    rng = np.random.default_rng(0)
    n = args.n
    x, out = -rng.random(n), np.empty(n)
    g_a, gamma, y = rng.random((1, n)) * 1e-3, rng.random((1, n)), rng.random((1, n))
    consts = (1.5e3, 0.5 / 60, 0.99999, 0.15, 1.5e3 * 0.9999, 0.996)
    rows = [("copy loop", _copy, (x, out)), ("exp", _exp, (x, out)),
            ("Γ_S/Y_S update with exp", _gamma_update(True), (0, g_a, gamma, y) + consts),
            ("Γ_S/Y_S update, exp replaced", _gamma_update(False), (0, g_a, gamma, y) + consts)]
    for name, fn, fargs in rows:
        print(f"{name:32s} {_best(fn, fargs, args.repeats) / n * 1e9:6.2f} ns/element")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
