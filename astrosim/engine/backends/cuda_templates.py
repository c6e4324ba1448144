"""The Brian2 templates as CUDA thread-block code: one thread block runs one batch copy.

Every template's text is run by all threads of the copy (``$tid`` of ``$nth``: one block's,
or those of several blocks meeting at grid-wide barriers).
Element-parallel ones split their loop over the threads (``range($tid, n, $nth)``); the
others run on thread 0 in Brian2's order (``serial``). A block is split only where that
gives Brian2's result:

- ``stateupdate``, ``reset``, ``statemonitor``, ``summed_variable``: element loops whose
  stores all go to the element's own index (otherwise, or when the scalar part stores into
  an array, the block runs serially);
- ``threshold``: conditions in parallel, then an order-keeping compaction (each thread counts
  the events of one contiguous range, thread 0 turns the counts into offsets, each thread
  writes its events), so the eventspace is sorted as in Brian2;
- ``synapses``: the spike push on thread 0, delivery in parallel over the synapses of each
  (source, delay) with atomic adds where :func:`~.cuda_atomics.atomic_rewrite` allows,
  otherwise serial delivery in Brian2's order;
- ``spikemonitor``, ``ratemonitor``, ``spikegenerator``: serial (appends and per-group
  state; a handful of events per step).

Serial blocks reuse the CPU templates (``astrosim.engine.templates``) unchanged. Each render
function returns ``(body, extra_constants)`` like the CPU ones.
"""
import re

import numpy as np
from brian2.core.variables import Constant

from ..codegen import indent_lines as _indent
from ..templates import TEMPLATES as CPU_TEMPLATES
from .cuda_atomics import atomic_rewrite

__all__ = ["CUDA_TEMPLATES", "SYNC"]

SYNC = "$cuda.syncthreads()"
_STORE = re.compile(r"^\s*(_array_\w+|_dynamic_array_\w+)\[([^\]]*)\]\s*(?:=(?!=)|[-+*/]=)", re.M)
_OWN = {"_0b, _idx", "_idx"}
_ATOMIC_DTYPES = {np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.int32),
                  np.dtype(np.int64), np.dtype(np.uint32), np.dtype(np.uint64)}


def _head_stores(head):
    return bool(_STORE.search(head))


def _own_stores_only(vc):
    return all(index.strip() in _OWN for _, index in _STORE.findall(vc))


def _serial(body):
    return f"if $tid == 0:\n{_indent(body, 1)}"


def _record(table, block, mode):
    """Note how a block runs: ``facts['cuda_modes'][<code object name>] = mode`` (Brian2's
    name without its ``_codeobject_<n>`` ending: ``G_stateupdater``, ``S_pre``)."""
    name = re.sub(r"_codeobject(_\d+)?$", "", block.codeobj.name)
    table.facts.setdefault("cuda_modes", {})[name] = mode


def _strided(body, loop_var, where):
    """``body`` with its ``for <loop_var> in $range(n):`` loop split over the threads."""
    pattern = re.compile(r"^(\s*)for " + re.escape(loop_var) + r" in \$range\((.*)\):$", re.M)
    matches = pattern.findall(body)
    if len(matches) != 1:
        raise RuntimeError(f"internal error: no single loop over {loop_var} in the {where} "
                           "template")
    return pattern.sub(lambda m: f"{m.group(1)}for {loop_var} in $range($tid, {m.group(2)}, "
                       "$nth):", body)


def _serial_cpu(table, block):
    """The CPU template's text, run by thread 0."""
    body, extra = CPU_TEMPLATES[block.template](table, block)
    _record(table, block, "serial")
    return _serial(body), extra


