"""GPU engine benchmark: astrosim's cuda back end against brian2cuda and the CPU engine.

Prepared for a machine with a CUDA card; it has not been run yet (see docs/benchmarks.md).

Two parts, each (case, peer, batch) in its own fresh Python process:

- **Unbatched**, the Stimberg et al. (2018) Fig. 6 neuron-astrocyte network and COBAHH (Brette
  et al. 2007; 4,000 neurons each): ``astrosim-cuda``, ``astrosim-cpu`` and ``brian2cuda``
  (``cuda_standalone``, brian2cuda 1.0b1) on the same card. Reported: build (code generation and
  compilation) and simulation seconds; the ratio brian2cuda / astrosim-cuda of simulation time.
- **Batched**, B = 64 ... 1024 copies of COBA (Fig. 1 network, ``--coba-scale`` of its size) and
  of the paper's Fig. 3 protocol (one AN unit per copy, 5 Hz Poisson input, dt = 1 ms):
  throughput = copies x simulated seconds per wall second of the time loop, for astrosim-cuda,
  for astrosim-cpu (measured up to ``--cpu-max-batch`` copies; larger B use the throughput at
  the largest measured B, said so in the table) and for brian2cuda running the copies one after
  another (one copy timed, B x its time).

Before timing, astrosim peers run ``--warmup`` seconds once (compilation) and the timed run
continues the same simulator. brian2cuda 1.0b1 requires brian2 2.10.1 while astrosim pins
2.9.0, so its peer runs under another interpreter (``--brian2cuda-python``: a virtual
environment with ``pip install brian2cuda==1.0b1 numba scipy`` and ``pip install --no-deps -e .``
of this repository, for the network builders; plus a CUDA toolkit with nvcc). Usage::

    pip install numba-cuda
    python benchmarks/engine_gpu.py --brian2cuda-python /path/to/b2cuda-venv/bin/python
        [--duration 1] [--batches 64,128,256,512,1024]
        [--coba-scale 0.25] [--cpu-max-batch 64] [--threads 128] [--unbatched-threads 512]
        [--skip-brian2cuda] [--out results.json]

Prints a table headed by the card's name.
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

_T0 = time.perf_counter()
UNBATCHED = ("cobahh", "fig6")  # the smaller first: a time limit cuts the larger
BATCHED = ("coba", "fig3")


def _network_builders():
    """astrosim's network builders, loaded without importing the astrosim package (the
    brian2cuda peer runs in an environment with another brian2)."""
    import importlib
    import types

    name = "_astrosim_test_networks"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(_ROOT / "astrosim" / "testing" / "networks")]
        sys.modules[name] = package
    return importlib.import_module(name + ".neurons"), importlib.import_module(name + ".glia")


def _build(case, coba_scale):
    """``(namespace, objects)`` of one case (a copy, for batched cases)."""
    import brian2 as b2
    from brian2.core.base import BrianObject

    neurons, glia = _network_builders()
    build_coba, build_cobahh = neurons.build_coba, neurons.build_cobahh
    build_coba_with_astro = glia.build_coba_with_astro

    if case == "fig3":
        from models import an_model

        unit = an_model.build(1, rate=5 * b2.Hz)
        return {}, list(unit.objects)
    if case == "fig6":
        ns = build_coba_with_astro()
    elif case == "cobahh":
        ns = build_cobahh()
    else:
        s = lambda n: max(1, int(round(n * coba_scale)))  # noqa: E731
        ns = build_coba(s(3200), s(800), record_neuron=0, synapse_monitor=False)
    return ns, [v for v in ns.values() if isinstance(v, BrianObject)]


def measure(case, peer, batch, duration_s, warmup_s, coba_scale, workdir, threads=None, blocks_per_sm=1):
    """Build and run one case with one peer in *this* process; a dict of timings."""
    import brian2 as b2

    b2.seed(28371)
    if peer == "brian2cuda":
        import brian2cuda  # noqa: F401  (registers the cuda_standalone device)

        # CUDA 13's Thrust needs C++17 (brian2's default host flags ask for C++11)
        gcc = b2.prefs.codegen.cpp.extra_compile_args_gcc
        b2.prefs.codegen.cpp.extra_compile_args_gcc = [a.replace("c++11", "c++17") for a in gcc]

        # one project folder per case, so that a prebuilt project is found again (brian2 rewrites
        # only changed sources, make recompiles only what changed)
        b2.set_device("cuda_standalone", directory=os.path.join(workdir, f"b2cuda-{case}"),
                      build_on_run=True)
        ns, objects = _build(case, coba_scale)
        net = b2.Network(*objects)
        t0 = time.perf_counter()
        net.run(duration_s * b2.second, namespace=ns or None)
        total = time.perf_counter() - t0
        loop = float(b2.device._last_run_time)
        return {"build": total - loop, "sim": loop}
    import astrosim

    backend = "cuda" if peer == "astrosim-cuda" else "cpu"
    ns, objects = _build(case, coba_scale)
    net = b2.Network(*objects)
    extra = ({"cuda_threads": threads, "cuda_blocks_per_sm": blocks_per_sm}
             if threads and backend == "cuda" else {})
    sim = astrosim.Simulator(net, batch=batch, seed=1, backend=backend, **extra)
    t0 = time.perf_counter()
    sim.run(warmup_s * b2.second, namespace=ns or None)
    build = time.perf_counter() - t0
    # where the time went so far, in case the timed run does not finish within the limit
    print("PHASE built " + json.dumps({"build": build, **{k: float(v) for k, v in sim.timings.items()}}),
          flush=True)
    before = sim.timings["run"]
    sim.run(duration_s * b2.second, namespace=ns or None)
    return {"build": build, "sim": sim.timings["run"] - before}


def card_name():
    """The GPU's name (numba.cuda, else nvidia-smi), or 'no CUDA device'."""
    try:
        from numba import cuda

        if cuda.is_available():
            name = cuda.get_current_device().name
            return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:
        pass
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip().splitlines()[0]
    except Exception:
        return "no CUDA device"


