"""User-defined Brian2 functions written in Python, compiled into the kernel with numba.

A Brian2 ``Function`` made from a Python function (``@check_units`` on a ``def``, or an
``@implementation('numpy', pyfunc)``; an ``@implementation('numba', pyfunc)`` is preferred when
present) is compiled into the generated module: its source is copied in under a reserved name,
and every global it reads is bound by value next to it (numbers as literals, quantities as
their SI value, ``numpy`` and ``math`` as modules). The kernel calls it once per element with
scalars, so a function must be element-wise, as Brian2's cpp and cython targets also assume;
Brian2's numpy target calls it once with whole arrays, so a function that looks at the whole
array (a cumulative sum, a length) is not element-wise and numba refuses to type it.

Refused with one clear message, before the kernel is built: functions whose source is not
available (lambdas, builtins, C extensions), that read a global other than a number, quantity,
``numpy`` or ``math`` (other functions, arrays, objects), closures over non-numbers, functions
with dependencies, stateful or auto-vectorised functions, and functions numba cannot compile
for float arguments. The module's cache key is its source, so editing the function recompiles.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import inspect
import math
import numbers
import textwrap

import numpy as np

from . import names
from .errors import UnsupportedFeatureError

__all__ = ["PREFIX", "compile_user_function", "definitions"]

#: reserved prefix of every compiled user function (and of the globals bound for it)
PREFIX = names.USER_FUNCTION
_MODULES = {np: "numpy", math: "math"}
try:  # Brian2's unit-aware numpy namespace (``np`` after ``from brian2 import *``): numpy here
    import brian2.numpy_ as _brian2_numpy

    _MODULES[_brian2_numpy] = "numpy"
except ImportError:  # pragma: no cover - brian2 is a dependency
    pass
_DEFINITIONS = {}  # callee name -> module-level source defining it


def _python_callable(var):
    """The Python function behind a Brian2 ``Function``, preferring a 'numba' implementation."""
    impls = getattr(getattr(var, "implementations", None), "_implementations", {})
    for key in ("numba", "numpy"):
        impl = impls.get(key)
        if impl is not None:
            if getattr(impl, "dependencies", None):
                return None, "its implementation has dependencies on other functions"
            code = impl._code if not getattr(impl, "dynamic", False) else None
            if callable(code):
                return code, None
    if callable(getattr(var, "pyfunc", None)):
        return var.pyfunc, None
    return None, "it has no Python implementation"


def _unwrap(func):
    """The user's own function under Brian2's ``check_units`` and ``functools.wraps`` wrappers."""
    seen = set()
    while id(func) not in seen:
        seen.add(id(func))
        inner = getattr(func, "_orig_func", None) or getattr(func, "__wrapped__", None)
        if inner is None:
            break
        func = inner
    return getattr(func, "py_func", func)  # an already jitted function


def _bound_value(value):
    """Source text of a global's value, or None when it cannot be bound."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if hasattr(value, "dim") and np.ndim(value) == 0:  # a Brian2 quantity: its SI value
        return repr(float(np.asarray(value)))
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return None


def _library_function(value):
    """``'numpy'`` or ``'math'`` when ``value`` is that module's function of its own name."""
    name = getattr(value, "__name__", "")
    for module, modname in _MODULES.items():
        if getattr(module, name, None) is value:
            return modname
    # Brian2's unit-aware wrappers of numpy functions (sin, exp, ... after from brian2 import *):
    # values in the kernel carry no units, so numpy's own function is the same computation
    if str(getattr(value, "__module__", "")).startswith("brian2.units") and callable(getattr(np, name, None)):
        return "numpy"
    return None


