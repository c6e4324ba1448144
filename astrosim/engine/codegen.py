"""Brian2 code-generation target 'numba' that captures translated code objects for fusion."""
import itertools
import re

import numpy as np
from brian2.codegen.codeobject import CodeObject
from brian2.codegen.generators.cython_generator import CythonCodeGenerator
from brian2.codegen.runtime.cython_rt.cython_rt import CythonCodeObject
from brian2.codegen.runtime.numpy_rt.numpy_rt import NumpyCodeObject
from brian2.codegen.targets import codegen_targets
from brian2.core.clocks import Clock
from brian2.core.functions import DEFAULT_FUNCTIONS, Function
from brian2.core.variables import Constant
from brian2.input.binomial import BinomialFunction
from brian2.input.timedarray import TimedArray
from brian2.parsing.rendering import NodeRenderer
from brian2.utils.stringtools import indent, word_substitute

from . import names as K
from .errors import UnsupportedFeatureError
from .userfunc import compile_user_function

__all__ = ["NumbaCodeGenerator", "NumbaCodeObject", "is_batched", "CLOCK_LOCALS"]

#: Brian2 default functions -> function called in generated numba code.
FUNCTION_MAP = {
    "sin": f"{K.NP}.sin", "cos": f"{K.NP}.cos", "tan": f"{K.NP}.tan", "sinh": f"{K.NP}.sinh",
    "cosh": f"{K.NP}.cosh", "tanh": f"{K.NP}.tanh", "exp": K.EXP, "log": K.LOG,
    "log10": f"{K.NP}.log10", "expm1": f"{K.NP}.expm1", "log1p": f"{K.NP}.log1p",
    "sqrt": f"{K.NP}.sqrt", "ceil": f"{K.NP}.ceil", "floor": f"{K.NP}.floor",
    "arcsin": f"{K.NP}.arcsin", "arccos": f"{K.NP}.arccos", "arctan": f"{K.NP}.arctan",
    "abs": K.ABS, "sign": f"{K.RT}.sign", "clip": f"{K.RT}.clip", "int": f"{K.RT}.to_int",
    "timestep": f"{K.RT}.timestep", "exprel": f"{K.RT}.exprel",
}
#: Random functions take the RNG state and the batch index.
RANDOM_MAP = {"rand": K.RANDOM_ALIASES["uniform"], "randn": K.RANDOM_ALIASES["normal"],
              "poisson": K.RANDOM_ALIASES["poisson"]}
#: other runtime helpers drawing random numbers (BinomialFunction)
_RANDOM_HELPERS = {"binomial_normal": K.RANDOM_ALIASES["binomial_normal"],
                   "binomial_exact": K.RANDOM_ALIASES["binomial_exact"]}
#: what every random call passes after its own arguments: the copy's state and index, the
#: element, the time step and the call site (a counter-based stream needs all of them)
RANDOM_ARGS = (K.RNG, K.BATCH, "_vectorisation_idx", K.CLOCK_TIMESTEP, K.SITE)

#: Clock variables become per-block locals set by the fused loop.
CLOCK_LOCALS = {"t": K.CLOCK_T, "dt": K.CLOCK_DT, "timestep": K.CLOCK_TIMESTEP}


#: read-only for users, but written by the templates: per copy as well
_WRITTEN_READ_ONLY = {"count", "_lastindex"}


def is_batched(var):
    """Whether an array variable has one copy per batch element (all state the code writes)."""
    return not var.read_only or var.name in _WRITTEN_READ_ONLY


