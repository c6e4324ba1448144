"""The CUDA back end: the fused kernel on one GPU through ``numba.cuda`` (``backend="cuda"``).

One kernel launch runs one chunk of steps for every batch copy (a thread block per copy, its
threads split each element loop; :mod:`.cuda_render`). A single copy is spread over one block
per multiprocessor instead, whose threads meet at grid-wide barriers (a cooperative launch). State stays on the device during a
run: after each launch the monitor buffers and the clock, error and progress records are
copied back, so the chunk loop (monitors to Brian2 or to listeners, NaN errors, stop,
progress) is the CPU one unchanged; state variables and spike queues come back once, when the
run ends (``CudaRunner.finish``, before the listeners' ``on_run_end``). Random numbers come from
the counter-based streams, keyed as on the CPU (``rng='counter'``).

Without a GPU, numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1`` before ``numba.cuda`` is
first imported) runs the same kernels on the CPU, slowly; the tests use it.
"""
import hashlib
import importlib.util
import os
import sys
import warnings

import numpy as np

from .. import runtime
from ..errors import UnsupportedFeatureError
from ..loader import cache_dir
from .base import Backend, ParallelPolicy

__all__ = ["NumbaCUDA", "CudaRunner"]

#: kernel arguments copied back to the host after every launch (besides clocks and records)
_PER_CHUNK_KINDS = ("monitor",)


def _cuda():
    """``numba.cuda``, or a clear error when neither a GPU nor the simulator is there."""
    from numba import config, cuda

    if not config.ENABLE_CUDASIM and not cuda.is_available():
        raise UnsupportedFeatureError(
            "Simulator", "backend='cuda' without a usable CUDA device (numba.cuda found none; "
            "NUMBA_ENABLE_CUDASIM=1, set before numba.cuda is imported, runs numba's CUDA "
            "simulator on the CPU)")
    return cuda


class NumbaCUDA(Backend):
    """Kernels compiled by ``numba.cuda``; one thread block per batch copy."""

    name = "numba-cuda"

    def __init__(self, options):
        super().__init__(options)
        self._specs = None

    def policy(self, batch):
        return ParallelPolicy(batch=batch, threads_from=None, parallel_random=True)

    def make_builder(self, device, batch):
        from .cuda_render import CudaKernelBuilder

        return CudaKernelBuilder(device, batch, self.options, self.policy(batch),
                                 threads=self.options.cuda_threads,
                                 blocks=blocks_per_copy(self.options, batch))

    def assemble(self, builder, *, batch, profile, arrays):
        if profile:
            raise UnsupportedFeatureError("Simulator.run", "profile=True on the cuda back end")
        source, args = builder.cuda_source()
        _check_parameter_space([arrays.get(name) for name in args], builder.owners)
        self._specs = ({name: builder.arrays[name] for name in args}, batch * builder.copy_blocks,
                       builder.threads)
        return source, args

    def load(self, source):
        cuda = _cuda()
        module = _load_module(source, self.options.cache_dir)
        specs, blocks, threads = self._specs
        return CudaRunner(cuda, module.run_chunk, specs, blocks, threads)

    def random_states(self, seed, batch):
        return runtime.seed_states(seed, batch)  # the same keys as the CPU counter streams

    def allocate(self, shape, dtype):
        return np.zeros(shape, dtype=dtype)


def blocks_per_copy(options, batch):
    """Thread blocks per batch copy: ``options.cuda_blocks``, or automatic (see EngineOptions).

    Blocks of one copy synchronise grid-wide, so every block of the launch must reach every
    barrier: a batch whose copies may stop at different steps (a NaN in one copy) cannot
    share a grid, and more than one block per copy is refused for batches. The automatic
    count, one block per multiprocessor, keeps the grid co-resident (the register cap of
    ``cuda_runtime.kernel_options`` fits one block of ``cuda_threads`` per multiprocessor);
    numba's simulator gets one block.
    """
    if options.cuda_blocks:
        if options.cuda_blocks > 1 and batch > 1:
            raise UnsupportedFeatureError(
                "Simulator", f"cuda_blocks={options.cuda_blocks} with batch={batch} (several "
                "blocks per copy meet at grid-wide barriers, which copies that stop at "
                "different steps cannot share; use batch=None or cuda_blocks=1)")
        from numba import config

        if options.cuda_blocks > 1 and config.ENABLE_CUDASIM:
            raise UnsupportedFeatureError(
                "Simulator", f"cuda_blocks={options.cuda_blocks} under numba's CUDA simulator "
                "(it runs blocks one after another, so blocks cannot meet at a grid-wide "
                "barrier; use cuda_blocks=1 there)")
        return int(options.cuda_blocks)
    if batch > 1:
        return 1
    from numba import config

    if config.ENABLE_CUDASIM:
        return 1
    return int(_cuda().get_current_device().MULTIPROCESSOR_COUNT) * int(options.cuda_blocks_per_sm)


#: bytes of kernel parameters: CUDA's limit before 12.1 / from 12.1 on Volta and later
_PARAM_LIMITS = (4096, 32764)
#: the loop's own arguments (ticks, rowidx, ts, dts, rng, err, start, done, prof, cf, ci)
_LOOP_ARG_DIMS = (2, 2, 2, 1, 2, 2, 1, 1, 2, 1, 1)


