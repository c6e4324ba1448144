"""Protocol plumbing: declared parameters with units and ranges, ``key=value`` parsing, running and output."""
import ast
import json
import operator
from dataclasses import dataclass

import numpy as np

__all__ = ["Parameter", "ProtocolParameterError", "parse_value", "resolve", "run_network", "write_output",
           "describe_parameters"]


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
            f"{where} needs units of {get_dimensions(default)!s} (like its default {default!r}), got {value!r}")
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
            raise ProtocolParameterError(
                f"{where} = {value!r} is out of range [{param.low!r}, {param.high!r}]")
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


def _shown(param):
    if param.unit:
        scale = parse_value(param.unit)
        return f"{np.asarray(param.default / scale, dtype=float).tolist()}*{param.unit}"
    return repr(param.default)


def describe_parameters(parameters):
    """One line per parameter: name, default and meaning (for ``--help`` texts and docs)."""
    return "\n".join(f"  {p.name} = {_shown(p)}: {p.doc}" for p in parameters)


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


def write_output(path, monitors, *, protocol, params, summary, sim=None):
    """Write monitors, the resolved parameters and the summary to ``path`` with :func:`astrosim.io.save`."""
    from astrosim.io import save

    metadata = {"description": f"astrosim protocol {protocol}", "protocol": protocol,
                "parameters": json.dumps({k: repr(v) for k, v in params.items()}),
                "summary": json.dumps(_plain(summary))}
    if sim is not None and sim.batch is not None:
        raise ProtocolParameterError("batched results are streamed with astrosim.io.H5Recorder, not saved")
    save(path, monitors, metadata=metadata, overwrite=True)
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
