"""Observation-driven integration of linear clock-driven variables.

A group's state update ``U`` (one ``stateupdate`` block) is *lazy* when every variable it
writes, ``x``, is updated by the user's method as ``x <- A*x + B`` with ``A`` and ``B`` not
depending on ``x`` or on any other variable ``U`` writes, on time or on random numbers (checked
symbolically on Brian2's abstract code of the method, so ``exact``, ``euler``, ``rk2``, ``rk4``
... alike). ``A`` and ``B`` may depend on constants and on arrays that ``U`` only reads (its
*coefficients*). Such a block is taken out of the step loop; instead every element keeps the
``U``-clock time step up to which its stored value is advanced (``last[b, i]``), and it is
brought up to date only where something looks:

* a block of the same ``Synapses`` running per synapse (its pathway at a spike) that reads or
  writes the variables or coefficients at that synapse: that synapse, before its code;
* any other block that reads the variables or writes a coefficient: all elements, before the
  block (only accepted when the block runs on a slower clock than ``U``, or is a summed
  variable that the ``skip`` pass skips unless its inputs, all written on slower clocks,
  changed; otherwise the variable stays step by step);
* the end of every chunk (so Python, monitors' ``get_states`` and the next run see current
  values); at the start of a chunk every element counts as current.

Invariant: between two such synchronisations of an element no block writes its value or its
coefficients, so ``n`` applications of ``U`` equal ``n`` applications of the same affine map.
The map is read off the user's own update, evaluated on the element's coefficients at
``x = 0`` (giving ``B``) and at ``x = p = 2**20 (1 + |B|)`` (``A = (f(p) - B)/p``, so the
roundings of the terms free of ``x`` are divided by ``p`` and ``A`` is read off to about an ulp),
and ``n`` steps are ``A**n x0 + B (A**n - 1)/(A - 1)`` (``A**n - 1`` by Kahan's ``expm1`` on the
engine's ``exp``/``log``, so no cancellation near ``A = 1``, and the loop can vectorise). This is the user's method up to rounding: each step of step-by-step integration
rounds once or twice, the closed form rounds a few times in all, so the two differ by about
``n`` ulps at most.
"""
import re

import numba
import numpy as np
from brian2.core.variables import ArrayVariable

from . import names
from .codegen import IDENTIFIER, uses_random

__all__ = ["LazyLinear", "advance", "linear_variables"]



def linear_variables(abstract_code, candidates):
    """Which of ``candidates`` the straight-line ``abstract_code`` updates affinely and alone.

    Returns ``{name}`` of the variables whose final value is ``A*x + B`` with ``A``, ``B``
    free of ``x``, of the other updated variables, of ``t`` and of noise; ``None`` when the
    code is not a sequence of plain assignments or updates anything that is not affine.

    Each line is read once with the names assigned before it as symbols (expanding them would
    grow a Runge-Kutta update exponentially): a line is affine in ``x`` when it is affine
    jointly in the names that depend on ``x``, all of them affine; a sufficient condition
    (affine maps compose), so the pass may miss an update whose non-linear terms cancel.
    """
    from brian2.parsing.sympytools import str_to_sympy

    lines = []
    for line in abstract_code.split("\n"):
        line = line.strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z_]\w*)\s*=\s*(.+)$", line)
        if not m or "==" in line:
            return None
        name, rhs = m.groups()
        try:
            lines.append((name, str_to_sympy(rhs)))
        except Exception:  # anything Brian2 cannot read back: leave the update alone
            return None
    updated = list(dict.fromkeys(name for name, _ in lines if name in candidates))
    if not updated:
        return None
    deps, status = {}, {x: {} for x in updated}  # current value of a name: inputs; per x: its kind
    for name, expr in lines:
        symbols = expr.free_symbols
        deps[name] = set().union(*(deps.get(s.name, {s.name}) for s in symbols))
        for x, kinds in status.items():
            kinds[name] = _affine_kind(expr, symbols, x, kinds)
    out = set()
    for name in updated:
        names_in = deps[name]
        if names_in & ({"t", "t_in_timesteps", "xi"} | {u for u in updated if u != name}):
            return None
        if any(n.startswith("xi_") for n in names_in):
            return None
        if status[name][name] == "nonlinear":
            return None
        out.add(name)
    return out


