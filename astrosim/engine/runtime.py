"""Numba helpers used by generated kernels: math functions, per-copy RNG, TimedArray lookup."""
import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .vecmath import exp, log

__all__ = ["seed_states", "RANDOM_HELPERS", "counter_bits", "ctr_uniform", "ctr_normal",
           "ctr_poisson", "uniform", "normal", "poisson", "binomial_normal",
           "binomial_exact", "binomial_constants", "timestep", "clip", "sign", "to_int", "exprel",
           "timed_1d", "timed_2d", "clock_schedule", "cycles", "cycles_per_second", "exp", "log",
           "fault_in"]

_U = np.uint64


@numba.njit(cache=True)
def _rotl(x, k):
    return (x << _U(k)) | (x >> _U(64 - k))


@numba.njit(cache=True)
def _next(s, b):
    # xoshiro256** on the state row of batch copy b
    s0 = s[b, 0]
    s1 = s[b, 1]
    s2 = s[b, 2]
    s3 = s[b, 3]
    result = _rotl(s1 * _U(5), 7) * _U(9)
    t = s1 << _U(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    s[b, 0] = s0
    s[b, 1] = s1
    s[b, 2] = s2
    s[b, 3] = s3
    return result


@numba.njit(cache=True)
def uniform(s, b):
    """Uniform double in [0, 1) from copy ``b``'s stream."""
    return (_next(s, b) >> _U(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True)
def normal(s, b):
    """Standard normal deviate (Box-Muller)."""
    u1 = 1.0 - uniform(s, b)  # (0, 1]
    u2 = uniform(s, b)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@numba.njit(cache=True)
def _ptrs(lam):
    """Constants of Hörmann's transformed rejection (PTRS) for a Poisson mean ``lam`` >= 10."""
    slam = math.sqrt(lam)
    bb = 0.931 + 2.53 * slam
    return (math.log(lam), bb, -0.059 + 0.02483 * bb, 1.1239 + 1.1328 / (bb - 3.4),
            0.9277 - 3.6224 / (bb - 2.0))


@numba.njit(cache=True)
def _ptrs_try(lam, loglam, bb, a, invalpha, vr, U, V):
    """One PTRS attempt from uniforms ``U`` (shifted by -0.5) and ``V``: the deviate, or -1."""
    us = 0.5 - abs(U)
    k = math.floor((2.0 * a / us + bb) * U + lam + 0.43)
    if us >= 0.07 and V <= vr:
        return int(k)
    if k < 0 or (us < 0.013 and V > us):
        return -1
    if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + bb)
            <= -lam + k * loglam - math.lgamma(k + 1.0)):
        return int(k)
    return -1


