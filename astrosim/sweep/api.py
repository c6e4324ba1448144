"""``astrosim.sweep(...)``: run a protocol or a build function over a parameter grid."""
import os
import sys

from .execute import PointProgress, run_dask, run_local
from .grid import SweepInputError, make_axis, parse_axis
from .plan import plan_tasks
from .results import load_sweep
from .runners import ModelRunner, ProtocolRunner
from .store import done_tasks, index_record, prepare_folder, write_index

__all__ = ["run_sweep", "make_runner", "make_axes"]


def make_runner(target, fixed=None, duration=None):
    """A protocol name -> ProtocolRunner; a callable -> ModelRunner."""
    if isinstance(target, str):
        if duration is not None:
            raise SweepInputError(f"protocol {target}: set its duration as a fixed value (fixed={{'duration': ...}})")
        return ProtocolRunner(target, fixed)
    return ModelRunner(target, duration, fixed)


def make_axes(grid):
    """Axes from ``{name: values or 'v1,v2' / 'a:b:step'}`` or a list of ``'name=...'`` texts."""
    if isinstance(grid, dict):
        axes = [make_axis(str(k), v) for k, v in grid.items()]
    elif isinstance(grid, (list, tuple)) and all(isinstance(g, str) for g in grid):
        axes = [parse_axis(g) for g in grid]
    else:
        raise SweepInputError("grid must be a dict {name: values} or a list of 'name=v1,v2' / 'name=a:b:step' texts")
    if not axes:
        raise SweepInputError("a sweep needs at least one grid axis")
    names = [a.name for a in axes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SweepInputError(f"grid axis {repeated[0]!r} is given more than once")
    return axes


def run_sweep(target, grid, *, out, fixed=None, duration=None, seed=0, workers=None, scheduler=None, chunk=None,
              progress=True, stream=None, on_shard=None, on_client=None):
    """Run ``target`` at every point of ``grid`` and write the results to the sweep folder ``out``.

    Parameters
    ----------
    target : str or callable
        A protocol name (``astrosim protocol --list``) or a build function ``build(**params) ->
        astrosim.sweep.Model``.
    grid : dict or list of str
        ``{name: values}`` (lists, arrays, Brian2 quantities, or ``'v1,v2'`` / ``'a:b:step'``
        texts), or ``['name=v1,v2', ...]`` as on the command line.
    out : path
        The sweep folder: ``sweep.json`` plus ``shards/``. Rerunning the same sweep into the same
        folder runs only the tasks whose shard is missing.
    fixed : dict
        Values of the other parameters (``--set``); protocol values may be texts with units.
    duration : Quantity
        Simulated time per point (build functions only; protocols take ``fixed['duration']``).
    seed : int
        Sweep seed; each point's random stream follows from it and the point, not the chunking.
    workers : int
        Local worker processes (default: one per core); 0 runs every task in this process.
    scheduler : str
        Address of a running Dask scheduler (``tcp://host:8786``) instead of a local cluster.
    chunk : int
        Points per task (one batched run); default about four tasks per worker, at most 64 (with
        ``scheduler``, as if there were as many workers as local cores: give ``chunk`` for a big cluster).
    on_shard, on_client : callable
        ``on_shard(task, reply)`` after each shard is written; ``on_client(client)`` once the Dask
        client is up (monitoring, tests).

    Returns
    -------
    SweepResults
        As ``astrosim.io.load(out)``; ``.run_info`` tells how many tasks ran and were skipped.
    """
    print_fn = (lambda *a: print(*a, file=stream or sys.stderr)) if progress else (lambda *a: None)
    if isinstance(seed, bool) or int(seed) != seed or not 0 <= int(seed) < 2 ** 63:
        raise SweepInputError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    seed = int(seed)
    if scheduler and workers:
        raise SweepInputError("give either workers (a local cluster) or scheduler (an existing one), not both")
    if workers is None and not scheduler:
        workers = os.cpu_count() or 1
    if workers is not None and (int(workers) != workers or workers < 0):
        raise SweepInputError(f"workers must be a non-negative integer, got {workers!r}")
    if out is None:
        raise SweepInputError("a sweep needs an output folder (out=... / --out DIR)")
    # chunking: about four tasks per worker; for a running scheduler the size is not known here
    planned_workers = workers if not scheduler else max(os.cpu_count() or 1, 4)
    runner = make_runner(target, fixed, duration)
    axes = make_axes(grid)
    runner.check(axes)
    tasks, used_chunk = plan_tasks(runner, axes, seed, chunk, planned_workers or 0)
    record = index_record(runner, axes, seed, used_chunk, tasks)
    stored_chunk = prepare_folder(out, record)
    if stored_chunk is not None and stored_chunk != used_chunk:
        if chunk is not None:
            print_fn(f"{out}: continuing its sweep with its chunk size {stored_chunk} (not {chunk})")
        tasks, used_chunk = plan_tasks(runner, axes, seed, stored_chunk, planned_workers or 0)
        record = index_record(runner, axes, seed, used_chunk, tasks)
    if stored_chunk is None:
        write_index(out, record)
    finished = done_tasks(out, tasks)
    todo = [t for t in tasks if t["id"] not in finished]
    n_points = sum(len(t["points"]) for t in tasks)
    if finished:
        print_fn(f"{out}: {len(finished)} of {len(tasks)} tasks already done; running {len(todo)}")
    bar = PointProgress(n_points, n_points - sum(len(t["points"]) for t in todo), stream=stream,
                        enabled=progress)
    if todo:
        if workers == 0 and not scheduler:
            run_local(runner, todo, out, bar, on_shard=on_shard)
        else:
            run_dask(runner, todo, out, bar, workers=workers, scheduler=scheduler, on_shard=on_shard,
                     on_client=on_client, print_fn=print_fn)
    bar.close()
    result = load_sweep(out)
    result.run_info = {"tasks": len(tasks), "skipped": len(finished), "ran": len(todo), "chunk": used_chunk,
                       "progress": bar.lines}
    return result
