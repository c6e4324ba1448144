"""``summed_variable``: each target's sum built in a register, target by target."""
import re

import numpy as np
from brian2.core.variables import ArrayVariable, Constant

from .. import names as K
from ..codegen import indent_lines as _indent, uses_random


def writes(variables, kwds):
    """The target, stored by the template (``ir.Block.writes``, ``ir.Block.target``)."""
    return [kwds["_target_var"]]


def render(table, block):
    """Target-major summation: each target's sum is built in a register, then stored.

    Synapses are visited grouped by target (a stable order fixed at build time, so every
    target adds its terms in the same order as Brian2 and the sums are bit-identical);
    the target array is written once per element instead of zeroed and scattered into,
    constant connectivity arrays are read in that order, and targets are independent, so
    large unbatched sums may run in parallel.
    """
    co, head, vc, kw = block.codeobj, block.head, block.vector_code, block.kwds
    tgt = kw["_target_var"]
    start = int(kw["_target_start"])
    index_var = kw["_index_var"]
    size_var = co.variables[kw["_target_size_name"]]
    size = int(size_var.value if isinstance(size_var, Constant) else size_var.get_value()[0])
    targets = np.asarray(index_var.get_value(), dtype=np.int64) - start
    if len(targets) and (targets.min() < 0 or targets.max() >= size):
        raise RuntimeError(f"internal error: summed variable of {co.owner.name} indexes "
                           f"outside its target")
    order = np.argsort(targets, kind="stable")
    ptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(targets, minlength=size), out=ptr[1:])
    single = bool(len(targets)) and int(np.diff(ptr).max()) <= 1 \
        and f"{K.RT}." not in vc and not uses_random(vc)
    tag = co.name
    # per-source/per-target hoisting (astrosim.engine.hoist)
    vc, loops, hoist_consts = table._hoist(co, vc, len(targets), tag)
    head = f"{head}\n{loops}" if loops else head
    if single:
        # at most one term per target (e.g. one astrocyte per synapse): per target the
        # synapse index (-1: none); no inner loop, whose 0-or-1 trip counts would cost a
        # branch misprediction per target
        synapse = np.full(size, -1, dtype=np.int64)
        synapse[targets] = np.arange(len(targets))
        where, position = synapse, "$ti"
    else:
        where, position = order, "$k"
    # the Synapses' own pre/post index arrays do not change during a run: read them in
    # loop order
    connectivity = {table.device.get_array_name(var): var for var in co.variables.values()
                    if isinstance(var, ArrayVariable)
                    and var.name in ("_synaptic_pre", "_synaptic_post")
                    and getattr(var.owner, "name", None) == co.owner.name}
    for name, var in sorted(connectivity.items()):
        pattern = re.compile(re.escape(name) + r"\[_idx\]")
        if pattern.search(vc):
            values = np.asarray(var.get_value())[np.maximum(where, 0)]
            reordered = table.buffer(f"$svsorted_{tag}{var.name}", kind="extra",
                                    value=np.ascontiguousarray(_unsigned(values)))
            vc = pattern.sub(f"{reordered}[{position}]", vc)
    loop = "$range"
    if table._threads_pay(size, vc):  # targets are independent
        loop = "$prange"
        table.uses_prange = True
        table.facts["threaded_blocks"] += 1
    n_targets = table.n_of(co, kw["_target_size_name"])
    if single:
        syn_name = table.buffer(f"$svsyn_{tag}", value=synapse.astype(np.int32), kind="extra")
        body = (f"{head}\nN = {table.n_of(co)}\n"
                f"for $ti in {loop}({n_targets}):\n"
                f"    _idx = {syn_name}[$ti]\n    $has = _idx >= 0\n"
                f"    _idx = _idx if $has else 0\n    _vectorisation_idx = _idx\n"
                f"{_indent(vc, 1)}\n"
                f"    {table.acc(tgt, '$ti + $target_start')} = _synaptic_var if $has else 0.0")
        return body, [("$target_start", start)] + hoist_consts
    order_name = table.buffer(f"$svorder_{tag}", value=_unsigned(order), kind="extra")
    ptr_name = table.buffer(f"$svptr_{tag}", value=ptr, kind="extra")
    body = (f"{head}\nN = {table.n_of(co)}\n"
            f"for $ti in {loop}({n_targets}):\n    $acc = 0.0\n"
            f"    for $k in $range({ptr_name}[$ti], {ptr_name}[$ti + 1]):\n"
            f"        _idx = {order_name}[$k]\n        _vectorisation_idx = _idx\n"
            f"{_indent(vc, 2)}\n        $acc += _synaptic_var\n"
            f"    {table.acc(tgt, '$ti + $target_start')} = $acc")
    return body, [("$target_start", start)] + hoist_consts


def _unsigned(indices):
    """Non-negative indices as ``uint32`` (int64 past its range): numba then indexes without
    the wrap-around test of negative indices (about a third of a gather's cost); ``uint32``
    mixed with signed integers still gives signed ones."""
    indices = np.asarray(indices)
    return indices.astype(np.uint32 if indices.size == 0 or indices.max() < 2 ** 32 else np.int64)
