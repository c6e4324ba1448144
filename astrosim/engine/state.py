"""Batched state of a ``Simulator``: per-copy values, states and monitor data.

Unbatched runs (``batch=None``) work in Brian2's own arrays and monitors; batched runs keep
``(B, N)`` copies of every written array here, created from Brian2's values on first use.
"""
import numpy as np
from brian2.devices.device import get_device
from brian2.units.fundamentalunits import Quantity

from .codegen import is_batched

__all__ = ["BatchedState", "unbatched_monitor_data"]


class BatchedState:
    """Mixin of :class:`~astrosim.engine.simulator.Simulator`: per-copy values and results.

    Uses the simulator's ``batch``, ``B``, ``_state``, ``_batch_init``, ``_batch_params`` and
    ``_store`` (per-chunk monitor data of batched runs).
    """

    def set_batch_values(self, obj, varname, values):
        """Give each batch copy its own value of a state variable or a parameter.

        Parameters
        ----------
        obj : Group (NeuronGroup, Synapses, ...)
        varname : str
            A state variable of ``obj`` (its initial value) or an external constant
            used by ``obj``'s equations/code (e.g. ``'tau'`` from the namespace); a constant
            varies only in the code of ``obj`` (its state updater, threshold, reset,
            pathways, summed variables), not in other objects using the same name.
        values : array-like with units
            Shape ``(batch,)`` (one value per copy) or ``(batch, N)`` for state variables.
        """
        if self.batch is None:
            raise ValueError("set_batch_values needs a batched Simulator (batch=B)")
        if varname == "delay":
            raise ValueError(f"{obj.name}.delay: delays (connectivity) are shared by all copies")
        var = obj.variables.get(varname) if hasattr(obj, "variables") else None
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape[0] != self.B:
            raise ValueError(f"{obj.name}.{varname}: expected {self.B} values (one per copy), "
                             f"got shape {arr.shape}")
        if var is not None and hasattr(var, "get_value") and not var.read_only \
                and varname not in ("t", "dt"):
            _check_units(obj, varname, values, var.dim)
            name = get_device().get_array_name(var)
            self._batch_init[name] = arr
            if name in self._state:
                self._state[name][...] = arr.reshape(self.B, -1)
        elif var is not None and getattr(var, "read_only", False):
            raise ValueError(f"{obj.name}.{varname} is read-only and cannot vary per copy")
        else:
            self._batch_params[(obj.name, varname)] = arr

    def get_states(self, obj, varname):
        """State variable ``varname`` of ``obj`` for every copy: shape ``(B, N)`` with units."""
        var = obj.variables[varname]
        name = get_device().get_array_name(var)
        if self.batch is None or not is_batched(var):
            value = np.asarray(var.get_value()).reshape(1, -1).copy()
            if self.batch is not None:
                value = np.repeat(value, self.B, axis=0)
        else:
            value = self._batched_value(name, var).copy()
        return Quantity(value, dim=var.dim)

    def monitor_data(self, monitor):
        """Recorded data of ``monitor`` with a leading batch axis (SI units, plain arrays).

        StateMonitor: ``{'t': (k,), var: (B, k, n_rec)}``; PopulationRateMonitor:
        ``{'t': (k,), 'rate': (B, k)}``; Spike/EventMonitor: ``{'t', 'i', ...}`` as
        length-B object arrays of per-copy arrays, plus ``'count'`` (B, N).
        """
        if self.batch is None:
            return unbatched_monitor_data(monitor)
        chunks = self._store.get(monitor.name, [])
        kind = _monitor_kind(monitor)
        if kind == "spike":
            names = list(monitor.record_variables) if monitor.record else []
            out = {}
            for name in names:
                arr = np.empty(self.B, dtype=object)
                for b in range(self.B):
                    parts = [c[b][name] for c in chunks if name in c[b]]
                    arr[b] = np.concatenate(parts) if parts else np.zeros(0)
                out[name] = arr
            cvar = monitor.variables["count"]
            out["count"] = self._batched_value(get_device().get_array_name(cvar), cvar).copy()
            return out
        out = {"t": np.concatenate([c[0]["t"] for c in chunks]) if chunks else np.zeros(0)}
        names = list(monitor.record_variables) if kind == "state" else ["rate"]
        for name in names:
            out[name] = (np.concatenate([np.stack([c[b][name] for b in range(self.B)])
                                         for c in chunks], axis=1) if chunks else np.zeros((self.B, 0)))
        return out

    def _batched_value(self, name, var):
        base = np.asarray(var.get_value())
        st = self._state.get(name)
        if st is None or st.shape[1] != base.size:
            st = np.ascontiguousarray(np.repeat(base.reshape(1, -1), self.B, axis=0))
            init = self._batch_init.get(name)
            if init is not None:
                st[...] = init.reshape(self.B, -1).astype(st.dtype)
            self._state[name] = st
        return st

    # -- running -------------------------------------------------------------------------


def unbatched_monitor_data(monitor):
    """A monitor's values as Brian2 holds them, in ``monitor_data`` form (a copy axis of length one)."""
    kind = _monitor_kind(monitor)
    if kind == "spike":
        out = {}
        for name in (monitor.record_variables if monitor.record else []):
            arr = np.empty(1, dtype=object)
            arr[0] = np.asarray(monitor.variables[name].get_value()).copy()
            out[name] = arr
        out["count"] = np.asarray(monitor.variables["count"].get_value())[None].copy()
        return out
    out = {"t": np.asarray(monitor.variables["t"].get_value()).copy()}
    names = list(monitor.record_variables) if kind == "state" else ["rate"]
    for name in names:
        out[name] = np.asarray(monitor.variables[name].get_value())[None].copy()
    return out


def _monitor_kind(monitor):
    from brian2.monitors.ratemonitor import PopulationRateMonitor
    from brian2.monitors.spikemonitor import EventMonitor
    from brian2.monitors.statemonitor import StateMonitor

    if isinstance(monitor, EventMonitor):
        return "spike"
    if isinstance(monitor, StateMonitor):
        return "state"
    if isinstance(monitor, PopulationRateMonitor):
        return "rate"
    raise TypeError(f"{monitor!r} is not a monitor")


def _check_units(obj, varname, values, dim):
    from brian2.units.fundamentalunits import fail_for_dimension_mismatch

    fail_for_dimension_mismatch(values, dim, f"per-copy values for {obj.name}.{varname}")