def _parameter_bytes(ndims):
    """Bytes numba passes for arrays of these dimensions (pointers, sizes, shape, strides)."""
    return 8 + sum(8 * (5 + 2 * nd) for nd in ndims)


def _check_parameter_space(values, owners):
    """Refuse kernels whose arguments exceed CUDA's parameter space; warn above 4 KB."""
    ndims = list(_LOOP_ARG_DIMS) + [np.ndim(v) if v is not None else 2 for v in values]
    size = _parameter_bytes(ndims)
    what = f"a network of {len(owners)} code blocks ({', '.join(sorted(set(owners))[:4])}, ...)"
    if size > _PARAM_LIMITS[1]:
        raise UnsupportedFeatureError(
            owners[0] if owners else "Simulator",
            f"{len(ndims)} kernel arrays ({size} bytes of kernel parameters, more than CUDA's "
            f"{_PARAM_LIMITS[1]}) on the cuda back end")
    if size > _PARAM_LIMITS[0]:
        warnings.warn(f"astrosim cuda back end: {what} passes {size} bytes of kernel "
                      f"parameters; above {_PARAM_LIMITS[0]} this needs CUDA 12.1 or later on a "
                      "Volta or newer GPU", RuntimeWarning, stacklevel=3)


def _load_module(source, directory):
    """Import the generated module (named by a hash of it and of the device functions)."""
    from . import cuda_runtime

    h = hashlib.sha256(source.encode())
    with open(cuda_runtime.__file__, "rb") as f:
        h.update(f.read())
    name = f"astrosim_cuda_kernel_{h.hexdigest()[:24]}"
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(cache_dir(directory), name + ".py")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


class CudaRunner:
    """Launches the kernel for the chunk loop: ``run_chunk`` has the CPU kernel's signature.

    Device copies of the kernel's arrays are made on first use and whenever the host array
    is replaced (a new monitor buffer); read-only ones (connectivity, parameters) are not
    copied again within a run. After each launch the arrays the chunk loop reads (monitor
    buffers, clocks, errors, progress) are copied back into the host arrays; the state the
    kernel writes (state variables, spike queues) by :meth:`finish`, once per run.
    """

    def __init__(self, cuda, kernel, specs, batch, threads):
        self.cuda, self.kernel, self.specs = cuda, kernel, specs
        self.batch, self.threads = batch, threads
        self._device = {}  # name -> (host array, device array)

    def _state(self, name):
        """Whether kernel array ``name`` is state the kernel writes (copied back at the end)."""
        spec = self.specs[name]
        if spec.kind == "brian":
            return spec.batched
        return spec.kind == "queue" and name.endswith(("_hist", "_cnt"))

    def finish(self):
        """Copy the state the kernel wrote back into the host arrays (end of a run)."""
        for name, (host, dev) in self._device.items():
            if name in self.specs and host.size and self._state(name):
                dev.copy_to_host(host)

    def _to_device(self, name, host, always=False):
        known = self._device.get(name)
        if known is not None and known[0] is host and not always:
            return known[1]
        if not host.flags.c_contiguous:
            raise RuntimeError(f"internal error: kernel array {name} is not contiguous")
        # an empty array (a monitor's buffer before its first row) travels as one zero row
        value = host if host.size else np.zeros([max(n, 1) for n in host.shape], host.dtype)
        dev = self.cuda.to_device(value)
        self._device[name] = (host, dev)
        return dev

    def run_chunk(self, nsteps, ticks, rowidx, ts, dts, rng, err, start, done, prof, cf, ci,
                  *arrays):
        names = list(self.specs)
        loop_arrays = {"$ticks": ticks, "$rowidx": rowidx, "$ts": ts, "$dts": dts, "$rng": rng,
                       "$err": err, "$start": start, "$done": done, "$cf": cf, "$ci": ci}
        every_call = {"$ticks", "$rowidx", "$ts", "$err", "$start", "$done"}
        dev = {name: self._to_device(name, np.ascontiguousarray(host), name in every_call)
               for name, host in loop_arrays.items()}
        # no per-call profile on the device: a one-element placeholder
        prof_dev = self._to_device("$prof", np.zeros((1, 1), dtype=np.int64))
        args = []
        for name, host in zip(names, arrays):
            args.append(self._to_device(name, host, always=self.specs[name].kind == "monitor"))
        self.kernel[self.batch, self.threads](
            int(nsteps), dev["$ticks"], dev["$rowidx"], dev["$ts"], dev["$dts"], dev["$rng"],
            dev["$err"], dev["$start"], dev["$done"], prof_dev, dev["$cf"], dev["$ci"], *args)
        self.cuda.synchronize()
        for name, host in (("$ts", ts), ("$err", err), ("$done", done)):
            dev[name].copy_to_host(host)
        for name, host in zip(names, arrays):
            if host.size and self.specs[name].kind in _PER_CHUNK_KINDS:
                self._device[name][1].copy_to_host(host)
        return 0
