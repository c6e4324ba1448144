"""Move the threaded (``numba.prange``) loops of a fused kernel into small functions of their own.

numba's parallel passes analyse the whole function they are given; on a fused kernel with
thousands of lines (RK4 astrocytes, many synapse groups) that costs more compile time than the
rest of the compilation. Outlined, each threaded loop is a small ``parallel=True`` function
and the large kernel compiles serially. The loop's free names become parameters; names only
updated with ``+=`` inside the loop (the engine's non-finite counters) are reductions, passed
in and returned.
"""
import re

from . import names
from .codegen import IDENTIFIER, indent_lines

__all__ = ["outline_prange_loops"]

_ASSIGNED = re.compile(r"^\s*([_A-Za-z]\w*)\s*(?:=(?!=)|\+=|-=|\*=|/=)", re.M)
_FOR = re.compile(r"^\s*for\s+([_A-Za-z]\w*)\s+in\b", re.M)
_REDUCED = re.compile(r"^\s*([_A-Za-z]\w*)\s*\+=", re.M)
_PLAIN = re.compile(r"^\s*([_A-Za-z]\w*)\s*=(?!=)", re.M)
_KNOWN = names.MODULE_GLOBALS
_HEADER = "@numba.njit(cache=True, error_model='numpy', parallel=True)\n"


def _block_end(lines, start):
    """Index after the indented block opened by ``lines[start]``."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    k = start + 1
    while k < len(lines) and (not lines[k].strip()
                              or len(lines[k]) - len(lines[k].lstrip()) > indent):
        k += 1
    return k


def outline_prange_loops(text):
    """Return ``(text, functions)``: ``text`` with each prange loop replaced by a call.

    ``functions`` is module source defining the outlined loops. Loops inside loops are left
    in place (only the outermost prange of a nest is outlined).
    """
    lines = text.split("\n")
    out, functions, k, count = [], [], 0, 0
    while k < len(lines):
        line = lines[k]
        if names.PRANGE + "(" not in line or not line.lstrip().startswith("for "):
            out.append(line)
            k += 1
            continue
        end = _block_end(lines, k)
        block = lines[k:end]
        indent = line[:len(line) - len(line.lstrip())]
        body = "\n".join(block)
        loop_vars = set(_FOR.findall(body))
        assigned = set(_ASSIGNED.findall(body)) | loop_vars
        plain = set(_PLAIN.findall(body)) | loop_vars  # '=' (not '+=') makes a name local
        reductions = sorted(set(_REDUCED.findall(body)) - plain)
        used = {n for n in IDENTIFIER.findall(body) if not names.is_module_global(n)}
        params = sorted((used - assigned) | set(reductions))
        name = names.reserved(f"threaded_loop{count}")
        count += 1
        dedented = "\n".join(ln[len(indent):] if ln.startswith(indent) else ln for ln in block)
        ret = ", ".join(reductions)
        functions.append(
            _HEADER + f"def {name}({', '.join(params)}):\n"
            + indent_lines(dedented, 1)
            + f"\n    return {ret if ret else 0}\n")
        call = f"{name}({', '.join(params)})"
        out.append(f"{indent}{ret} = {call}" if ret else f"{indent}{call}")
        k = end
    return "\n".join(out), "\n\n".join(functions)
