"""``stateupdate``: one pass over the group's elements (also run_regularly, PoissonInput,
``(constant over dt)``), threaded when large and free of sequential random draws; a
branch-free count of non-finite results, and a scan for the first one only when it is
non-zero."""
from ..codegen import indent_lines as _indent


def render(table, block):
    co, head, vc = block.codeobj, block.head, block.vector_code
    hoist_consts = []
    if "_presynaptic_idx" in vc or "_postsynaptic_idx" in vc:  # synaptic: hoisting
        vc, loops, hoist_consts = table._hoist(co, vc, len(co.owner), co.name)
        head = f"{head}\n{loops}" if loops else head
    checks, after = table.checks_for(co, vc, block.owner)
    loop = "$prange" if table._parallel_ok(co, vc) else "$range"
    body = (f"{head}\nN = {table.n_of(co)}\n$nf = 0\nfor _idx in {loop}(N):\n"
            f"    _vectorisation_idx = _idx\n{_indent(vc, 1)}\n{_indent(checks, 1)}\n"
            f"{after}")
    return body, hoist_consts
