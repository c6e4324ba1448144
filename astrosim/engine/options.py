"""``EngineOptions``: every switch of the engine in one object, one per ``Simulator``.

Environment variables are read once, when this module is imported, and only give the
defaults (``default_options()``); a ``Simulator`` (or the ``'astrosim'`` device, for
``connect``) holds its own options, so one process can run simulators with different settings
and tests set options instead of patching module globals.
"""
import dataclasses
import os
from dataclasses import dataclass

__all__ = ["EngineOptions", "default_options", "RNG_KINDS"]

#: ``'sequential'``: one xoshiro256** stream per batch copy, drawn in execution order;
#: ``'counter'``: a counter-based hash of (seed, copy, call site, time step, element), so any
#: element can draw its numbers independently (element-parallel code, threads, GPUs later)
RNG_KINDS = ("sequential", "counter")


@dataclass(frozen=True)
class EngineOptions:
    """Settings of one engine instance (all have defaults; see ``default_options``).

    Attributes
    ----------
    parallel_min_size : int or None
        Unbatched element-wise updates and summed variables with at least this many elements
        run on all cores (numba ``prange``); ``None`` or 0 turns threads off.
    cse : bool
        Compute repeated pure sub-expressions once (bit-identical; shorter compilation).
    skip_sums : bool
        Skip summed variables whose inputs did not change (bit-identical).
    specialize : bool
        Read never-written, uniform state arrays as scalars (bit-identical).
    hoist : bool
        Compute sub-expressions of synaptic loops that depend only on presynaptic (or only on
        postsynaptic) values once per source (target) instead of once per synapse
        (``astrosim.engine.hoist``; bit-identical).
    split_delivery : bool
        Event-driven pathways walk rows of contiguous synapse ids directly and run their
        per-synapse code apart from the accumulation into targets, so it vectorises
        (``astrosim.engine.delivery``; bit-identical).
    outline_loops : bool
        Compile each block's element loop as a small function of its own, called from the
        fused step loop (``astrosim.engine.outline``): LLVM optimises a loop alone better
        than inside a kernel of thousands of lines (bit-identical).
    lazy_linear : bool
        Advance clock-driven variables whose update is affine in themselves with coefficients
        constant between writes only where something reads them, by the closed form of ``n``
        steps of the user's method (``astrosim.engine.lazy_linear``; equal up to rounding).
    compiled_connect_min_pairs : int
        ``Synapses.connect`` calls over at least this many candidate pairs run compiled
        (under the ``'astrosim'`` device); smaller ones keep Brian2's numpy path.
    precise_math : bool
        Use the C library's ``exp`` and ``log`` instead of the engine's vectorisable ones, so
        deterministic models agree with Brian2's numpy target to rounding (about 1e-12 and
        below) at some speed cost; the default fast ones are within 1 ulp of it.
    rng : str
        ``'sequential'`` (default) or ``'counter'`` (see ``RNG_KINDS``).
    chunk_seconds : float
        Target wall time of one compiled chunk between returns to Python.
    chunk_bytes : int
        Monitor buffer bytes held per chunk.
    cache_dir : str or None
        Kernel cache directory (default ``~/.cache/astrosim/kernels``).
    cuda_threads : int
        Threads per block on the cuda back end (1 to 1024).
    cuda_blocks : int
        Thread blocks per batch copy on the cuda back end; 0 (default) picks one per copy
        for batched runs and one per multiprocessor for a single copy. More than one block
        per copy meet at grid-wide barriers (a cooperative launch), so they need ``batch``
        of one copy.
    cuda_blocks_per_sm : int
        Blocks of ``cuda_threads`` the register cap lets one multiprocessor hold (1 to 32;
        default 1): more resident blocks hide memory latency in large batches, fewer
        registers per thread may spill.
    """

    parallel_min_size: int = 20000
    cse: bool = True
    skip_sums: bool = True
    specialize: bool = True
    hoist: bool = True
    split_delivery: bool = True
    lazy_linear: bool = True
    outline_loops: bool = True
    compiled_connect_min_pairs: int = 100_000_000
    precise_math: bool = False
    rng: str = "sequential"
    chunk_seconds: float = 0.5
    chunk_bytes: int = 32 * 2 ** 20
    cache_dir: str = None
    cuda_threads: int = 128
    cuda_blocks: int = 0
    cuda_blocks_per_sm: int = 1

    def __post_init__(self):
        if self.rng not in RNG_KINDS:
            raise ValueError(f"EngineOptions.rng must be one of {RNG_KINDS}, got {self.rng!r}")
        if self.parallel_min_size is not None and int(self.parallel_min_size) < 0:
            raise ValueError("EngineOptions.parallel_min_size must be >= 0 or None, got "
                             f"{self.parallel_min_size!r}")
        if self.chunk_seconds <= 0 or self.chunk_bytes <= 0:
            raise ValueError("EngineOptions.chunk_seconds and chunk_bytes must be positive")
        if int(self.cuda_threads) != self.cuda_threads or not 1 <= self.cuda_threads <= 1024:
            raise ValueError("EngineOptions.cuda_threads must be an integer from 1 to 1024, "
                             f"got {self.cuda_threads!r}")
        if (int(self.cuda_blocks_per_sm) != self.cuda_blocks_per_sm
                or not 1 <= self.cuda_blocks_per_sm <= 32):
            raise ValueError("EngineOptions.cuda_blocks_per_sm must be an integer from 1 to 32, "
                             f"got {self.cuda_blocks_per_sm!r}")
        if int(self.cuda_blocks) != self.cuda_blocks or not 0 <= self.cuda_blocks <= 65535:
            raise ValueError("EngineOptions.cuda_blocks must be an integer from 0 (automatic) "
                             f"to 65535, got {self.cuda_blocks!r}")

    @property
    def threads_from(self):
        """Element count from which loops are threaded, or ``None`` (threads off)."""
        return self.parallel_min_size or None

    def replace(self, **changes):
        """A copy with ``changes``; unknown names raise ``TypeError`` naming them."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"unknown engine option(s) {unknown}; known: {sorted(known)}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_environment(cls, environ=None):
        """Defaults overridden by ``ASTROSIM_*`` environment variables."""
        env = os.environ if environ is None else environ
        kw = {}
        if "ASTROSIM_PARALLEL_MIN_SIZE" in env:
            kw["parallel_min_size"] = int(env["ASTROSIM_PARALLEL_MIN_SIZE"])
        for name, key in (("cse", "ASTROSIM_CSE"), ("skip_sums", "ASTROSIM_SKIP_SUMS"),
                          ("specialize", "ASTROSIM_SPECIALIZE"), ("hoist", "ASTROSIM_HOIST"),
                          ("split_delivery", "ASTROSIM_SPLIT_DELIVERY"),
                          ("lazy_linear", "ASTROSIM_LAZY_LINEAR"),
                          ("outline_loops", "ASTROSIM_OUTLINE_LOOPS"),
                          ("precise_math", "ASTROSIM_PRECISE_MATH")):
            if key in env:
                kw[name] = env[key] not in ("0", "", "false", "False")
        if "ASTROSIM_COMPILED_CONNECT_MIN_PAIRS" in env:
            kw["compiled_connect_min_pairs"] = int(env["ASTROSIM_COMPILED_CONNECT_MIN_PAIRS"])
        if "ASTROSIM_RNG" in env:
            kw["rng"] = env["ASTROSIM_RNG"]
        if "ASTROSIM_CUDA_THREADS" in env:
            kw["cuda_threads"] = int(env["ASTROSIM_CUDA_THREADS"])
        if "ASTROSIM_CUDA_BLOCKS" in env:
            kw["cuda_blocks"] = int(env["ASTROSIM_CUDA_BLOCKS"])
        if "ASTROSIM_CUDA_BLOCKS_PER_SM" in env:
            kw["cuda_blocks_per_sm"] = int(env["ASTROSIM_CUDA_BLOCKS_PER_SM"])
        if env.get("ASTROSIM_CACHE_DIR"):
            kw["cache_dir"] = env["ASTROSIM_CACHE_DIR"]
        return cls(**kw)


_DEFAULTS = EngineOptions.from_environment()


def default_options():
    """The process-wide defaults (environment read once, at import)."""
    return _DEFAULTS


def resolve(options=None, **overrides):
    """``options`` (or the defaults) with keyword ``overrides`` applied."""
    if options is not None and not isinstance(options, EngineOptions):
        raise TypeError(f"options must be an EngineOptions, got {type(options).__name__}")
    base = options if options is not None else default_options()
    return base.replace(**overrides) if overrides else base
