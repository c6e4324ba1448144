"""Device functions called by CUDA kernels: counter-based random streams, maths, TimedArray.

The same functions as :mod:`astrosim.engine.runtime` (CPU), written for ``numba.cuda``: the
counter-based streams fold (copy key, element, time step, call site, draw) through the same
SplitMix64 rounds, so a CUDA kernel draws the same numbers as the CPU kernel with
``rng='counter'`` (bit for bit under numba's CUDA simulator, where the maths is the host's).

Generated kernels reach these through the ``NUMPY`` and ``RUNTIME`` tables (the names Brian2's
generated code calls as ``np.<name>`` and ``runtime.<name>``); a name missing from them is a
function the CUDA back end does not support.
"""
import math
import warnings

import numpy as np
from numba import config, cuda

__all__ = ["NUMPY", "RUNTIME", "RANDOM", "kernel_options", "ctr_uniform", "ctr_normal", "ctr_poisson",
           "ctr_binomial_normal", "ctr_binomial_exact", "report_nonfinite"]

if config.ENABLE_CUDASIM:
    # the simulator runs device code on numpy scalars, which warn when uint64 products wrap
    # (the hash relies on wrapping, as on the device); the registry exists beforehand so
    # that no warning adds it to this module's globals while the simulator's threads
    # iterate over them
    warnings.filterwarnings("ignore", message="overflow encountered in scalar",
                            category=RuntimeWarning)
    __warningregistry__ = {}

_U = np.uint64
_INT64_MIN = -9223372036854775808
#: 32-bit registers of one multiprocessor (and at most one block) on current NVIDIA GPUs
_REGISTERS_PER_BLOCK = 65536


def kernel_options(threads, blocks_per_sm=1):
    """``cuda.jit`` options of a kernel run with ``threads`` threads per block.

    The fused kernel is large; without a cap the compiler may give each thread more registers
    than a block of ``threads`` can have, and the launch fails. The cap lets ``blocks_per_sm``
    blocks share a multiprocessor (more resident copies hide memory latency; fewer registers
    may spill). The simulator takes no options.
    """
    if config.ENABLE_CUDASIM:
        return {}
    cap = min(255, _REGISTERS_PER_BLOCK // (int(threads) * int(blocks_per_sm))) // 8 * 8
    return {"max_registers": max(cap, 16)}


@cuda.jit(device=True)
def _mix(z):
    z = (z ^ (z >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U(27))) * _U(0x94D049BB133111EB)
    return z ^ (z >> _U(31))


@cuda.jit(device=True)
def counter_bits(key, idx, step, site, k):
    """64 random bits for draw ``k`` of (element, step, site) (as ``runtime.counter_bits``)."""
    h = _mix(key ^ (_U(site) * _U(0x9E3779B97F4A7C15)))
    h = _mix(h ^ (_U(step) * _U(0xD1B54A32D192ED03)))
    h = _mix(h ^ (_U(idx) * _U(0xABC98388FB8FAC03)))
    return _mix(h ^ (_U(k) * _U(0x8CB92BA72F3D8DD7)))


@cuda.jit(device=True)
def _unit(key, idx, step, site, k):
    return (counter_bits(key, idx, step, site, k) >> _U(11)) * (1.0 / 9007199254740992.0)


@cuda.jit(device=True)
def ctr_uniform(s, b, idx, step, site):
    """Uniform double in [0, 1) keyed by copy ``b``'s key, element, step and call site."""
    return _unit(s[b, 0], idx, step, site, 0)


@cuda.jit(device=True)
def ctr_normal(s, b, idx, step, site):
    """Standard normal deviate (Box-Muller on two counter draws)."""
    key = s[b, 0]
    u1 = 1.0 - _unit(key, idx, step, site, 0)
    u2 = _unit(key, idx, step, site, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@cuda.jit(device=True)
def ctr_poisson(lam, s, b, idx, step, site):
    """Poisson deviate from counter draws (as ``runtime.ctr_poisson``)."""
    if lam <= 0.0:
        return 0
    key = s[b, 0]
    if lam < 30.0:
        limit = math.exp(-lam)
        k = 0
        prod = _unit(key, idx, step, site, 0)
        while prod > limit:
            k += 1
            prod *= _unit(key, idx, step, site, k)
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    bb = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * bb
    invalpha = 1.1239 + 1.1328 / (bb - 3.4)
    vr = 0.9277 - 3.6224 / (bb - 2.0)
    n = 0
    while True:
        U = _unit(key, idx, step, site, n) - 0.5
        V = _unit(key, idx, step, site, n + 1)
        n += 2
        us = 0.5 - abs(U)
        k = math.floor((2.0 * a / us + bb) * U + lam + 0.43)
        if us >= 0.07 and V <= vr:
            return int(k)
        if k < 0 or (us < 0.013 and V > us):
            continue
        if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + bb)
                <= -lam + k * loglam - math.lgamma(k + 1.0)):
            return int(k)


