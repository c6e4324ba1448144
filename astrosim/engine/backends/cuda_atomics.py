"""When a synaptic pathway's code may run on many synapses at once, and how (atomic adds).

Brian2 delivers a step's spikes one synapse after another. Run in parallel over synapses, two
synapses onto the same target would read and write its variable at the same time. The code
can still run in parallel when every variable it writes through an index other than the
synapse's own (``v_post``, ``x_pre``) is only *accumulated*: loaded once, changed only by
``+=`` / ``-=`` of expressions that read no such variable, stored once. Then the order of
the additions changes nothing but rounding, and each accumulation becomes one atomic add.
Anything else (``v_post = 0``, ``w = w + v_post``, two statements reading a target another
one changes) depends on Brian2's order, and the pathway runs serially in that order.
"""
import re

__all__ = ["atomic_rewrite"]

_STORE = re.compile(r"^(\s*)(_array_\w+|_dynamic_array_\w+)\[([^\]]*)\] = (\w+)\s*$")
_OWN_INDEX = ("_0b, _idx", "_idx")
_ARRAY_NAME = re.compile(r"(?<![\w.])(_array_\w+|_dynamic_array_\w+)\b")


def _word(name):
    return re.compile(r"(?<![\w.])" + re.escape(name) + r"\b")


def atomic_rewrite(vector_code, atomic_ok=lambda array: True):
    """``vector_code`` with accumulations into shared targets as atomic adds, or ``None``.

    Returns the code unchanged when it writes only the synapse's own variables, the rewritten
    code (``_0cuda.atomic.add(array, (index), expression)``) when every shared target is
    accumulated as the module docstring says, and ``None`` when the code depends on the order
    of the synapses. ``atomic_ok(array)`` says whether an array's type has atomic adds.
    """
    lines = vector_code.split("\n")
    targets = {}  # local name -> (array, index, store line)
    for k, line in enumerate(lines):
        m = _STORE.match(line)
        if not m or m.group(3).strip() in _OWN_INDEX:
            continue
        indent, array, index, local = m.groups()
        if indent or local in targets or not atomic_ok(array):
            return None
        targets[local] = (array, index.strip(), k)
    # every store of a target array is the one above (no other write through another index)
    for k, line in enumerate(lines):
        for array in _ARRAY_NAME.findall(line):
            if any(array == t[0] and k != t[2] and not _is_load(line, local, t)
                   for local, t in targets.items()):
                return None
    if not targets:
        return vector_code
    words = {local: _word(local) for local in targets}
    drop, replace = set(), {}
    for local, (array, index, store) in targets.items():
        loads = [k for k, line in enumerate(lines) if _is_load(line, local, targets[local])]
        if len(loads) != 1 or lines[loads[0]].startswith((" ", "\t")):
            return None
        drop |= {loads[0], store}
        for k, line in enumerate(lines):
            if k in (loads[0], store) or not words[local].search(line):
                continue
            m = re.match(r"^(\s*)" + re.escape(local) + r" ([-+])= (.+)$", line)
            if not m:
                return None
            expr = m.group(3)
            if any(w.search(expr) for w in words.values()):
                return None
            sign = "" if m.group(2) == "+" else "-"
            replace[k] = f"{m.group(1)}_0cuda.atomic.add({array}, ({index}), {sign}({expr}))"
    out = [replace.get(k, line) for k, line in enumerate(lines) if k not in drop]
    return "\n".join(out)


def _is_load(line, local, target):
    array, index, _ = target
    return re.match(r"^\s*" + re.escape(local) + r" = " + re.escape(array) + r"\["
                    + re.escape(index) + r"\]\s*$", line) is not None
