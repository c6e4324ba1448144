"""Cost of streaming all spikes of the COBA example (Stimberg et al. 2018, example 1) into HDF5.

Runs the 4000-neuron COBA network with the astrosim engine in three variants, side by side
in one process (same build seed, alternating order, median of the repeats):

* ``plain``     no monitor at all,
* ``monitor``   a SpikeMonitor on all neurons, kept in Brian2's monitor,
* ``hdf5``      the same SpikeMonitor streamed by ``astrosim.io.H5Recorder``
                (``keep_in_monitors=False``, the streaming set-up).

Usage: ``python benchmarks/io_overhead.py [--duration 1.0] [--repeats 3]``

``--read-speed STEPS`` writes a large file and times opening it, reading one cell's whole trace
and reading a short time window of all cells.

``--memory`` instead measures the peak memory of streaming *every* state variable of
``--cells`` LIF cells (``StateMonitor(G, True, record=True)``, ``keep_in_monitors=False``) for
several durations, each in a fresh process: bounded memory means the peak does not grow
with the amount of data written.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import brian2 as b2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from networks import build_coba  # noqa: E402

import astrosim  # noqa: E402
import astrosim.io as aio  # noqa: E402


class Timed:
    """Wraps a listener and adds up the wall time spent in its callbacks."""

    def __init__(self, inner):
        self.inner, self.seconds, self.by_callback = inner, 0.0, {}

    def _timed(self, name, *args):
        t0 = time.perf_counter()
        getattr(self.inner, name)(*args)
        spent = time.perf_counter() - t0
        self.seconds += spent
        self.by_callback[name] = self.by_callback.get(name, 0.0) + spent

    def on_run_start(self, sim, duration):
        self._timed("on_run_start", sim, duration)

    def on_chunk(self, sim, data, t_end):
        self._timed("on_chunk", sim, data, t_end)

    def on_run_end(self, sim):
        self._timed("on_run_end", sim)


class Mark:
    """Listener noting wall and CPU time at run start (first in the list) or run end (last)."""

    def __init__(self, at):
        self.at, self.wall, self.cpu = at, None, None

    def _mark(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def on_run_start(self, sim, duration):
        if self.at == "start":
            self._mark()

    def on_chunk(self, sim, data, t_end):
        pass

    def on_run_end(self, sim):
        if self.at == "end":
            self._mark()


def one_run(variant, duration, tmpdir, seed=2018):
    """Build COBA, run it ``duration`` seconds; return (wall seconds of the run, spike count)."""
    b2.start_scope()
    b2.seed(seed)
    ns = build_coba(monitors=False)
    objects = [v for v in ns.values() if isinstance(v, b2.Group) and not isinstance(v, b2.Subgroup)]
    listeners, keep = [], True
    if variant != "plain":
        mon = b2.SpikeMonitor(ns["neurons"], name="coba_spikes")
        objects.append(mon)
    if variant == "hdf5":
        path = os.path.join(tmpdir, "coba.h5")
        listeners = [Timed(aio.H5Recorder(path, overwrite=True))]
        keep = False
    net = b2.Network(*objects)
    sim = astrosim.Simulator(net, seed=seed, keep_in_monitors=keep)
    constants = {k: v for k, v in ns.items() if not isinstance(v, (b2.Group, b2.Subgroup))}
    start, end = Mark("start"), Mark("end")
    sim.run(duration * b2.second, namespace=constants, listeners=[start, *listeners, end])
    # the run loop with every callback (network preparation and compilation excluded)
    wall, cpu = end.wall - start.wall, end.cpu - start.cpu
    if variant == "plain":
        n = 0
    elif variant == "monitor":
        n = len(mon.t)
    else:
        with aio.load(path) as rec:
            n = len(rec["coba_spikes"])
    if listeners:
        print("    recorder callbacks: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in listeners[0].by_callback.items()))
    return wall, cpu, n, (listeners[0].seconds if listeners else 0.0)


def memory_child(cells, duration, path):
    """One streaming run of ``cells`` cells recording every state variable; prints its numbers."""
    import resource

    b2.prefs.codegen.target = "numpy"
    tau = 10 * b2.ms
    G = b2.NeuronGroup(cells, "dv/dt = (I - v)/tau : volt (unless refractory)\nI : volt\nw : 1",
                       threshold="v > 10*mV", reset="v = 0*mV; w += 1", refractory=2 * b2.ms,
                       method="exact", name="cells")
    G.I = "(5 + 10.0*i/N) * mV"
    M = b2.StateMonitor(G, True, record=True, name="all_state")
    net = b2.Network(G, M)
    sim = astrosim.Simulator(net, seed=1, keep_in_monitors=False)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    rows = ChunkRows()
    sim.run(duration * b2.second, namespace={"tau": tau}, listeners=[aio.H5Recorder(path, overwrite=True), rows])
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with aio.load(path) as rec:
        ds = [rec["all_state"].dataset(v) for v in rec["all_state"].variables if v != "t"]
        raw = sum(d.size * d.dtype.itemsize for d in ds) / 2**20
        names = [v for v in rec["all_state"].variables if v != "t"]
    size = os.path.getsize(path) / 2**20
    print(f"MEMORY cells={cells} duration={duration} vars={names} raw_MB={raw:.0f} file_MB={size:.0f} "
          f"peak_rss_MB={peak:.0f} rss_before_run_MB={rss0:.0f} wall_s={wall:.1f} "
          f"largest_engine_chunk={rows.largest} steps ({rows.largest_bytes / 2**20:.0f} MB)", flush=True)


class ChunkRows:
    """Listener noting the largest chunk (time steps, bytes) the engine handed over."""

    largest = largest_bytes = 0

    def on_run_start(self, sim, duration):
        pass

    def on_chunk(self, sim, data, t_end):
        for rows in data.values():
            self.largest = max(self.largest, len(rows["t"]))
            self.largest_bytes = max(self.largest_bytes, sum(np.asarray(a).nbytes for a in rows.values()))

    def on_run_end(self, sim):
        pass


def read_speed(cells, steps, path):
    """Write ``steps`` x ``cells`` noisy float64 samples (poorly compressible), then time reads."""
    import types

    b2.start_scope()
    G = b2.NeuronGroup(cells, "v : volt", name="cells")
    M = b2.StateMonitor(G, "v", record=True, name="trace")
    net = b2.Network(G, M)
    sim = types.SimpleNamespace(network=types.SimpleNamespace(objects=net.objects, t_=0.0), batch=None)
    rec = aio.H5Recorder(path, overwrite=True, flush_every=5.0)
    rec.on_run_start(sim, steps * 1e-4)
    rng = np.random.default_rng(0)
    block = 200
    t0 = time.perf_counter()
    for start in range(0, steps, block):
        t = (np.arange(block) + start) * 1e-4
        rec.on_chunk(sim, {"trace": {"t": t, "v": -0.06 + 0.01 * rng.random((block, cells))}}, float(t[-1] + 1e-4))
    rec.on_run_end(sim)
    write = time.perf_counter() - t0
    size = os.path.getsize(path) / 2**30
    t0 = time.perf_counter()
    loaded = aio.load(path)
    _ = loaded.metadata
    t_open = time.perf_counter() - t0
    t0 = time.perf_counter()
    one_cell = loaded["trace"].read("v", indices=[cells // 2])
    t_cell = time.perf_counter() - t0
    t0 = time.perf_counter()
    window = loaded["trace"].read("v", t_start=steps * 0.5e-4, t_stop=steps * 0.5e-4 + 0.01)
    t_slice = time.perf_counter() - t0
    loaded.close()
    print(f"READ file {size:.2f} GiB ({steps} steps x {cells} cells, written in {write:.1f} s): "
          f"open + metadata {t_open * 1e3:.1f} ms; one cell's whole trace {one_cell.shape} {t_cell * 1e3:.0f} ms; "
          f"10 ms of all cells {window.shape} {t_slice * 1e3:.0f} ms")


def memory_main(cells, durations):
    import subprocess

    with tempfile.TemporaryDirectory() as tmpdir:
        for d in durations:
            out = subprocess.run([sys.executable, __file__, "--memory-child", str(cells), str(d),
                                  os.path.join(tmpdir, "mem.h5")], capture_output=True, text=True)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("MEMORY")]
            print(lines[0] if lines else out.stderr[-2000:], flush=True)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="peak-memory mode (see module doc)")
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--durations", type=float, nargs="+", default=[0.05, 0.2, 0.8])
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--read-speed", type=int, metavar="STEPS",
                        help="write STEPS x --cells noisy samples, then time open / per-cell / time-slice reads")
    args = parser.parse_args(argv)
    if args.memory_child:
        return memory_child(int(args.memory_child[0]), float(args.memory_child[1]), args.memory_child[2]) or 0
    if args.memory:
        return memory_main(args.cells, args.durations)
    if args.read_speed:
        with tempfile.TemporaryDirectory() as tmpdir:
            read_speed(args.cells, args.read_speed, os.path.join(tmpdir, "read.h5"))
        return 0
    b2.prefs.codegen.target = "numpy"
    variants = ("plain", "monitor", "hdf5")
    times = {v: [] for v in variants}
    cpus = {v: [] for v in variants}
    in_recorder = []
    spikes = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for v in variants:  # warm-up: compile (cached on disk) once per variant
            one_run(v, 0.01, tmpdir)
        for r in range(args.repeats):
            order = variants if r % 2 == 0 else variants[::-1]
            for v in order:
                wall, cpu, n, rec_seconds = one_run(v, args.duration, tmpdir)
                if v == "hdf5":
                    in_recorder.append(rec_seconds)
                times[v].append(wall)
                cpus[v].append(cpu)
                spikes[v] = n
                print(f"  repeat {r} {v:<8} run loop {wall:7.3f} s wall, {cpu:7.3f} s CPU  spikes {n}", flush=True)
    med = {v: statistics.median(t) for v, t in times.items()}
    cmed = {v: statistics.median(t) for v, t in cpus.items()}
    print(f"\nCOBA 4000 neurons, {args.duration:g} s simulated, median of {args.repeats} "
          "(run loop; network preparation and compilation excluded)")
    for v in variants:
        print(f"  {v:<8} wall {med[v]:7.3f} s ({med[v] / med['plain']:.3f} x plain)   "
              f"CPU {cmed[v]:7.3f} s ({cmed[v] / cmed['plain']:.3f} x plain)")
    print(f"  CPU-time cost of HDF5 streaming: {(cmed['hdf5'] / cmed['plain'] - 1) * 100:+.1f} % "
          f"({'within' if cmed['hdf5'] / cmed['plain'] - 1 <= 0.10 else 'ABOVE'} the 10 % target)")
    overhead = med["hdf5"] / med["plain"] - 1
    print(f"  wall-time cost of streaming {spikes['hdf5']} spikes: {overhead * 100:+.1f} %"
          f" ({'within' if overhead <= 0.10 else 'ABOVE'} the 10 % target)")
    share = statistics.median(in_recorder) / med["plain"]
    print(f"  time inside the H5Recorder callbacks: {statistics.median(in_recorder):.3f} s"
          f" = {share * 100:.1f} % of the unrecorded run time")
    print(f"  (Brian2 monitor only: {(med['monitor'] / med['plain'] - 1) * 100:+.1f} %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
