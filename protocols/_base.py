"""Protocol plumbing: declared parameters with units and ranges, ``key=value`` parsing, running and output."""
import ast
import json
import logging
import operator
from dataclasses import dataclass

import numpy as np

__all__ = ["Parameter", "ProtocolParameterError", "parse_value", "resolve", "run_network", "write_output",
           "describe_parameters", "protocol_metadata", "value_text", "same_structure", "monitor_arrays", "copy_of", "copy_seed"]


class _StochasticReleaseOrderNote(logging.Filter):
    """Drop Brian2's "outcome may depend on the order of execution" warning for the AN model's synapses.

    Brian2 flags every synaptic block that calls ``rand()`` and adds to a postsynaptic variable
    (``released = int(rand() < PR) ...; v_post += ... * released``). Each synapse draws its own
    number and the additions commute, so only which number goes to which synapse depends on the
    order, not the distribution of the outcome; for a given seed the engine's order is fixed.
    docs/protocols.md explains it. Other order warnings still show.
    """

    def filter(self, record):
        message = record.getMessage()
        return not ("order of execution" in message and "an_synapses" in message)


logging.getLogger("brian2.codegen.generators.base").addFilter(_StochasticReleaseOrderNote())


class ProtocolParameterError(ValueError):
    """An unknown protocol parameter, a value of the wrong unit or type, or a value out of range."""


@dataclass(frozen=True)
class Parameter:
    """One protocol parameter.

    ``default`` fixes the kind: a Quantity (its unit is required), an int, a float, a str (then
    ``choices`` may list the allowed values), or a 1-D array Quantity / list of floats (a list).
    ``low``/``high`` bound every element (inclusive), in the default's units.
    """

    name: str
    default: object
    doc: str
    low: object = None
    high: object = None
    choices: tuple = ()
    unit: str = ""  # display unit for --params, e.g. 'umolar/second'


_BINOPS = {ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Add: operator.add, ast.Sub: operator.sub,
           ast.Pow: operator.pow}


def _units():
    from brian2.core.namespace import DEFAULT_UNITS

    return DEFAULT_UNITS


def _eval(node, text):
    if isinstance(node, ast.Expression):
        return _eval(node.body, text)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("True", "False"):
            return node.id == "True"
        units = _units()
        if node.id in units:
            return units[node.id]
        raise ProtocolParameterError(f"unknown unit or name {node.id!r} in {text!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left, text), _eval(node.right, text)
        if isinstance(left, list):
            left = np.asarray(left, dtype=float)
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, text) for e in node.elts]
    raise ProtocolParameterError(f"cannot parse {text!r}: only numbers, units, lists and * / + - ** are allowed")


def parse_value(text):
    """Parse ``'5*Hz'``, ``'5 Hz'``, ``'[1, 2, 3]*Hz'``, ``'0.3'``, ``'euler'`` into a value (strings stay strings)."""
    text = text.strip()
    candidates = [text]
    parts = text.split()
    if len(parts) == 2:  # '5 Hz' -> '5*Hz'
        candidates.append(f"{parts[0]}*{parts[1]}")
    for candidate in candidates:
        try:
            tree = ast.parse(candidate, mode="eval")
        except SyntaxError:
            continue
        try:
            return _eval(tree, text)
        except ProtocolParameterError:
            if isinstance(tree.body, ast.Name) and len(candidates) == 1:
                return text  # a bare word: a string option such as an engine name
            raise
    raise ProtocolParameterError(f"cannot parse value {text!r}")


