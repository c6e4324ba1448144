"""``ratemonitor``: events in range per tick, divided by dt and the source size."""


def _body(table, block):
    co, ctx = block.codeobj, block.context
    m = ctx["monitor"]
    v = co.variables
    es = table.array(v["_spikespace"])
    table.buffer(f"{m}_v_rate", batched=True, kind="monitor")
    start, stop = "_source_start", "_source_stop"
    nsrc = "_num_source_neurons"
    return "\n".join([
        f"$row = $rowidx[$s, {ctx['clock_index']}]", "$nspk = 0",
        f"for $j in $range({es}[$b, {es}.shape[1] - 1]):",
        f"    _idx = {es}[$b, $j]",
        f"    if _idx >= {start} and _idx < {stop}:", "        $nspk += 1",
        f"{m}_v_rate[$b, $row] = $nspk / $dt / {nsrc}",
    ])


def render(table, block):
    """Kernel text of one ``ratemonitor`` block; no extra constants."""
    return _body(table, block), []
