"""Sweep grids: ``name=v1,v2,...`` and ``name=start:stop:step`` axes, their points and their storage form."""
import itertools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SweepInputError", "Axis", "parse_axis", "make_axis", "grid_shape", "grid_points", "MAX_POINTS"]

#: Refuse grids larger than this (a typo such as ``0:1:1e-9`` should not queue a billion runs).
MAX_POINTS = 10_000_000


class SweepInputError(ValueError):
    """Bad sweep input: grid syntax, unknown or repeated parameter names, an unusable output folder."""


@dataclass(frozen=True)
class Axis:
    """One grid axis: a parameter name and its values (numbers, Brian2 quantities or words)."""

    name: str
    values: tuple

    def __len__(self):
        return len(self.values)

    @property
    def unit(self):
        """Brian2 unit text of the values ('' for plain numbers and words)."""
        return _unit_text(self.values[0])

    @property
    def dimensions(self):
        """SI exponents (m, kg, s, A, K, mol, cd) of the values; all zero for numbers and words."""
        from brian2 import Quantity

        first = self.values[0]
        return [int(e) for e in Quantity(first).dim._dims] if isinstance(first, Quantity) else [0] * 7

    def stored(self):
        """The values as a plain array in the axis unit (floats/ints, or strings), for files."""
        first = self.values[0]
        if isinstance(first, str):
            return np.array(self.values, dtype=object).astype(str)
        if self.unit:
            from brian2 import Quantity

            scale = _unit_scale(first)
            return np.array([float(Quantity(v) / scale) for v in self.values])
        return np.asarray(self.values)


def _unit_scale(value):
    from brian2 import Quantity, get_unit

    return get_unit(Quantity(value).dim) if isinstance(value, Quantity) else 1


def _unit_text(value):
    from brian2 import Quantity, get_dimensions

    if isinstance(value, Quantity) and not get_dimensions(value).is_dimensionless:
        return str(_unit_scale(value))
    return ""


def _split_top(text, sep=","):
    """Split at ``sep`` outside brackets and parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "([" 
        depth -= ch in ")]"
        if ch == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _parse(text, where):
    from astrosim.protocols._base import ProtocolParameterError, parse_value

    if not text.strip():
        raise SweepInputError(f"{where}: empty value")
    try:
        return parse_value(text)
    except ProtocolParameterError as err:
        raise SweepInputError(f"{where}: {err}") from None


def _as_float(value):
    from brian2 import Quantity

    return float(np.asarray(value)) if isinstance(value, Quantity) else float(value)


def _range(name, text):
    where = f"--grid {name}={text}"
    parts = text.split(":")
    if len(parts) != 3:
        raise SweepInputError(f"{where}: a range is start:stop:step (three parts), got {len(parts)}")
    start, stop, step = (_parse(p, where) for p in parts)
    from brian2 import Quantity, have_same_dimensions

    if any(isinstance(v, (str, list)) for v in (start, stop, step)):
        raise SweepInputError(f"{where}: start, stop and step must be numbers (with units)")
    if not (have_same_dimensions(start, stop) and have_same_dimensions(start, step)):
        raise SweepInputError(f"{where}: start, stop and step need the same units "
                              f"(write e.g. 1*Hz:10*Hz:1*Hz)")
    a, b, s = _as_float(start), _as_float(stop), _as_float(step)
    if not all(math.isfinite(v) for v in (a, b, s)):
        raise SweepInputError(f"{where}: start, stop and step must be finite")
    if s == 0 or (b - a) * s < 0:
        raise SweepInputError(f"{where}: step {step!r} does not lead from {start!r} to {stop!r}")
    count = int(math.floor((b - a) / s + 1e-9)) + 1
    if count > MAX_POINTS:
        raise SweepInputError(f"{where}: {count} values is too many")
    integers = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, stop, step))
    if integers:
        return tuple(int(start + k * step) for k in range(count))
    # the stop value is reached exactly when it is on the step grid (no 0.30000000000000004)
    values = [a + k * s for k in range(count)]
    if abs(values[-1] - b) <= 1e-9 * max(abs(s), abs(b)):
        values[-1] = b
    values = [round(v, 12) if abs(v) > 1e-300 else v for v in values]
    if isinstance(start, Quantity) and not start.is_dimensionless:
        return tuple(Quantity(v, dim=start.dim) for v in values)
    return tuple(values)


def parse_axis(spec):
    """``'name=v1,v2'`` or ``'name=start:stop:step'`` (stop included when on the grid) -> :class:`Axis`.

    Values take Brian2 units as in ``--set`` (``5*Hz``, ``'0.5 umolar'``).
    """
    name, sep, text = spec.partition("=")
    name = name.strip()
    if not sep or not name or not text.strip():
        raise SweepInputError(f"--grid needs NAME=v1,v2,... or NAME=start:stop:step, got {spec!r}")
    if not name.isidentifier():
        raise SweepInputError(f"--grid {spec!r}: {name!r} is not a parameter name")
    text = text.strip()
    if ":" in text and "," not in text:
        return Axis(name, _range(name, text))
    values = tuple(_parse(part, f"--grid {name}={text}") for part in _split_top(text))
    return make_axis(name, values)


def make_axis(name, values):
    """An :class:`Axis` from a sequence (list, numpy array, Brian2 array quantity) or a grid text."""
    from brian2 import Quantity, have_same_dimensions

    if isinstance(values, str):
        return parse_axis(f"{name}={values}")
    if isinstance(values, Quantity) and values.ndim == 1:
        values = tuple(values[i] for i in range(len(values)))
    elif isinstance(values, np.ndarray):
        values = tuple(v.item() for v in values.ravel()) if values.ndim == 1 else None
    elif isinstance(values, (list, tuple, range)):
        values = tuple(values)
    else:
        values = None
    if not values:
        raise SweepInputError(f"grid axis {name!r} needs a non-empty 1-D list of values")
    for v in values:
        if isinstance(v, (list, tuple, np.ndarray)) and not isinstance(v, Quantity):
            raise SweepInputError(f"grid axis {name!r}: each value must be a single number or word, got {v!r}")
        if isinstance(v, Quantity) and v.ndim:
            raise SweepInputError(f"grid axis {name!r}: each value must be a single number, got {v!r}")
    kinds = {isinstance(v, str) for v in values}
    if len(kinds) > 1:
        raise SweepInputError(f"grid axis {name!r} mixes words and numbers: {values!r}")
    if not isinstance(values[0], str):
        for v in values[1:]:
            if not have_same_dimensions(v, values[0]):
                raise SweepInputError(f"grid axis {name!r} mixes units: {values[0]!r} and {v!r}")
        for v in values:
            if not math.isfinite(_as_float(v)):
                raise SweepInputError(f"grid axis {name!r}: values must be finite, got {v!r}")
    if len(set(map(repr, values))) != len(values):
        raise SweepInputError(f"grid axis {name!r} repeats a value: {values!r}")
    return Axis(name, values)


def grid_shape(axes):
    """Number of values along each axis."""
    return tuple(len(a) for a in axes)


def grid_points(axes):
    """All points as ``{name: value}`` dicts, in C order (the last axis varies fastest)."""
    total = int(np.prod(grid_shape(axes), dtype=np.int64)) if axes else 1
    if total > MAX_POINTS:
        raise SweepInputError(f"the grid has {total} points (more than {MAX_POINTS})")
    names = [a.name for a in axes]
    return [dict(zip(names, combo)) for combo in itertools.product(*(a.values for a in axes))]
