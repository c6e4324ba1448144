"""Checks and Brian2 ``before_run`` with code capture: what a network needs before compiling."""
import re

from brian2 import prefs
from brian2.core.base import BrianObjectException
from brian2.core.functions import Function
from brian2.core.network import Network
from brian2.core.operations import NetworkOperation
from brian2.synapses.synapses import Synapses
from brian2.units.fundamentalunits import Quantity, fail_for_dimension_mismatch
from brian2.units.allunits import second

from .codegen import NumbaCodeObject
from .errors import UnsupportedFeatureError
from .templates import CAPTURED_ONLY, TEMPLATES

__all__ = ["check_duration", "check_objects", "capture", "owner_group", "SUPPORTED_TEMPLATES"]

#: derived from the template table (the contract), not a second list
SUPPORTED_TEMPLATES = set(TEMPLATES) | CAPTURED_ONLY


def check_duration(duration):
    """Validate a run duration; returns it in seconds (float)."""
    if not isinstance(duration, Quantity):
        raise TypeError(f"run duration must be a time quantity (e.g. 100*ms), got {duration!r}")
    fail_for_dimension_mismatch(duration, second, "run duration must have units of time")
    value = float(duration)
    if not (value == value) or value in (float("inf"), float("-inf")):
        raise ValueError(f"run duration must be finite, got {duration}")
    if value < 0:
        raise ValueError(f"run duration must be non-negative, got {duration}")
    return value


def check_objects(net):
    """Refuse features the engine cannot run, before anything is prepared."""
    from brian2.spatialneuron.spatialneuron import SpatialNeuron

    for obj in net.sorted_objects:
        if not obj.active:
            continue
        if isinstance(obj, NetworkOperation):
            raise UnsupportedFeatureError(obj.name, "network_operation (Python code per step)")
        if isinstance(obj, Synapses) and not obj._connect_called:
            raise TypeError(
                f"Synapses object '{obj.name}' does not do anything, since it has not created "
                "synapses with 'connect'. Set its active attribute to False if you intend to "
                "connect it only for a later run.")
        if isinstance(obj, SpatialNeuron):
            raise UnsupportedFeatureError(obj.name, "SpatialNeuron (multicompartment models)")
        method = getattr(obj, "method_choice", None)
        if isinstance(method, str) and method.startswith("gsl"):
            raise UnsupportedFeatureError(obj.name, f"the GSL integration method '{method}'")


def capture(net, namespace, t_start, t_end):
    """Run Brian2's ``before_run`` with the numba capture target active.

    Returns the list of ``(obj, codeobj)`` in schedule order (push-spikes objects skipped).
    """
    net._clocks = {obj.clock for obj in net.sorted_objects}
    for clock in net._clocks:
        clock.set_interval(t_start, t_end)
    old = prefs.codegen.target
    prefs.codegen.target = "numba"
    added = set()
    namespace = None if namespace is None else dict(namespace)  # never the caller's own dict
    try:
        while True:
            try:
                Network.before_run(net, namespace)
                break
            except BrianObjectException as ex:
                cause = ex.__cause__
                if isinstance(cause, UnsupportedFeatureError):
                    raise cause from None
                name = getattr(ex, "_brian_objname", "?")
                if not (isinstance(cause, NotImplementedError) and "Cannot use function" in str(cause)):
                    raise
                function = _python_function_for(net, name, str(cause), namespace)
                if function is None or (name, function.pyfunc) in added:
                    raise UnsupportedFeatureError(
                        name, f"{cause} (astrosim compiles a user function's Python code when it "
                        "finds the function in the run's namespace or as a Brian2 Function)") from None
                added.add((name, function.pyfunc))
    finally:
        prefs.codegen.target = old
    result = []
    for obj in net.sorted_objects:
        if not obj.active:
            continue
        for co in obj._code_objects:
            if co.template_name in CAPTURED_ONLY:
                continue
            if not isinstance(co, NumbaCodeObject):
                raise UnsupportedFeatureError(obj.name, f"code object '{co.name}' of another target")
            if co.template_name not in SUPPORTED_TEMPLATES:
                raise UnsupportedFeatureError(obj.name, f"the '{co.template_name}' template")
            result.append((obj, co))
    return result


_FUNCTION_NAME = re.compile(r"Cannot use function '(\w+)'")


def _python_function_for(net, objname, message, namespace):
    """Give the user's ``Function`` named in Brian2's 'Cannot use function' error a 'numba'
    implementation (its Python code, compiled by :mod:`astrosim.engine.userfunc`).

    Returns the function, or None when it is not a persistent ``Function`` with Python code.
    """
    match = _FUNCTION_NAME.search(message)
    obj = next((o for o in net.sorted_objects if o.name == objname), None)
    if match is None or obj is None:
        return None
    group = getattr(obj, "group", obj)
    try:
        function = group.resolve_all([match.group(1)], namespace)[match.group(1)]
    except Exception:  # noqa: BLE001 - resolution errors are reported by Brian2 itself
        return None
    if not isinstance(function, Function) or not callable(function.pyfunc):
        return None
    name = match.group(1)
    if namespace is not None and namespace.get(name) is function.pyfunc:
        # a plain Python function: Brian2 wraps it anew at every resolution, so the run
        # namespace (the engine's own copy) gets the wrapped one, as Brian2 would build it
        namespace[name] = function
    function.implementations.add_implementation("numba", code=function.pyfunc)
    return function


def owner_group(co):
    """The user-facing group a code object belongs to (for per-copy parameters)."""
    owner = co.owner
    if isinstance(owner, Synapses):  # its pathways' code objects: not its source's
        return owner
    for attr in ("group", "synapses", "source"):
        g = getattr(owner, attr, None)
        if g is not None:
            return g
    return owner