@numba.njit(cache=True)
def poisson(lam, s, b):
    """Poisson deviate (multiplication method for small, PTRS for large means)."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        prod = uniform(s, b)
        while prod > limit:
            k += 1
            prod *= uniform(s, b)
        return k
    loglam, bb, a, invalpha, vr = _ptrs(lam)
    while True:
        U = uniform(s, b) - 0.5
        V = uniform(s, b)
        k = _ptrs_try(lam, loglam, bb, a, invalpha, vr, U, V)
        if k >= 0:
            return k


@numba.njit(cache=True)
def binomial_normal(s, b, loc, scale):
    """Normal approximation of a binomial draw (as Brian2, not rounded)."""
    return loc + scale * normal(s, b)


@numba.njit(cache=True)
def _binomial_side(p):
    """``(reverse, P, q)``: inversion counts the rarer outcome."""
    reverse = p > 0.5
    P = 1.0 - p if reverse else p
    return reverse, P, 1.0 - P


@numba.njit(cache=True)
def _binomial_setup(n, p):
    """``(reverse, P, q, q**n, bound)`` of binomial inversion (as Brian2's BinomialFunction)."""
    reverse, P, q = _binomial_side(p)
    return reverse, P, q, math.exp(n * math.log(q)), min(n, n * P + 10.0 * math.sqrt(n * P * q + 1))


def binomial_constants(n, p):
    """``(q**n, bound)`` of binomial inversion (as Brian2's BinomialFunction), once per function.

    Generated code passes them with ``n`` and ``p`` so that a draw computes no ``exp``, ``log``
    or ``sqrt`` (a ``PoissonInput`` draws once per neuron and step).
    """
    _, _, _, qn, bound = _binomial_setup(n, p)
    return float(qn), float(bound)


@numba.njit(cache=True)
def _binomial_invert(U, n, P, q, qn, bound):
    """Inversion from one uniform ``U``: the count, or -1 past ``bound`` (draw again)."""
    X = 0
    px = qn
    while U > px:
        X += 1
        if X > bound:
            return -1
        U -= px
        px = ((n - X + 1) * P * px) / (X * q)
    return X


@numba.njit(cache=True)
def binomial_exact(s, b, n, p):
    """Binomial draw by inversion (as Brian2's non-approximated BinomialFunction)."""
    reverse, P, q, qn, bound = _binomial_setup(n, p)
    return _binomial_sequential(s, b, n, reverse, P, q, qn, bound)


@numba.njit(cache=True)
def _binomial_sequential(s, b, n, reverse, P, q, qn, bound):
    X = -1
    while X < 0:
        X = _binomial_invert(uniform(s, b), n, P, q, qn, bound)
    return n - X if reverse else X


# -- one signature for both stream kinds: (state, copy, element, time step, call site) -------
# Generated code calls these through module aliases chosen by ``EngineOptions.rng``; the
# sequential ones ignore the element, step and site.

@numba.njit(cache=True)
def seq_uniform(s, b, idx, step, site):
    return uniform(s, b)


@numba.njit(cache=True)
def seq_normal(s, b, idx, step, site):
    return normal(s, b)


@numba.njit(cache=True)
def seq_poisson(lam, s, b, idx, step, site):
    return poisson(lam, s, b)


@numba.njit(cache=True)
def seq_binomial_normal(s, b, idx, step, site, loc, scale):
    return binomial_normal(s, b, loc, scale)


@numba.njit(cache=True)
def seq_binomial_exact(s, b, idx, step, site, n, p, qn, bound):
    reverse, P, q = _binomial_side(p)
    return _binomial_sequential(s, b, n, reverse, P, q, qn, bound)


@numba.njit(cache=True)
def _mix(z):
    """SplitMix64's finaliser: a bijection of 64-bit words with full avalanche."""
    z = (z ^ (z >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U(27))) * _U(0x94D049BB133111EB)
    return z ^ (z >> _U(31))


@numba.njit(cache=True)
def counter_bits(key, idx, step, site, k):
    """64 random bits for draw ``k`` of (element, time step, call site) under ``key``.

    Each coordinate is folded in by a multiply with a distinct odd constant followed by a full
    mixing round, so nearby counters give unrelated words; no state is carried between calls.
    """
    h = _mix(key ^ (_U(site) * _U(0x9E3779B97F4A7C15)))
    h = _mix(h ^ (_U(step) * _U(0xD1B54A32D192ED03)))
    h = _mix(h ^ (_U(idx) * _U(0xABC98388FB8FAC03)))
    return _mix(h ^ (_U(k) * _U(0x8CB92BA72F3D8DD7)))


@numba.njit(cache=True)
def _unit(key, idx, step, site, k):
    return (counter_bits(key, idx, step, site, k) >> _U(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True)
def ctr_uniform(s, b, idx, step, site):
    """Uniform double in [0, 1) keyed by copy ``b``'s key, element, step and call site."""
    return _unit(s[b, 0], idx, step, site, 0)


@numba.njit(cache=True)
def ctr_normal(s, b, idx, step, site):
    """Standard normal deviate (Box-Muller on two counter draws)."""
    key = s[b, 0]
    u1 = 1.0 - _unit(key, idx, step, site, 0)
    u2 = _unit(key, idx, step, site, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@numba.njit(cache=True)
def ctr_poisson(lam, s, b, idx, step, site):
    """Poisson deviate from counter draws (inversion by multiplication; normal for large)."""
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
    # transformed rejection (PTRS), as the sequential stream, with a counter per attempt
    loglam, bb, a, invalpha, vr = _ptrs(lam)
    n = 0
    while True:
        U = _unit(key, idx, step, site, n) - 0.5
        V = _unit(key, idx, step, site, n + 1)
        n += 2
        k = _ptrs_try(lam, loglam, bb, a, invalpha, vr, U, V)
        if k >= 0:
            return k


@numba.njit(cache=True)
def ctr_binomial_normal(s, b, idx, step, site, loc, scale):
    return loc + scale * ctr_normal(s, b, idx, step, site)


@numba.njit(cache=True)
def ctr_binomial_exact(s, b, idx, step, site, n, p, qn, bound):
    """Binomial draw by inversion from counter draws (as :func:`binomial_exact`)."""
    key = s[b, 0]
    reverse, P, q = _binomial_side(p)
    j = 0
    X = _binomial_invert(_unit(key, idx, step, site, j), n, P, q, qn, bound)
    while X < 0:
        j += 1
        X = _binomial_invert(_unit(key, idx, step, site, j), n, P, q, qn, bound)
    return n - X if reverse else X


#: the helpers behind each random alias, per ``EngineOptions.rng``
RANDOM_HELPERS = {
    "sequential": {"uniform": "seq_uniform", "normal": "seq_normal", "poisson": "seq_poisson",
                   "binomial_normal": "seq_binomial_normal",
                   "binomial_exact": "seq_binomial_exact"},
    "counter": {"uniform": "ctr_uniform", "normal": "ctr_normal", "poisson": "ctr_poisson",
                "binomial_normal": "ctr_binomial_normal", "binomial_exact": "ctr_binomial_exact"},
}


def seed_states(seed, batch):
    """Initial xoshiro states, one independent row per batch copy (splitmix64 seeding)."""
    state = np.empty((batch, 4), dtype=np.uint64)
    mask = (1 << 64) - 1
    x = (int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & mask
    for b in range(batch):
        for k in range(4):
            x = (x + 0x9E3779B97F4A7C15) & mask
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
            state[b, k] = z ^ (z >> 31)
    return state


@numba.njit(cache=True, inline="always")
def power(a, b):
    """``a ** b`` with a float base (Brian2: ``2 ** -1`` is 0.5); numba raises floats to
    integer powers by repeated multiplication."""
    return (1.0 * a) ** b


@numba.njit(cache=True, inline="always")
def libm_power(a, b):
    """``a ** b`` by the C library's ``pow``, as numpy does for exponents other than 2."""
    if b == 2:
        return (1.0 * a) * a  # numpy squares (exact either way)
    return math.pow(1.0 * a, 1.0 * b)


@numba.njit(cache=True)
def timestep(t, dt):
    """Brian2's ``timestep(t, dt)``."""
    return np.int64((t + 1e-3 * dt) / dt)


@numba.njit(cache=True)
def clip(x, lo, hi):
    return min(max(x, lo), hi)


@numba.njit(cache=True)
def sign(x):
    return (x > 0) - (x < 0)


@numba.njit(cache=True)
def to_int(x):
    return np.int64(x)


@numba.njit(cache=True)
def exprel(x):
    if abs(x) < 1e-16:
        return 1.0
    if x > 717.0:
        return np.inf
    return math.expm1(x) / x


@numba.njit(cache=True)
def _timed_row(t, n, eps, K):
    """Row of a TimedArray at time t, clipped to [0, n-1]."""
    i = np.int64((t / eps + 0.5) / K)
    if i < 0:
        i = 0
    if i > n - 1:
        i = n - 1
    return i


@numba.njit(cache=True)
def timed_1d(t, values, eps, K):
    return values[_timed_row(t, values.shape[0], eps, K)]


@numba.njit(cache=True)
def timed_2d(t, idx, values, eps, K):
    i = _timed_row(t, values.shape[0], eps, K)
    if idx < 0 or idx >= values.shape[1]:
        return np.nan
    return values[i, idx]


@numba.njit(cache=True)
def report_nonfinite(err, b, n, values, check_id):
    """Record in ``err[b]`` the first non-finite ``values[b, :n]`` (unless one is recorded)."""
    if err[b, 0] >= 0:
        return
    for i in range(n):
        if not abs(values[b, i]) < np.inf:
            err[b, 0] = check_id
            err[b, 1] = i
            return


@numba.njit(cache=True)
def clock_schedule(ts0, dts, i_end, eps):
    """Which clocks tick at each global tick (Brian2's ``_nextclocks`` rule).

    Returns a (n_ticks, n_clocks) boolean array.
    """
    nc = ts0.shape[0]
    ts = ts0.copy()
    cap = 16
    out = np.zeros((cap, nc), dtype=np.bool_)
    n = 0
    while True:
        # minimum time clock
        m = 0
        tmin = ts[0] * dts[0]
        for c in range(1, nc):
            tc = ts[c] * dts[c]
            if tc < tmin:
                tmin = tc
                m = c
        if ts[m] >= i_end[m]:
            break
        if n == cap:
            new = np.zeros((cap * 2, nc), dtype=np.bool_)
            new[:cap] = out
            out = new
            cap *= 2
        for c in range(nc):
            tc = ts[c] * dts[c]
            if tc == tmin or abs(tc - tmin) / min(dts[m], dts[c]) < eps:
                out[n, c] = True
        for c in range(nc):
            if out[n, c]:
                ts[c] += 1
        n += 1
    return out[:n]


@intrinsic
def _readcyclecounter(typingctx):
    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.readcyclecounter")
        return builder.call(fn, [])
    return types.int64(), codegen


@numba.njit(cache=True)
def cycles():
    """The CPU's cycle (time-stamp) counter; a few nanoseconds per call (profiling)."""
    return _readcyclecounter()


_CYCLE_RATE = []


def cycles_per_second():
    """Rate of :func:`cycles`, measured once per process against ``time.perf_counter``."""
    if not _CYCLE_RATE:
        import time

        cycles()
        c0, t0 = cycles(), time.perf_counter()
        time.sleep(0.05)
        c1, t1 = cycles(), time.perf_counter()
        _CYCLE_RATE.append((c1 - c0) / (t1 - t0) if c1 > c0 else 0.0)
    return _CYCLE_RATE[0]


def fault_in(arrays, min_bytes=1 << 20):
    """Add zero to one byte per page of every large contiguous array, so pages that numpy
    allocated lazily (``np.zeros``: synaptic state such as ``u_S``, ``lastupdate``) are mapped
    before the timed loop instead of by its first stores (0.5-0.7 s for COBA's 5 M synapses on
    this VM); cpp_standalone, too, fills its arrays before its run starts. Values are unchanged
    (an in-place ufunc: numpy skips a plain self-assignment)."""
    for a in arrays:
        if isinstance(a, np.ndarray) and a.nbytes >= min_bytes and a.flags.c_contiguous \
                and a.flags.writeable:
            raw = a.reshape(-1).view(np.uint8)
            pages = raw[::4096]
            np.add(pages, np.uint8(0), out=pages)