def _affine_kind(expr, symbols, x, kinds):
    """``'free'``, ``'affine'`` or ``'nonlinear'``: how ``expr`` depends on the input ``x``.

    ``kinds`` holds the kind of every name assigned so far; an unassigned symbol is an input.
    """
    import sympy

    dependent = []
    for s in symbols:
        kind = kinds.get(s.name, "affine" if s.name == x else "free")
        if kind == "nonlinear":
            return "nonlinear"
        if kind == "affine":
            dependent.append(s)
    if not dependent:
        return "free"
    for d in dependent:
        slope = sympy.diff(expr, d)
        if slope.has(sympy.Derivative) or slope.has(sympy.Subs) or slope.free_symbols & set(dependent):
            return "nonlinear"
    return "affine"


_SIMPLE = re.compile(r"^[A-Za-z_]\w* = [^\n]+$")


class _Candidate:
    def __init__(self, k, block, dt, lazy, last, n):
        self.k, self.block, self.dt, self.lazy, self.last, self.n = k, block, dt, lazy, last, n
        self.clock = block.clock_index


class LazyLinear:
    """The pass for one kernel: ``observe`` each rendered block, then ``rewrite`` the calls.

    ``observe`` runs as blocks are rendered (it registers the per-element step counters);
    ``rewrite`` runs on the fused loop's calls after the ``skip`` pass and returns the calls
    and the lines to run before and after each copy's step loop. ``facts`` lists the
    variables integrated lazily.
    """

    def __init__(self):
        self.blocks = []      # (template, group, dt) per call index
        self.candidates = []
        self.facts = []

    # -- while rendering ------------------------------------------------------------------
    def observe(self, table, block, k):
        dt = _clock_dt(block.codeobj)
        owner = block.codeobj.owner
        group = getattr(owner, "synapses", owner) if block.template == "synapses" else owner
        self.blocks.append((block.template, getattr(group, "name", None), dt))
        if len(self.blocks) != k + 1:
            raise RuntimeError("internal error: lazy_linear saw blocks out of order")
        if block.template == "stateupdate":
            cand = self._candidate(table, block, k, dt)
            if cand is not None:
                self.candidates.append(cand)

    def _candidate(self, table, block, k, dt):
        co = block.codeobj
        group = co.owner
        updater = getattr(group, "state_updater", None)
        if updater is None or getattr(getattr(updater, "codeobj", None), "name", None) != co.name:
            return None  # run_regularly, PoissonInput ...
        if block.uses_random or block.uses_time or "_array_" in block.scalar_code:
            return None
        vc = block.vector_code
        if "_presynaptic_idx" in vc or "_postsynaptic_idx" in vc:
            return None
        if not all(_SIMPLE.match(line.strip()) or re.match(r"^_array_\w+\[", line.strip())
                   for line in vc.split("\n") if line.strip()):
            return None
        variables = co.variables
        indices = group.variables.indices
        lazy = {}
        for name, var in variables.items():
            if isinstance(var, ArrayVariable) and table.device.get_array_name(var) in block.writes:
                if indices.get(name) != "_idx" or np.dtype(var.dtype).kind != "f":
                    return None
                lazy[name] = table.device.get_array_name(var)
        if not lazy or len(lazy) != len(block.writes):
            return None
        found = linear_variables(updater.abstract_code, set(lazy))
        if found != set(lazy):
            return None
        n = len(group)
        last = table.buffer(f"$lzlast{k}", value=np.zeros((table.batch, n), dtype=np.int64),
                            batched=True, kind="extra")
        return _Candidate(k, block, dt, lazy, last, n)

    # -- after the skip pass ----------------------------------------------------------------
    def rewrite(self, texts, records):
        """``(texts, prologue lines, epilogue lines, sync functions)`` of the fused loop's blocks.

        What each block reads and writes comes from its record (``ir.Block``); a block without
        one makes the pass leave everything step by step. Unchanged where nothing is lazy.
        """
        self.facts = []
        texts = list(texts)
        if not self.candidates or any(r is None for r in records):
            return texts, [], [], ""
        access = [(frozenset(r.reads) | frozenset(r.writes), frozenset(r.writes)) for r in records]
        plans = []
        for cand in self.candidates:
            plan = self._plan(cand, texts, access)
            if plan is not None:
                plans.append((cand, plan))
        if not plans:
            return texts, [], [], ""
        # a block touched by one accepted variable must not be the update of another
        removed = {cand.k for cand, _ in plans}
        plans = [(c, p) for c, p in plans if not (set(p["element"]) | set(p["all"])) & removed]
        prologue, epilogue, functions = [], [], []
        for cand, plan in plans:
            parts = plan["parts"]
            self._function(cand, parts)
            functions.append(parts["function"])
            prologue += parts["setup"]
            prologue += [f"for {names.reserved('lzi')} in {names.RANGE}(N__{cand.k}):",
                         f"    {cand.last}[{names.BATCH}, {names.reserved('lzi')}] = "
                         f"{names.TS}[{names.BATCH}, {cand.clock}]"]
            epilogue += self._sync_all(cand, parts, f"{names.TS}[{names.BATCH}, {cand.clock}]",
                                       "end")
            epilogue += _nonfinite_check(parts["reports"])
            for j in plan["element"]:
                texts[j] = self._insert_element(cand, parts, texts[j], j)
            for j in plan["all"]:
                texts[j] = self._insert_all(cand, parts, texts[j], j)
            texts[cand.k] = "\n".join(parts["flags"]) or "pass"
            self.facts += [f"{self.blocks[cand.k][1]}.{name}" for name in sorted(cand.lazy)]
        return texts, prologue, epilogue, "\n\n".join(functions)

    def _target(self, cand, j):
        base = f"{names.TS}[{names.BATCH}, {cand.clock}]"
        return f"({base} + {names.TICKS}[{names.STEP}, {cand.clock}])" if j > cand.k else base

    def _plan(self, cand, texts, access):
        parts = _split_update(texts[cand.k], cand)
        if parts is None:
            return None
        lazy = set(cand.lazy.values())
        coef = set(access[cand.k][0]) - lazy
        plan = {"parts": parts, "element": [], "all": []}
        for j, text in enumerate(texts):
            if j == cand.k:
                continue
            used, written = access[j]
            if not (used & lazy or written & coef):
                continue
            template, group, dt = self.blocks[j]
            touched = used & (lazy | coef)
            if (template == "synapses" and group == self.blocks[cand.k][1]
                    and _per_element(text, touched, j)):
                plan["element"].append(j)
            elif dt > cand.dt * (1 + 1e-9):
                plan["all"].append(j)
            elif not (used & lazy) and self._slow_sum(j, texts, access, cand):
                plan["all"].append(j)
            else:
                return None
        return plan

    def _slow_sum(self, j, texts, access, cand):
        """Block ``j`` is a skipped sum whose inputs only slower blocks write."""
        flag = names.reserved(f"dirty{j}")
        if not texts[j].startswith(f"if {flag}:\n"):
            return False
        used, written = access[j]
        inputs = used - written
        for i, (_, w) in enumerate(access):
            if i != j and w & inputs and not self.blocks[i][2] > cand.dt * (1 + 1e-9):
                return False
        return True

    # -- generated text ---------------------------------------------------------------------
    def _function(self, cand, parts):
        """Module-level function bringing elements ``[i0, i1)`` of ``cand`` up to a target."""
        k = cand.k
        body0, body1 = [], []
        for line in parts["body"]:
            m = re.match(r"^(\w+) = (_array_\w+)\[" + names.BATCH + rf", _idx__{k}\]$", line)
            if m and m.group(2) in cand.lazy.values():
                body0.append(f"{m.group(1)} = 0.0")
                body1.append(f"{m.group(1)} = {names.reserved('lzP_' + m.group(1))}")
            else:
                body0.append(line)
                body1.append(line)
        n, last, tgt = names.reserved("lzn"), names.reserved("lzlast"), names.reserved("lztgt")
        lines = [f"{n} = {tgt} - {last}[{names.BATCH}, _idx__{k}]"]
        lines += body0
        for name in sorted(cand.lazy):
            b_, p_ = names.reserved(f"lzB_{name}__{k}"), names.reserved(f"lzP_{name}__{k}")
            lines += [f"{b_} = {name}__{k}", f"{p_} = 1048576.0 * (1.0 + {names.ABS}({b_}))"]
        lines += body1
        for name, array in sorted(cand.lazy.items()):
            b_, p_ = names.reserved(f"lzB_{name}__{k}"), names.reserved(f"lzP_{name}__{k}")
            a_ = names.reserved(f"lzA_{name}__{k}")
            cell = f"{array}[{names.BATCH}, _idx__{k}]"
            lines.append(f"{a_} = ({name}__{k} - {b_}) / {p_}")
            lines += _advance_lines(cell, a_, b_, n, f"{name}__{k}")
        lines.append(f"{last}[{names.BATCH}, _idx__{k}] = {tgt}")
        text = "\n".join(lines)
        used = set(IDENTIFIER.findall(text))
        defined = [m.group(1) for line in parts["setup"]
                   for m in [re.match(r"^(\w+) = ", line)] if m]
        scalars = sorted(set(defined) & used)
        arrays = sorted(name for name in used if name.startswith(("_array_", "_dynamic_array_")))
        canon = {name: names.reserved(f"lzarg{j}") for j, name in enumerate(arrays)}
        params = [canon[a] for a in arrays] + scalars
        i0, i1 = names.reserved("lzi0"), names.reserved("lzi1")
        head = (f"@numba.njit(cache=True, error_model='numpy')\n"
                f"def {names.reserved(f'lzsync{k}')}({names.BATCH}, {i0}, {i1}, {tgt}, {last}, "
                f"{', '.join(params)}):\n"
                f"    for _idx__{k} in {names.RANGE}({i0}, {i1}):\n")
        body = IDENTIFIER.sub(lambda m: canon.get(m.group(0), m.group(0)), text)
        parts["function"] = head + "\n".join("        " + line for line in body.split("\n")) \
            + "\n    return 0\n"
        parts["args"] = ", ".join([cand.last] + arrays + scalars)

    def _call(self, cand, parts, i0, i1, target):
        return (f"{names.reserved(f'lzsync{cand.k}')}({names.BATCH}, {i0}, {i1}, {target}, "
                f"{parts['args']})")

    def _sync_all(self, cand, parts, target, tag):
        return [self._call(cand, parts, 0, f"N__{cand.k}", target)]

    def _element(self, cand, parts, index, target):
        return [f"if {cand.last}[{names.BATCH}, {index}] < {target}:",
                "    " + self._call(cand, parts, index, f"{index} + 1", target)]

    def _insert_all(self, cand, parts, text, j):
        sync = self._sync_all(cand, parts, self._target(cand, j), str(j))
        flag = names.reserved(f"dirty{j}")
        guard = f"if {flag}:\n    {flag} = False\n"
        if text.startswith(guard):
            return guard + "\n".join("    " + line for line in sync) + "\n" + text[len(guard):]
        return "\n".join(sync) + "\n" + text

    def _insert_element(self, cand, parts, text, j):
        lines = text.split("\n")
        pattern = re.compile(rf"^(\s*)_vectorisation_idx__{j} = _idx__{j}$")
        out = []
        for line in lines:
            out.append(line)
            m = pattern.match(line)
            if m:
                pad = m.group(1)
                out += [pad + s for s in self._element(cand, parts, f"_idx__{j}",
                                                       self._target(cand, j))]
        return "\n".join(out)


