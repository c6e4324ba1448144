"""Write generated kernel modules to a disk cache and import them (numba cache-friendly).

A module's name, and so its file and numba's on-disk cache of it, is a hash of its source and
of everything else its machine code depends on: the versions of astrosim, numba, llvmlite and
numpy, and the source of every runtime helper it calls (numba does not notice when a function
that a cached kernel calls has changed, so a changed helper must change the key).
"""
import hashlib
import importlib.util
import inspect
import os
import re
import sys
import time

from . import names

__all__ = ["cache_dir", "load_module", "cache_key"]

_loaded = {}
_HELPER_CALL = re.compile(re.escape(names.RT) + r"\.(\w+)")


def cache_dir(path=None):
    """Directory holding generated modules and numba's cache (created if absent).

    ``path`` (``EngineOptions.cache_dir``) or ``ASTROSIM_CACHE_DIR`` or
    ``~/.cache/astrosim/kernels``.
    """
    path = path or os.environ.get("ASTROSIM_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "astrosim", "kernels")
    os.makedirs(path, exist_ok=True)
    return path


def _versions():
    import llvmlite
    import numba
    import numpy

    import astrosim

    return (f"astrosim {astrosim.__version__}; numba {numba.__version__}; "
            f"llvmlite {llvmlite.__version__}; numpy {numpy.__version__}")


_SOURCES = {}  # id(function) -> (function, source): read once per function object


def _function_source(func):
    """Source of a (jitted) function, or its repr when unavailable (builtins, ufuncs)."""
    py = getattr(func, "py_func", func)
    known = _SOURCES.get(id(py))
    if known is not None and known[0] is py:
        return known[1]
    try:
        text = inspect.getsource(py)
    except (OSError, TypeError):
        text = repr(py)
    _SOURCES[id(py)] = (py, text)
    return text


def helper_sources(source, runtime=None):
    """Sources of the runtime helpers ``source`` calls, with the jitted functions they call.

    Returns ``{qualified name: source}``; dependencies are followed through each helper's
    module globals (numba dispatchers and plain functions).
    """
    if runtime is None:
        from . import runtime
    out, todo = {}, [(runtime, name) for name in sorted(set(_HELPER_CALL.findall(source)))]
    while todo:
        module_globals, name = todo.pop()
        scope = module_globals if isinstance(module_globals, dict) else vars(module_globals)
        func = scope.get(name)
        if func is None:
            continue
        py = getattr(func, "py_func", func)
        key = f"{getattr(py, '__module__', '?')}.{getattr(py, '__qualname__', name)}"
        if key in out:
            continue
        out[key] = _function_source(func)
        code = getattr(py, "__code__", None)
        if code is not None:
            # module constants it reads (e.g. polynomial coefficients) are part of it too
            consts = {n: py.__globals__[n] for n in code.co_names
                      if isinstance(py.__globals__.get(n), (int, float, tuple, str))}
            out[key] += "".join(f"\n{n} = {v!r}" for n, v in sorted(consts.items()))
            todo += [(py.__globals__, n) for n in code.co_names
                     if callable(py.__globals__.get(n)) and not isinstance(
                         py.__globals__.get(n), type)
                     and getattr(py.__globals__.get(n), "__module__", "").startswith("astrosim")]
    return out


def cache_key(source, runtime=None):
    """Hash naming the module of ``source`` (see the module docstring)."""
    h = hashlib.sha256(source.encode())
    h.update(_versions().encode())
    for name, text in sorted(helper_sources(source, runtime).items()):
        h.update(f"\n{name}\n{text}".encode())
    return h.hexdigest()[:24]


def load_module(source, directory=None):
    """Import the module for ``source`` (keyed by :func:`cache_key`); returns ``(module, s)``.

    The module file is only written when absent so numba's on-disk cache stays valid.
    """
    name = f"astrosim_kernel_{cache_key(source)}"
    if name in _loaded:
        return _loaded[name], 0.0
    path = os.path.join(cache_dir(directory), name + ".py")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    start = time.perf_counter()
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded[name] = module
    return module, time.perf_counter() - start
