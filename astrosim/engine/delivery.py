"""Split delivery of a synaptic pathway: per-synapse work first, accumulation into targets after.

Brian2 runs a pathway's code synapse by synapse: load the synapse's state and its target's
variable, update them, store both. Stored one synapse at a time, the scattered read-modify-write
of the target (``g_e_post += w*r_S``) sits inside the loop and keeps the compiler from
vectorising the per-synapse work (two ``exp`` per synapse in the Tsodyks–Markram pathway).

This pass rewrites a pathway whose only writes to pre- or postsynaptic variables are single
accumulations (``X += expr`` or ``X -= expr``, ``X`` read nowhere else, ``expr`` free of ``X``)
into two loops per delivered row of synapses (one source neuron, one delay):

1. the per-synapse code with each accumulation replaced by a store of ``expr`` into a row
   buffer (element-wise over synapses: vectorisable when the row's synapses are contiguous);
2. a scatter loop adding the buffer into the targets, synapse by synapse, in delivery order.

Invariant (bit-identical): each target receives the same floating-point additions in the same
order as in Brian2's loop, and nothing in the pathway reads a target between two of them; a
synapse is delivered at most once per step (one spike per source and step, one delay per
synapse), so the per-synapse loop has no dependence between its iterations. Pathways that write
pre- or postsynaptic variables in any other way keep the single fused loop.
"""
import re
from dataclasses import dataclass

from . import names as K

__all__ = ["Accumulation", "DeliveryPlan", "plan_delivery"]

_B = re.escape(K.BATCH)
_LOAD = re.compile(r"^(\w+) = (_array_\w+)\[(?:" + _B + r", )?(\w+)\]$")
_STORE = re.compile(r"^(_array_\w+)\[(" + _B + r", )?(\w+)\] = (\w+)$")
_ACCUMULATE = re.compile(r"^(\w+) ([+-])= (.+)$")
_IDENT = re.compile(r"(?<![\w.])[_A-Za-z]\w*")


@dataclass
class Accumulation:
    """One deferred ``array[index] op= buffer`` of the scatter loop."""

    array: str      #: kernel array of the pre- or postsynaptic variable
    batched: bool   #: indexed ``[copy, index]``
    index: str      #: the index variable (``_postsynaptic_idx``)
    index_line: str  #: the line defining it from ``_idx``
    op: str         #: ``'+'`` or ``'-'``
    slot: int       #: row of the buffer holding its terms


@dataclass
class DeliveryPlan:
    """The per-synapse code (accumulations replaced by buffer stores) and the scatter."""

    per_synapse: str
    accumulations: list


def _identifiers(line):
    return set(_IDENT.findall(line))


def plan_delivery(vector_code, buffer, float_vars):
    """The split of ``vector_code`` (one pathway's per-synapse code), or ``None``.

    Parameters
    ----------
    vector_code : str
        Brian2's per-synapse statements (engine names expanded, one statement per line).
    buffer : str
        Kernel name of the ``(copies, accumulations, row)`` float buffer; the per-synapse code
        stores term ``k`` of the synapse at row position ``$j`` as ``buffer[$b, k, $j]``.
    float_vars : set of str
        Variable names whose values are 64-bit floats (only those accumulate through the
        float buffer bit-identically).

    Returns ``None`` when the code has compound statements, writes a pre- or postsynaptic
    variable in any other way than one accumulation, or writes no synaptic variable (then the
    fused loop is as fast: nothing to vectorise).
    """
    lines = [line for line in vector_code.split("\n") if line.strip()]
    if any(line != line.lstrip() or line.rstrip().endswith(":") for line in lines):
        return None
    stores = [(n, _STORE.match(line)) for n, line in enumerate(lines)]
    stores = [(n, m) for n, m in stores if m]
    if not any(m.group(3) == "_idx" for _, m in stores):
        return None
    accumulations, drop, replace = [], set(), {}
    for n_store, m in stores:
        array, batched, index, var = m.group(1), bool(m.group(2)), m.group(3), m.group(4)
        if index == "_idx":
            continue
        if var not in float_vars:
            return None
        uses = [n for n, line in enumerate(lines) if var in _identifiers(line)]
        loads = [n for n in uses if (lm := _LOAD.match(lines[n])) and lm.group(1) == var
                 and lm.group(2) == array and lm.group(3) == index]
        accs = [n for n in uses if (am := _ACCUMULATE.match(lines[n])) and am.group(1) == var]
        if len(loads) != 1 or len(accs) != 1 or sorted(uses) != sorted(loads + accs + [n_store]):
            return None
        if not loads[0] < accs[0] < n_store:
            return None
        op, expr = _ACCUMULATE.match(lines[accs[0]]).group(2, 3)
        if var in _identifiers(expr):
            return None
        if [n for n, line in enumerate(lines) if array in _identifiers(line)] != sorted(
                [loads[0], n_store]):
            return None
        defs = [line for line in lines if re.match(rf"^{re.escape(index)} = ", line)]
        if len(defs) != 1 or _identifiers(defs[0].split(" = ", 1)[1]) - {"_idx"} - {
                a for a in _identifiers(defs[0]) if a.startswith("_array_")}:
            return None
        slot = len(accumulations)
        accumulations.append(Accumulation(array, batched, index, defs[0], op, slot))
        drop |= {loads[0], n_store}
        replace[accs[0]] = f"{buffer}[{K.BATCH}, {slot}, {K.local('j')}] = {expr}"
    if not accumulations:
        return None
    body = [replace.get(n, line) for n, line in enumerate(lines) if n not in drop]
    return DeliveryPlan("\n".join(body), accumulations)
