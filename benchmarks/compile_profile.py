"""Where a cold astrosim compilation spends its time: Brian2 + rendering, numba's passes, LLVM.

Usage: ``python benchmarks/compile_profile.py [--network astro|coba] [--scale 1.0]
[--duration 0.001] [--top 8]``. Builds the network (``benchmarks/engine.py``'s builders), runs
it once through ``astrosim.run`` with an empty kernel cache (a fresh temporary directory), and
splits the compilation by numba's own event API (``numba.core.event``, the ``numba:run_pass``
events of every compiler pass) plus timers around numba's LLVM steps (function-level and
module-level optimisation, machine-code emission). Times are exclusive: a runtime helper typed
while the kernel is typed counts as typing of the helper, LLVM work inside the lowering pass
as LLVM. The runtime helpers (``astrosim.engine.runtime``) keep their own numba cache, so
they are warm after the first run on a machine; only the kernel is compiled cold.
"""
import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

__all__ = ["CompileProfiler", "main"]

#: numba pass name -> reported stage
_STAGES = {
    "nopython_type_inference": "numba: type inference",
    "native_lowering": "numba: lowering to LLVM IR",
    "native_parfor_lowering": "numba: lowering to LLVM IR",
}
_LLVM = {"_optimize_functions": "LLVM: function-level optimisation",
         "_optimize_final_module": "LLVM: module optimisation",
         "_finalize_specific": "LLVM: machine code (MCJIT)"}


class CompileProfiler:
    """Exclusive wall time per compiler stage and per numba pass, while installed."""

    def __init__(self):
        self.stages = defaultdict(float)
        self.passes = defaultdict(float)
        self.functions = defaultdict(float)  # compiled function -> exclusive seconds
        self._stack = []  # [stage, pass name, function, start, time spent in nested entries]

    def _start(self, stage, name, function=None):
        if function is None:  # LLVM work belongs to the function whose pass runs it
            function = self._stack[-1][2] if self._stack else "(outside a numba pass)"
        self._stack.append([stage, name, function, time.perf_counter(), 0.0])

    def _end(self):
        stage, name, function, start, nested = self._stack.pop()
        total = time.perf_counter() - start
        own = total - nested
        self.stages[stage] += own
        self.functions[function] += own
        if name:
            self.passes[name] += own
        if self._stack:
            self._stack[-1][4] += total

    def _pass_started(self, event):
        name = event.data["name"].split(" [")[0]
        stage = _STAGES.get(name)
        if stage is None:
            stage = "numba: parfor passes (threaded loops)" if "parfor" in name \
                else "numba: other passes (bytecode, SSA, IR rewrites, inlining)"
        self._start(stage, name, event.data["qualname"])

    def _wrap(self, cls, attr, stage):
        original = getattr(cls, attr)

        def timed(*args, **kw):
            self._start(stage, None)
            try:
                return original(*args, **kw)
            finally:
                self._end()

        setattr(cls, attr, timed)
        return lambda: setattr(cls, attr, original)

    def __enter__(self):
        from numba.core import codegen, event

        profiler = self

        class _Passes(event.Listener):
            def on_start(self, ev):
                profiler._pass_started(ev)

            def on_end(self, ev):
                profiler._end()

        self._listener = _Passes()
        event.register("numba:run_pass", self._listener)
        self._undo = [self._wrap(codegen.CPUCodeLibrary, "_optimize_functions",
                                 _LLVM["_optimize_functions"]),
                      self._wrap(codegen.CPUCodeLibrary, "_optimize_final_module",
                                 _LLVM["_optimize_final_module"]),
                      self._wrap(codegen.JITCodeLibrary, "_finalize_specific",
                                 _LLVM["_finalize_specific"])]
        return self

    def __exit__(self, *exc):
        from numba.core import event

        event.unregister("numba:run_pass", self._listener)
        for undo in self._undo:
            undo()
        return False


def _build(network, scale):
    from benchmarks.engine import _build as build

    return build(network, scale)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="astro", choices=("astro", "coba"))
    parser.add_argument("--scale", type=float, default=1.0, help="network size factor")
    parser.add_argument("--duration", type=float, default=0.001, help="simulated seconds")
    parser.add_argument("--top", type=int, default=8, help="numba passes listed")
    args = parser.parse_args(argv)

    os.environ["ASTROSIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="astrosim-compile-profile-")
    import brian2 as b2

    import astrosim
    from astrosim.engine.options import EngineOptions
    from astrosim.testing.networks import run_in_namespace

    b2.seed(28371)
    t0 = time.perf_counter()
    ns = _build(args.network, args.scale)
    construct = time.perf_counter() - t0
    options = EngineOptions(cache_dir=os.environ["ASTROSIM_CACHE_DIR"])
    with CompileProfiler() as prof:
        t1 = time.perf_counter()
        sim = run_in_namespace(astrosim.run, ns, args.duration * b2.second, options=options)
        total = time.perf_counter() - t1
    timings = sim.timings
    lines = sim.source.count("\n")
    print(f"{args.network} network, scale {args.scale}: construction {construct:.2f} s, "
          f"astrosim.run {total:.2f} s (prepare {timings['prepare']:.2f} s, compile "
          f"{timings['compile']:.2f} s, loop {timings['run']:.2f} s); kernel source {lines} "
          f"lines, {len(prof.functions)} functions compiled; facts {sim.kernel_facts}")
    compile_s = timings["compile"]
    accounted = sum(prof.stages.values())
    print(f"\n{'stage':58} {'s':>7} {'% of compile':>13}")
    for stage, secs in sorted(prof.stages.items(), key=lambda kv: -kv[1]):
        print(f"{stage:58} {secs:7.2f} {100 * secs / compile_s:12.1f}%")
    rest = compile_s - accounted
    print(f"{'outside numba passes (cache save/load, dispatch)':58} {rest:7.2f} "
          f"{100 * rest / compile_s:12.1f}%")
    print(f"{'prepare: Brian2 code generation, rendering, passes':58} {timings['prepare']:7.2f}")
    print("\nlongest numba passes (exclusive, all functions):")
    for name, secs in sorted(prof.passes.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"  {name:56} {secs:7.2f}")
    print("\ncompiled functions (numba passes and LLVM, exclusive):")
    for name, secs in sorted(prof.functions.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"  {name:56} {secs:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