def literal(value):
    """Render a Python/numpy scalar as numba source."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    value = float(value)
    if np.isnan(value):
        return "np.nan"
    if np.isinf(value):
        return "np.inf" if value > 0 else "(-np.inf)"
    return repr(value)


class NumbaNodeRenderer(NodeRenderer):
    """Python-syntax renderer with function substitution and safe integer powers."""

    def __init__(self, calls):
        super().__init__(auto_vectorise=set())
        self.calls = calls

    def render_Call(self, node):
        if len(node.keywords):
            raise ValueError("Keyword arguments not supported.")
        name = node.func.id
        args = [self.render_node(arg) for arg in node.args]
        if name in self.calls:
            func, extra = self.calls[name]
            return f"{func}({', '.join(args + list(extra))})"
        return f"{name}({', '.join(args)})"

    def render_BinOp(self, node):
        if node.op.__class__.__name__ == "Pow":
            left = self.render_node(node.left)
            right = self.render_node(node.right)
            return f"{K.POW}({left}, {right})"
        return super().render_BinOp(node)


class NumbaCodeGenerator(CythonCodeGenerator):
    """Translate abstract code into numba-compilable Python statements.

    Per-copy arrays are indexed ``[_b, index]``; shared ones ``[index]``; clock
    variables become function arguments; constants are gathered for the renderer.
    """

    class_name = "numba"

    def __init__(self, *args, **kwds):
        variables, owner = kwds.get("variables", {}), kwds.get("owner")
        for varname, var in variables.items():
            if isinstance(var, Function) and not _known_function(varname, var):
                compile_user_function(varname, var, getattr(owner, "name", "?"))  # or refuse
        super().__init__(*args, **kwds)
        self.calls = {}
        for varname, var in self.variables.items():
            if isinstance(var, Function):
                self.calls[varname] = self._function_call(varname, var)

    def _function_call(self, varname, var):
        if varname in RANDOM_MAP and var is DEFAULT_FUNCTIONS.get(varname):
            return RANDOM_MAP[varname], RANDOM_ARGS
        if varname in FUNCTION_MAP and var is DEFAULT_FUNCTIONS.get(varname):
            return FUNCTION_MAP[varname], ()
        if isinstance(var, TimedArray):
            # values, eps and K are bound by the renderer (kernel arguments)
            kind = f"{K.RT}.timed_1d" if var.values.ndim == 1 else f"{K.RT}.timed_2d"
            return kind, timedarray_names(var.name)
        if isinstance(var, BinomialFunction):
            params = _binomial_params(var)
            exact = "loc" not in params
            kind = _RANDOM_HELPERS["binomial_exact" if exact else "binomial_normal"]
            return kind, RANDOM_ARGS + binomial_names(var.name, exact)
        return compile_user_function(varname, var, getattr(self.owner, "name", "?"))

    def translate_expression(self, expr):
        return NumbaNodeRenderer(self.calls).render_expr(expr).strip()

    def determine_keywords(self):
        return {}

    def _access(self, varname, index):
        var = self.variables[varname]
        if _clock_local(var):
            return None
        name = self.get_array_name(var)
        if index == "_idx":
            index = "_idx"
        if is_batched(var):
            return f"{name}[{K.BATCH}, {index}]"
        return f"{name}[{index}]"

    def translate_to_read_arrays(self, read, indices):
        lines = []
        for varname in itertools.chain(sorted(indices), sorted(read)):
            var = self.variables[varname]
            if _clock_local(var):
                lines.append(f"{varname} = {_clock_local(var)}")
                continue
            lines.append(f"{varname} = {self._access(varname, self.variable_indices[varname])}")
        return lines

    def translate_to_write_arrays(self, write):
        lines = []
        for varname in sorted(write):
            access = self._access(varname, self.variable_indices[varname])
            if access is None:
                raise UnsupportedFeatureError(getattr(self.owner, "name", "?"),
                                              f"writing to the clock variable '{varname}'")
            lines.append(f"{access} = {varname}")
        return lines


def timedarray_names(name):
    """Kernel names of a TimedArray's values array, its ``eps`` and ``K`` (block locals)."""
    return K.reserved(f"tav_{name}"), K.local(f"taeps_{name}"), K.local(f"taK_{name}")


def binomial_names(name, exact=False):
    """Block-local names of a BinomialFunction's parameters: ``loc, scale`` (normal approximation)
    or ``n, p, q**n, bound`` (inversion; see ``runtime.binomial_constants``)."""
    names = K.local(f"bnA_{name}"), K.local(f"bnB_{name}")
    return names + (K.local(f"bnC_{name}"), K.local(f"bnD_{name}")) if exact else names


def _known_function(varname, var):
    if DEFAULT_FUNCTIONS.get(varname) is var and (varname in FUNCTION_MAP or varname in RANDOM_MAP):
        return True
    return isinstance(var, (TimedArray, BinomialFunction))


def _clock_local(var):
    """Kernel argument replacing a clock variable (t, dt, timestep), else None."""
    if isinstance(getattr(var, "owner", None), Clock):
        return CLOCK_LOCALS.get(var.name)
    return None


def _timedarray_K(group_dt, ta_dt):
    return max(int(2 ** np.ceil(np.log2(8 * ta_dt / group_dt))), 1)


def _binomial_params(var):
    """Recover n/p (or loc/scale) from the closure of Brian's numpy implementation."""
    impl = var.implementations["numpy"].get_code(None)
    cells = dict(zip(impl.__code__.co_freevars, (c.cell_contents for c in impl.__closure__)))
    if "loc" in cells:
        return {"loc": float(cells["loc"]), "scale": float(cells["scale"])}
    return {"n": int(cells["n"]), "p": float(cells["p"])}


class _CaptureTemplate:
    """Stand-in template: keeps Brian's metadata, returns the code blocks unrendered."""

    def __init__(self, original):
        self.variables = original.variables
        self.iterate_all = original.iterate_all
        self.writes_read_only = original.writes_read_only
        self.allows_scalar_write = original.allows_scalar_write
        self.template_source = original.template_source

    def __call__(self, scalar_code, vector_code, **kwds):
        return {"scalar_code": scalar_code, "vector_code": vector_code, "kwds": _Keywords(kwds)}


