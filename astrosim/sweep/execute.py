"""Running the tasks of a sweep: in this process, on a local Dask cluster or on an existing one."""
import os
import socket
import sys
import time

from astrosim.progress import format_seconds

from .grid import SweepInputError
from .seeds import check_engine_streams
from .store import to_columns, write_shard

__all__ = ["SweepTaskError", "run_task", "run_local", "run_dask", "PointProgress"]


class SweepTaskError(RuntimeError):
    """A task failed (an error in the model or protocol, not a lost worker)."""


def run_task(runner, task):
    """Worker side: run one chunk and return its results as plain arrays (no Brian2 objects)."""
    check_engine_streams()
    start = time.perf_counter()
    results = runner.run_chunk(task["points"], task["seeds"], task["build_seeds"])
    if len(results) != len(task["points"]):
        raise SweepTaskError(f"{runner.label}: {len(results)} results for {len(task['points'])} points")
    columns, skipped = to_columns(results)
    return {"id": task["id"], "columns": columns, "skipped": skipped, "seconds": time.perf_counter() - start,
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


def _describe(task, limit=3):
    shown = "; ".join(", ".join(f"{k}={v}" for k, v in p.items()) for p in task["points"][:limit])
    more = f" (+{len(task['points']) - limit} more)" if len(task["points"]) > limit else ""
    return f"task {task['id']} ({shown}{more})"


class PointProgress:
    """Points done, points per second and ETA; redrawn in place on a terminal, sparse lines otherwise."""

    def __init__(self, total, done=0, stream=None, enabled=True, width=24, min_interval=0.5):
        self.total, self.done, self.start_done = int(total), int(done), int(done)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled, self.width, self.min_interval = enabled, width, min_interval
        self.tty = enabled and getattr(self.stream, "isatty", lambda: False)()
        self.t0 = time.perf_counter()
        self._last = -float("inf")
        self._last_tenth = -1
        self.lines = []

    def status(self):
        elapsed = time.perf_counter() - self.t0
        new = self.done - self.start_done
        rate = new / elapsed if elapsed > 0 and new else 0.0
        remaining = (self.total - self.done) / rate if rate else None
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        eta = f"done in {format_seconds(elapsed)}" if self.done >= self.total else f"ETA {format_seconds(remaining)}"
        return (f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} points  "
                f"{rate:.3g} points/s  {eta}")

    def update(self, points):
        self.done += int(points)
        if not self.enabled:
            return
        now = time.perf_counter()
        tenth = (10 * self.done) // max(self.total, 1)
        if self.tty and (now - self._last >= self.min_interval or self.done >= self.total):
            self._show("\r", "")
        elif not self.tty and (tenth != self._last_tenth or now - self._last >= 30):
            self._show("", "\n")
        self._last, self._last_tenth = now, tenth

    def close(self):
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _show(self, start, end):
        line = self.status()
        self.lines.append(line)
        self.stream.write(start + line + end)
        self.stream.flush()


def _finish(out, task, reply, progress, on_shard):
    write_shard(out, task, reply["columns"], reply["seconds"], reply["worker"], skipped=reply["skipped"])
    progress.update(len(task["points"]))
    if on_shard is not None:
        on_shard(task, reply)


def run_local(runner, tasks, out, progress, on_shard=None):
    """Run ``tasks`` one after the other in this process."""
    for task in tasks:
        try:
            reply = run_task(runner, task)
        except SweepInputError:
            raise
        except Exception as err:
            raise SweepTaskError(f"{runner.label}: {_describe(task)} failed: {type(err).__name__}: {err}") from err
        _finish(out, task, reply, progress, on_shard)


def local_cluster(workers, threads_per_worker=1, dashboard=True):
    """A ``LocalCluster`` of ``workers`` processes, each limited to ``threads_per_worker`` engine threads."""
    from dask.distributed import LocalCluster

    threads = str(int(threads_per_worker))
    env = {"NUMBA_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
    cache = os.environ.get("ASTROSIM_CACHE_DIR")
    if cache:
        env["ASTROSIM_CACHE_DIR"] = cache
    return LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, env=env,
                        dashboard_address=":0" if dashboard else None)


def _preload_plugin():
    from dask.distributed import WorkerPlugin

    class PreloadBrian2(WorkerPlugin):
        """Import Brian2 and the engine when a worker starts: in its main thread (Brian2 installs a signal
        handler on import, which fails in a task thread) and before the first task's clock starts."""

        name = "astrosim-preload-brian2"

        def setup(self, worker):
            import brian2  # noqa: F401

            import astrosim.engine  # noqa: F401

    return PreloadBrian2()


def _dask():
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise SweepInputError("astrosim sweep on Dask needs dask.distributed: pip install 'astrosim[dask]' "
                              "(or run in this process with workers=0)") from None


def run_dask(runner, tasks, out, progress, *, workers=None, scheduler=None, on_shard=None, on_client=None,
             print_fn=print, threads_per_worker=1):
    """Submit ``tasks`` to a Dask cluster (``scheduler`` address, or a new LocalCluster of ``workers``)."""
    _dask()
    from dask.distributed import Client, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = local_cluster(workers, threads_per_worker)
        client = Client(cluster)
    futures = {}
    try:
        import importlib.util

        link = getattr(client, "dashboard_link", None) if importlib.util.find_spec("bokeh") else None
        link = link or "not available (it needs bokeh: pip install 'astrosim[dask]')"
        n_workers = len(client.scheduler_info().get("workers", {}))
        print_fn(f"dask: {n_workers} worker(s) at {client.scheduler.address}; dashboard {link}")
        client.register_plugin(_preload_plugin())  # also runs on workers that join or restart later
        if on_client is not None:
            on_client(client)
        by_key = {}
        for task in tasks:
            future = client.submit(run_task, runner, task, pure=False, key=f"astrosim-sweep-task-{task['id']}-"
                                   f"{os.getpid()}-{time.time_ns()}")
            futures[future.key] = future
            by_key[future.key] = task
        for future in as_completed(list(futures.values())):
            task = by_key[future.key]
            try:
                reply = future.result()
            except SweepInputError:
                raise
            except Exception as err:
                name = type(err).__name__
                if name == "KilledWorker":
                    raise SweepTaskError(f"{runner.label}: {_describe(task)} killed its worker repeatedly "
                                         f"(dask gave up after its allowed failures): {err}") from err
                raise SweepTaskError(f"{runner.label}: {_describe(task)} failed: {name}: {err}") from err
            _finish(out, task, reply, progress, on_shard)
            del futures[future.key]
    finally:
        for future in futures.values():
            future.cancel()
        client.close()
        if cluster is not None:
            cluster.close()
