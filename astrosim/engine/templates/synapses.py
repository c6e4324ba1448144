"""``synapses`` (with ``synapses_push_spikes``): push this step's events into the pathway's
spike-history ring, then deliver due spikes in Brian2's order (oldest push first, then
source neuron, then synapse id) and run the pathway code per synapse.

Each due (source, delay) pair is one *row* of synapses, ``ptr[p]:ptr[p + 1]`` of the pathway's
queue. With ``EngineOptions.split_delivery`` a row whose synapse ids are contiguous (one
``connect`` call, one delay: :func:`~astrosim.engine.queue.row_layout`) is walked by id without
the indirection through ``syn``, and pathways that accumulate into pre- or postsynaptic
variables run the per-synapse code and the accumulation as two loops per row
(:mod:`astrosim.engine.delivery`, bit-identical).
"""
import numpy as np

from ..codegen import indent_lines as _indent
from ..delivery import plan_delivery
from ..queue import row_layout


def _float_vars(block):
    return {name for name, var in block.variables.items()
            if getattr(var, "dtype", None) is not None and np.dtype(var.dtype) == np.float64}


def _rows(table, block, q, vc):
    """Delivery loop over the rows of one due (source, delay) pair (``$lo``, ``$nr``)."""
    if not table.options.split_delivery:
        return [f"        for $qq in $range({q}_ptr[$p], {q}_ptr[$p + 1]):",
                f"            _idx = {q}_syn[$qq]", "            _vectorisation_idx = _idx",
                _indent(vc, 3)]
    ordered, longest = row_layout(block.kwds["pathway"])
    # unsigned synapse ids: numba then indexes without the wrap-around of negative indices,
    # which would keep LLVM from vectorising the row loop (10x slower with exp inside)
    idx = "$lo + $np.uint64($j)" if ordered else f"$np.uint64({q}_syn[$lo + $np.uint64($j)])"
    head = [f"        $lo = $np.uint64({q}_ptr[$p])", f"        $nr = {q}_ptr[$p + 1] - {q}_ptr[$p]",
            "        for $j in $range($nr):", f"            _idx = {idx}",
            "            _vectorisation_idx = _idx"]
    buf = table.buffer(f"{q}_acc", kind="extra", value=np.zeros(1))
    plan = plan_delivery(vc, buf, _float_vars(block))
    facts = table.facts
    facts["ordered_pathways"] = facts.get("ordered_pathways", 0) + int(ordered)
    if plan is None:
        del table.arrays[buf]
        return head + [_indent(vc, 3)]
    facts["split_pathways"] = facts.get("split_pathways", 0) + 1
    table.arrays[buf].value = np.zeros((table.batch, len(plan.accumulations), longest))
    lines = head + [_indent(plan.per_synapse, 3),
                    "        for $j in $range($nr):", f"            _idx = {idx}"]
    for acc in plan.accumulations:
        target = f"{acc.array}[$b, {acc.index}]" if acc.batched else f"{acc.array}[{acc.index}]"
        lines += [f"            {acc.index_line}",
                  f"            {target} {acc.op}= {buf}[$b, {acc.slot}, $j]"]
    return lines


def _body(table, block):
    head, vc, ctx = block.head, block.vector_code, block.context
    q = ctx["queue"]  # prefix of queue arrays
    es = table.array(ctx["eventspace"])
    for suffix, batched in (("ptr", False), ("syn", False), ("hist", True), ("cnt", True),
                            ("info", False)):
        table.buffer(f"{q}_{suffix}", batched=batched, kind="queue")
    return "\n".join([
        head,
        f"$D1 = {q}_hist.shape[1]",
        "$slot = $timestep % $D1",
        f"$src_start = {q}_info[2]", f"$src_stop = {q}_info[3]", "$n = 0",
        f"for $k in $range({es}[$b, {es}.shape[1] - 1]):",
        f"    $nid = {es}[$b, $k]",
        "    if $nid >= $src_start and $nid < $src_stop:",
        f"        {q}_hist[$b, $slot, $n] = $nid - $src_start", "        $n += 1",
        f"{q}_cnt[$b, $slot] = $n",
        f"for $d in $range({q}_info[1], {q}_info[0] - 1, -1):",
        "    $sl = ($timestep - $d) % $D1",
        f"    for $k in $range({q}_cnt[$b, $sl]):",
        f"        $p = {q}_hist[$b, $sl, $k] * $D1 + $d",
    ] + _rows(table, block, q, vc))


def render(table, block):
    """Kernel text of one ``synapses`` block; no extra constants."""
    return _body(table, block), []
