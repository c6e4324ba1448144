"""Collect the metadata needed to rerun a simulation: versions, clocks, model text, parameters."""
import datetime
import platform
import sys

import numpy as np

__all__ = ["environment", "utc_now", "model_description", "clock_steps", "collect_groups"]

_MODEL_CLASSES = ("NeuronGroup", "Synapses", "PoissonGroup", "SpikeGeneratorGroup", "PoissonInput")


def utc_now():
    """Current UTC time as an ISO 8601 string (seconds precision)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def environment():
    """Versions of the software that wrote a file."""
    import brian2
    import h5py

    import astrosim

    return {
        "astrosim_version": astrosim.__version__,
        "brian2_version": brian2.__version__,
        "numpy_version": np.__version__,
        "h5py_version": h5py.version.version,
        "hdf5_version": h5py.version.hdf5_version,
        "python_version": sys.version.split()[0],
        "platform": platform.platform(),
    }


def collect_groups(objects):
    """Model objects reachable from monitors/network objects (sources of monitors, synapse ends)."""
    found = {}

    def add(obj):
        if obj is None or getattr(obj, "name", None) in found:
            return
        cls = type(obj).__name__
        if cls in _MODEL_CLASSES or any(b.__name__ in _MODEL_CLASSES for b in type(obj).__mro__):
            found[obj.name] = obj
            for end in ("source", "target"):
                add(getattr(obj, end, None))
        elif cls == "Subgroup":
            add(getattr(obj, "source", None))

    for obj in objects:
        add(obj)
        add(getattr(obj, "source", None))
    return found


def clock_steps(objects):
    """``{clock name: dt in seconds}`` for the clocks of the given objects and their children."""
    clocks = {}
    stack = list(objects)
    while stack:
        obj = stack.pop()
        clock = getattr(obj, "clock", None)
        if clock is not None and clock.name not in clocks:
            clocks[clock.name] = float(clock.dt_)
        stack.extend(getattr(obj, "contained_objects", ()))
    return clocks


def _unit_spec(eq):
    """Unit of an equation as Brian2 accepts it in a unit specification (base units only)."""
    from brian2 import get_unit

    if eq.var_type in ("boolean", "integer"):
        return eq.var_type
    if eq.dim is None or all(d == 0 for d in eq.dim._dims):
        return "1"
    unit = get_unit(eq.dim)
    name = repr(unit)
    if float(unit) == 1.0 and name.isidentifier():
        return name
    return repr(eq.dim)


def _equations_text(equations):
    """Equations as Brian2 text that parses again (``str`` writes ``V`` and loses ``boolean``)."""
    lines = []
    for eq in equations.ordered:
        unit = _unit_spec(eq)
        flags = f" ({', '.join(eq.flags)})" if eq.flags else ""
        if eq.type == "differential equation":
            lines.append(f"d{eq.varname}/dt = {eq.expr.code} : {unit}{flags}")
        elif eq.type == "subexpression":
            lines.append(f"{eq.varname} = {eq.expr.code} : {unit}{flags}")
        else:
            lines.append(f"{eq.varname} : {unit}{flags}")
    return "\n".join(lines)


def _model_equations(group):
    """The equations as the user gave them: without Brian2's refractoriness additions
    (``not_refractory``, ``lastspike``, ``int(not_refractory)*``), with a synapse set's
    event-driven equations (Brian2 keeps those apart from ``equations``)."""
    from brian2 import Equations

    eqs = getattr(group, "user_equations", None)
    if eqs is None:
        eqs = getattr(group, "equations", None)
    if eqs is None:
        return None
    event_driven = getattr(group, "event_driven", None)
    if event_driven is not None:
        extra = [eq for eq in event_driven.ordered if eq.type == "differential equation" and eq.varname not in eqs]
        if extra:
            eqs = Equations(list(eqs.ordered) + extra)
    return eqs


def _code_strings(group):
    """Text of the model (``{role: text}``) for a group or synapse set; it builds the group again."""
    out = {}
    eqs = _model_equations(group)
    if eqs is not None and len(eqs):
        out["equations"] = _equations_text(eqs)
    for event, condition in (getattr(group, "events", None) or {}).items():
        if condition is not None:
            out[f"condition_{event}"] = str(condition)
    for event, code in (getattr(group, "event_codes", None) or {}).items():
        if code is not None:
            out[f"reset_{event}"] = str(code)
    refractory = getattr(group, "_refractory", False)
    if refractory is not False and refractory is not None:
        out["refractory"] = _quantity_text(refractory) if hasattr(refractory, "dim") else str(refractory)
    for pathway in getattr(group, "_pathways", ()):
        role = pathway.objname if pathway.objname in ("pre", "post") else f"{pathway.prepost}_{pathway.objname}"
        out[f"on_{role}"] = str(pathway.code)
    updater = getattr(group, "state_updater", None)
    if updater is not None and getattr(updater, "method_choice", None) is not None:
        out["method"] = str(updater.method_choice)
    rates = getattr(group, "_rates", None)
    if rates is not None and type(group).__name__ == "PoissonGroup":
        out["rates"] = _quantity_text(rates) if hasattr(rates, "dim") else str(rates)
    return out


def _quantity_text(value):
    """A quantity as Brian2 code that evaluates to it (``0.002*second``)."""
    from brian2.units.fundamentalunits import get_dimensions

    base = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candle")
    dims = get_dimensions(value)._dims
    unit = "*".join(f"{b}**{int(e) if e == int(e) else e}" if e != 1 else b for b, e in zip(base, dims) if e)
    arr = np.asarray(value, dtype=float)
    number = "[" + ", ".join(repr(float(x)) for x in arr.ravel()) + "]" if arr.ndim else repr(float(arr))
    return f"{number}*{unit}" if unit else number


def _resolved_constants(group, identifiers, namespace):
    """External constants used by a group: ``{name: (value, dim)}``."""
    from brian2.core.namespace import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS, DEFAULT_UNITS
    from brian2.core.variables import Constant

    skip = set(DEFAULT_CONSTANTS) | set(DEFAULT_FUNCTIONS) | set(DEFAULT_UNITS) | set(group.variables)
    found = {}
    # values already resolved for a finished run (plain Brian2): the code objects' variables
    stack = list(getattr(group, "contained_objects", ()))
    while stack:
        obj = stack.pop()
        codeobj = getattr(obj, "codeobj", None)
        for name, var in (getattr(codeobj, "variables", None) or {}).items():
            if name in identifiers and name not in skip and isinstance(var, Constant):
                found[name] = (var.value, var.dim)
        stack.extend(getattr(obj, "contained_objects", ()))
    for name in sorted(set(identifiers) - skip - set(found)):
        try:
            var = group._resolve(name, run_namespace=dict(namespace or {}), user_identifier=False)
        except Exception:  # unresolvable without the caller's namespace: leave it out
            continue
        if isinstance(var, Constant):
            found[name] = (var.value, var.dim)
    return found


def model_description(groups, namespace=None):
    """Text and external parameters of the model objects.

    Returns ``(models, parameters)``: ``models`` maps object name to ``{'type', 'N', <role>: text}``;
    ``parameters`` maps a parameter name to ``(value, dim, [names of objects using it])``.
    """
    from brian2.utils.stringtools import get_identifiers

    models, parameters = {}, {}
    for name, group in sorted(groups.items()):
        texts = _code_strings(group)
        entry = {"type": type(group).__name__}
        try:
            entry["N"] = int(len(group))
        except TypeError:
            pass
        for end in ("source", "target"):  # synapse ends (the full group of a subgroup)
            obj = getattr(group, end, None)
            if obj is not None and type(group).__name__ == "Synapses":
                entry[end] = getattr(getattr(obj, "source", None), "name", None) \
                    if type(obj).__name__ == "Subgroup" else obj.name
        entry.update(texts)
        models[name] = entry
        identifiers = set()
        for role, text in texts.items():
            if role != "method":
                identifiers |= get_identifiers(text)
        for pname, (value, dim) in _resolved_constants(group, identifiers, namespace).items():
            if pname in parameters:
                parameters[pname][2].append(name)
            else:
                parameters[pname] = (value, dim, [name])
    return models, parameters
