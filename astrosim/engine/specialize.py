"""Kernel specialisation: state arrays that no code writes and that hold one value become scalars.

A synapse model often carries a variable that, in a given network, is never driven (for
example the gliotransmitter ``G_A`` of synapses no astrocyte contacts). Read from an array,
every expression that depends on it is recomputed per element and step; read as a scalar,
LLVM hoists those expressions (an ``exp`` and two divisions in the Tsodyks–Markram–Γ_S update)
out of the loop. Only arrays that no block of the fused kernel writes (by the blocks' records,
``ir.Block.writes`` and ``passed_whole``; a block without a record turns the pass off) are
candidates, and only their values at the start of the run decide, so results are unchanged.
The decision is made on the records; applying it rewrites the ``name[...]`` reads in the
blocks' texts.
"""
import re

import numpy as np

from . import names

__all__ = ["uniform_readonly", "substitute_scalars", "scalar_name", "run"]


def _subscripts(text, name):
    """Yield ``(start, end)`` of every ``name[...]`` (balanced brackets) in ``text``."""
    for m in re.finditer(r"(?<![\w.])" + re.escape(name) + r"\b", text):
        pos = m.end()
        if pos >= len(text) or text[pos] != "[":
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


def uniform_readonly(blocks, values):
    """``{name: value}`` of the arrays some block reads, none writes, and that hold one value.

    ``blocks`` are the kernel's records (``ir.Block``); ``values`` maps kernel array names to
    the run's numpy arrays. Only float arrays with at least one element, all equal (NaN
    excluded), qualify.
    """
    if values is None or any(b is None for b in blocks):
        return {}
    written = set().union(*(b.writes | b.passed_whole for b in blocks))
    read = set().union(*(b.reads for b in blocks)) - written
    out = {}
    for name in sorted(read):
        value = values.get(name)
        if value is None or value.dtype.kind != "f" or value.size == 0:
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


def run(draft, options, facts):
    """Read uniform never-written arrays as scalars bound once per chunk (a ``passes`` pass)."""
    uniform = uniform_readonly(draft.blocks, draft.values)
    facts["scalar_arrays"] = sorted(uniform)
    if uniform:
        draft.texts = [substitute_scalars(text, uniform) for text in draft.texts]
        draft.setup += [f"{scalar_name(n)} = {draft.const(v)}" for n, v in sorted(uniform.items())]
