"""``statemonitor``: one row of the recorded variables per tick of its clock."""
from ..codegen import indent_lines as _indent


def _body(table, block):
    co, head, vc, ctx, kw = block.codeobj, block.head, block.vector_code, block.context, block.kwds
    m = ctx["monitor"]
    kw = co.code["kwds"]
    idx = table.acc(co.variables["_indices"], "$i")
    nidx = f"{table.array(co.variables['_indices'])}.shape[-1]"
    lines = [f"$row = $rowidx[$s, {ctx['clock_index']}]", head,
             f"for $i in $range({nidx}):", f"    _idx = {idx}",
             "    _vectorisation_idx = _idx", _indent(vc, 1)]
    for name in sorted(kw["_recorded_variables"]):
        table.buffer(f"{m}_v_{name}", batched=True, kind="monitor")
        lines.append(f"    {m}_v_{name}[$b, $row, $i] = _to_record_{name}")
    return "\n".join(lines)


def render(table, block):
    """Kernel text of one ``statemonitor`` block; no extra constants."""
    return _body(table, block), []