def _check(param, value, protocol):
    from brian2 import Quantity, get_dimensions, have_same_dimensions

    where = f"{protocol}: parameter {param.name!r}"
    default = param.default
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ProtocolParameterError(f"{where} takes a word, got {value!r}")
        if param.choices and value not in param.choices:
            raise ProtocolParameterError(f"{where} must be one of {', '.join(param.choices)}; got {value!r}")
        return value
    if isinstance(value, str):
        raise ProtocolParameterError(f"{where}: cannot use {value!r} as a number")
    is_list = isinstance(default, (list, tuple)) or (isinstance(default, np.ndarray) and default.ndim == 1)
    if is_list:
        value = np.atleast_1d(np.asarray(value) if not isinstance(value, Quantity) else value)
        if isinstance(value, np.ndarray) and value.dtype == object:
            value = Quantity(list(value))
        if value.ndim != 1 or len(value) == 0:
            raise ProtocolParameterError(f"{where} needs a non-empty list, got {value!r}")
    if not have_same_dimensions(value, default):
        raise ProtocolParameterError(
            f"{where} needs units of {get_dimensions(default)!s} (like its default {_shown(default, param)}), "
            f"got {_shown(value, param)}")
    if isinstance(default, bool):
        value = bool(value)
    elif isinstance(default, int) and not is_list:
        if float(value) != int(float(value)):
            raise ProtocolParameterError(f"{where} must be an integer, got {value!r}")
        value = int(float(value))
    elif not isinstance(default, Quantity) and not is_list:
        value = float(value)
    unit_free = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(unit_free)):
        raise ProtocolParameterError(f"{where} must be finite, got {value!r}")
    for bound, bad in ((param.low, np.any(unit_free < np.asarray(param.low, dtype=float)) if param.low is not None
                        else False),
                       (param.high, np.any(unit_free > np.asarray(param.high, dtype=float)) if param.high is not None
                        else False)):
        if bad:
            low = _shown(param.low, param) if param.low is not None else "-inf"
            high = _shown(param.high, param) if param.high is not None else "inf"
            raise ProtocolParameterError(f"{where} = {_shown(value, param)} is out of range [{low} .. {high}]")
    return value


def resolve(parameters, overrides, protocol):
    """Return ``{name: value}`` from declared ``parameters`` and ``overrides`` (values or strings to parse)."""
    declared = {p.name: p for p in parameters}
    values = {p.name: p.default for p in parameters}
    for key, value in overrides.items():
        if key not in declared:
            raise ProtocolParameterError(
                f"{protocol}: unknown parameter {key!r}; known parameters: {', '.join(sorted(declared))}")
        if isinstance(value, str) and not isinstance(declared[key].default, str):
            value = parse_value(value)
        values[key] = _check(declared[key], value, protocol)
    return values


def _shown(value, param):
    from astrosim.io.quantities import human

    if isinstance(value, str):
        return value
    if isinstance(value, bool) or (isinstance(value, int) and not hasattr(value, "dim")):
        return str(value)
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=float)
    return human(value)


def describe_parameters(parameters):
    """One line per parameter: name, default in readable units, allowed range or choices, meaning."""
    lines = []
    for p in parameters:
        if p.choices:
            allowed = "one of " + ", ".join(p.choices)
        elif p.low is not None or p.high is not None:
            low = _shown(p.low, p) if p.low is not None else "-inf"
            high = _shown(p.high, p) if p.high is not None else "inf"
            allowed = f"{low} .. {high}"
        else:
            allowed = ""
        lines.append(f"  {p.name} = {_shown(p.default, p)}" + (f"  [{allowed}]" if allowed else "") + f": {p.doc}")
    return "\n".join(lines)


def run_network(objects, duration, *, engine="brian2", seed=None, batch=None, batch_values=(), listeners=(),
                report=None):
    """Run Brian2 ``objects`` for ``duration`` on ``'brian2'`` or ``'astrosim'``.

    ``batch``/``batch_values`` (``[(obj, varname, values), ...]``) need the astrosim engine.
    Returns the astrosim ``Simulator`` (or None for Brian2).
    """
    from brian2 import Network, seed as brian_seed

    net = Network(*objects)
    if engine == "brian2":
        if batch is not None:
            raise ProtocolParameterError("a batched run needs engine='astrosim'")
        if seed is not None:
            brian_seed(seed)
        net.run(duration, report=report)
        return None
    if engine != "astrosim":
        raise ProtocolParameterError(f"unknown engine {engine!r}; use 'brian2' or 'astrosim'")
    import astrosim

    sim = astrosim.Simulator(net, batch=batch, seed=seed)
    for obj, varname, values in batch_values:
        sim.set_batch_values(obj, varname, values)
    sim.run(duration, report=report, listeners=list(listeners))
    return sim


