"""``spikemonitor`` (EventMonitor): append the recorded values of events in range."""
from ..codegen import indent_lines as _indent


def writes(variables, kwds):
    """Brian2 arrays the template stores into (``ir.Block.writes``; its buffers are the engine's)."""
    return [variables["count"]]


def _body(table, block):
    co, head, vc, ctx, kw = block.codeobj, block.head, block.vector_code, block.context, block.kwds
    m = ctx["monitor"]
    kw = co.code["kwds"]
    es = table.array(kw["eventspace_variable"])
    v = co.variables
    start, stop = "_source_start", "_source_stop"
    lines = [head, f"for $j in $range({es}[$b, {es}.shape[1] - 1]):",
             f"    _idx = {es}[$b, $j]",
             f"    if _idx >= {start} and _idx < {stop}:",
             "        _vectorisation_idx = _idx", _indent(vc, 2)]
    table.buffer(f"{m}_n", batched=True, kind="monitor")
    lines.append(f"        $pos = {m}_n[$b, 0]")
    if kw.get("record", True):
        for name in sorted(kw["record_variables"]):
            table.buffer(f"{m}_v_{name}", batched=True, kind="monitor")
            lines.append(f"        {m}_v_{name}[$b, $pos] = _to_record_{name}")
    lines.append(f"        {m}_n[$b, 0] = $pos + 1")
    lines.append(f"        {table.acc(v['count'], '_idx - ' + start)} += 1")
    return "\n".join(lines)


def render(table, block):
    """Kernel text of one ``spikemonitor`` block; no extra constants."""
    return _body(table, block), []