@cuda.jit(device=True)
def ctr_binomial_normal(s, b, idx, step, site, loc, scale):
    return loc + scale * ctr_normal(s, b, idx, step, site)


@cuda.jit(device=True)
def ctr_binomial_exact(s, b, idx, step, site, n, p, qn, bound):
    """Binomial draw by inversion from counter draws (as ``runtime.ctr_binomial_exact``)."""
    key = s[b, 0]
    reverse = p > 0.5
    P = 1.0 - p if reverse else p
    q = 1.0 - P
    X = 0
    px = qn
    j = 0
    U = _unit(key, idx, step, site, j)
    while U > px:
        X += 1
        if X > bound:
            X = 0
            px = qn
            j += 1
            U = _unit(key, idx, step, site, j)
        else:
            U -= px
            px = ((n - X + 1) * P * px) / (X * q)
    return n - X if reverse else X


# -- maths -----------------------------------------------------------------------------------
@cuda.jit(device=True)
def _to_int(x):
    """float -> int64 by truncation; NaN and out-of-range give INT64_MIN, as x86 does."""
    if not abs(x) < 9.2e18:
        return _INT64_MIN
    return int(x)


@cuda.jit(device=True)
def timestep(t, dt):
    """Brian2's ``timestep(t, dt)``."""
    return _to_int((t + 1e-3 * dt) / dt)


@cuda.jit(device=True)
def clip(x, lo, hi):
    return min(max(x, lo), hi)


@cuda.jit(device=True)
def sign(x):
    return int(x > 0) - int(x < 0)


@cuda.jit(device=True)
def exprel(x):
    if abs(x) < 1e-16:
        return 1.0
    if x > 717.0:
        return math.inf
    return math.expm1(x) / x


@cuda.jit(device=True)
def power(a, b):
    """``a ** b`` with a float base (as ``runtime.power``)."""
    return (1.0 * a) ** b


@cuda.jit(device=True)
def libm_power(a, b):
    """``a ** b`` by ``pow``, squares exactly (as ``runtime.libm_power``)."""
    if b == 2:
        return (1.0 * a) * a
    return math.pow(1.0 * a, 1.0 * b)


@cuda.jit(device=True)
def _timed_row(t, n, eps, K):
    i = _to_int((t / eps + 0.5) / K)
    if i < 0:
        i = 0
    if i > n - 1:
        i = n - 1
    return i


@cuda.jit(device=True)
def timed_1d(t, values, eps, K):
    return values[_timed_row(t, values.shape[0], eps, K)]


@cuda.jit(device=True)
def timed_2d(t, idx, values, eps, K):
    i = _timed_row(t, values.shape[0], eps, K)
    if idx < 0 or idx >= values.shape[1]:
        return math.nan
    return values[i, idx]


@cuda.jit(device=True)
def report_nonfinite(err, b, n, values, check_id):
    """Record in ``err[b]`` the first non-finite ``values[b, :n]`` (unless one is recorded)."""
    if err[b, 0] >= 0:
        return
    for i in range(n):
        if not abs(values[b, i]) < math.inf:
            err[b, 0] = check_id
            err[b, 1] = i
            return


@cuda.jit(device=True)
def ceil(x):
    return float(math.ceil(x))


@cuda.jit(device=True)
def floor(x):
    return float(math.floor(x))


#: what generated code calls as ``np.<name>`` (``codegen.FUNCTION_MAP``, constants)
NUMPY = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "sinh": math.sinh,
         "cosh": math.cosh, "tanh": math.tanh, "exp": math.exp, "log": math.log,
         "log10": math.log10, "expm1": math.expm1, "log1p": math.log1p, "sqrt": math.sqrt,
         "ceil": ceil, "floor": floor, "arcsin": math.asin, "arccos": math.acos,
         "arctan": math.atan, "inf": math.inf, "nan": math.nan, "pi": math.pi, "e": math.e}
#: what generated code calls as ``runtime.<name>``
RUNTIME = {"timestep": timestep, "clip": clip, "sign": sign, "to_int": _to_int,
           "exprel": exprel, "timed_1d": timed_1d, "timed_2d": timed_2d, "power": power,
           "libm_power": libm_power, "exp": math.exp, "log": math.log,
           "report_nonfinite": report_nonfinite}
#: random aliases of generated code (``names.RANDOM_ALIASES``): always the counter streams
RANDOM = {"uniform": ctr_uniform, "normal": ctr_normal, "poisson": ctr_poisson,
          "binomial_normal": ctr_binomial_normal, "binomial_exact": ctr_binomial_exact}
