"""``Simulator``: compile a Brian2 network into one numba time loop and run it in chunks."""
import contextlib
import gc
import time

import numpy as np
from brian2.core.network import Network, TextReport
from brian2.core.namespace import get_local_namespace
from brian2.devices.device import get_device
from brian2.input.timedarray import TimedArray
from brian2.synapses.synapses import SynapticPathway
from brian2.units.fundamentalunits import Quantity
from brian2.units.allunits import second

from . import names, runtime
from .codegen import is_batched
from .errors import SimulationError, UnsupportedFeatureError
from .loader import load_module
from .monitors import MonitorBuffer
from .options import EngineOptions, resolve
from .prepare import capture, check_duration, check_objects, owner_group
from .queue import PathwayQueue
from .render import ModuleBuilder

__all__ = ["Simulator"]



class Simulator:
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
                 **overrides):
        if batch is not None and (int(batch) != batch or batch < 1):
            raise ValueError(f"batch must be a positive integer or None, got {batch!r}")
        if seed is not None and (int(seed) != seed or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
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

    # -- per-copy values and results -----------------------------------------------------
    def set_batch_values(self, obj, varname, values):
        """Give each batch copy its own value of a state variable or a parameter.

        Parameters
        ----------
        obj : Group (NeuronGroup, Synapses, ...)
        varname : str
            A state variable of ``obj`` (its initial value) or an external constant
            used by ``obj``'s equations/code (e.g. ``'tau'`` from the namespace); a constant
            varies only in the code of ``obj`` (its state updater, threshold, reset,
            pathways, summed variables), not in other objects using the same name.
        values : array-like with units
            Shape ``(batch,)`` (one value per copy) or ``(batch, N)`` for state variables.
        """
        if self.batch is None:
            raise ValueError("set_batch_values needs a batched Simulator (batch=B)")
        if varname == "delay":
            raise ValueError(f"{obj.name}.delay: delays (connectivity) are shared by all copies")
        var = obj.variables.get(varname) if hasattr(obj, "variables") else None
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape[0] != self.B:
            raise ValueError(f"{obj.name}.{varname}: expected {self.B} values (one per copy), "
                             f"got shape {arr.shape}")
        if var is not None and hasattr(var, "get_value") and not var.read_only \
                and varname not in ("t", "dt"):
            _check_units(obj, varname, values, var.dim)
            name = get_device().get_array_name(var)
            self._batch_init[name] = arr
            if name in self._state:
                self._state[name][...] = arr.reshape(self.B, -1)
        elif var is not None and getattr(var, "read_only", False):
            raise ValueError(f"{obj.name}.{varname} is read-only and cannot vary per copy")
        else:
            self._batch_params[(obj.name, varname)] = arr

    def get_states(self, obj, varname):
        """State variable ``varname`` of ``obj`` for every copy: shape ``(B, N)`` with units."""
        var = obj.variables[varname]
        name = get_device().get_array_name(var)
        if self.batch is None or not is_batched(var):
            value = np.asarray(var.get_value()).reshape(1, -1).copy()
            if self.batch is not None:
                value = np.repeat(value, self.B, axis=0)
        else:
            value = self._batched_value(name, var).copy()
        return Quantity(value, dim=var.dim)

    def monitor_data(self, monitor):
        """Recorded data of ``monitor`` with a leading batch axis (SI units, plain arrays).

        StateMonitor: ``{'t': (k,), var: (B, k, n_rec)}``; PopulationRateMonitor:
        ``{'t': (k,), 'rate': (B, k)}``; Spike/EventMonitor: ``{'t', 'i', ...}`` as
        length-B object arrays of per-copy arrays, plus ``'count'`` (B, N).
        """
        if self.batch is None:
            return self._unbatched_monitor_data(monitor)
        chunks = self._store.get(monitor.name, [])
        kind = _monitor_kind(monitor)
        if kind == "spike":
            names = list(monitor.record_variables) if monitor.record else []
            out = {}
            for name in names:
                arr = np.empty(self.B, dtype=object)
                for b in range(self.B):
                    parts = [c[b][name] for c in chunks if name in c[b]]
                    arr[b] = np.concatenate(parts) if parts else np.zeros(0)
                out[name] = arr
            cvar = monitor.variables["count"]
            out["count"] = self._batched_value(get_device().get_array_name(cvar), cvar).copy()
            return out
        out = {"t": np.concatenate([c[0]["t"] for c in chunks]) if chunks else np.zeros(0)}
        names = list(monitor.record_variables) if kind == "state" else ["rate"]
        for name in names:
            out[name] = (np.concatenate([np.stack([c[b][name] for b in range(self.B)])
                                         for c in chunks], axis=1) if chunks else np.zeros((self.B, 0)))
        return out

    def _unbatched_monitor_data(self, monitor):
        kind = _monitor_kind(monitor)
        if kind == "spike":
            out = {}
            for name in (monitor.record_variables if monitor.record else []):
                arr = np.empty(1, dtype=object)
                arr[0] = np.asarray(monitor.variables[name].get_value()).copy()
                out[name] = arr
            out["count"] = np.asarray(monitor.variables["count"].get_value())[None].copy()
            return out
        out = {"t": np.asarray(monitor.variables["t"].get_value()).copy()}
        names = list(monitor.record_variables) if kind == "state" else ["rate"]
        for name in names:
            out[name] = np.asarray(monitor.variables[name].get_value())[None].copy()
        return out

    def _batched_value(self, name, var):
        base = np.asarray(var.get_value())
        st = self._state.get(name)
        if st is None or st.shape[1] != base.size:
            st = np.ascontiguousarray(np.repeat(base.reshape(1, -1), self.B, axis=0))
            init = self._batch_init.get(name)
            if init is not None:
                st[...] = init.reshape(self.B, -1).astype(st.dtype)
            self._state[name] = st
        return st

    # -- running -------------------------------------------------------------------------
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
        source, argnames = builder.source(parallel=self.B > 1, profile=profile, arrays=arrays)
        self.source = source
        self.kernel_facts = dict(builder.facts)
        self.timings["prepare"] += time.perf_counter() - t_prep
        t_comp = time.perf_counter()
        module, _ = load_module(source, self.options.cache_dir)
        self.module = module
        if self._rng is None:
            if self.seed is None:  # drawn from numpy's generator: brian2.seed() applies
                self.seed = int(np.random.randint(2 ** 31))
            self._rng = runtime.seed_states(self.seed, self.B)
        ts0 = np.array([c.variables["timestep"].get_value()[0] for c in clocks], dtype=np.int64)
        dts = np.array([c.dt_ for c in clocks], dtype=np.float64)
        i_end = np.array([c._i_end for c in clocks], dtype=np.int64)
        if len(clocks) == 1:
            sched = np.ones((max(int(i_end[0] - ts0[0]), 0), 1), dtype=np.bool_)
        else:
            sched = runtime.clock_schedule(ts0, dts, i_end, 1e-4)
        ts = np.ascontiguousarray(np.repeat(ts0[None, :], self.B, axis=0))
        kernel = _Kernel(module, argnames, arrays, sched, ts, dts, self.B)
        kernel._rng = self._rng
        kernel.cf = np.array(builder.consts_f + [0.0], dtype=np.float64)
        kernel.ci = np.array(builder.consts_i + [0], dtype=np.int64)
        kernel.prof = np.zeros((self.B, max(len(builder.calls), 1)), dtype=np.int64)
        for mb in monbufs:
            arrays.update(mb.allocate(0))
        with _objects_frozen():
            kernel.call(0, 0)
        self.timings["compile"] += time.perf_counter() - t_comp
        try:
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
        builder = ModuleBuilder(device, self.B, self.options)
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
            builder.code_object(co, ci, ctx, group_name=owner_group(co).name)
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
        missing = [n for n, s in builder.arrays.items() if n not in arrays and s.kind != "monitor"]
        if missing:
            raise RuntimeError(f"internal error: no value for kernel arrays {missing}")
        return arrays

    def _loop(self, kernel, clocks, monbufs, builder, duration_s, report, report_period,
              listeners):
        net = self.network
        device = get_device()
        reporter = _make_reporter(report)
        start_wall = time.perf_counter()
        t_start = float(net.t_)
        for listener in listeners:
            listener.on_run_start(self, duration_s)
        if reporter:
            reporter(0 * second, 0.0, t_start * second, duration_s * second)
        next_report = start_wall + float(report_period)
        total = len(kernel.sched)
        pos, chunk, error = 0, 200, None
        row_bytes = sum(mb.bytes_per_tick() for mb in monbufs)
        max_chunk = max(1, self.options.chunk_bytes // max(row_bytes, 1))
        try:
            while pos < total:
                if net._stopped or Network._globally_stopped:
                    break
                n = min(chunk, max_chunk, total - pos)
                ticks = kernel.sched[pos:pos + n]
                ts_before = kernel.ts[0].copy()
                for mb in monbufs:
                    if mb.kind != "spike":
                        kernel.arrays.update(mb.allocate(int(ticks[:, mb.clock_index].sum())))
                t0 = time.perf_counter()
                spikes = self._run_pieces(kernel, pos, n, monbufs)
                elapsed = time.perf_counter() - t0
                self.timings["run"] += elapsed
                done = int(kernel.done.min())
                pos += done
                self._flush(monbufs, spikes, ticks, done, ts_before, kernel.dts, listeners,
                            _current_time(kernel.ts[0], kernel.dts))
                net.t_ = _current_time(kernel.ts[0], kernel.dts)
                bad = np.nonzero(kernel.err[:, 0] >= 0)[0]
                if len(bad):
                    b = int(bad[0])
                    error = self._nan_error(builder, kernel.err[b], b,
                                            ticks[int(kernel.err[b, 3])], kernel.ts[b], kernel.dts)
                    break
                if elapsed < self.options.chunk_seconds / 4:
                    chunk = min(chunk * 2, 1 << 20)
                elif elapsed > self.options.chunk_seconds * 2:
                    chunk = max(chunk // 2, 1)
                if reporter and time.perf_counter() > next_report:
                    reporter((time.perf_counter() - start_wall) * second,
                             pos / max(total, 1), t_start * second, duration_s * second)
                    next_report = time.perf_counter() + float(report_period)
        finally:
            self._finish(clocks, kernel.ts[0], kernel.dts, pos == total and error is None,
                         start_wall, duration_s, t_start, listeners)
        if reporter:
            reporter((time.perf_counter() - start_wall) * second,
                     device._last_run_completed_fraction, t_start * second,
                     duration_s * second)
        if error is not None:
            raise error

    def _run_pieces(self, kernel, pos, n, monbufs):
        """Run one chunk, resuming copies whose spike buffers filled up; returns spikes."""
        spikes = {mb.prefix: [dict() for _ in range(self.B)]
                  for mb in monbufs if mb.kind == "spike"}
        kernel.start[:] = 0
        while True:
            kernel.call(n, pos)
            for mb in monbufs:
                if mb.kind != "spike":
                    continue
                piece = mb.collect_spikes()
                kernel.arrays.update(mb.arrays)
                for b, d in enumerate(piece):
                    acc = spikes[mb.prefix][b]
                    for name, values in d.items():
                        acc.setdefault(name, []).append(values)
            if np.all(kernel.done >= n) or np.any(kernel.err[:, 0] >= 0):
                break
            kernel.start[:] = kernel.done
        out = {}
        for prefix, per_copy in spikes.items():
            out[prefix] = [{k: np.concatenate(v) for k, v in d.items()} for d in per_copy]
        return out

    def _flush(self, monbufs, spikes, ticks, done, ts_before, dts, listeners, t_now):
        data = {}
        for mb in monbufs:
            if mb.kind == "spike":
                per_copy = spikes[mb.prefix]
            else:
                c = mb.clock_index
                rows = int(ticks[:done, c].sum())
                t = (ts_before[c] + np.arange(rows)) * dts[c]
                per_copy = mb.collect_rows(t, rows)
            if self.batch is None and self.keep_in_monitors:
                mb.write_to_brian(per_copy[0])
            elif self.batch is not None and self.keep_in_monitors:
                self._store.setdefault(mb.monitor.name, []).append(per_copy)
            if listeners:
                data[mb.monitor.name] = mb.listener_data(per_copy, self.batch is not None)
        for listener in listeners:
            listener.on_chunk(self, data, t_now)

    def _nan_error(self, builder, err, b, tick_row, ts, dts):
        _, owner, varname = builder.float_checks[int(err[0])]
        ticking = [k for k in range(len(ts)) if tick_row[k]]
        t = min((ts[k] - 1) * dts[k] for k in ticking) if ticking else float("nan")
        idx = int(err[1])
        where = f" (batch copy {b})" if self.batch is not None else ""
        return SimulationError(
            f"{owner}: state variable '{varname}' became NaN or infinite at index {idx}"
            f"{where}, t = {t * 1e3:.6g} ms; the run was stopped there.",
            variable=varname, index=idx, time=t * second, batch=b)

    def _finish(self, clocks, ts, dts, completed, start_wall, duration_s, t_start, listeners):
        net = self.network
        device = get_device()
        for k, c in enumerate(clocks):
            c.variables["timestep"].get_value()[0] = ts[k]
            c.variables["t"].get_value()[0] = ts[k] * dts[k]
        net.t_ = float(t_start + duration_s) if completed else _current_time(ts, dts)
        self._t_last = float(net.t_)
        device._last_run_time = time.perf_counter() - start_wall
        device._last_run_completed_fraction = (
            1.0 if duration_s == 0 else (float(net.t_) - t_start) / duration_s)
        if self.batch is None:
            for obj in net.sorted_objects:
                for name, var in getattr(obj, "variables", {}).items():
                    if name.startswith("_") and name.endswith("space") and hasattr(var, "get_value"):
                        arr = var.get_value()
                        if arr.ndim == 1 and arr.dtype.kind == "i" and len(arr):
                            arr[-1] = 0
        net.after_run()
        for listener in listeners:
            listener.on_run_end(self)


class _Kernel:
    """The compiled ``run_chunk`` with its argument arrays and per-copy bookkeeping."""

    def __init__(self, module, argnames, arrays, sched, ts, dts, batch):
        self.module, self.argnames, self.arrays = module, argnames, arrays
        self.sched, self.ts, self.dts = sched, ts, dts
        self.err = np.full((batch, 4), -1, dtype=np.int64)
        self.start = np.zeros(batch, dtype=np.int64)
        self.done = np.zeros(batch, dtype=np.int64)

    def call(self, n, pos):
        ticks = self.sched[pos:pos + n]
        rowidx = np.ascontiguousarray(np.cumsum(ticks, axis=0, dtype=np.int64) - ticks)
        if n == 0:
            rowidx = np.zeros((0, self.dts.shape[0]), dtype=np.int64)
        return self.module.run_chunk(n, ticks, rowidx, self.ts, self.dts, self._rng, self.err,
                                     self.start, self.done, self.prof, self.cf, self.ci,
                                     *[self.arrays[a] for a in self.argnames])


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


def _current_time(ts, dts):
    return float(min(ts[k] * dts[k] for k in range(len(ts)))) if len(ts) else 0.0


def _monitor_kind(monitor):
    from brian2.monitors.ratemonitor import PopulationRateMonitor
    from brian2.monitors.spikemonitor import EventMonitor
    from brian2.monitors.statemonitor import StateMonitor

    if isinstance(monitor, EventMonitor):
        return "spike"
    if isinstance(monitor, StateMonitor):
        return "state"
    if isinstance(monitor, PopulationRateMonitor):
        return "rate"
    raise TypeError(f"{monitor!r} is not a monitor")


def _make_reporter(report):
    import sys

    if report is None:
        return None
    if report in ("text", "stdout"):
        return TextReport(sys.stdout)
    if report == "stderr":
        return TextReport(sys.stderr)
    if callable(report):
        return report
    raise ValueError(f"Do not know how to handle report argument {report!r}")


def _check_units(obj, varname, values, dim):
    from brian2.units.fundamentalunits import fail_for_dimension_mismatch

    fail_for_dimension_mismatch(values, dim, f"per-copy values for {obj.name}.{varname}")


_ = TimedArray