def _checks(table, co, vc, owner):
    """Non-finite checks of the float variables a loop stores (as ``checks_for`` on CPU).

    Returns ``(in_loop, report)``: in the loop a thread that meets a non-finite value raises
    the copy's flag; ``report`` (for one thread, after the loop) scans the stored arrays for
    the first one, as the CPU kernel does, and lowers the flag.
    """
    in_loop, report = [], []
    write = re.compile(r"^(_array_\w+)\[_0b, _idx\] = (\w+)$")
    for line in vc.split("\n"):
        m = write.match(line.strip())
        if not m:
            continue
        array, varname = m.groups()
        var = co.variables.get(varname)
        if var is None or getattr(var, "dtype", None) is None or np.dtype(var.dtype).kind != "f":
            continue
        cid = len(table.float_checks)
        table.float_checks.append((cid, owner, varname))
        in_loop.append(f"if not ($abs({varname}) < $np.inf):\n    $nfflag[$b] = 1")
        report.append(f"    $rt.report_nonfinite($err, $b, N, {array}, {cid})")
    if not in_loop:
        return "", ""
    table.buffer("$nfflag", value=np.zeros(table.batch, dtype=np.int64), kind="extra")
    return "\n".join(in_loop), ("if $nfflag[$b] != 0:\n" + "\n".join(report)
                                + "\n    $nfflag[$b] = 0")


def stateupdate(table, block):
    co, head, vc = block.codeobj, block.head, block.vector_code
    parallel = not _head_stores(head) and _own_stores_only(vc)
    checks, report = _checks(table, co, vc, block.owner)
    loop = "$range($tid, N, $nth)" if parallel else "$range(N)"
    body = (f"for _idx in {loop}:\n    _vectorisation_idx = _idx\n{_indent(vc, 1)}\n"
            f"{_indent(checks, 1)}")
    _record(table, block, "parallel" if parallel else "serial")
    if parallel:
        # the threads' flags are all raised before thread 0 looks at them
        tail = f"\n{SYNC}\nif $tid == 0:\n{_indent(report, 1)}" if report else ""
        return f"{head}\nN = {table.n_of(co)}\n{body}{tail}", []
    return f"N = {table.n_of(co)}\n" + _serial(f"{head}\n{body}\n{report}"), []


def _size(co, name="N"):
    var = co.variables[name]
    return int(var.value if isinstance(var, Constant) else var.get_value()[0])


def threshold(table, block):
    co, head, vc, kw = block.codeobj, block.head, block.vector_code, block.kwds
    if _head_stores(head) or not _own_stores_only(vc):
        return _serial_cpu(table, block)
    es = table.array(kw["eventspace_variable"])
    flags = table.buffer(f"$thr{table.n_funcs}", kind="extra",
                         value=np.zeros((table.batch, max(_size(co), 1)), dtype=np.int32))
    scan = table.buffer("$scan", kind="extra",
                        value=np.zeros((table.batch, table.lanes + 1), dtype=np.int64))
    lines = [head, f"N = {table.n_of(co)}",
             "for _idx in $range($tid, N, $nth):", "    _vectorisation_idx = _idx",
             _indent(vc, 1), f"    {flags}[$b, _idx] = 1 if _cond else 0"]
    if kw.get("_uses_refractory"):
        lines += ["    if _cond:",
                  f"        {table.acc(co.variables['not_refractory'], '_idx')} = False",
                  f"        {table.acc(co.variables['lastspike'], '_idx')} = $t"]
    lines += [SYNC,
              # contiguous ranges, one per counting thread, so that events stay in index
              # order; at least 32 elements per range, so that thread 0's scan stays short
              # when a copy has many more threads than elements
              "$lanes = $min($nth, (N + 31) // 32)",
              "$per = (N + $lanes - 1) // $lanes", "$lo = $min($tid * $per, N)",
              "$hi = $min($lo + $per, N)", "$c = 0",
              "for $i in $range($lo, $hi):", f"    $c += {flags}[$b, $i]",
              "if $tid < $lanes:", f"    {scan}[$b, $tid] = $c", SYNC,
              "if $tid == 0:", "    $acc = 0", "    for $i in $range($lanes):",
              f"        $c = {scan}[$b, $i]", f"        {scan}[$b, $i] = $acc",
              "        $acc += $c", f"    {es}[$b, N] = $acc", SYNC,
              "if $tid < $lanes:", f"    $pos = {scan}[$b, $tid]",
              "    for $i in $range($lo, $hi):",
              f"        if {flags}[$b, $i] != 0:", f"            {es}[$b, $pos] = $i",
              "            $pos += 1"]
    _record(table, block, "parallel")
    return "\n".join(lines), []


