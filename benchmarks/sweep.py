"""Sweep benchmark: a Fig. 3-style grid (input rate x resting release probability) of the AN model.

astrosim: ``astrosim.sweep('calcium_vs_frequency', ...)`` on a Dask LocalCluster of 1 and 2 worker
processes (each chunk one batched engine run). Peer: the same points the way Brian2's documentation
runs parameter sweeps on several cores, one ``brian2`` run per point in ``joblib.Parallel`` worker
processes (Brian2's default code generation target, Cython where a compiler exists), with 1 and 2
jobs. Both sides build the same network (``astrosim.models.an_model``, one AN unit per point, dt =
1 ms forward Euler) and report the mean Ca2+ over the averaging window of every point.

Caches are warm on both sides (one warm-up run each, timed and reported separately): the numbers
are the steady state of a user who sweeps repeatedly. Wall times include starting the worker
processes (Dask cluster, joblib's loky pool).

Usage: ``python benchmarks/sweep.py [--rates 20] [--pr0 10] [--duration 2] [--workers 1,2]
[--jobs 1,2] [--out results.json]`` (needs ``pip install joblib`` for the peer).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

__all__ = ["main", "brian2_point", "grid_values"]


def grid_values(n_rates, n_pr0):
    """Rates 0.5, 1.0, ... Hz and PR0 0.05, 0.10, ... (``n_rates`` x ``n_pr0`` points)."""
    return np.round(0.5 * np.arange(1, n_rates + 1), 6), np.round(0.05 * np.arange(1, n_pr0 + 1), 6)


def brian2_point(rate_hz, pr0, duration_s, average_from_s, seed):
    """One point with Brian2 alone (the peer): build the AN unit, ``Network.run``, mean Ca2+ in uM."""
    import brian2 as b2

    from astrosim.models import an_model

    b2.start_scope()
    b2.seed(seed)
    net = an_model.build(1, rate=rate_hz * b2.Hz, PR0=pr0, neurons_per_astrocyte=2, synapses_per_neuron=10)
    mon = b2.StateMonitor(net.astrocytes, "C", record=True, dt=100 * b2.ms)
    b2.Network(*net.objects, mon).run(duration_s * b2.second)
    window = np.asarray(mon.t / b2.second) >= average_from_s
    return float(np.asarray(mon.C[0] / b2.umolar)[window].mean())


def _brian2_sweep(points, jobs, duration, average_from):
    from joblib import Parallel, delayed

    start = time.perf_counter()
    values = Parallel(n_jobs=jobs)(delayed(brian2_point)(r, p, duration, average_from, 1000 + k)
                                   for k, (r, p) in enumerate(points))
    return time.perf_counter() - start, np.asarray(values)


def _astrosim_sweep(rates, pr0, workers, duration, average_from, out, chunk=None):
    import astrosim

    grid = {"rates": ",".join(f"{r}*Hz" for r in rates), "PR0": ",".join(str(p) for p in pr0)}
    fixed = {"duration": f"{duration}*second", "average_from": f"{average_from}*second", "repeats": "1",
             "record_dt": "100*ms"}
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    res = astrosim.sweep("calcium_vs_frequency", grid, fixed=fixed, workers=workers, seed=1, out=out, chunk=chunk,
                         progress=True)
    return time.perf_counter() - start, res.raw("calcium_uM")[..., 0], res


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=int, default=20, help="rates on the grid (0.5 Hz steps)")
    parser.add_argument("--pr0", type=int, default=10, help="PR0 values on the grid (0.05 steps)")
    parser.add_argument("--duration", type=float, default=2.0, help="simulated seconds per point")
    parser.add_argument("--workers", default="1,2", help="Dask worker processes to try")
    parser.add_argument("--jobs", default="1,2", help="joblib jobs to try ('' skips the Brian2 peer)")
    parser.add_argument("--chunk", type=int, help="points per astrosim task (default: the sweep's own choice)")
    parser.add_argument("--out", help="write the numbers as JSON here")
    args = parser.parse_args(argv)
    rates, pr0 = grid_values(args.rates, args.pr0)
    n = len(rates) * len(pr0)
    average_from = args.duration / 2
    points = [(r, p) for r in rates for p in pr0]
    report = {"points": n, "duration_s": args.duration, "cpus": os.cpu_count(), "load_before": os.getloadavg(),
              "astrosim": {}, "brian2_joblib": {}}
    tmp = tempfile.mkdtemp(prefix="astrosim-sweep-bench-")
    print(f"{n} points ({len(rates)} rates x {len(pr0)} PR0), {args.duration} s simulated each", flush=True)
    # warm-up: compile the kernels once (both chunk shapes are cached on disk for the workers)
    warm, _, _ = _astrosim_sweep(rates[:2], pr0[:2], 0, args.duration, average_from, os.path.join(tmp, "warm"))
    report["astrosim"]["warm_up_s"] = warm
    print(f"astrosim warm-up (compile, 4 points in this process): {warm:.1f} s", flush=True)
    reference = None
    for w in [int(x) for x in args.workers.split(",") if x]:
        wall, ca, res = _astrosim_sweep(rates, pr0, w, args.duration, average_from, os.path.join(tmp, f"w{w}"),
                                        args.chunk)
        same = reference is None or np.array_equal(ca, reference, equal_nan=True)
        reference = ca if reference is None else reference
        report["astrosim"][w] = {"wall_s": wall, "points_per_s": n / wall, "chunk": res.run_info["chunk"],
                                 "tasks": res.run_info["tasks"], "identical_to_first": bool(same)}
        print(f"astrosim, {w} worker(s): {wall:.1f} s = {n / wall:.2f} points/s "
              f"(chunk {res.run_info['chunk']}, identical: {same})", flush=True)
    jobs = [int(x) for x in args.jobs.split(",") if x]
    if jobs:
        try:
            import joblib  # noqa: F401
        except ImportError:
            print("joblib is not installed: skipping the Brian2 peer (pip install joblib)")
            jobs = []
    if jobs:
        start = time.perf_counter()
        brian2_point(rates[0], pr0[0], args.duration, average_from, 0)  # Cython compile, once
        report["brian2_joblib"]["warm_up_s"] = time.perf_counter() - start
        print(f"brian2 warm-up (one point, Cython cache): {report['brian2_joblib']['warm_up_s']:.1f} s", flush=True)
    for j in jobs:
        wall, ca = _brian2_sweep(points, j, args.duration, average_from)
        report["brian2_joblib"][j] = {"wall_s": wall, "points_per_s": n / wall,
                                      "mean_Ca_uM": float(np.mean(ca))}
        print(f"brian2 + joblib, {j} job(s): {wall:.1f} s = {n / wall:.2f} points/s", flush=True)
    a, b = report["astrosim"], report["brian2_joblib"]
    for k in (1, 2):
        if k in a and k in b:
            report[f"ratio_{k}"] = a[k]["points_per_s"] / b[k]["points_per_s"]
            print(f"{k} process(es): astrosim / brian2+joblib = {report[f'ratio_{k}']:.1f}x")
    for name, side in (("astrosim", a), ("brian2_joblib", b)):
        if 1 in side and 2 in side:
            eff = side[2]["points_per_s"] / (2 * side[1]["points_per_s"])
            report[f"scaling_efficiency_{name}"] = eff
            print(f"{name}: 2 vs 1 process(es) scaling efficiency {eff:.0%}")
    if reference is not None and jobs:
        report["astrosim_mean_Ca_uM"] = float(np.nanmean(reference))
    report["load_after"] = os.getloadavg()
    shutil.rmtree(tmp, ignore_errors=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1, default=str)
    return report


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
