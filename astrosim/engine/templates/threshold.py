"""``threshold``: indices whose condition holds go to the eventspace (count in its last
slot); with refractoriness, they also become refractory and record ``lastspike``."""
from ..codegen import indent_lines as _indent


def writes(variables, kwds):
    """What the template stores into beyond Brian2's code (``ir.Block.writes``)."""
    out = [kwds["eventspace_variable"]]
    if kwds.get("_uses_refractory"):
        out += [variables["not_refractory"], variables["lastspike"]]
    return out


def render(table, block):
    co, head, vc, kw = block.codeobj, block.head, block.vector_code, block.kwds
    es = table.array(kw["eventspace_variable"])
    lines = [head, f"N = {table.n_of(co)}", "$n = 0", "for _idx in $range(N):",
             "    _vectorisation_idx = _idx", _indent(vc, 1), "    if _cond:",
             f"        {es}[$b, $n] = _idx", "        $n += 1"]
    if kw.get("_uses_refractory"):
        lines += [f"        {table.acc(co.variables['not_refractory'], '_idx')} = False",
                  f"        {table.acc(co.variables['lastspike'], '_idx')} = $t"]
    lines.append(f"{es}[$b, N] = $n")
    return "\n".join(lines), []
