"""Speed: circuits per second, one batched run against the same circuits one by one in Brian2."""
from __future__ import annotations

import time

from .compare import random_inputs, simulate, simulate_trials

__all__ = ["bench_circuits"]


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench_circuits(batch=16, tokens=8, hidden=4, dim=4, *, T=0.05, dt=5e-4, mode="spiking", seed=0,
                   backends=("brian2", "astrosim"), trials=4, progress=print) -> dict:
    """Time ``batch`` circuits (a) one by one with Brian2, (b) batched with each back end.

    Wall times cover encode, build, run and read-out; each astrosim variant is run twice: the
    first call compiles (or loads the numba cache on disk from an earlier identical network), the
    second reuses the in-memory kernel. ``compile_s``/``run_s`` give the engine's own split. With
    ``trials > 1`` the batch is also run as ``trials`` noise realisations on the engine's batch axis.

    Returns
    -------
    dict with ``rows``: ``{'how', 'seconds', 'circuits_per_s', 'run_s'}`` and ``ratios`` (circuits/s of each
    batched variant divided by one-by-one Brian2).
    """
    q, k, v, w = random_inputs(batch, tokens, hidden, dim, seed=seed)
    sim = lambda sl, backend: simulate(q[sl], k[sl], v[sl], w[sl], T=T, dt=dt, mode=mode,  # noqa: E731
                                       backend=backend, seed=seed)
    rows = []

    def add(how, seconds, timings=None, count=batch):
        timings = timings or {}
        rows.append({"how": how, "seconds": seconds, "circuits": count, "circuits_per_s": count / seconds,
                     "run_s": timings.get("run"), "compile_s": timings.get("compile")})
        if progress:
            progress(f"{how:52s} {seconds:9.3f} s  {count / seconds:9.3f} circuits/s")

    total = 0.0
    run_total = 0.0
    for b in range(batch):
        sec, out = _timed(lambda: sim(slice(b, b + 1), "brian2"))
        total += sec
        run_total += out["seconds"]
    add("brian2, one circuit per run", total, {"run": run_total})
    if "brian2" in backends:
        sec, out = _timed(lambda: sim(slice(None), "brian2"))
        add(f"brian2, {batch} circuits in one network", sec, {"run": out["seconds"]})
    if "astrosim" in backends:
        sec, out = _timed(lambda: sim(slice(None), "astrosim"))
        add(f"astrosim, {batch} circuits, first call", sec, out["state"]["timings"])
        sec, out = _timed(lambda: sim(slice(None), "astrosim"))
        add(f"astrosim, {batch} circuits, warm", sec, out["state"]["timings"])
        if trials > 1:
            run = lambda: simulate_trials(q, k, v, w, trials=trials, T=T, dt=dt, mode=mode, seed=seed)  # noqa: E731
            sec, outs = _timed(run)
            add(f"astrosim, {batch} circuits x {trials} trials (batch axis), first call", sec,
                outs[0]["state"]["timings"], batch * trials)
            sec, outs = _timed(run)
            add(f"astrosim, {batch} circuits x {trials} trials (batch axis), warm", sec,
                outs[0]["state"]["timings"], batch * trials)
    base = rows[0]["circuits_per_s"]
    ratios = {r["how"]: r["circuits_per_s"] / base for r in rows[1:]}
    return {"settings": dict(batch=batch, tokens=tokens, hidden=hidden, dim=dim, T=T, dt=dt, mode=mode),
            "rows": rows, "ratios": ratios, "simulated_s_per_circuit": float(out["simulated"])}