class _Renamer(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            return ast.copy_location(ast.Name(id=self.mapping[node.id], ctx=node.ctx), node)
        return node


def _locals_of(fdef):
    bound = {a.arg for a in ast.walk(fdef.args) if isinstance(a, ast.arg)}
    for node in ast.walk(fdef):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
    return bound


def compile_user_function(varname, var, owner):
    """``(callee, ())`` for the kernel's call of user function ``varname`` (a Brian2 ``Function``).

    Raises :class:`UnsupportedFeatureError` naming ``owner`` and the function when it cannot be
    compiled (see the module docstring).
    """
    def refuse(why):
        return UnsupportedFeatureError(
            owner, f"the user-defined function '{varname}' ({why}; astrosim compiles a function's "
                   "Python code with numba, or run the script with Brian2 itself)")

    if getattr(var, "auto_vectorise", False):
        raise refuse("an auto-vectorised function")
    func, why = _python_callable(var)
    if func is None:
        raise refuse(why)
    func = _unwrap(func)
    try:
        source = textwrap.dedent(inspect.getsource(func))
        fdef = ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        raise refuse("its Python source is not available") from None
    if not isinstance(fdef, ast.FunctionDef):
        raise refuse("it is not defined with 'def'")
    fdef.decorator_list = []
    code = func.__code__
    cells = dict(zip(code.co_freevars, (c.cell_contents for c in (func.__closure__ or ()))))
    local = _locals_of(fdef)
    digest = hashlib.sha256(ast.dump(fdef).encode()).hexdigest()[:10]
    callee = f"{PREFIX}{varname}_{digest}"
    bindings, mapping = [], {}
    free = sorted({n.id for n in ast.walk(fdef) if isinstance(n, ast.Name)} - local)
    for name in free:
        if name in cells:
            value, where = cells[name], cells
        elif name in func.__globals__:
            value, where = func.__globals__[name], func.__globals__
        elif hasattr(builtins, name):
            continue  # abs, min, max, float, int, round, ...: numba knows them
        else:
            raise refuse(f"it reads '{name}', which is not defined")
        if getattr(builtins, name, None) is value:
            continue  # a builtin re-exported under its own name
        alias = f"{callee}__{name}"
        if any(value is module for module in _MODULES):
            bindings.append(f"import {_MODULES[value]} as {alias}")
        elif _library_function(value):
            bindings.append(f"from {_library_function(value)} import {value.__name__} as {alias}")
        else:
            text = _bound_value(value)
            if text is None:
                kind = "closure variable" if where is cells else "global"
                raise refuse(f"it reads the {kind} '{name}' ({type(value).__name__}); only numbers, "
                             "quantities, numpy, math and their functions can be bound into the kernel")
            bindings.append(f"{alias} = {text}")
        mapping[name] = alias
    fdef = _Renamer(mapping).visit(fdef)
    fdef.name = callee
    ast.fix_missing_locations(fdef)
    definition = "\n".join(bindings + ["@numba.njit(cache=True, error_model='numpy')",
                                       ast.unparse(fdef)]) + "\n"
    if _DEFINITIONS.get(callee) != definition:
        _check_compiles(callee, definition, len(fdef.args.args), refuse)
        _DEFINITIONS[callee] = definition
    return callee, ()


def _check_compiles(callee, definition, n_args, refuse):
    """Compile the definition once for float arguments; a failure is a clear refusal now."""
    import numba

    scope = {"numba": numba}
    try:
        exec(compile(definition.replace("cache=True", "cache=False"), f"<{callee}>", "exec"), scope)
        scope[callee].compile((numba.float64,) * n_args)
    except Exception as err:  # noqa: BLE001 - numba's typing and lowering errors vary
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()
                 and not ln.startswith(("Failed in", "During:"))]
        raise refuse("numba cannot compile it for float arguments"
                     + (f": {lines[0][:160]}" if lines else "")) from None


def definitions(source):
    """Module-level definitions of the user functions that ``source`` calls, in a stable order."""
    used = sorted(name for name in _DEFINITIONS if name in source)
    return "".join(_DEFINITIONS[name] + "\n" for name in used)
