"""Render captured Brian2 code objects as numba functions and fuse them into one time loop."""
import dataclasses
import re

import numpy as np
from brian2.core.variables import ArrayVariable, Constant

from brian2.input.binomial import BinomialFunction
from brian2.input.timedarray import TimedArray

from . import names as K
from . import userfunc
from .codegen import (IDENTIFIER, _binomial_params, _timedarray_K, binomial_names,
                      is_batched, indent_lines, rename_identifiers, timedarray_names,
                      uses_random)
from .errors import UnsupportedFeatureError
from .hoist import SIDE_INDEX, plan_hoisting
from .lazy_linear import LazyLinear
from .loop_modules import LOAD_LOOP, loop_module_lines
from .outline import outline_loops
from .passes import Draft, initial_facts, run_passes
from .runtime import binomial_constants
from .templates import TEMPLATES

__all__ = ["ModuleBuilder", "ArraySpec"]

_IDENT = re.compile(r"\b[_A-Za-z][_A-Za-z0-9]*\b")
#: a generated store of an element-wise update (``_array_g_v[_0b, _idx] = v``)
_WRITE = re.compile(r"^(_array_\w+)\[" + K.BATCH + r", _idx\] = (\w+)$")


#: templates whose per-synapse loops do not vectorise (a reduction per target, spike-driven
#: scatter): there the C library's ``log`` (a table-driven scalar routine) is faster than the
#: engine's branch-free one, which pays off only on SIMD lanes (NEST's astrocyte example with the
#: SIC's logarithm per synapse: loop 2.7x slower with the branch-free one, 0.3 s runs)
_GATHER_TEMPLATES = ("summed_variable", "synapses")


def _scalar_log(code):
    """``code`` calling the C library's ``log`` instead of the engine's vectorisable one."""
    return re.sub(r"(?<![\w.])" + K.LOG + r"\(", f"{K.NP}.log(", code)


class ArraySpec:
    """One kernel argument: a Brian array variable (per copy or shared) or an engine buffer."""

    def __init__(self, name, var=None, batched=False, kind="brian", value=None):
        self.name, self.var, self.batched, self.kind, self.value = name, var, batched, kind, value


_indent = indent_lines


