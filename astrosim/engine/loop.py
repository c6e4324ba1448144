"""The chunk loop of a ``Simulator``: run the compiled kernel in chunks and hand results out.

Between chunks the loop returns to Python: monitor rows go to Brian2's monitors (or the batched
store) and to listeners, progress is reported, ``stop()`` is honoured, and a NaN/inf recorded
by the kernel becomes a ``SimulationError`` naming where it appeared. Chunks grow or shrink to
take about ``EngineOptions.chunk_seconds`` and hold at most ``chunk_bytes`` of monitor rows.
"""
import time

import numpy as np
from brian2.core.network import Network, TextReport
from brian2.devices.device import get_device
from brian2.units.allunits import second

from . import interrupts
from .errors import SimulationError

__all__ = ["ChunkLoop", "Kernel", "current_time", "make_reporter"]


class ChunkLoop:
    """Mixin of :class:`~astrosim.engine.simulator.Simulator`: the loop over chunks."""

    def _loop(self, kernel, clocks, monbufs, builder, duration_s, report, report_period,
              listeners):
        net = self.network
        device = get_device()
        reporter = make_reporter(report)
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
                interrupts.raise_pending()
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
                            current_time(kernel.ts[0], kernel.dts))
                net.t_ = current_time(kernel.ts[0], kernel.dts)
                bad = np.nonzero(kernel.err[:, 0] >= 0)[0]
                interrupts.raise_pending()
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
        net.t_ = float(t_start + duration_s) if completed else current_time(ts, dts)
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


class Kernel:
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


def current_time(ts, dts):
    return float(min(ts[k] * dts[k] for k in range(len(ts)))) if len(ts) else 0.0


def make_reporter(report):
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
