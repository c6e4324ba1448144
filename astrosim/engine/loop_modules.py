"""Each outlined loop in a module of its own, named by the loop's own structure.

A kernel module is named (and numba's disk cache of it kept) by a hash of its whole source,
so any change to a model used to recompile every loop. Here every outlined loop
(`astrosim.engine.outline`) is written as a module of its own whose source depends on the loop
alone: its parameters are renamed in order of appearance, and the block number the renderer
appends to local names (``v__12``) becomes a fixed suffix. Editing one object of a model, adding
a group or reordering groups then recompiles only the loops that changed (and the small step
loop that calls them); identical loops of two groups compile once.

The kernel module binds each outlined loop's name to the function of its module with one line
(`load_loop`), so loading the kernel from numba's disk cache loads the loops first.
"""
import hashlib
import re

from . import names
from . import userfunc
from .codegen import IDENTIFIER, rename_identifiers
from .loader import load_module

__all__ = ["LOAD_LOOP", "load_loop", "loop_module_lines", "loop_sources"]

#: the kernel module's global that loads one loop module
LOAD_LOOP = names.reserved("load_loop")
_DEF = re.compile(r"^def (\w+)\((.*)\):$", re.M)
_BLOCK_LOCAL = re.compile(r"^(\w+?)__\d+$")


def _canonical(function):
    """``(outlined name, canonical function source, canonical name)`` of one outlined loop."""
    m = _DEF.search(function)
    name, params = m.group(1), [p.strip() for p in m.group(2).split(",") if p.strip()]
    body = function[m.start():]
    order = [n for n in dict.fromkeys(re.findall(r"(?<![.\w])([_A-Za-z]\w*)\b", body))]
    mapping, count = {}, 0
    for n in order:
        if n == name or names.is_module_global(n):
            continue
        if n in params:
            mapping[n] = names.reserved(f"p{count}")
            count += 1
        else:
            local = _BLOCK_LOCAL.match(n)
            if local:
                mapping[n] = f"{local.group(1)}__L"
    mapping[name] = names.reserved("loop")
    text = function[:m.start()] + rename_identifiers(body, mapping)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    canonical = names.reserved(f"loop_{digest}")
    text = re.sub(r"(?m)^def " + re.escape(mapping[name]) + r"\(", f"def {canonical}(", text)
    return name, text, canonical


def loop_module_lines(functions, header, cache_dir):
    """Kernel-module lines binding each outlined loop (``functions``: their sources) to the
    function of its own module (``header``: the generated modules' header)."""
    lines = []
    for function in functions:
        name, text, canonical = _canonical(function)
        source = header + userfunc.definitions(text) + "\n" + text
        lines.append(f"{name} = {LOAD_LOOP}({source!r}, {canonical!r}, {cache_dir!r})")
    return "\n".join(lines) + "\n"


def load_loop(source, name, cache_dir=None):
    """The function ``name`` of the module with ``source`` (written to and loaded from the cache)."""
    module, _ = load_module(source, cache_dir)
    return getattr(module, name)


def loop_sources(kernel_source):
    """The sources of the loop modules a kernel module loads (for inspection and tests)."""
    import ast

    out = []
    for node in ast.walk(ast.parse(kernel_source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == LOAD_LOOP and node.args):
            out.append(ast.literal_eval(node.args[0]))
    return out
