"""NEST's astrocyte_brunel_bernoulli example side by side: astrosim, Brian2 cpp_standalone, Brian2 cython, NEST.

Usage: ``python benchmarks/nest_astro.py [--scale 0.2] [--duration 1.0] [--threads 1]
[--peers astrosim,cpp_standalone,runtime,nest] [--per-synapse-sic] [--profile] [--warm]``.
The Brian2 peers run the transcription in astrosim/testing/networks/nest_astro_brunel.py (the same
connectivity, drawn with numpy); NEST runs its own example's models and connection rules. Each peer
runs in a fresh process, cold by default (private cython, cpp_standalone and astrosim caches).
Threads are equal where a peer can thread: astrosim (numba threads), cpp_standalone (OpenMP), NEST
(``local_num_threads``); Brian2's cython runtime is single-threaded. Prints per peer: construct
(objects and connections), compile (code generation and compilation; NEST: ``Prepare``), loop
(the simulation loop; NEST: ``Run``), total, and the network statistics (rates, calcium, IP3, SIC),
then the ratios. ``--profile`` adds a warm astrosim run with per-object timing
(``brian2.profiling_summary``); it is not part of the timed rows. Needs the ``nest`` extra for NEST.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

__all__ = ["main", "measure"]

PEERS = ("astrosim", "cpp_standalone", "runtime", "nest")
STATS = ("rate_exc_Hz", "rate_inh_Hz", "silent_fraction", "ca_mean_uM", "ca_sd_uM", "ip3_mean_uM",
         "sic_active_fraction", "sic_mean_pA")


def _measure_nest(args):
    import nest
    from astrosim.testing.networks.nest_astro_brunel import build_nest_network, nest_statistics

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = 0.1
    t0 = time.perf_counter()
    net = build_nest_network(nest, args.scale, seed=args.seed, threads=args.threads)
    t1 = time.perf_counter()
    nest.Prepare()
    t2 = time.perf_counter()
    nest.Run(args.duration * 1000.0)
    t3 = time.perf_counter()
    nest.Cleanup()
    out = {"construct": t1 - t0, "build": t2 - t1, "sim": t3 - t2, "connections": int(nest.num_connections)}
    out["stats"] = nest_statistics(nest, net, args.duration)
    return out


def measure(args):
    """Build and run the network with ``args.worker`` in *this* process; return a timing dict."""
    if args.worker == "nest":
        return _measure_nest(args)
    import brian2 as b2
    from astrosim.testing.networks.nest_astro_brunel import brian_statistics, build_nest_astro_brunel
    from benchmarks.engine import select_peer, time_peer

    peer, workdir = args.worker, args.workdir
    select_peer(peer, workdir, warm=args.warm)
    if peer == "cpp_standalone" and args.threads > 1:
        b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
    b2.defaultclock.dt = 0.1 * b2.ms
    duration = args.duration * b2.second
    t0 = time.perf_counter()
    ns = build_nest_astro_brunel(args.scale, seed=args.seed, per_synapse_sic=args.per_synapse_sic)
    out = {"construct": time.perf_counter() - t0, "connections": ns["n_connections"]}
    timing, sim = time_peer(peer, ns, duration, workdir, profile=peer == "astrosim-profile")
    out.update(timing)
    if peer == "astrosim-profile":
        out["profile"] = str(b2.profiling_summary(sim.network, show=12))
    out["stats"] = brian_statistics(ns, duration)
    return out


def _spawn(peer, args, workdir, warm=False):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    if not args.warm:  # a private astrosim cache for this invocation (the profiled run reuses it)
        env["ASTROSIM_CACHE_DIR"] = os.path.join(os.path.dirname(workdir), "astrosim-cache")
    if args.threads == 1:
        env["ASTROSIM_PARALLEL_MIN_SIZE"] = "0"  # no numba threads at all
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", peer, "--workdir", workdir,
           "--scale", str(args.scale), "--duration", str(args.duration), "--threads", str(args.threads),
           "--seed", str(args.seed)]
    cmd += ["--per-synapse-sic"] if args.per_synapse_sic else []
    cmd += ["--warm"] if (args.warm or warm) else []
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]), peer=peer)
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
    return {"peer": peer, "error": " | ".join(tail)}


def _table(rows):
    head = f"{'peer':15} {'construct':>9} {'compile':>9} {'loop':>9} {'total':>9} {'connections':>12}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['peer']:15} FAILED: {r['error'][:300]}")
            continue
        total = r["construct"] + r["build"] + r["sim"]
        lines.append(f"{r['peer']:15} {r['construct']:9.2f} {r['build']:9.2f} {r['sim']:9.2f} {total:9.2f} "
                     f"{r['connections']:12d}")
    ok = [r for r in rows if "error" not in r]
    lines += ["", f"{'statistic':20}" + "".join(f"{r['peer']:>15}" for r in ok)]
    for key in STATS:
        lines.append(f"{key:20}" + "".join(f"{r['stats'].get(key, float('nan')):15.4g}" for r in ok))
    return "\n".join(lines)


def _ratios(rows):
    by = {r["peer"]: r for r in rows if "error" not in r}
    a = by.get("astrosim")
    if a is None:
        return ""
    lines = []
    for peer in ("cpp_standalone", "runtime", "nest"):
        p = by.get(peer)
        if p is None:
            continue
        ta, tp = (r["construct"] + r["build"] + r["sim"] for r in (a, p))
        lines.append(f"{peer} / astrosim: loop {p['sim'] / a['sim']:.2f}x, compile {p['build'] / max(a['build'], 1e-9):.2f}x, "
                     f"total {tp / ta:.2f}x  (>1: astrosim faster)")
    return "\n".join(lines)


def main(argv=None):
    """Command-line entry point; returns an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2, help="size factor (1: 10k neurons, 10k astrocytes)")
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    parser.add_argument("--threads", type=int, default=1, help="threads for every peer that can use them")
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma list of {', '.join(PEERS)}")
    parser.add_argument("--per-synapse-sic", action="store_true",
                        help="compute the SIC in each sic_connection synapse (no delay) instead of per astrocyte")
    parser.add_argument("--profile", action="store_true", help="add a warm, profiled astrosim run")
    parser.add_argument("--warm", action="store_true", help="reuse the cython and astrosim caches")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(measure(args)), flush=True)
        return 0
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    bad = [p for p in peers if p not in PEERS]
    if bad:
        print(f"unknown peer(s) {bad}; choose from {PEERS}", file=sys.stderr)
        return 2
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# NEST astrocyte_brunel_bernoulli, scale {args.scale}, {args.duration} s, {args.threads} thread(s), "
          f"SIC {'per synapse' if args.per_synapse_sic else 'per astrocyte'}, "
          f"{'warm' if args.warm else 'cold'} caches, {os.cpu_count()} CPUs, load {load:.1f} at start", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="astrosim-nest-bench-") as tmp:
        for peer in peers:
            print(f"... {peer}", file=sys.stderr, flush=True)
            rows.append(_spawn(peer, args, os.path.join(tmp, peer)))
        if args.profile:
            print("... astrosim (profiled, warm)", file=sys.stderr, flush=True)
            profiled = _spawn("astrosim-profile", args, os.path.join(tmp, "astrosim-profile"), warm=True)
    print(_table(rows))
    print(_ratios(rows))
    if args.profile:
        print(f"\nastrosim profile (warm run, loop {profiled.get('sim', float('nan')):.2f} s with timing probes):")
        print(profiled.get("profile") or profiled.get("error"))
    if hasattr(os, "getloadavg"):
        print(f"# load {os.getloadavg()[0]:.1f} at end")
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
