"""Write generated kernel modules to a disk cache and import them (numba cache-friendly)."""
import hashlib
import importlib.util
import os
import sys
import time

__all__ = ["cache_dir", "load_module"]

_loaded = {}


def cache_dir():
    """Directory holding generated modules and numba's cache (``ASTROSIM_CACHE_DIR``)."""
    path = os.environ.get("ASTROSIM_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "astrosim", "kernels")
    os.makedirs(path, exist_ok=True)
    return path


def load_module(source):
    """Import the module for ``source`` (keyed by its hash); returns ``(module, seconds)``.

    The module file is only written when absent so numba's on-disk cache stays valid.
    """
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    name = f"astrosim_kernel_{digest}"
    if name in _loaded:
        return _loaded[name], 0.0
    path = os.path.join(cache_dir(), name + ".py")
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
