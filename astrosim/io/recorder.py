"""`H5Recorder`: a chunk listener streaming monitor data into an HDF5 file while the engine runs."""
import os
import sys
import time

import h5py

from .h5file import check_writable, create_file, open_file, set_attrs, write_batch_values, write_metadata
from .metadata import clock_steps, collect_groups, model_description, utc_now
from .monitors import MonitorWriter, describe_monitor

__all__ = ["H5Recorder", "split_metadata", "monitors_of", "set_status", "STATUSES"]

#: values of the root attribute ``status``
STATUSES = ("running", "complete", "interrupted", "failed")


def one_line(text):
    """``text`` on one line (newlines and runs of blanks become single spaces)."""
    return " ".join(str(text).split())


def set_status(f, status, reason="", t_complete=None):
    """Write the root attributes ``status``, ``status_reason``, ``t_complete`` (and ``complete``) of ``f``."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    f.attrs["status"] = status
    f.attrs["status_reason"] = one_line(reason)
    if t_complete is not None:
        f.attrs["t_complete"] = float(t_complete)
    f.attrs["complete"] = status == "complete"

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
    rows so far, even if the process is killed. The root attributes say how far the file can be
    trusted: ``status`` is ``'running'`` while recording, then ``'complete'``, ``'interrupted'``
    (Ctrl-C, ``Network.stop``, a killed process leaves ``'running'``) or ``'failed'`` (an
    exception; ``status_reason`` names it in one line, e.g. the NaN's variable, index, time and
    copy); ``t_complete`` is the simulated time (s) up to which every dataset is complete,
    updated at every flush.

    Use it as a context manager (``with H5Recorder(...) as rec: sim.run(...)``), or call
    `fail`, so that an error raised after the run's last chunk (a NaN) is written as the reason.

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
        self._t_end = None
        self.status = None

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
            set_status(f, "running", t_complete=float(network.t_))
        else:
            f = open_file(self.path)
            set_status(f, "running")
        self.status = "running"
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
        """Write everything, leave SWMR mode and write the status (complete, interrupted or failed)."""
        if self._file is None:
            return
        self.flush()
        self._file.close()
        self._file = None
        wall = time.perf_counter() - self._wall0
        dt = min((w.spec["dt"] for w in self._writers.values()), default=0.0)
        finished = self._t_end >= self._t_start + self._duration - max(dt, 1e-12) / 2
        self._runs.append([self._t_start, self._t_end, wall])
        error = sys.exc_info()[1]  # set when the run loop is left by an exception
        if isinstance(error, KeyboardInterrupt):
            status, reason = "interrupted", f"interrupted (Ctrl-C) at t = {self._t_end:g} s"
        elif error is not None:
            status, reason = "failed", f"{type(error).__name__}: {error}"
        elif finished:
            status, reason = "complete", ""
        else:
            status = "interrupted"
            reason = (f"the run stopped at t = {self._t_end:g} s before its end "
                      f"t = {self._t_start + self._duration:g} s")
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
            set_status(f, status, reason, t_complete=self._t_end)
            f.flush()
        self.status = status

    def fail(self, error, status="failed"):
        """Mark the file ``failed`` (or ``interrupted``) with ``error`` as the one-line reason.

        For errors raised after the recorder saw the end of the run (a NaN stops the run, then
        the engine raises). Does nothing if no file was created or it is already marked complete
        by a later run.
        """
        self.close()
        if not self._started or not os.path.exists(self.path):
            return
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        if isinstance(error, KeyboardInterrupt):
            status, reason = "interrupted", "interrupted (Ctrl-C)"
        with open_file(self.path) as f:
            set_status(f, status, reason)
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if error is not None:
            self.fail(error)
        else:
            self.close()
        return False

    # -- helpers ---------------------------------------------------------------------------
    def flush(self):
        """Write all buffered rows and flush the file to disk."""
        if self._file is None:
            return
        for writer in self._writers.values():
            writer.write(force=True)
        self._file.flush()
        if self._t_end is not None:  # every row up to here is on disk: say so
            self._file.attrs["t_complete"] = float(self._t_end)
            self._file.flush()
        self._last_flush = time.perf_counter()

    def close(self):
        """Flush and close without marking the file complete (for aborted runs).

        A run still marked ``running`` (its end never reached the recorder) becomes
        ``interrupted``.
        """
        if self._file is not None:
            self.flush()
            set_status(self._file, "interrupted",
                       f"recording closed before the run ended, at t = {self._t_end:g} s")
            self._file.close()
            self._file = None
            self.status = "interrupted"