class _Keywords(dict):
    """Template keywords; a short repr, since Brian2 logs code objects' code as text."""

    def __repr__(self):
        return f"<template keywords: {', '.join(sorted(self))}>"


class _CaptureTemplater:
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _CaptureTemplate(getattr(CythonCodeObject.templater, name))


class NumbaCodeObject(CodeObject):
    """A captured code object: ``code`` holds the translated blocks and template kwargs.

    It never runs on its own; the astrosim simulator fuses all of them into one kernel.
    """

    class_name = "numba"
    generator_class = NumbaCodeGenerator
    templater = _CaptureTemplater()
    # no registry of instances: each owner keeps its code object (``CodeRunner.codeobj``)
    # alive while it matters, and a registry would only grow over repeated runs

    def compile_block(self, block):
        return None

    def run_block(self, block):
        if self.template_name == "statemonitor":
            # StateMonitor.record_single_timestep(): one row from the current state, in Python
            if block == "run":
                record_state_now(self.owner)
            return None
        raise UnsupportedFeatureError(
            getattr(self.owner, "name", "?"),
            "running a captured numba code object outside astrosim.Simulator")

    def before_run(self):
        pass

    def after_run(self):
        pass

    def __call__(self, **kwds):
        return self.run()

    def run(self):
        return self.run_block("run")


def record_state_now(monitor):
    """Append one row to ``monitor`` (a ``StateMonitor``) from its source's current state.

    What the statemonitor template does at each of its steps, done once from Python (Brian2's
    ``StateMonitor.record_single_timestep`` after a run); subexpressions are evaluated by
    Brian2 itself. A batched simulator's copies are not in Brian2's arrays: this records the
    unbatched state only.
    """
    n = int(monitor.variables["N"].get_value())
    indices = np.asarray(monitor.variables["_indices"].get_value())
    values = {name: np.asarray(monitor.source.state(name, use_units=False, level=3))[indices]
              for name in monitor.record_variables}
    monitor.resize(n + 1)
    monitor.variables["t"].get_value()[n] = float(np.asarray(monitor.clock.variables["t"].get_value()).ravel()[0])
    for name, row in values.items():
        monitor.recorded_variables[name].get_value()[n, :] = row


if NumbaCodeObject not in codegen_targets:
    codegen_targets.add(NumbaCodeObject)


class SetupCodeObject(NumpyCodeObject):
    """Brian2's numpy target under its own name, for the set-up code of scripts.

    ``run_script`` selects it so that ``connect`` and initial values use numpy while a
    script's own explicit choice of target (``'numpy'``, ``'cython'``) stays recognisable.
    """

    class_name = "astrosim_setup"


if SetupCodeObject not in codegen_targets:
    codegen_targets.add(SetupCodeObject)


def constants_lines(variables, used):
    """Source lines binding the Constants among ``used`` identifiers to literals."""
    lines = []
    for name in sorted(used):
        var = variables.get(name)
        if isinstance(var, Constant):
            lines.append(f"{name} = {literal(var.value)}")
    return lines


def block_text(code):
    """Join the 'None' block of captured code (Brian uses a dict of named blocks)."""
    if isinstance(code, dict):
        return "\n".join(v for v in code.values() if v)
    return code or ""


def indent_lines(text, n):
    """``text`` with every non-blank line indented by ``n`` levels of four spaces."""
    pad = " " * (4 * n)
    return "\n".join(pad + line if line.strip() else line for line in (text or "").split("\n"))


#: runtime calls that draw from a copy's random stream (code using them is not repeatable
#: out of order: no threads over its elements, no skipping); derived from the maps above
RANDOM_CALLS = tuple(sorted(set(RANDOM_MAP.values()) | set(_RANDOM_HELPERS.values())))

#: a name that is not an attribute (``x`` in ``x + y.z``, not ``z``)
IDENTIFIER = re.compile(r"(?<![.\w])[_A-Za-z][_A-Za-z0-9]*\b")


def rename_identifiers(text, mapping):
    """Replace the whole-word names in ``text`` that are keys of ``mapping`` (one pass)."""
    if not mapping:
        return text
    pattern = re.compile(r"(?<![.\w])(" + "|".join(
        re.escape(n) for n in sorted(mapping, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: mapping[m.group(1)], text)


__all__ += ["literal", "constants_lines", "block_text", "indent", "word_substitute",
            "IDENTIFIER", "RANDOM_CALLS", "rename_identifiers", "indent_lines",
            "timedarray_names", "binomial_names", "uses_random"]


def uses_random(text):
    """Whether generated ``text`` draws random numbers (or touches the random state)."""
    used = set(IDENTIFIER.findall(text))
    return K.RNG in used or any(call in used for call in RANDOM_CALLS)