def reset(table, block):
    head, vc = block.head, block.vector_code
    if _head_stores(head) or not _own_stores_only(vc):
        return _serial_cpu(table, block)
    body, extra = CPU_TEMPLATES["reset"](table, block)
    _record(table, block, "parallel")
    return _strided(body, "$k", "reset"), extra


def statemonitor(table, block):
    if _head_stores(block.head):
        return _serial_cpu(table, block)
    body, extra = CPU_TEMPLATES["statemonitor"](table, block)
    _record(table, block, "parallel")
    return _strided(body, "$i", "statemonitor"), extra


def summed_variable(table, block):
    if _head_stores(block.head) or _STORE.search(block.vector_code):
        return _serial_cpu(table, block)
    body, extra = CPU_TEMPLATES["summed_variable"](table, block)
    _record(table, block, "parallel")
    return _strided(body, "$ti", "summed_variable"), extra


def synapses(table, block):
    head, vc, ctx = block.head, block.vector_code, block.context

    def atomic_ok(array):
        spec = table.arrays.get(array)
        return (spec is not None and spec.var is not None and spec.batched
                and np.dtype(spec.var.dtype) in _ATOMIC_DTYPES)

    rewritten = None if _head_stores(head) else atomic_rewrite(vc, atomic_ok)
    if rewritten is None:
        return _serial_cpu(table, block)
    q = ctx["queue"]
    es = table.array(ctx["eventspace"])
    for suffix, batched in (("ptr", False), ("syn", False), ("hist", True), ("cnt", True),
                            ("info", False)):
        table.buffer(f"{q}_{suffix}", batched=batched, kind="queue")
    lines = [
        head, f"$D1 = {q}_hist.shape[1]", "$slot = $timestep % $D1",
        # the push (as on the CPU): this step's events of the source range, in order
        "if $tid == 0:",
        f"    $src_start = {q}_info[2]", f"    $src_stop = {q}_info[3]", "    $n = 0",
        f"    for $k in $range({es}[$b, {es}.shape[1] - 1]):",
        f"        $nid = {es}[$b, $k]",
        "        if $nid >= $src_start and $nid < $src_stop:",
        f"            {q}_hist[$b, $slot, $n] = $nid - $src_start", "            $n += 1",
        f"    {q}_cnt[$b, $slot] = $n", SYNC,
        f"for $d in $range({q}_info[1], {q}_info[0] - 1, -1):",
        "    $sl = ($timestep - $d) % $D1",
        f"    for $k in $range({q}_cnt[$b, $sl]):",
        f"        $p = {q}_hist[$b, $sl, $k] * $D1 + $d",
        f"        for $qq in $range({q}_ptr[$p] + $tid, {q}_ptr[$p + 1], $nth):",
        f"            _idx = {q}_syn[$qq]", "            _vectorisation_idx = _idx",
        _indent(rewritten, 3),
    ]
    _record(table, block, "atomic" if rewritten != vc else "parallel")
    return "\n".join(lines), []


CUDA_TEMPLATES = {
    "stateupdate": stateupdate,
    "threshold": threshold,
    "reset": reset,
    "synapses": synapses,
    "summed_variable": summed_variable,
    "statemonitor": statemonitor,
    "spikemonitor": _serial_cpu,
    "ratemonitor": _serial_cpu,
    "spikegenerator": _serial_cpu,
}
