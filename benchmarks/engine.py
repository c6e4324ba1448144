"""Engine benchmark suite: astrosim, Brian2 cpp_standalone, Brian2 runtime (cython) and NEST, side by side.

Usage: ``python benchmarks/engine.py [--networks coba,astro,nest_astro,brunel] [--duration S]
[--scale F] [--published] [--nest-full] [--skip-runtime] [--skip-cpp] [--skip-nest] [--warm]
[--bandwidth]`` (or ``astrosim bench engine ...``). Networks: ``coba`` (Stimberg 2018 Fig. 1),
``astro`` (Fig. 6 class, 1 s; ``--published``: 8 s as published), ``nest_astro`` (NEST 3.10's
astrocyte_brunel_bernoulli example at 1/5 size, through ``benchmarks/nest_astro.py``, with NEST
itself as a fourth peer; ``--nest-full``: full size) and ``brunel`` (Brunel 2000, which none of
the engine's passes was designed for). Each (network, peer) pair runs in its own fresh Python
process; by default every peer starts cold (fresh cython, cpp_standalone and astrosim caches),
so compile time is what a first run costs. For ``coba`` the loop is also set beside a floor:
its synaptic events and neuron updates times the per-event and per-neuron cost of hand-written
loops (``benchmarks/synaptic_loop.coba_floor``), measured in the same invocation.
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

PEERS = ("runtime", "cpp_standalone", "astrosim")
NETWORKS = {"coba": "Stimberg 2018 Fig. 1 COBA (4,000 neurons, STP synapses)",
            "astro": "Stimberg 2018 Fig. 6 neuron-astrocyte network (4,000 neurons, 3,200 astrocytes)",
            "nest_astro": "NEST astrocyte_brunel_bernoulli (1/5 size: 2,000 neurons, 2,000 astrocytes)",
            "brunel": "Brunel 2000 sparse LIF network (4,000 + 1,000 neurons, delta synapses, 1.5 ms delay)"}
#: peers in the order they run and are listed
ORDER = ("astrosim", "cpp_standalone", "runtime", "nest")


def _build(network, scale):
    from astrosim.testing.networks import build_brunel, build_coba, build_coba_with_astro

    s = lambda n: max(1, int(round(n * scale)))  # noqa: E731
    if network == "coba":
        return build_coba(s(3200), s(800), record_neuron=0, synapse_monitor=False)
    if network == "brunel":
        return build_brunel(s(4000), s(1000))
    return build_coba_with_astro(s(3200), s(800), s(3200))


def _coba_events(ns):
    """Synaptic events of a COBA run: each spike times its source's number of synapses."""
    import numpy as np

    n_e = len(ns["exc_neurons"])
    events = 0
    for mon, syn in (("exc_mon", "exc_syn"), ("inh_mon", "inh_syn")):
        counts = np.asarray(ns[mon].count[:], dtype=np.int64)
        outdeg = np.bincount(np.asarray(ns[syn].i[:], dtype=np.int64), minlength=len(counts))
        events += int((counts * outdeg[:len(counts)]).sum())
    return events, n_e


def _spike_count(ns):
    import brian2 as b2

    return int(sum(m.num_spikes for m in ns.values() if isinstance(m, b2.SpikeMonitor)))


def select_peer(peer, workdir, warm=False):
    """Brian2 target and device for one peer: 'runtime' (cython), 'cpp_standalone' or an astrosim one.

    Cold runs (``warm=False``) get a private cython cache in ``workdir``. Astrosim peers run under
    the astrosim device, which is what a cpp_standalone script becomes (``connect`` compiled).
    """
    import brian2 as b2

    b2.prefs.codegen.target = "cython" if peer == "runtime" else "numpy"
    if not warm:
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(workdir, "cython")
    if peer == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=os.path.join(workdir, "cpp"), build_on_run=False)
    elif peer.startswith("astrosim"):
        import astrosim.engine  # noqa: F401  (registers the device)

        b2.set_device("astrosim")


def time_peer(peer, ns, duration, workdir, profile=False):
    """Run a built namespace with the peer chosen by :func:`select_peer`; ``({build, sim, ...}, sim)``.

    ``build`` is code generation and compilation, ``sim`` the time loop (Brian2's own run time for
    cpp_standalone, the engine's ``timings['run']`` for astrosim); the second item is the
    astrosim ``Simulator`` (None for Brian2 peers).
    """
    import brian2 as b2
    from astrosim.testing.networks import run_in_namespace

    if peer == "runtime":
        t1 = time.perf_counter()
        run_in_namespace(b2.run, ns, 0 * b2.ms)  # code generation + cython compilation
        t2 = time.perf_counter()
        run_in_namespace(b2.run, ns, duration)
        return {"build": t2 - t1, "sim": time.perf_counter() - t2}, None
    if peer == "cpp_standalone":
        run_in_namespace(b2.run, ns, duration)
        t1 = time.perf_counter()
        b2.device.build(directory=os.path.join(workdir, "cpp"), compile=True, run=True)
        total = time.perf_counter() - t1
        loop = float(b2.device._last_run_time)
        return {"build": total - loop, "sim": loop}, None
    import astrosim

    t1 = time.perf_counter()
    sim = run_in_namespace(astrosim.run, ns, duration, profile=profile)
    total = time.perf_counter() - t1
    timings = dict(getattr(sim, "timings", {}) or {})
    loop = float(timings.get("run", total))
    return {"build": total - loop, "sim": loop, "timings": timings}, sim


