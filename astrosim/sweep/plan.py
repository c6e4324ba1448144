"""Cutting a grid into tasks: run order, structural groups, chunks and their seeds.

Points whose structural parameters (those a batched run cannot vary per copy) agree form a group;
the run order lists the groups one after another (each in grid order), and a chunk is a run of
consecutive points of one group. Stream numbers and build seeds follow the run order and the
group, never the chunk, so results do not depend on the chunk size or the number of workers.
"""
import math

import numpy as np

from . import seeds as _seeds
from .grid import SweepInputError, grid_points

__all__ = ["plan_tasks", "default_chunk"]


def default_chunk(n_points, workers, groups=1):
    """Points per task: about four tasks per worker (load balance, progress), at most 64; in this
    process (``workers=0``) a whole group per task, at most 64."""
    per_group = max(1, math.ceil(n_points / max(groups, 1)))
    if not workers:
        return min(64, per_group)
    return max(1, min(64, per_group, math.ceil(n_points / (4 * workers))))


def plan_tasks(runner, axes, sweep_seed, chunk=None, workers=1):
    """Validate every point and return ``(tasks, chunk)``.

    Each task is a dict: ``id``, ``indices`` (flat grid indices), ``points`` (grid values),
    ``seeds`` (simulator seed per point) and ``build_seeds``.
    """
    points = grid_points(axes)
    params = [runner.resolve(p) for p in points]  # refuses bad values before anything runs
    structural = runner.structural(axes)
    extra = getattr(runner, "structure_of", lambda params: ())
    keys = [tuple(repr(p[name]) for name in structural) + extra(params[i]) for i, p in enumerate(points)]
    group_of = {}
    for key in keys:
        group_of.setdefault(key, len(group_of))
    order = sorted(range(len(points)), key=lambda i: group_of[keys[i]])  # stable: grid order inside a group
    if chunk is None:
        chunk = default_chunk(len(points), workers, len(group_of))
    if int(chunk) != chunk or chunk < 1:
        raise SweepInputError(f"chunk must be a positive integer, got {chunk!r}")
    chunk = int(chunk)
    stream = np.cumsum([0] + [runner.copies(params[i]) for i in order])
    tasks, start = [], 0
    while start < len(order):
        group = group_of[keys[order[start]]]
        stop = start
        while stop < len(order) and stop - start < chunk and group_of[keys[order[stop]]] == group:
            stop += 1
        run_index = range(start, stop)
        tasks.append({
            "id": len(tasks),
            "indices": [int(order[r]) for r in run_index],
            "points": [points[order[r]] for r in run_index],
            "seeds": [_seeds.chunk_seed(sweep_seed, int(stream[r])) for r in run_index],
            "build_seeds": [_seeds.build_seed(sweep_seed, group if runner.batched else r) for r in run_index],
        })
        start = stop
    return tasks, chunk
