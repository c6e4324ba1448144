"""Branch-free elementary functions that LLVM can vectorise inside generated loops.

``np.exp`` compiles to a call into the C library, which stops LLVM from vectorising the loop
around it (numba's wheels come without a vector math library). :func:`exp` here is plain
arithmetic — Cody–Waite range reduction (rounding by the 1.5·2⁵² shifter), a degree-13
Taylor polynomial and an exponent-bit scale — so a synaptic update loop containing it runs on SIMD lanes. It agrees with
``np.exp`` to about one unit in the last place over the whole double range
(``tests/engine/test_vecmath.py`` measures it) and handles ±inf, NaN, overflow and
(gradual) underflow as ``np.exp`` does.
"""
import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["exp"]

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k*_LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_OVERFLOW = 709.782712893384  # largest x with a finite exp(x)
_UNDERFLOW = -745.1332191019412  # below this exp(x) rounds to 0
_SHIFTER = 6755399441055744.0  # 1.5 * 2**52
_SHIFTER_BITS = np.int64(np.float64(_SHIFTER).view(np.int64))
_C = tuple(1.0 / float(np.prod(np.arange(1, n + 1, dtype=np.float64))) for n in range(14))


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
    xc = x if x == x else 0.0
    xc = min(max(xc, -746.0), 710.0)
    # round x/ln2 to an integer by adding 1.5*2**52: k lands in the low mantissa bits, which
    # avoids float->int conversions that AVX2 cannot do on packed doubles
    kd = xc * _LOG2E + _SHIFTER
    k = kd - _SHIFTER
    ki = _as_int64(kd) - _SHIFTER_BITS
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    p = _C[13]
    p = p * r + _C[12]
    p = p * r + _C[11]
    p = p * r + _C[10]
    p = p * r + _C[9]
    p = p * r + _C[8]
    p = p * r + _C[7]
    p = p * r + _C[6]
    p = p * r + _C[5]
    p = p * r + _C[4]
    p = p * r + _C[3]
    p = p * r + _C[2]
    p = p * r + 1.0
    p = p * r + 1.0
    k1 = ki >> np.int64(1)
    y = p * _pow2(k1) * _pow2(ki - k1)  # two factors keep 2**k representable at the ends
    y = np.inf if x > _OVERFLOW else y
    y = 0.0 if x < _UNDERFLOW else y
    return x if x != x else y