def measure(network, peer, duration_s, scale=1.0, workdir=None):
    """Build and run one network with one peer in *this* process; return a timing dict."""
    import brian2 as b2

    workdir = workdir or tempfile.mkdtemp(prefix="astrosim-bench-")
    select_peer(peer, workdir, warm=os.environ.get("ASTROSIM_BENCH_WARM") == "1")
    threads = int(os.environ.get("ASTROSIM_BENCH_THREADS", "0"))
    if peer == "cpp_standalone" and threads > 1:
        b2.prefs.devices.cpp_standalone.openmp_threads = threads
    b2.seed(28371)
    duration = duration_s * b2.second
    t0 = time.perf_counter()
    ns = _build(network, scale)
    construct = time.perf_counter() - t0
    out = {"network": network, "peer": peer, "construct": construct}
    out.update(time_peer(peer, ns, duration, workdir)[0])
    out["total"] = out["construct"] + out["build"] + out["sim"]
    out["spikes"] = _spike_count(ns)
    if network == "coba":
        out["events"], _ = _coba_events(ns)
        out["n_synapses"] = int(len(ns["exc_syn"]) + len(ns["inh_syn"]))
        out["n_neurons"] = int(len(ns["neurons"]))
        out["steps"] = int(round(duration_s / float(b2.defaultclock.dt_)))
    return out


def _worker(args):
    res = measure(args.networks, args.worker, args.duration, args.scale, args.workdir)
    print("RESULT " + json.dumps(res), flush=True)
    return 0


def _spawn_nest_astro(peer, args, workdir):
    """One peer of NEST's astrocyte example through ``benchmarks/nest_astro.py``'s worker."""
    from benchmarks import nest_astro

    scale = (1.0 if args.nest_full else 0.2) * args.scale
    ns_args = argparse.Namespace(threads=max(args.threads, 1), scale=scale, duration=args.duration or 1.0, seed=100,
                                 per_synapse_sic=False, warm=args.warm)
    res = nest_astro._spawn(peer, ns_args, workdir)
    res["network"] = "nest_astro"
    if "error" not in res:
        res["total"] = res["construct"] + res["build"] + res["sim"]
        res["spikes"] = None
    return res


def _duration(network, args):
    if args.duration is not None:
        return args.duration
    return 8.0 if (network == "astro" and args.published) else 1.0


def _spawn(network, peer, args, workdir):
    if network == "nest_astro":
        return _spawn_nest_astro(peer, args, workdir)
    env = dict(os.environ)
    if args.threads == 1:  # every peer on one thread: astrosim without numba threads
        env.update(ASTROSIM_PARALLEL_MIN_SIZE="0", NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    elif args.threads > 1:
        env.update(NUMBA_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads),
                   ASTROSIM_BENCH_THREADS=str(args.threads))
    if args.warm:
        env["ASTROSIM_BENCH_WARM"] = "1"
    else:
        env["ASTROSIM_CACHE_DIR"] = os.path.join(workdir, "astrosim-cache")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", peer, "--networks", network,
           "--duration", str(_duration(network, args)), "--scale", str(args.scale), "--workdir", workdir]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"network": network, "peer": peer, "error": " | ".join(tail)}


def _table(rows):
    head = (f"{'network':10} {'peer':15} {'construct':>9} {'compile':>9} {'loop':>9} {'total':>9} "
            f"{'spikes':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['network']:10} {r['peer']:15} FAILED: {r['error'][:200]}")
            continue
        spikes = "-" if r.get("spikes") is None else str(r["spikes"])
        lines.append(f"{r['network']:10} {r['peer']:15} {r['construct']:9.2f} {r['build']:9.2f} "
                     f"{r['sim']:9.2f} {r['total']:9.2f} {spikes:>8}")
    return "\n".join(lines)


def _ratios(rows):
    """Per network and peer: peer time / astrosim time for loop, compile and total (>1: astrosim faster)."""
    lines = []
    by = {(r["network"], r["peer"]): r for r in rows if "error" not in r}
    for net in NETWORKS:
        a = by.get((net, "astrosim"))
        if a is None:
            continue
        for peer in ORDER[1:]:
            p = by.get((net, peer))
            if p is None:
                continue
            lines.append(f"{net}: {peer} / astrosim: loop {p['sim'] / a['sim']:.2f}x, compile "
                         f"{p['build'] / max(a['build'], 1e-9):.2f}x, total "
                         f"{p['total'] / a['total']:.2f}x  (>1: astrosim faster)")
    return "\n".join(lines)