class ModuleBuilder:
    """Accumulates generated functions plus the fused ``run_chunk`` kernel.

    Parameters
    ----------
    device : brian2 Device
        Used for array names.
    batch : int
        Number of copies (1 for unbatched runs).
    options : EngineOptions
        Threads, passes and maths of this kernel.
    """

    def __init__(self, device, batch, options, policy=None):
        self.device = device
        self.batch = batch
        self.options = options
        if policy is None:
            from .backends import backend_for

            policy = backend_for(options).policy(batch)
        self.policy = policy
        self.arrays = {}  # name -> ArraySpec (ordered)
        self.functions = []  # source texts
        self.calls = []  # (clock index, call text)
        self.blocks = []  # the record (ir.Block) of each call, read by the passes
        self.call_names = []  # code object name of each call (profiling)
        self.float_checks = []  # (check id, owner name, variable name)
        self.capacity_checks = []  # lines returning early when buffers are full
        self.n_funcs = 0
        self.batch_params = {}
        self.consts_f = []
        self.consts_i = []
        self.uses_prange = False
        self.n_sites = 0
        #: what the passes did (read by tests and profiling instead of the source text)
        self.facts = {"threaded_blocks": 0, "random_sites": 0, "hoisted": 0, **initial_facts()}
        #: observation-driven integration of linear variables (astrosim.engine.lazy_linear)
        self.lazy = LazyLinear() if getattr(options, "lazy_linear", False) else None

    # -- helpers --------------------------------------------------------------------------
    def array(self, var):
        """Register a Brian array variable; returns its kernel name."""
        name = self.device.get_array_name(var)
        if name not in self.arrays:
            self.arrays[name] = ArraySpec(name, var, is_batched(var))
        return name

    def buffer(self, name, value=None, batched=False, kind="buffer"):
        """Register an engine array (``$``-names allowed); returns its kernel name."""
        name = K.expand(name)
        if name not in self.arrays:
            self.arrays[name] = ArraySpec(name, None, batched, kind, value)
        return name

    def acc(self, var, index):
        name = self.array(var)
        return f"{name}[$b, {index}]" if is_batched(var) else f"{name}[{index}]"

    def _register_used(self, co, text):
        used = set(_IDENT.findall(text))
        for var in co.variables.values():
            if isinstance(var, ArrayVariable):
                name = self.device.get_array_name(var)
                if name in used:
                    self.array(var)
        return used

    def const(self, value):
        """Kernel expression reading a scalar constant passed at run time (not baked in)."""
        if isinstance(value, (bool, np.bool_, int, np.integer)):
            self.consts_i.append(int(value))
            return f"$ci[{len(self.consts_i) - 1}]"
        self.consts_f.append(float(value))
        return f"$cf[{len(self.consts_f) - 1}]"

    def _function_consts(self, co):
        """(name, value) of TimedArray/binomial parameters referenced by the generator."""
        out = []
        for var in co.variables.values():
            if isinstance(var, TimedArray):
                factor = _timedarray_K(co.owner.clock.dt_, var.dt)
                values, eps, k_name = timedarray_names(var.name)
                self.buffer(values, value=np.ascontiguousarray(var.values, dtype=np.float64),
                            kind="extra")
                out += [(eps, float(var.dt / factor)), (k_name, int(factor))]
            elif isinstance(var, BinomialFunction):
                p = _binomial_params(var)
                if "loc" in p:
                    out += zip(binomial_names(var.name), (p["loc"], p["scale"]))
                else:
                    values = (int(p["n"]), p["p"]) + binomial_constants(int(p["n"]), p["p"])
                    out += zip(binomial_names(var.name, exact=True), values)
        return out

    def add_function(self, co, key, body, clock_index, extra_consts=(), group_name=None,
                     block=None):
        """Inline ``body`` (locals renamed) into the step loop, guarded by its clock.

        ``block`` is its record (``ir.Block``), which the passes decide from; without one they
        treat the kernel conservatively (no sum skipped, no array specialised).
        """
        used = self._register_used(co, body)
        consts = []
        pairs = list(self._function_consts(co)) + list(extra_consts)
        for name in sorted(used):
            var = co.variables.get(name)
            if isinstance(var, Constant):
                pairs.append((name, var.value))
        for name, value in pairs:
            param = self.batch_params.get((group_name, name))
            if param is not None:
                self.buffer(param, kind="param")
                consts.append(f"{name} = {param}[$b]")
            else:
                consts.append(f"{name} = {self.const(value)}")
        k = self.n_funcs
        self.n_funcs += 1
        text = "\n".join(consts + [body])
        text = K.expand(text)
        text = re.sub(r"\b" + K.SITE + r"\b", lambda m: self._next_site(), text)
        keep = set(self.arrays) | K.SHARED
        text = IDENTIFIER.sub(
            lambda m: m.group(0) if m.group(0) in keep or K.is_module_global(m.group(0))
            else f"{m.group(0)}__{k}", text)
        prefix = K.expand(f"$t__{k} = $ts[$b, {clock_index}] * $dts[{clock_index}]\n"
                          f"$dt__{k} = $dts[{clock_index}]\n"
                          f"$timestep__{k} = $ts[$b, {clock_index}]\n")
        self.calls.append((clock_index, prefix + text))
        self.blocks.append(block)
        self.call_names.append(co.name)
        return key

    def _next_site(self):
        """A kernel-unique number for one random call site (keys counter-based streams)."""
        self.n_sites += 1
        return str(self.n_sites - 1)

    def _threads_pay(self, n, vc):
        """A single-copy loop of ``n`` elements, large enough; with random numbers only when
        they come from a counter-based stream (any element can draw its own)."""
        return self.policy.split(n, uses_random(vc))

    def _parallel_ok(self, co, vc):
        """Element-wise update of a large single-copy group without random numbers."""
        var = co.variables["N"]
        n = var.value if isinstance(var, Constant) else int(var.get_value()[0])
        if not self._threads_pay(n, vc):
            return False
        for line in vc.split("\n"):
            stripped = line.strip()
            if re.match(r"^_array_\w+\[", stripped) and " = " in stripped:
                if not _WRITE.match(stripped):
                    return False
        self.uses_prange = True
        self.facts["threaded_blocks"] += 1
        return True

    def n_of(self, co, name="N"):
        var = co.variables[name]
        if isinstance(var, Constant):
            return name
        return self.acc(var, 0)

    def checks_for(self, co, vector_code, owner_name):
        """Non-finite checks for the float state variables a loop writes.

        Returns ``(in_loop, after_loop)``: the loop only counts non-finite values in ``_nf``
        (a branch-free reduction, so the loop still vectorises); only when the count is
        non-zero does ``after_loop`` scan the written arrays for the first offending index
        (a runtime function: one call per variable compiles faster than a loop each).
        """
        in_loop, after = [], []
        for line in vector_code.split("\n"):
            m = _WRITE.match(line.strip())
            if not m:
                continue
            array, varname = m.group(1), m.group(2)
            var = co.variables.get(varname)
            if var is None or getattr(var, "dtype", None) is None or np.dtype(var.dtype).kind != "f":
                continue
            cid = len(self.float_checks)
            self.float_checks.append((cid, owner_name, varname))
            in_loop.append(f"if not ($abs({varname}) < $np.inf):\n    $nf += 1")
            after.append(f"    $rt.report_nonfinite($err, $b, N, {array}, {cid})")
        if not in_loop:
            return "", ""
        return "\n".join(in_loop), "if $nf > 0:\n" + "\n".join(after)

    # -- templates ------------------------------------------------------------------------
    def _hoist(self, co, vc, n_synapses, tag):
        """Per-source/per-target hoisting (``astrosim.engine.hoist``) for a loop over synapses.

        Returns ``(vector code, loops computing the temporaries, their bound constants)``. A side
        is hoisted when the loop visits at least twice as many synapses as that side has indices.
        """
        if not self.options.hoist:
            return vc, "", []
        sides, sizes = {}, {}
        for side, index in SIDE_INDEX.items():
            m = re.search(r"^\s*" + index + r" = (_array_\w+)\[_idx\]\s*$", vc, re.M)
            if not m:
                continue
            var = next((v for v in co.variables.values() if isinstance(v, ArrayVariable)
                        and self.device.get_array_name(v) == m.group(1)), None)
            if var is None:
                continue
            values = np.asarray(var.get_value())
            if not len(values):
                continue
            lo, hi = int(values.min()), int(values.max()) + 1
            if n_synapses >= 2 * (hi - lo):
                sides[side] = (K.local(f"hlo_{side}"), K.local(f"hhi_{side}"))
                sizes[side] = (lo, hi)
        if not sides:
            return vc, "", []

        def temporary(side, j):
            lo, hi = sizes[side]
            name = self.buffer(f"$hoist_{tag}_{side}{j}", kind="extra",
                               value=np.zeros((self.batch, hi - lo)))
            return name

        vc, plans = plan_hoisting(vc, sides, temporary)
        loops, consts = [], []
        for plan in plans:
            lo_name, hi_name = sides[plan.side]
            lo, hi = sizes[plan.side]
            consts += [(lo_name, lo), (hi_name, hi)]
            lines = [f"for {plan.loop_index} in $range({lo_name}, {hi_name}):"]
            lines += [f"    {stmt}" for stmt in plan.setup]
            lines += [f"    {temporary(plan.side, j)}[$b, {plan.loop_index} - {lo_name}] = {expr}"
                      for j, expr in plan.values]
            loops.append("\n".join(lines))
            self.facts["hoisted"] += len(plan.values)
        return vc, "\n".join(loops), consts

    def code_object(self, block):
        """Render ``block`` (an :class:`~astrosim.engine.ir.Block`) with its template and
        inline it; returns its key."""
        render = TEMPLATES.get(block.template)
        if render is None:
            raise UnsupportedFeatureError(block.owner, f"code template '{block.template}'")
        if block.template in _GATHER_TEMPLATES:
            block = dataclasses.replace(block, vector_code=_scalar_log(block.vector_code))
        if self.lazy is not None:
            self.lazy.observe(self, block, len(self.calls))
        body, extra = render(self, block)
        return self.add_function(block.codeobj, f"{block.owner}_{block.template}", body,
                                 block.clock_index, extra_consts=extra, group_name=block.group,
                                 block=block)

    # -- the fused loop -------------------------------------------------------------------
    def add_capacity_check(self, line):
        """Kernel lines (inside the step loop) that stop a copy before its buffers overflow."""
        self.capacity_checks.append(line)

    def source(self, parallel, profile=False, arrays=None):
        """Full module source of ``run_chunk``; returns ``(source, argument names)``.

        Every batch copy runs the whole chunk on its own (``prange`` over copies), from
        ``_start[b]``; it stops early (``_done[b]``) when its spike buffers are nearly full
        or a state variable became NaN/inf. With ``profile`` each call adds its CPU cycles
        to ``_prof[b, call]``. The passes (``astrosim.engine.passes``) run on the blocks
        first; given the run's ``arrays``, ``specialize`` may read uniform ones as scalars.
        """
        args = list(self.arrays)
        loop = "$prange" if parallel else "$range"
        draft = Draft(blocks=list(self.blocks), texts=[text for _, text in self.calls],
                      values=arrays, const=self.const, lazy=self.lazy)
        self.facts.update(initial_facts())
        run_passes(draft, self.options, self.facts)
        self.facts["random_sites"] = self.n_sites
        body = [K.expand(line) for line in draft.setup]
        body += [f"for $b in {loop}($ts.shape[0]):", "    $done[$b] = $nsteps"]
        body += [f"    {line}" for line in draft.per_copy]
        body.append("    for $s in $range($start[$b], $nsteps):")
        for line in self.capacity_checks:
            body.append(_indent(line, 2))
        for k, ((clock_index, _), call) in enumerate(zip(self.calls, draft.texts)):
            if profile:
                call = f"$pc = $rt.cycles()\n{call}\n$prof[$b, {k}] += $rt.cycles() - $pc"
            body.append(f"        if $ticks[$s, {clock_index}]:\n{_indent(call, 3)}")
        body.append("        for $c in $range($dts.shape[0]):\n            if $ticks[$s, $c]:\n"
                    "                $ts[$b, $c] += 1")
        body.append("        if $err[$b, 0] >= 0:\n            $err[$b, 3] = $s\n"
                    "            $done[$b] = $s + 1\n            break")
        body += [f"    {line}" for line in draft.epilogue]
        body.append("return 0")
        # canonical argument names: the source (and the disk cache) depends on structure only
        canon = {name: K.kernel_argument(k) for k, name in enumerate(args)}
        text = K.expand("\n".join(body))
        text = rename_identifiers(text, canon)
        module_header = K.module_header(self.options.precise_math, self.options.rng)
        header = module_header + "\n"
        header += userfunc.definitions(text)  # the user's Python functions it calls
        if draft.functions:
            header += "\n" + "\n\n".join(draft.functions) + "\n\n"
        threaded = self.uses_prange and not parallel  # the kernel then compiles serially
        if threaded or self.options.outline_loops:
            text, functions = outline_loops(text, serial=self.options.outline_loops,
                                            threaded=threaded)
            if functions:  # each loop in a module of its own, cached by its own structure
                header += (f"from astrosim.engine.loop_modules import load_loop as {LOAD_LOOP}\n"
                           + loop_module_lines(functions, module_header, self.options.cache_dir)
                           + "\n")
        main = K.expand(
            f"@numba.njit(cache=True, error_model='numpy', parallel={bool(parallel)})\n"
            f"def run_chunk($nsteps, $ticks, $rowidx, $ts, $dts, $rng, $err, $start, $done, "
            f"$prof, $cf, $ci, {', '.join(canon[a] for a in args)}):\n") + _indent(text, 1) + "\n"
        return header + main, args