def _advance_lines(cell, a, b, n, tag):
    """Branch-free kernel lines storing ``n`` steps of ``x <- a*x + b`` from ``cell`` into it
    (the engine's ``exp``/``log``, so the loop around them can vectorise; ``expm1`` by Kahan's
    ``(u - 1) e / log(u)``, exact to a few ulps, so ``A`` near 1 loses nothing)."""
    v = lambda s: names.reserved(f"lz{s}_{tag}")  # noqa: E731
    E, L = names.EXP, names.LOG
    return [
        f"{v('nf')} = {names.FLOAT}({n})",
        f"{v('e')} = {v('nf')} * {L}({names.ABS}({a}))",
        f"{v('u')} = {E}({v('e')})",
        f"{v('an')} = -{v('u')} if ({a} < 0.0 and ({n} & 1) == 1) else {v('u')}",
        f"{v('um1')} = {v('u')} - 1.0",
        f"{v('lu')} = {L}({v('u')})",
        f"{v('em1')} = {v('e')} if {v('um1')} == 0.0 else ({v('um1')} if {v('lu')} == 0.0 or "
        f"{v('um1')} == -1.0 else {v('um1')} * {v('e')} / {v('lu')})",
        f"{v('g')} = {v('em1')} / ({a} - 1.0) if {a} > 0.0 else "
        f"({v('an')} - 1.0) / ({a} - 1.0)",
        f"{v('g')} = {v('nf')} if {a} == 1.0 else {v('g')}",
        f"{v('x')} = {v('an')} * {cell} + {b} * {v('g')}",
        f"{cell} = {v('x')} if {n} > 0 else {cell}",
    ]


