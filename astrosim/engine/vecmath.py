"""Branch-free elementary functions that LLVM can vectorise inside generated loops.

``np.exp`` compiles to a call into the C library, which stops LLVM from vectorising the loop
around it (numba's wheels come without a vector math library). :func:`exp` here is plain
arithmetic — Cody–Waite range reduction (rounding by the 1.5·2⁵² shifter), a degree-11
polynomial evaluated by Estrin's scheme (short dependency chains, so several SIMD lanes'
worth of work overlaps) and an exponent-bit scale in two factors — so a synaptic update loop
containing it runs on SIMD lanes. It agrees with ``np.exp`` to about one unit in the last
place over the whole double range (``tests/engine/test_vecmath.py`` measures it) and handles
±inf, NaN, overflow and (gradual) underflow as ``np.exp`` does.

:func:`log` is built the same way: the exponent and mantissa are split by bit operations
(subnormals scaled into the normal range first), the mantissa is brought into
[√2/2, √2), and ``log(1 + f)`` is evaluated as ``2s + s·R(s²)`` with ``s = f / (2 + f)`` and a
degree-6 polynomial ``R`` (a Chebyshev fit in 50-digit arithmetic), assembled so that the
large terms are added last. It agrees with ``np.log`` to within one ulp and gives NaN for
negative input, ``-inf`` at zero and ``inf`` at ``inf``.
"""
import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["exp", "log"]

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k*_LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_SHIFTER = 6755399441055744.0  # 1.5 * 2**52
_SHIFTER_BITS = np.int64(np.float64(_SHIFTER).view(np.int64))
# exp(r) = 1 + r + r**2 * q(r) on |r| <= ln(2)/2: q is a degree-9 Chebyshev fit of
# (exp(r) - 1 - r)/r**2 (fitted in 50-digit arithmetic; absolute error of the r**2 * q term
# below 1.3e-17, i.e. under 0.1 ulp)
_Q = (0.5000000000000001, 0.16666666666666669, 0.04166666666662413, 0.008333333333330062,
      0.0013888888917213717, 0.00019841269863053618, 2.4801521295954376e-05,
      2.7557268459997064e-06, 2.7620088445409746e-07, 2.510038549551032e-08)


@intrinsic
def _as_float64(typingctx, bits):
    """Reinterpret the bits of an int64 as a float64."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _as_int64(typingctx, value):
    """Reinterpret the bits of a float64 as an int64."""
    if not isinstance(value, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@numba.njit(cache=True)
def _pow2(k):
    return _as_float64((k + np.int64(1023)) << np.int64(52))


@numba.njit(cache=True, fastmath={"contract"})
def exp(x):
    """``e**x`` for a float64 ``x`` (≈1 ulp; branch-free so loops using it vectorise)."""
    # clamped, 2**k below stays finite; exp(710) overflows and exp(-746) underflows to 0
    # through the final multiplications, as they should. NaN is restored at the end.
    xc = min(max(x, -746.0), 710.0)
    # round x/ln2 to an integer by adding 1.5*2**52: k lands in the low mantissa bits, which
    # avoids float->int conversions that AVX2 cannot do on packed doubles
    kd = xc * _LOG2E + _SHIFTER
    k = kd - _SHIFTER
    ki = _as_int64(kd) - _SHIFTER_BITS
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    r2 = r * r
    r4 = r2 * r2
    q = ((_Q[0] + _Q[1] * r) + (_Q[2] + _Q[3] * r) * r2
         + ((_Q[4] + _Q[5] * r) + (_Q[6] + _Q[7] * r) * r2) * r4
         + (_Q[8] + _Q[9] * r) * (r4 * r4))
    p = 1.0 + (r + r2 * q)
    # 2**k as two factors, both normal at the ends of the range (subnormal results, k=1024);
    # k1 = round(k/2) by the shifter again, since AVX2 has no 64-bit arithmetic shift
    k1 = _as_int64(k * 0.5 + _SHIFTER) - _SHIFTER_BITS
    y = p * _pow2(k1) * _pow2(ki - k1)
    return x if x != x else y


_SQRT2 = 1.4142135623730951
_TWO54 = 18014398509481984.0  # 2**54, lifts subnormals into the normal range
_MANTISSA = np.int64(0x000FFFFFFFFFFFFF)
_EXPONENT = np.int64(0x7FF0000000000000)
_ONE_BITS = np.int64(0x3FF0000000000000)
# log((1+s)/(1-s)) = 2s + s*z*P(z), z = s**2, |s| <= (sqrt2-1)/(sqrt2+1): P is a degree-6
# Chebyshev fit of its series (max error 3.1e-16 absolute, scaled by s*z in the result)
_P = (0.666666666666667, 0.39999999999899444, 0.2857142862600327, 0.22222211130259878,
      0.18182889455674947, 0.15331710618210773, 0.14616585424888623)


@numba.njit(cache=True, fastmath={"contract"})
def _int_to_float(k):
    """An int64 of magnitude below 2**51 as a float64, without a conversion instruction."""
    return _as_float64(k + _SHIFTER_BITS) - _SHIFTER


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def log(x):
    """Natural logarithm of a float64 ``x`` (≈1 ulp; branch-free so loops using it vectorise)."""
    subnormal = x < 2.2250738585072014e-308
    xs = x * _TWO54 if subnormal else x
    bits = _as_int64(xs)
    k = ((bits & _EXPONENT) >> np.int64(52)) - np.int64(1023)
    k = k - np.int64(54) if subnormal else k
    m = _as_float64((bits & _MANTISSA) | _ONE_BITS)  # in [1, 2)
    high = m > _SQRT2
    m = m * 0.5 if high else m
    k = k + np.int64(1) if high else k
    kd = _int_to_float(k)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    z2 = z * z
    r = z * ((_P[0] + _P[1] * z) + (_P[2] + _P[3] * z) * z2
             + ((_P[4] + _P[5] * z) + _P[6] * z2) * (z2 * z2))
    hfsq = 0.5 * f * f
    y = kd * _LN2_HI - ((hfsq - (s * (hfsq + r) + kd * _LN2_LO)) - f)
    y = -np.inf if x == 0.0 else y
    y = np.nan if x < 0.0 else y
    y = x if x == np.inf else y
    return x if x != x else y
