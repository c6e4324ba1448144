"""The engine's branch-free exp against numpy: accuracy in ulps, special values, vectorisation."""
import re

import numba
import numpy as np

from astrosim.engine.vecmath import exp, log


@numba.njit
def _apply(x, out):
    for i in range(x.shape[0]):
        out[i] = exp(x[i])


def _ulps(x):
    out = np.empty_like(x)
    _apply(x, out)
    with np.errstate(over="ignore", under="ignore"):
        ref = np.exp(x)
    finite = np.isfinite(ref) & (ref != 0)
    return out, ref, np.abs(out[finite] - ref[finite]) / np.spacing(np.abs(ref[finite]))


def test_exp_is_within_one_ulp_of_numpy_over_the_double_range():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-745, 709.7, 400_000), rng.uniform(-2, 2, 400_000),
                        rng.uniform(-1e-9, 1e-9, 10_000), np.arange(-700, 700, 0.5)])
    _, _, ulps = _ulps(x)
    assert ulps.max() <= 1.0
    assert ulps.mean() < 0.2


def test_exp_special_values_match_numpy():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 709.78, 709.79, 710.0, 1e308,
                  -708.3, -720.0, -745.13, -745.14, -746.0, -1e308, 1e-320, -1e-320])
    out, ref, _ = _ulps(x)
    subnormal = (ref > 0) & (ref < np.finfo(float).tiny)
    exact = ~subnormal & ~np.isnan(ref)
    np.testing.assert_array_equal(out[exact], ref[exact])
    assert np.isnan(out[np.isnan(ref)]).all()
    # gradual underflow: within one subnormal step
    assert np.all(np.abs(out[subnormal] - ref[subnormal]) <= 5e-324)


def test_a_loop_using_exp_vectorises():
    x = np.linspace(-3, 3, 64)
    out = np.empty_like(x)
    _apply(x, out)
    asm = _apply.inspect_asm(_apply.signatures[0])
    # packed 4-wide double arithmetic (AVX2) or 2-wide (SSE2) appears only if LLVM vectorised
    assert re.search(r"\b(vfmadd\w*pd|vmulpd|mulpd)\b", asm)


@numba.njit
def _apply_log(x, out):
    for i in range(x.shape[0]):
        out[i] = log(x[i])


def _log(x):
    out = np.empty_like(x)
    _apply_log(x, out)
    return out


def test_log_is_within_one_ulp_of_numpy_over_the_double_range():
    rng = np.random.default_rng(11)
    x = np.concatenate([10.0 ** rng.uniform(-307, 308, 300_000), rng.uniform(0.5, 2.0, 300_000),
                        rng.uniform(0.999, 1.001, 50_000),       # near 1, where log is tiny
                        10.0 ** rng.uniform(-323.5, -307.5, 10_000)])  # subnormals
    ref = np.log(x)
    nonzero = ref != 0
    ulps = np.abs(_log(x) - ref)[nonzero] / np.spacing(np.abs(ref[nonzero]))
    assert ulps.max() <= 1.0
    assert ulps.mean() < 0.1


def test_log_special_values_match_numpy():
    x = np.array([1.0, 0.0, -0.0, -1.0, -np.inf, np.inf, np.nan, 5e-324,
                  np.finfo(float).tiny, np.finfo(float).max, 2.0, 0.5])
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.log(x)
    np.testing.assert_array_equal(_log(x), ref)  # NaN == NaN for assert_array_equal


def test_a_loop_using_log_vectorises():
    x = np.linspace(0.1, 3, 64)
    _log(x)
    asm = _apply_log.inspect_asm(_apply_log.signatures[0])
    assert re.search(r"\b(vdivpd|divpd)\b", asm)
