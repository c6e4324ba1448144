"""Move loops of a fused kernel into small compiled functions of their own.

Two reasons, two kinds of loop:

- **threaded loops** (``numba.prange``): numba's parallel passes analyse the whole function
  they are given; on a fused kernel with thousands of lines that costs more compile time than
  the rest. Outlined, each threaded loop is a small ``parallel=True`` function and the large
  kernel compiles serially.
- **element loops of a block** (``EngineOptions.outline_loops``): inside a kernel of thousands
  of lines LLVM optimises a loop far less well than the same loop alone (measured: an
  astrocyte's output update 7.5x, a binomial ``PoissonInput`` 2x slower in the fused kernel);
  each block's outermost loop becomes a small ``parallel=False`` function.

The loop's free names become parameters. Names the loop only updates in place (``+=``, the
engine's non-finite counters) are passed in and returned. A loop is left in place when moving
it could change what the kernel computes: a ``return`` inside, or a name it assigns that is
read outside it.
"""
import re

from . import names
from .codegen import IDENTIFIER, indent_lines

__all__ = ["outline_loops", "BLOCK_DEPTH"]

_ASSIGNED = re.compile(r"^\s*([_A-Za-z]\w*)\s*(?:=(?!=)|\+=|-=|\*=|/=)", re.M)
_FOR = re.compile(r"^\s*for\s+([_A-Za-z]\w*)\s+in\b", re.M)
_AUGMENTED = re.compile(r"^\s*([_A-Za-z]\w*)\s*(?:\+=|-=|\*=|/=)", re.M)
_PLAIN = re.compile(r"^\s*([_A-Za-z]\w*)\s*=(?!=)", re.M)
_RETURN = re.compile(r"^\s*return\b", re.M)
_HEADER = "@numba.njit(cache=True, error_model='numpy', parallel={})\n"

#: indentation (spaces) of a block's own statements in the fused loop's text: under
#: ``for $b``, ``for $s`` and ``if $ticks[...]``
BLOCK_DEPTH = 12


def _block_end(lines, start):
    """Index after the indented block opened by ``lines[start]``."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    k = start + 1
    while k < len(lines) and (not lines[k].strip()
                              or len(lines[k]) - len(lines[k].lstrip()) > indent):
        k += 1
    return k


def _loop_scopes(lines):
    """Per line, the loop variables of the ``for`` headers enclosing it."""
    stack, scopes = [], []
    for line in lines:
        if not line.strip():
            scopes.append(frozenset(v for _, v in stack))
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        scopes.append(frozenset(v for _, v in stack))
        m = _FOR.match(line)
        if m:
            stack.append((indent, m.group(1)))
    return scopes


def _only_defined(name, outside):
    """True if no line of ``outside`` (pairs of a line and its `_loop_scopes` entry) reads the
    value ``name`` has outside it: each line that mentions it assigns it (``=`` or as a loop variable) without
    reading it, or lies inside a loop over ``name``."""
    for line, scope in outside:
        if name not in line or name not in IDENTIFIER.findall(line) or name in scope:
            continue
        m = re.match(r"^\s*(?:for\s+)?" + re.escape(name) + r"\s*(?:=(?!=)|\bin\b)(.*)$", line)
        if not m or name in IDENTIFIER.findall(m.group(1)):
            return False
    return True


def _is_loop(line):
    return line.lstrip().startswith("for ")


def outline_loops(text, serial=True, threaded=True):
    """Return ``(text, functions)``: ``text`` with loops replaced by calls.

    ``threaded``: the outermost ``prange`` loops; ``serial``: the outermost loop of each block
    (a loop at `BLOCK_DEPTH` or deeper that no other such loop encloses). ``functions`` lists
    the module source of each outlined loop.
    """
    lines = text.split("\n")
    scopes = _loop_scopes(lines)
    out, functions, k, count = [], [], 0, 0
    while k < len(lines):
        line = lines[k]
        depth = len(line) - len(line.lstrip())
        threaded_loop = names.PRANGE + "(" in line
        if not _is_loop(line) or not ((threaded and threaded_loop) or (serial and depth >= BLOCK_DEPTH)):
            out.append(line)
            k += 1
            continue
        end = _block_end(lines, k)
        block = lines[k:end]
        body = "\n".join(block)
        parallel = names.PRANGE + "(" in body
        outside = list(zip(lines[:k] + lines[end:], scopes[:k] + scopes[end:]))
        made = _outlined(body, outside, count, parallel) \
            if (threaded or not parallel) else None
        if made is None:  # leave it; a loop nested in it may still move
            out.append(line)
            k += 1
            continue
        function, call = made
        functions.append(function)
        count += 1
        indent = line[:depth]
        out.append(indent + call)
        k = end
    return "\n".join(out), functions


def _outlined(body, outside, count, parallel):
    """``(function source, call)`` of one loop, or None when it must stay in the kernel."""
    if _RETURN.search(body):
        return None
    loop_vars = set(_FOR.findall(body))
    assigned = set(_ASSIGNED.findall(body)) | loop_vars
    plain = set(_PLAIN.findall(body)) | loop_vars  # '=' makes a name local to the loop
    carried = sorted(set(_AUGMENTED.findall(body)) - plain)  # updated in place: in and out
    for name in () if parallel else plain:  # a prange loop's own names are private already
        if name.startswith("_vectorisation_idx"):
            continue  # Brian2's templates define it before the loop; nothing reads that value
        if not _only_defined(name, outside):
            return None
    used = {n for n in IDENTIFIER.findall(body) if not names.is_module_global(n)}
    # in order of first appearance: the same loop gets the same signature wherever it is
    free = (used - assigned) | set(carried)
    params = [n for n in dict.fromkeys(IDENTIFIER.findall(body)) if n in free]
    name = names.reserved(f"{'threaded' if parallel else 'element'}_loop{count}")
    first = body.split("\n", 1)[0]
    indent = first[:len(first) - len(first.lstrip())]
    dedented = "\n".join(ln[len(indent):] if ln.startswith(indent) else ln for ln in body.split("\n"))
    ret = ", ".join(carried)
    function = (_HEADER.format(parallel) + f"def {name}({', '.join(params)}):\n"
                + indent_lines(dedented, 1) + f"\n    return {ret if ret else 0}\n")
    call = f"{name}({', '.join(params)})"
    return function, (f"{ret} = {call}" if ret else call)