def _nonfinite_check(reports):
    """Epilogue lines recording a non-finite lazy value (found at the end of the chunk)."""
    if not reports:
        return []
    err, b = names.ERR, names.BATCH
    return ([f"if {err}[{b}, 0] < 0 and {names.NSTEPS} > 0:"] + ["    " + r for r in reports]
            + [f"    if {err}[{b}, 0] >= 0:",
               f"        {err}[{b}, 3] = {names.MAX}({names.DONE}[{b}] - 1, 0)"])


def _advance_function():
    """The kernel's closed form as a compiled function ``advance(x0, a, b, n)`` (for tests)."""
    from . import vecmath

    lines = _advance_lines("x", "a", "b", "n", "t")
    source = "def advance(x, a, b, n):\n" + "".join(f"    {line}\n" for line in lines) \
        + "    return x\n"
    namespace = {names.EXP: vecmath.exp, names.LOG: vecmath.log, names.ABS: abs,
                 names.FLOAT: float}
    exec(source, namespace)  # noqa: S102 (our own text)
    return numba.njit(error_model="numpy")(namespace["advance"])


advance = _advance_function()


def _clock_dt(co):
    """dt of the clock a code object runs on (a summed variable runs on its target's)."""
    owner = co.owner
    for obj in list(getattr(owner, "contained_objects", [])) + [owner]:
        if any(c is co for c in getattr(obj, "_code_objects", ())):
            return float(obj.clock.dt_)
    return float(owner.clock.dt_)