def same_structure(protocol, param_sets, batch_parameters):
    """The first of ``param_sets`` after checking that the sets differ only in ``batch_parameters``
    (what one batched engine run can vary per copy) and run on the astrosim engine."""
    first = param_sets[0]
    for p in param_sets:
        for key, value in p.items():
            if key not in batch_parameters and repr(value) != repr(first[key]):
                raise ValueError(f"{protocol}: run_batch needs equal {key!r} in every set ({first[key]!r}, {value!r})")
        if p.get("engine", "astrosim") != "astrosim":
            raise ValueError(f"{protocol}: run_batch runs on the astrosim engine")
    return first


def copy_seed(seed, k):
    """The seed with which an unbatched run gets the random streams of batch copy ``k`` of a run seeded ``seed``."""
    if seed is None:
        return None
    from astrosim.sweep.seeds import MASK, STRIDE

    return (int(seed) + STRIDE * int(k)) & MASK


def monitor_arrays(sim, monitor):
    """Recorded values of ``monitor`` in the form of ``Simulator.monitor_data`` (SI floats, a leading copy axis).

    ``sim`` is the astrosim ``Simulator`` of the run, or None after a Brian2 run (one copy).
    """
    if sim is not None:
        return sim.monitor_data(monitor)
    from astrosim.engine.state import unbatched_monitor_data

    return unbatched_monitor_data(monitor)


def copy_of(data, b):
    """Batch copy ``b`` of ``monitor_arrays`` data, still with a leading axis of length one."""
    shared = lambda k, v: k == "t" and np.asarray(v).dtype != object  # noqa: E731  (sample times of a StateMonitor)
    return {k: v if shared(k, v) else v[b : b + 1] for k, v in data.items()}


def value_text(value):
    """A resolved parameter value as text that `parse_value` reads back exactly (SI base units)."""
    from brian2.units.fundamentalunits import get_dimensions

    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return repr(value)
    base = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candle")
    dims = get_dimensions(value)._dims
    unit = "*".join(f"{b}**{int(e)}" if e != 1 else b for b, e in zip(base, dims) if e)
    arr = np.asarray(value, dtype=float)
    if isinstance(value, int) and not hasattr(value, "dim"):
        number = repr(int(value))
    elif arr.ndim:
        number = "[" + ", ".join(repr(float(x)) for x in arr) + "]"
    else:
        number = repr(float(arr))
    return f"{number}*{unit}" if unit else number


def protocol_metadata(protocol, params, seed=None):
    """Metadata items of a protocol run: enough for ``astrosim rerun`` (name, exact values, seed)."""
    return {"description": f"astrosim protocol {protocol}", "protocol": protocol, "seed": seed,
            "parameters": json.dumps({k: _shown(v, None) for k, v in params.items()}),  # for people
            "protocol_values": json.dumps({k: value_text(v) for k, v in params.items()})}


def write_output(path, monitors, *, protocol, params, summary, sim=None, seed=None):
    """Write monitors, the resolved parameters, seed and summary to ``path`` with :func:`astrosim.io.save`.

    An existing ``path`` is never replaced (`FileExistsError`; the command line writes to a
    fresh file and renames it over the old one only when asked with ``--overwrite``).
    """
    import h5py

    from astrosim.io import save

    metadata = {**protocol_metadata(protocol, params, seed), "summary": json.dumps(_plain(summary))}
    if sim is not None and sim.batch is not None:
        raise ProtocolParameterError("batched results are streamed with astrosim.io.H5Recorder, not saved")
    save(path, monitors, metadata=metadata, overwrite=False)
    with h5py.File(path, "r+") as f:  # a finished run, saved in one go
        if "status" not in f.attrs:
            f.attrs["status"] = "complete"
            f.attrs["status_reason"] = ""
    return path


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value
