"""`to_neo`: an astrosim recording as a `neo.Block` for Elephant and the other Neo-based tools.

The block has one `neo.Segment` per batch copy (one for unbatched runs), each with

- a `neo.SpikeTrain` per neuron of every spike monitor, ``t_start``/``t_stop`` = the window the
  run covers completely (`run_span`: the whole run; up to ``t_complete`` for a killed or failed
  one), annotated with ``group``, ``population``, ``node_id`` and ``monitor``; extra variables
  recorded at the spikes are array annotations (SI values, unit in ``<var>_unit``);
- a `neo.AnalogSignal` per recorded state variable and population rate, shape
  ``(n_times, n_recorded)``, with its physical unit, ``sampling_period`` and ``t_start``;
  ``array_annotations['index']`` holds the recorded element indices.
"""
import os

import numpy as np

from .contents import check_monitors, copies, sampled_series, spike_sets
from .reader import Recording, load
from .span import run_span

__all__ = ["to_neo", "quantities_unit"]

_BASE = ("m", "kg", "s", "A", "K", "mol", "cd")


def quantities_unit(unit, dims):
    """The `quantities` unit for SI dimension exponents ``dims``, named ``unit`` where it parses.

    The stored name (``'V'``, ``'mM'``, ``'Hz'``) is used when `quantities` knows it and it is
    exactly the SI-coherent unit of ``dims``; otherwise a product of SI base units.
    """
    import quantities as pq

    dims = np.zeros(7) if dims is None else np.asarray(dims)
    base = pq.dimensionless
    for name, exp in zip(_BASE, dims):
        if exp:
            base = base * getattr(pq, name) ** int(exp)
    base = base if isinstance(base, pq.Quantity) else pq.dimensionless
    if unit in ("", "1") or not np.any(dims):
        return pq.dimensionless
    try:
        named = pq.Quantity(1.0, unit)
    except (LookupError, ValueError, SyntaxError, TypeError, AttributeError):
        named = None
    if named is not None:
        a, b = named.simplified, (1.0 * base).simplified
        if a.dimensionality == b.dimensionality and np.isclose(float(a.magnitude), float(b.magnitude)):
            return named.units
    return base.units


def _signal(s):
    import neo
    import quantities as pq

    data = s.read()
    if data.ndim == 1:
        data = data[:, None]
    if data.dtype.kind in "biu":
        data = data.astype(np.float64)
    units = quantities_unit(s.unit, s.dimensions)
    name = f"{s.monitor}.{s.variable}"
    annotations = {"monitor": s.monitor, "variable": s.variable, "group": s.group, "kind": s.kind,
                   "stored_dtype": s.dtype}
    index = np.asarray(s.record, dtype=np.int64) if s.record is not None else np.zeros(1, dtype=np.int64)
    if s.regular:
        sig = neo.AnalogSignal(data, units=units, sampling_period=s.dt * pq.s, t_start=s.t0 * pq.s, name=name,
                               array_annotations={"index": index}, **annotations)
    else:
        sig = neo.IrregularlySampledSignal(s.times[: s.n_times] * pq.s, data, units=units, time_units=pq.s,
                                           name=name, array_annotations={"index": index}, **annotations)
    return sig


def _trains(s, span, extra_units):
    import neo
    import quantities as pq

    out = []
    t_start, t_stop = span.t_start * pq.s, span.t_stop * pq.s
    for n, times in enumerate(s.trains):
        arrays = {v: np.asarray(vals[n]) for v, vals in s.extra.items()}
        st = neo.SpikeTrain(times, units=pq.s, t_start=t_start, t_stop=t_stop,
                            name=f"{s.group}[{n}]", array_annotations=arrays, group=s.group,
                            population=s.population, node_id=n, monitor=s.monitor)
        for v in arrays:
            st.annotations[f"{v}_unit"] = extra_units.get((s.monitor, v), "1")
        out.append(st)
    return out


def to_neo(run, monitors=None):
    """Read an astrosim recording into a `neo.Block` (see the module docstring).

    Parameters
    ----------
    run : str, path-like or Recording
        The file (or an open `Recording` from `astrosim.io.load`; it is left open).
    monitors : list of str, optional
        Monitor names to read (default: all spike, state and rate monitors).

    Examples
    --------
    >>> block = astrosim.io.to_neo("run.h5")                      # doctest: +SKIP
    >>> trains = block.segments[0].spiketrains                    # one per neuron
    """
    if isinstance(run, Recording):
        return _block(run, monitors)
    with load(run) as rec:
        return _block(rec, monitors)


def _block(rec, monitors):
    import neo

    from .reader import _attr

    check_monitors(rec, monitors)
    span = run_span(rec)
    meta = rec.metadata
    block = neo.Block(
        name=os.path.basename(str(rec.path)), file_origin=str(rec.path),
        description=str(meta.get("description") or "astrosim simulation"),
        status=span.status, status_reason=span.reason, t_stop_from=span.source,
        seed=meta.get("seed"), batch=int(meta.get("batch") or 0),
        astrosim_version=meta.get("astrosim_version"), brian2_version=meta.get("brian2_version"),
    )
    extra_units = {}
    for mon in rec.by_kind("spikes"):
        for var in mon.variables:
            extra_units[(mon.name, var)] = str(_attr(mon.dataset(var).attrs.get("unit", "1")))
    sets = spike_sets(rec, span, monitors)
    series = sampled_series(rec, span, monitors)
    for copy, label in copies(rec):
        seg = neo.Segment(name=label or "run", batch_copy=copy, batch_values=label)
        for s in sets:
            if s.copy == copy or (copy >= 0 and s.copy < 0):
                seg.spiketrains.extend(_trains(s, span, extra_units))
        for s in series:
            if (s.copy == copy or (copy >= 0 and s.copy < 0)) and s.n_times:
                seg.analogsignals.append(_signal(s))
        block.segments.append(seg)
    return block
