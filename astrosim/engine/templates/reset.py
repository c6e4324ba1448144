"""``reset``: the reset code for each index in the eventspace."""
from ..codegen import indent_lines as _indent


def render(table, block):
    head, vc, kw = block.head, block.vector_code, block.kwds
    es = table.array(kw["eventspace_variable"])
    body = (f"{head}\nfor $k in $range({es}[$b, {es}.shape[1] - 1]):\n"
            f"    _idx = {es}[$b, $k]\n    _vectorisation_idx = _idx\n{_indent(vc, 1)}")
    return body, []
