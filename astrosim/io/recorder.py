"""`H5Recorder`: a chunk listener streaming monitor data into an HDF5 file while the engine runs."""
import os
import time

import h5py

from .h5file import check_writable, create_file, open_file, set_attrs, write_batch_values, write_metadata
from .metadata import clock_steps, collect_groups, model_description, utc_now
from .monitors import MonitorWriter, describe_monitor

__all__ = ["H5Recorder", "split_metadata", "monitors_of"]

_RUN_KEYS = ("seed", "command", "script", "description")


def split_metadata(metadata):
    """Split caller metadata into run attributes, script text, namespace and user items."""
    metadata = dict(metadata or {})
    run = {k: metadata.pop(k) for k in _RUN_KEYS if k in metadata}
    source = metadata.pop("script_source", None)
    namespace = metadata.pop("namespace", None)
    if source is None and run.get("script") and os.path.isfile(str(run["script"])):
        with open(run["script"], encoding="utf-8") as fh:
            source = fh.read()
    return run, source, namespace, metadata


def monitors_of(network):
    """The recordable monitors of a Brian2 network, in name order."""
    from brian2 import EventMonitor, PopulationRateMonitor, StateMonitor

    found = [
        obj
        for obj in network.objects
        if isinstance(obj, (StateMonitor, PopulationRateMonitor))
        or (isinstance(obj, EventMonitor) and obj.record)
    ]
    return sorted(found, key=lambda m: m.name)


class H5Recorder:
    """Chunk listener writing every monitor of a run into an HDF5 file as the run goes.

    The file is in HDF5 single-writer/multiple-reader mode while the run goes: after each flush
    (every ``flush_every`` seconds of wall time, and at the end) it holds a consistent copy of all
    rows so far, even if the process is killed. ``complete=True`` is written last, when the run
    reached its end time.

    Parameters
    ----------
    path : str or path-like
        Output file.
    overwrite : bool
        Replace an existing file (otherwise `FileExistsError` is raised at once).
    metadata : dict, optional
        ``seed``, ``command``, ``script`` (path; its text is stored), ``description``,
        ``namespace`` (to resolve model parameters) and any user items (stored under
        ``/metadata/user``).
    flush_every : float
        Wall-clock seconds between flushes to disk.
    monitors : list of str, optional
        Names of the monitors to record (default: all).
    """

    def __init__(self, path, *, overwrite=False, metadata=None, flush_every=2.0, monitors=None):
        self.path = os.fspath(path)
        check_writable(self.path, overwrite)
        self.overwrite = overwrite
        self.metadata = dict(metadata or {})
        self.flush_every = float(flush_every)
        self.only = None if monitors is None else set(monitors)
        self._file = None
        self._writers = {}
        self._runs = []
        self._started = False

    # -- listener protocol ----------------------------------------------------------------
    def on_run_start(self, sim, duration_s):
        """Create (first run) or reopen the file and its datasets, then enter SWMR mode."""
        network = sim.network
        batch = int(getattr(sim, "batch", None) or 0)
        monitors = [m for m in monitors_of(network) if self.only is None or m.name in self.only]
        specs = [describe_monitor(m, batch) for m in monitors]
        run_info, source, namespace, user = split_metadata(self.metadata)
        if namespace is None:  # the run namespace, where the engine exposes it
            namespace = getattr(sim, "run_namespace", None)
        if run_info.get("seed") is None and getattr(sim, "seed", None) is not None:
            run_info["seed"] = sim.seed
        if not self._started:
            f = create_file(self.path, overwrite=self.overwrite)
            models, parameters = model_description(collect_groups(network.objects), namespace)
            run_info.update(start_time=utc_now(), batch=batch)
            write_metadata(f, run_info, models, parameters, clock_steps(network.objects), user, source)
            write_batch_values(f, sim, parameters)
            self._started = True
        else:
            f = open_file(self.path)
            f.attrs["complete"] = False
        self._t_start = float(network.t_)
        self._duration = float(duration_s)
        self._t_end = self._t_start
        self._wall0 = time.perf_counter()
        self._writers = {s["name"]: MonitorWriter(f["monitors"], s) for s in specs}
        f.flush()
        f.swmr_mode = True
        self._file = f
        self._last_flush = time.perf_counter()

    def on_chunk(self, sim, data, t_end):
        """Buffer the new rows; write whole chunks; flush every ``flush_every`` seconds."""
        for name, rows in data.items():
            writer = self._writers.get(name)
            if writer is not None:
                writer.append(rows)
        self._t_end = float(t_end)
        if time.perf_counter() - self._last_flush >= self.flush_every:
            self.flush()

    def on_run_end(self, sim):
        """Write everything, leave SWMR mode and mark the file complete if the run reached its end."""
        if self._file is None:
            return
        self.flush()
        self._file.close()
        self._file = None
        wall = time.perf_counter() - self._wall0
        dt = min((w.spec["dt"] for w in self._writers.values()), default=0.0)
        finished = self._t_end >= self._t_start + self._duration - max(dt, 1e-12) / 2
        self._runs.append([self._t_start, self._t_end, wall])
        with open_file(self.path) as f:
            for writer in self._writers.values():
                if writer.kind in ("spikes", "events"):
                    f["monitors"][writer.spec["name"]].attrs["sorting"] = (
                        "by_time" if writer.sorted_by_time else "none"
                    )
            set_attrs(
                f["metadata"],
                {
                    "end_time": utc_now(),
                    "wall_time": sum(r[2] for r in self._runs),
                    "duration": sum(r[1] - r[0] for r in self._runs),
                    "runs": self._runs,
                },
            )
            f.flush()
            f.attrs["complete"] = bool(finished)
            f.flush()

    # -- helpers ---------------------------------------------------------------------------
    def flush(self):
        """Write all buffered rows and flush the file to disk."""
        if self._file is None:
            return
        for writer in self._writers.values():
            writer.write(force=True)
        self._file.flush()
        self._last_flush = time.perf_counter()

    def close(self):
        """Flush and close without marking the file complete (for aborted runs)."""
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None
