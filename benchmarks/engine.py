"""Engine benchmark: Brian2 runtime (cython), Brian2 cpp_standalone and astrosim, side by side.

Usage: ``python benchmarks/engine.py [--duration S] [--networks coba,astro] [--skip-runtime]
[--skip-cpp] [--scale F] [--warm]`` (or ``astrosim bench engine ...``). Each (network, peer)
pair runs in its own fresh Python process; by default every peer starts cold (fresh cython,
cpp_standalone and astrosim caches), so build/compile time is what a first run costs.
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
            "astro": "Stimberg 2018 Fig. 6 neuron-astrocyte network (4,000 neurons, 3,200 astrocytes)"}


def _build(network, scale):
    from astrosim.testing.networks import build_coba, build_coba_with_astro

    s = lambda n: max(1, int(round(n * scale)))  # noqa: E731
    if network == "coba":
        return build_coba(s(3200), s(800), record_neuron=0, synapse_monitor=False)
    return build_coba_with_astro(s(3200), s(800), s(3200))


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
    b2.seed(28371)
    duration = duration_s * b2.second
    t0 = time.perf_counter()
    ns = _build(network, scale)
    construct = time.perf_counter() - t0
    out = {"network": network, "peer": peer, "construct": construct}
    out.update(time_peer(peer, ns, duration, workdir)[0])
    out["total"] = out["construct"] + out["build"] + out["sim"]
    out["spikes"] = _spike_count(ns)
    return out


def _worker(args):
    res = measure(args.networks, args.worker, args.duration, args.scale, args.workdir)
    print("RESULT " + json.dumps(res), flush=True)
    return 0


def _spawn(network, peer, args, workdir):
    env = dict(os.environ)
    if args.warm:
        env["ASTROSIM_BENCH_WARM"] = "1"
    else:
        env["ASTROSIM_CACHE_DIR"] = os.path.join(workdir, "astrosim-cache")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", peer, "--networks", network,
           "--duration", str(args.duration), "--scale", str(args.scale), "--workdir", workdir]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"network": network, "peer": peer, "error": " | ".join(tail)}


def _table(rows):
    head = f"{'network':8} {'peer':15} {'construct':>9} {'build':>9} {'sim':>9} {'total':>9} {'spikes':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['network']:8} {r['peer']:15} FAILED: {r['error'][:200]}")
            continue
        lines.append(f"{r['network']:8} {r['peer']:15} {r['construct']:9.2f} {r['build']:9.2f} "
                     f"{r['sim']:9.2f} {r['total']:9.2f} {r['spikes']:8d}")
    return "\n".join(lines)


def _ratios(rows):
    lines = []
    by = {(r["network"], r["peer"]): r for r in rows if "error" not in r}
    for net in NETWORKS:
        a = by.get((net, "astrosim"))
        if a is None:
            continue
        for peer in ("runtime", "cpp_standalone"):
            p = by.get((net, peer))
            if p is None:
                continue
            lines.append(f"{net}: astrosim total / {peer} total = {a['total'] / p['total']:.3f} "
                         f"(speed-up {p['total'] / a['total']:.1f}x; sim only "
                         f"{p['sim'] / a['sim']:.1f}x)")
    return "\n".join(lines)


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
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds (default 1.0)")
    parser.add_argument("--networks", default="coba,astro", help="comma list of: coba, astro")
    parser.add_argument("--scale", type=float, default=1.0, help="network size factor (quick checks)")
    parser.add_argument("--skip-runtime", action="store_true", help="leave out Brian2 runtime mode")
    parser.add_argument("--skip-cpp", action="store_true", help="leave out Brian2 cpp_standalone")
    parser.add_argument("--warm", action="store_true", help="reuse the cython and astrosim kernel caches (cpp_standalone always compiles)")
    parser.add_argument("--no-bandwidth", action="store_true", help="skip the memory-bandwidth part")


def run_benchmark(args):
    """Run every requested (network, peer) pair, print the table, ratios and bandwidth."""
    from benchmarks.bandwidth import stream_bandwidth

    peers = [p for p in PEERS if not (p == "runtime" and args.skip_runtime)
             and not (p == "cpp_standalone" and args.skip_cpp)]
    nets = [n.strip() for n in args.networks.split(",") if n.strip()]
    bad = [n for n in nets if n not in NETWORKS]
    if bad:
        print(f"unknown network(s) {bad}; choose from {sorted(NETWORKS)}", file=sys.stderr)
        return 2
    print(f"# duration {args.duration} s, scale {args.scale}, "
          f"{'warm' if args.warm else 'cold'} caches, {os.cpu_count()} CPUs", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="astrosim-bench-") as tmp:
        for net in nets:
            for peer in peers:
                print(f"... {net} / {peer}", file=sys.stderr, flush=True)
                rows.append(_spawn(net, peer, args, os.path.join(tmp, f"{net}-{peer}")))
    print(_table(rows))
    print(_ratios(rows))
    if not args.no_bandwidth:
        from benchmarks.synaptic_loop import synaptic_loop_report

        bw = stream_bandwidth()
        print(f"memory bandwidth (numpy, best of 5, 256 MiB arrays): copy {bw['copy']:.1f} GB/s, "
              f"scale {bw['scale']:.1f} GB/s")
        print(synaptic_loop_report(args.duration, args.scale, bw["copy"]))
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
