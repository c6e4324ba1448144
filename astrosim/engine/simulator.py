"""``Simulator``: compile a Brian2 network into one fused time loop and run it in chunks.

The wiring: capture (Brian2's ``before_run`` with the capture target, ``prepare``) -> one
``Block`` per code object (``ir``) -> templates (``templates``) and passes into one kernel
(``render``) -> the back end assembles, loads and seeds it (``backends``) -> the chunk loop
(``loop``); per-copy state and results live in ``state``.
"""
import contextlib
import gc
import time

import numpy as np
from brian2.core.namespace import get_local_namespace
from brian2.devices.device import get_device
from brian2.synapses.synapses import SynapticPathway
from brian2.units.allunits import second

from . import interrupts, names, runtime
from .backends import backend_for
from .errors import UnsupportedFeatureError
from .ir import make_block
from .loop import ChunkLoop, Kernel
from .monitors import MonitorBuffer
from .options import EngineOptions, resolve
from .prepare import capture, check_duration, check_objects, owner_group
from .queue import PathwayQueue
from .state import BatchedState

__all__ = ["Simulator"]


class Simulator(BatchedState, ChunkLoop):
    """Run a Brian2 ``Network`` with the astrosim compiled engine.

    Parameters
    ----------
    network : brian2.Network
    batch : int, optional
        Number of independent copies (shared connectivity, separate state and random
        streams). ``None`` (default) runs one copy in Brian2's own arrays and monitors.
    seed : int, optional
        Seed of the engine's random streams; by default drawn from numpy's global
        generator (so ``brian2.seed`` makes runs reproducible).
    keep_in_monitors : bool
        Fill the Brian2 monitors (unbatched) or keep monitor data for ``monitor_data``
        (batched). ``False`` bounds memory for streaming runs with listeners.
    options : EngineOptions, optional
        Engine settings (default: ``astrosim.engine.default_options()``, i.e. the
        environment at import); keyword ``overrides`` (``precise_math=True``, ...) replace
        single fields.
    backend : {"cpu", "cuda"}
        Where the kernel runs: ``"cpu"`` (default; numba on CPU threads) or ``"cuda"`` (one
        GPU through numba.cuda; always counter-based random streams, ``rng='counter'``).

    Attributes
    ----------
    seed : int or None
        The seed of the engine's random streams: the one given, or the one drawn from
        numpy's global generator at the first run (``None`` until then).
    options : EngineOptions
    timings : dict
        Seconds spent in ``'prepare'``, ``'compile'`` and ``'run'``.
    """

    def __init__(self, network, *, batch=None, seed=None, keep_in_monitors=True, options=None,
                 backend="cpu", **overrides):
        if batch is not None and (int(batch) != batch or batch < 1):
            raise ValueError(f"batch must be a positive integer or None, got {batch!r}")
        if seed is not None and (int(seed) != seed or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        from .backends import BACKENDS

        if backend not in BACKENDS:
            raise ValueError(f"Simulator of network '{getattr(network, 'name', network)}': "
                             f"unknown backend {backend!r}; known: "
                             f"{', '.join(map(repr, BACKENDS))}")
        if backend == "cuda" and overrides.get("rng", "counter") != "counter":
            raise UnsupportedFeatureError(getattr(network, "name", "Simulator"),
                                          f"rng={overrides['rng']!r} on the cuda back end "
                                          "(it draws from counter-based streams, rng='counter')")
        self.backend_name = backend
        self.options = resolve(options, **overrides)
        self.network = network
        self.batch = None if batch is None else int(batch)
        self.B = 1 if batch is None else int(batch)
        self.seed = None if seed is None else int(seed)
        self.keep_in_monitors = keep_in_monitors
        self.timings = {"prepare": 0.0, "compile": 0.0, "run": 0.0}
        self._state = {}
        self._batch_init = {}
        self._batch_params = {}
        self._queues = {}
        self._rng = None
        self._store = {}
        self.source = None
        self.kernel_facts = {}
        self.profiling_info = None
        self.run_namespace = None
        self.module = None
        self._t_last = None

    @property
    def options(self):
        """The :class:`EngineOptions` of this simulator (setting them picks the back end)."""
        return self._options

    @options.setter
    def options(self, options):
        if not isinstance(options, EngineOptions):
            raise TypeError(f"options must be an EngineOptions, got {type(options).__name__}")
        if getattr(self, "backend_name", "cpu") == "cuda":
            options = options.replace(rng="counter")  # the only stream kind on a GPU
        self._options = options
        self.backend = backend_for(options, getattr(self, "backend_name", "cpu"))

    # -- per-copy values and results -----------------------------------------------------
    def run(self, duration, namespace=None, report=None, listeners=(), level=0,
            report_period=10 * second, profile=False):
        """Simulate ``duration`` (like ``Network.run``), in compiled chunks.

        With ``profile=True`` the CPU time of each code object is measured (a cycle counter
        around each inlined block) and stored, as in Brian2, in ``network.profiling_info``
        (also ``self.profiling_info``; summed over batch copies), so
        ``brian2.profiling_summary(network)`` works.

        Raises
        ------
        UnsupportedFeatureError
            Before the run, for network features the engine does not support.
        SimulationError
            When a state variable becomes NaN/inf (data up to then is kept).
        """
        duration_s = check_duration(duration)
        net = self.network
        t_prep = time.perf_counter()
        if namespace is None:
            namespace = get_local_namespace(level=level + 1)
        self.run_namespace = namespace
        check_objects(net)
        t_start = net.t
        t_end = net.t + duration_s * second
        with _objects_frozen():  # Brian2's code generation
            captured = capture(net, namespace, t_start, t_end)
        if not captured:
            # nothing to compute, but the clocks still move on (t in subexpressions)
            for c in {obj.clock for obj in net.objects}:
                c.set_interval(t_start, t_end)
                c.variables["timestep"].get_value()[0] = c._i_end
                c.variables["t"].get_value()[0] = c._i_end * c.dt_
            net.t_ = float(t_end)
            for listener in listeners:
                listener.on_run_start(self, duration_s)
                listener.on_run_end(self)
            net.after_run()
            return
        builder, clocks, monbufs, pathways = self._build(captured)
        arrays = self._arrays(builder, pathways)
        source, argnames = self.backend.assemble(builder, batch=self.B, profile=profile,
                                                 arrays=arrays)
        self.source = source
        self.kernel_facts = dict(builder.facts)
        self.timings["prepare"] += time.perf_counter() - t_prep
        t_comp = time.perf_counter()
        module = self.backend.load(source)
        self.module = module
        if self._rng is None:
            if self.seed is None:  # drawn from numpy's generator: brian2.seed() applies
                self.seed = int(np.random.randint(2 ** 31))
            self._rng = self.backend.random_states(self.seed, self.B)
        ts0 = np.array([c.variables["timestep"].get_value()[0] for c in clocks], dtype=np.int64)
        dts = np.array([c.dt_ for c in clocks], dtype=np.float64)
        i_end = np.array([c._i_end for c in clocks], dtype=np.int64)
        if len(clocks) == 1:
            sched = np.ones((max(int(i_end[0] - ts0[0]), 0), 1), dtype=np.bool_)
        else:
            sched = runtime.clock_schedule(ts0, dts, i_end, 1e-4)
        ts = np.ascontiguousarray(np.repeat(ts0[None, :], self.B, axis=0))
        kernel = Kernel(module, argnames, arrays, sched, ts, dts, self.B)
        kernel._rng = self._rng
        kernel.cf = np.array(builder.consts_f + [0.0], dtype=np.float64)
        kernel.ci = np.array(builder.consts_i + [0], dtype=np.int64)
        kernel.prof = np.zeros((self.B, max(len(builder.calls), 1)), dtype=np.int64)
        for mb in monbufs:
            arrays.update(mb.allocate(0))
        with _objects_frozen():
            kernel.call(0, 0)
        self.timings["compile"] += time.perf_counter() - t_comp
        finish = getattr(module, "finish", None)
        if finish is not None:  # a device back end: its state comes back as the run ends
            listeners = (_RunEndHook(finish),) + tuple(listeners)
        try:
            with interrupts.guarded():
                self._loop(kernel, clocks, monbufs, builder, duration_s, report, report_period,
                           listeners)
        finally:
            self._store_profile(builder, kernel, profile)

    def _store_profile(self, builder, kernel, profile):
        """Per-code-object seconds into ``profiling_info`` (or clear it, as Brian2 does)."""
        if not profile:
            self.profiling_info = None
            self.network._profiling_info = None
            return
        rate = runtime.cycles_per_second()
        totals = {}
        for k, name in enumerate(builder.call_names):
            totals[name] = totals.get(name, 0.0) + float(kernel.prof[:, k].sum()) / rate
        info = sorted(((name, secs * second) for name, secs in totals.items()),
                      key=lambda item: item[1], reverse=True)
        self.profiling_info = info
        self.network._profiling_info = info

    def _build(self, captured):
        device = get_device()
        builder = self.backend.make_builder(device, self.B)
        clocks = sorted({obj.clock for obj, _ in captured}, key=lambda c: (c.dt_, c.name))
        cindex = {c: k for k, c in enumerate(clocks)}
        builder.batch_params = {}
        for (gname, pname), values in self._batch_params.items():
            builder.batch_params[(gname, pname)] = names.batch_parameter(len(builder.batch_params))
        monbufs, pathways = [], {}
        for obj, co in captured:
            ci = cindex[obj.clock]
            ctx = {"clock_index": ci}
            if co.template_name == "synapses":
                pw = co.code["kwds"]["pathway"]
                if not isinstance(pw, SynapticPathway):
                    raise UnsupportedFeatureError(obj.name, "synaptic code without pathway")
                ctx["queue"] = names.queue_prefix(len(pathways))
                # the pathway's own event ("spike" or a custom event given by on_event=)
                ctx["eventspace"] = pw.variables[pw.eventspace_name]
                pathways[ctx["queue"]] = pw
            elif co.template_name in ("spikemonitor", "statemonitor", "ratemonitor"):
                ctx["monitor"] = names.monitor_prefix(len(monbufs))
                monbufs.append(MonitorBuffer(obj, ctx["monitor"], self.B, co, ci))
            first = len(builder.calls)
            block = make_block(co, ci, owner_group(co).name)
            block.context.update(ctx)
            builder.code_object(block)
            for k in range(first, len(builder.calls)):  # profiles are kept per Brian2 object
                builder.call_names[k] = obj.name
        for mb in monbufs:
            check = mb.capacity_check(builder.const)
            if check:
                builder.add_capacity_check(check)
        return builder, clocks, monbufs, pathways

    def _arrays(self, builder, pathways):
        arrays = {}
        t_now = float(self.network.t_)
        moved = self._t_last is not None and abs(t_now - self._t_last) > 1e-12
        current = {(pw.name, id(pw)): pw for pw in pathways.values()}
        # a deleted pathway's queue goes (its weak reference is None, as is current.get() of a
        # key this run lacks: they must not be taken for each other)
        self._queues = {key: q for key, q in self._queues.items() if q.ref() is not None}
        if moved and any(np.any(q.cnt) and q.ref() is current.get(key)
                         for key, q in self._queues.items()):
            raise UnsupportedFeatureError(
                self.network.name, "changing the network time (e.g. Network.restore) while "
                "astrosim's spike queues hold spikes in flight")
        if moved:
            self._queues = {}
        for prefix, pw in pathways.items():
            key = (pw.name, id(pw))
            q = self._queues.get(key)
            if q is None or q.batch != self.B:
                q = self._queues[key] = PathwayQueue(pw, self.B)
            else:
                q.update(pw)
            arrays.update(q.arrays(prefix))
        for key, name in builder.batch_params.items():
            arrays[name] = np.ascontiguousarray(self._batch_params[key], dtype=np.float64)
        for name, spec in builder.arrays.items():
            if spec.kind == "brian":
                var = spec.var
                if not spec.batched:
                    arrays[name] = np.ascontiguousarray(var.get_value())
                elif self.batch is None:
                    value = var.get_value()
                    view = value.reshape(1, -1)
                    if not np.shares_memory(view, value):
                        raise RuntimeError(f"cannot write into {name} in place")
                    arrays[name] = view
                else:
                    arrays[name] = self._batched_value(name, var)
            elif spec.kind == "extra":
                arrays[name] = spec.value
        runtime.fault_in(arrays.values())  # map lazily allocated pages before the timed loop
        missing = [n for n, s in builder.arrays.items() if n not in arrays and s.kind != "monitor"]
        if missing:
            raise RuntimeError(f"internal error: no value for kernel arrays {missing}")
        return arrays


class _RunEndHook:
    """A first listener calling ``finish`` when the run ends (before the user's listeners)."""

    def __init__(self, finish):
        self.finish = finish

    def on_run_start(self, sim, duration):
        pass

    def on_chunk(self, sim, data, t_end):
        pass

    def on_run_end(self, sim):
        self.finish()


@contextlib.contextmanager
def _objects_frozen():
    """No garbage collection while code is generated and compiled (about 1 s less, cold).

    Brian2 (sympy) and numba allocate many short-lived objects, freed by reference counting;
    the collections they trigger would also traverse everything Brian2 and sympy hold
    (equations, code objects, caches). Objects alive before are frozen (never scanned), and
    collection resumes afterwards.
    """
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
