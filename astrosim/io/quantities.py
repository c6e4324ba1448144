"""Quantities as people write them: ``420 s``, ``0.2 uM``, ``5 Hz``, ``200 m^3 s^-1 mol^-1``."""
import numpy as np

__all__ = ["human", "human_seconds"]

_SYMBOLS = ("m", "kg", "s", "A", "K", "mol", "cd")
_PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p"))


def _named(dims):
    """``[(scale, symbol), ...]`` largest first for a named unit of ``dims`` (None if none fits)."""
    table = {
        (0, 0, 1, 0, 0, 0, 0): [(1.0, "s"), (1e-3, "ms")],  # 0.1 ms rather than 100 us
        (0, 0, -1, 0, 0, 0, 0): "Hz",
        (2, 1, -3, -1, 0, 0, 0): "V",
        (0, 0, 0, 1, 0, 0, 0): "A",
        (-2, -1, 3, 2, 0, 0, 0): "S",
        (-2, -1, 4, 2, 0, 0, 0): "F",
        (2, 1, -3, -2, 0, 0, 0): "ohm",
        (-4, -1, 3, 2, 0, 0, 0): "S/m^2",
        (-4, -1, 4, 2, 0, 0, 0): "F/m^2",
        (-2, 0, 0, 1, 0, 0, 0): "A/m^2",
        (1, 0, 0, 0, 0, 0, 0): "m",
        (0, 0, 0, 0, 0, 1, 0): "mol",
        (-3, 0, 0, 0, 0, 1, 0): [(1e3, "M"), (1.0, "mM"), (1e-3, "uM"), (1e-6, "nM")],
        (-3, 0, -1, 0, 0, 1, 0): [(1e3, "M/s"), (1.0, "mM/s"), (1e-3, "uM/s"), (1e-6, "nM/s")],
    }
    entry = table.get(tuple(int(d) for d in dims))
    if isinstance(entry, str):
        return [(scale, prefix + entry) for scale, prefix in _PREFIXES]
    return entry


def _exponents(dims):
    return " ".join(f"{sym}^{int(e)}" if e != 1 else sym for sym, e in zip(_SYMBOLS, dims) if e)


def _fmt(x, digits):
    return f"{x:.{digits}g}"


def human(value, digits=4):
    """Text of a number, array or Brian2 quantity in the most readable unit.

    Named units get the SI prefix that puts the value between 1 and 1000 (``420 s``, never
    ``0.42 ks``: time stops at seconds); dimensions without a name are written as exponents
    (``m^3 s^-1 mol^-1``). Arrays share one unit: ``[1, 2, 5] Hz``.
    """
    from brian2.units.fundamentalunits import get_dimensions

    dim = get_dimensions(value)
    arr = np.asarray(value, dtype=float) if np.asarray(value).dtype.kind in "biuf" else None
    if arr is None:
        return str(value)
    dims = tuple(float(d) for d in getattr(dim, "_dims", (0,) * 7))
    if not any(dims):
        unit, scale = "", 1.0
    else:
        choices = _named(dims) if all(d == int(d) for d in dims) else None
        if choices is None:
            unit, scale = _exponents(dims), 1.0
        else:
            finite = np.abs(arr[np.isfinite(arr)])
            ref = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
            scale, unit = next(((s, u) for s, u in choices if ref >= s * (1 - 1e-12)), choices[-1])
    scaled = arr / scale
    if scaled.ndim == 0:
        text = _fmt(float(scaled), digits)
    elif scaled.size > 8:
        text = f"[{_fmt(scaled.flat[0], digits)}, {_fmt(scaled.flat[1], digits)}, ..., {_fmt(scaled.flat[-1], digits)}] ({scaled.size} values)"
    else:
        text = "[" + ", ".join(_fmt(x, digits) for x in scaled.ravel()) + "]"
    return f"{text} {unit}".rstrip()


def human_seconds(seconds, digits=4):
    """``0.1`` -> ``'100 ms'``; ``420`` -> ``'420 s'``."""
    from brian2 import second

    return human(float(seconds) * second, digits)