def _per_element(text, touched, j):
    """Every access of ``touched`` arrays in block ``j`` is at its own element ``_idx__j``,
    and the block has one per-element loop."""
    marks = re.findall(rf"^\s*_vectorisation_idx__{j} = _idx__{j}$", text, re.M)
    if len(marks) != 1:
        return False
    for name in touched:
        for m in re.finditer(r"(?<![\w.])" + re.escape(name) + r"\b", text):
            if not text.startswith(f"[{names.BATCH}, _idx__{j}]", m.end()):
                return False
    return True


def _split_update(text, cand):
    """The rendered update of ``cand``: set-up lines, per-element body, trailing flags."""
    k = cand.k
    lines = text.split("\n")
    head = re.compile(rf"^for _idx__{k} in {names.reserved('')}p?range\(N__{k}\):$")
    starts = [n for n, line in enumerate(lines) if head.match(line)]
    if len(starts) != 1 or not any(line.startswith(f"N__{k} = ") for line in lines[:starts[0]]):
        return None
    s = starts[0]
    setup = lines[:s]
    body, rest = [], []
    n = s + 1
    while n < len(lines) and lines[n].startswith("    "):
        body.append(lines[n][4:])
        n += 1
    rest = lines[n:]
    flags = [line for line in rest if re.match(rf"^{names.reserved('dirty')}\d+ = True$", line)]
    reports = [line.strip() for line in rest
               if line.strip().startswith(f"{names.RT}.report_nonfinite(")]
    # drop stores and the non-finite count: the closed form stores
    kept, skip_next = [], False
    for line in body:
        if skip_next:
            skip_next = False
            continue
        if re.match(r"^_array_\w+\[", line):
            continue
        if re.match(rf"^if not \(?{names.ABS}\(", line):
            skip_next = True
            continue
        if line.startswith((" ", "\t", "if ", "else", "for ", "while ")):
            return None
        kept.append(line)
    if any("_array_" in line and not line.startswith(f"N__{k} = ") for line in setup):
        return None
    if uses_random(text):
        return None
    return {"setup": setup, "body": kept, "flags": flags, "reports": reports}


def run(draft, options, facts):
    """The ``passes`` entry: rewrite ``draft`` with the observations made while rendering."""
    lazy = draft.lazy
    if lazy is None:
        facts["lazy_linear"] = []
        return
    draft.texts, prologue, epilogue, functions = lazy.rewrite(draft.texts, draft.blocks)
    draft.per_copy += prologue
    draft.epilogue += epilogue
    if functions:
        draft.functions.append(functions)
    facts["lazy_linear"] = list(lazy.facts)