def _floor_line(rows):
    """The COBA loop beside its floor (hand-written loops of the same work, this machine, now)."""
    from benchmarks.synaptic_loop import coba_floor

    a = next((r for r in rows if r["network"] == "coba" and r["peer"] == "astrosim"
              and "error" not in r), None)
    if a is None:
        return ""
    n_sources = a["n_neurons"]
    f = coba_floor(a["n_neurons"], a["n_synapses"], n_sources, a["events"], a["steps"])
    return (f"coba floor: {a['events']} synaptic events x {f['c_event_ns']:.2f} ns + "
            f"{a['steps']} steps x {a['n_neurons']} neurons x {f['c_neuron_ns']:.2f} ns = "
            f"{f['floor']:.4f} s; astrosim loop {a['sim']:.4f} s = {a['sim'] / f['floor']:.2f}x "
            f"the floor (hand-written numba loops: STP update + scattered add per event over rows "
            f"of {f['row']} synapses; Euler, refractoriness and threshold per neuron)")


def main(argv=None):
    """Command-line entry point; returns an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args)
    return run_benchmark(args)


def add_arguments(parser):
    """Options shared by the script and ``astrosim bench engine``."""
    parser.add_argument("--duration", type=float, default=None,
                        help="simulated seconds for every network (default 1.0; astro 8.0 with --published)")
    parser.add_argument("--networks", default=",".join(NETWORKS),
                        help=f"comma list of: {', '.join(NETWORKS)} (default all)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="network size factor (quick checks; nest_astro: of its 1/5 or full size)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per peer (default 1: equal; 0: each peer's default, i.e. astrosim "
                             "threads its large loops over all cores, cpp_standalone and cython use one; "
                             "NEST gets max(threads, 1))")
    parser.add_argument("--published", action="store_true", help="astro for 8 s, as published")
    parser.add_argument("--nest-full", action="store_true",
                        help="nest_astro at full size (10,000 neurons, 10,000 astrocytes)")
    parser.add_argument("--skip-runtime", action="store_true", help="leave out Brian2 runtime mode")
    parser.add_argument("--skip-cpp", action="store_true", help="leave out Brian2 cpp_standalone")
    parser.add_argument("--skip-nest", action="store_true", help="leave out NEST (nest_astro only)")
    parser.add_argument("--warm", action="store_true", help="reuse the cython and astrosim kernel caches (cpp_standalone always compiles)")
    parser.add_argument("--bandwidth", action="store_true",
                        help="add the memory bandwidth and the COBA spike-replay measurement (slow)")
    parser.add_argument("--no-bandwidth", action="store_true", help=argparse.SUPPRESS)


def run_benchmark(args):
    """Run every requested (network, peer) pair, print the table, the ratios and the COBA floor."""
    peers = [p for p in ORDER if not (p == "runtime" and args.skip_runtime)
             and not (p == "cpp_standalone" and args.skip_cpp) and not (p == "nest" and args.skip_nest)]
    nets = [n.strip() for n in args.networks.split(",") if n.strip()]
    bad = [n for n in nets if n not in NETWORKS]
    if bad:
        print(f"unknown network(s) {bad}; choose from {sorted(NETWORKS)}", file=sys.stderr)
        return 2
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# durations {', '.join(f'{n} {_duration(n, args)} s' for n in nets)}; scale {args.scale}; "
          f"{'warm' if args.warm else 'cold'} caches; threads {args.threads or 'default'}; {os.cpu_count()} CPUs; load {load:.1f} at start",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="astrosim-bench-") as tmp:
        for net in nets:
            for peer in peers:
                if peer == "nest" and net != "nest_astro":
                    continue  # NEST has only its own astrocyte example here
                print(f"... {net} / {peer}", file=sys.stderr, flush=True)
                rows.append(_spawn(net, peer, args, os.path.join(tmp, f"{net}-{peer}")))
                r = rows[-1]
                print(f"    {r.get('error') or 'loop %.2f s, total %.2f s' % (r['sim'], r['total'])}",
                      file=sys.stderr, flush=True)
    print(_table(rows))
    print(_ratios(rows))
    if "coba" in nets:
        print(_floor_line(rows))
    if args.bandwidth:
        from benchmarks.bandwidth import stream_bandwidth
        from benchmarks.synaptic_loop import synaptic_loop_report

        bw = stream_bandwidth()
        print(f"memory bandwidth (numpy, best of 5, 256 MiB arrays): copy {bw['copy']:.1f} GB/s, "
              f"scale {bw['scale']:.1f} GB/s")
        print(synaptic_loop_report(_duration("coba", args), args.scale, bw["copy"]))
    if hasattr(os, "getloadavg"):
        print(f"# load {os.getloadavg()[0]:.1f} at end")
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