def _spawn(case, peer, batch, args, workdir):
    if args.time_limit and time.perf_counter() - _T0 > args.time_limit:
        return {"error": f"skipped: --time-limit {args.time_limit:g} s reached"}
    python = args.brian2cuda_python if peer == "brian2cuda" else sys.executable
    cmd = [python, str(Path(__file__).resolve()), "--worker", case, peer, str(batch or 0),
           "--duration", str(args.duration), "--warmup", str(args.warmup),
           "--coba-scale", str(args.coba_scale), "--workdir", workdir,
           "--threads", str(args.unbatched_threads if batch is None else args.threads),
           "--blocks-per-sm", str(args.blocks_per_sm)]
    env = dict(os.environ, ASTROSIM_CACHE_DIR=os.path.join(workdir, "astrosim-cache"))
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.worker_timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        phases = [line for line in out.splitlines() if line.startswith("PHASE ")]
        return {"error": f"no result within {args.worker_timeout} s" + (f" ({phases[-1]})" if phases else "")}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-4:]
    return {"error": " | ".join(tail)}


def prebuild(args, workdir):
    """Build (and run once) every brian2cuda project at the same time, one process each; the
    projects' compile times, cold. The timed runs later find them built."""
    cases = UNBATCHED + BATCHED
    procs = {}
    for case in cases:
        cmd = [args.brian2cuda_python, str(Path(__file__).resolve()), "--worker", case, "brian2cuda", "0",
               "--duration", str(args.duration), "--warmup", str(args.warmup),
               "--coba-scale", str(args.coba_scale), "--workdir", workdir, "--threads", "0"]
        procs[case] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for case, proc in procs.items():
        stdout, stderr = proc.communicate()
        res = next((json.loads(line[7:]) for line in stdout.splitlines() if line.startswith("RESULT ")), None)
        out[case] = res if res is not None else {"error": " | ".join((stderr or stdout).strip().splitlines()[-3:])}
        print(f"prebuild {case}: " + json.dumps(out[case]), flush=True)
        if res is None:  # the compiler's first complaints
            errors = [line for line in (stdout + stderr).splitlines() if "error" in line.lower()]
            print("\n".join("    " + line[:300] for line in errors[:8]), flush=True)
    return out


def _save(rows, path):
    if path:
        with open(path, "w") as f:
            json.dump(rows, f, indent=1)


