"""Kernel specialisation: state arrays that no code writes and that hold one value become scalars.

A synapse model often carries a variable that, in a given network, is never driven (for
example the gliotransmitter ``G_A`` of synapses no astrocyte contacts). Read from an array,
every expression that depends on it is recomputed per element and step; read as a scalar,
LLVM hoists those expressions (an ``exp`` and two divisions in the Tsodyks–Markram–Γ_S update)
out of the loop. Only arrays that the fused kernel provably never writes are candidates, and
only their values at the start of the run decide, so results are unchanged.
"""
import re

import numpy as np

from . import names

__all__ = ["readonly_uniform", "substitute_scalars", "scalar_name"]

_ASSIGN = re.compile(r"\s*(=(?!=)|\+=|-=|\*=|/=|//=|%=|\*\*=)")


def _subscripts(text, name):
    """Yield ``(start, end)`` of every ``name[...]`` (balanced brackets) in ``text``.

    Yields ``None`` for an occurrence of ``name`` that is not subscripted (passed to a
    function, ``.shape``...), which makes the array ineligible.
    """
    for m in re.finditer(r"(?<![\w.])" + re.escape(name) + r"\b", text):
        pos = m.end()
        if pos >= len(text) or text[pos] != "[":
            yield None
            continue
        depth = 0
        for k in range(pos, len(text)):
            if text[k] == "[":
                depth += 1
            elif text[k] == "]":
                depth -= 1
                if depth == 0:
                    yield m.start(), k + 1
                    break


def readonly_uniform(text, arrays, candidates):
    """Names among ``candidates`` only ever read as ``name[...]`` in ``text`` and uniform.

    ``arrays`` maps names to the run's numpy arrays; only float arrays with at least one
    element, all equal (NaN excluded), qualify. Returns ``{name: value}``.
    """
    out = {}
    for name in candidates:
        value = arrays.get(name)
        if value is None or value.dtype.kind != "f" or value.size == 0:
            continue
        spans = list(_subscripts(text, name))
        if not spans or any(s is None or _ASSIGN.match(text, s[1]) for s in spans):
            continue
        first = value.flat[0]
        if np.isnan(first) or not np.all(value == first):
            continue
        out[name] = float(first)
    return out


def scalar_name(name):
    """The kernel local holding the single value of array ``name``."""
    return names.reserved("uniform" + name)


def substitute_scalars(text, arrays):
    """Replace every ``name[...]`` in ``text`` (``name`` in ``arrays``) by its scalar local."""
    for name in arrays:
        spans = list(_subscripts(text, name))
        for start, end in reversed(spans):
            text = text[:start] + scalar_name(name) + text[end:]
    return text