def _cell(r, key="sim"):
    return "failed" if "error" in r else f"{r[key]:.3f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=1.0, help="simulated seconds (timed)")
    p.add_argument("--warmup", type=float, default=0.01, help="simulated seconds (untimed)")
    p.add_argument("--batches", default="64,128,256,512,1024")
    p.add_argument("--coba-scale", type=float, default=0.25)
    p.add_argument("--cpu-max-batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=128,
                   help="astrosim-cuda threads per block (one block per copy), batched runs")
    p.add_argument("--unbatched-threads", type=int, default=512,
                   help="the same for unbatched runs (one block in all: a guess to tune)")
    p.add_argument("--blocks-per-sm", type=int, default=1,
                   help="astrosim-cuda: resident blocks per multiprocessor the register cap allows")
    p.add_argument("--skip-brian2cuda", action="store_true")
    p.add_argument("--brian2cuda-python", default=sys.executable,
                   help="interpreter of an environment with brian2cuda 1.0b1 (brian2 2.10.1)")
    p.add_argument("--worker-timeout", type=float, default=300, help="seconds one measured process may take")
    p.add_argument("--time-limit", type=float, default=None,
                   help="start no measured process after this many seconds (the rest are marked skipped)")
    p.add_argument("--prebuild-only", action="store_true",
                   help="build every brian2cuda project concurrently (in --workdir), report, stop")
    p.add_argument("--cold-builds", default=None,
                   help="JSON written by --prebuild-only, added to the results as cold build times")
    p.add_argument("--out", default=None)
    p.add_argument("--workdir", default=None)
    p.add_argument("--worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="astrosim-gpu-bench-")
    if args.worker:
        case, peer, batch = args.worker
        res = measure(case, peer, int(batch) or None, args.duration, args.warmup,
                      args.coba_scale, workdir, args.threads, args.blocks_per_sm)
        print("RESULT " + json.dumps(res), flush=True)
        return 0
    if args.prebuild_only:
        _save(prebuild(args, workdir), args.out)
        return 0
    card = card_name()
    rows = {"card": card, "duration": args.duration, "unbatched": {}, "batched": {}}
    if args.cold_builds:
        with open(args.cold_builds) as f:
            rows["brian2cuda_cold"] = json.load(f)
    print(f"card: {card}; {args.duration} s simulated per run; caches cold per process",
          flush=True)
    peers = ["astrosim-cuda", "astrosim-cpu"] + ([] if args.skip_brian2cuda else ["brian2cuda"])
    print(f"\nunbatched: build / simulation seconds\n{'case':8} " +
          " ".join(f"{peer:>22}" for peer in peers) + f" {'b2cuda/astrosim-cuda':>21}")
    for case in UNBATCHED:
        res = {peer: _spawn(case, peer, None, args, workdir) for peer in peers}
        rows["unbatched"][case] = res
        ratio = ("" if "brian2cuda" not in res or "error" in res["brian2cuda"]
                 or "error" in res["astrosim-cuda"]
                 else f"{res['brian2cuda']['sim'] / res['astrosim-cuda']['sim']:.2f}")
        print(f"{case:8} " + " ".join(f"{_cell(res[peer], 'build') + ' / ' + _cell(res[peer]):>22}"
                                      for peer in peers) + f" {ratio:>21}", flush=True)
        for peer in peers:
            if "error" in res[peer]:
                print(f"  {peer} failed: {res[peer]['error']}", flush=True)
        _save(rows, args.out)
    batches = [int(b) for b in args.batches.split(",")]
    print("\nbatched: copies x simulated s per wall s (time loop only)\n"
          f"{'case':6} {'B':>5} {'astrosim-cuda':>14} {'astrosim-cpu':>20} {'b2cuda serial':>14} "
          f"{'cuda/cpu':>9} {'cuda/b2cuda':>11}")
    for case in BATCHED:
        single = None if args.skip_brian2cuda else _spawn(case, "brian2cuda", None, args, workdir)
        cpu_cache = {}
        for B in batches:
            gpu = _spawn(case, "astrosim-cuda", B, args, workdir)
            b_cpu = min(B, args.cpu_max_batch)
            if b_cpu not in cpu_cache:
                cpu_cache[b_cpu] = _spawn(case, "astrosim-cpu", b_cpu, args, workdir)
            cpu = cpu_cache[b_cpu]
            thr = lambda r, n: None if "error" in r else n * args.duration / r["sim"]  # noqa: E731
            t_gpu, t_cpu = thr(gpu, B), thr(cpu, b_cpu)
            t_b2 = None if single is None else thr(single, 1)
            rows["batched"][f"{case}/{B}"] = {"cuda": gpu, "cpu": cpu, "cpu_batch": b_cpu,
                                              "brian2cuda_one": single}
            fmt = lambda x: "failed" if x is None else f"{x:.1f}"  # noqa: E731
            cpu_label = fmt(t_cpu) + ("" if b_cpu == B else f" (B={b_cpu})")
            r_cpu = "" if None in (t_gpu, t_cpu) else f"{t_gpu / t_cpu:.1f}"
            r_b2 = "" if None in (t_gpu, t_b2) else f"{t_gpu / t_b2:.1f}"
            print(f"{case:6} {B:>5} {fmt(t_gpu):>14} {cpu_label:>20} {fmt(t_b2):>14} "
                  f"{r_cpu:>9} {r_b2:>11}", flush=True)
            for label, r in (("astrosim-cuda", gpu), ("astrosim-cpu", cpu), ("brian2cuda", single)):
                if r is not None and "error" in r:
                    print(f"  {label} failed: {r['error']}", flush=True)
            _save(rows, args.out)
    _save(rows, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
