"""Export an astrosim recording to Neurodata Without Borders (NWB 2) with pynwb.

Layout of the NWB file (see docs/export.md):

- ``units``: one row per neuron of every spike monitor (per batch copy), spike times in s;
  columns ``group`` (recorded Brian2 group), ``population`` (the SONATA population name),
  ``node_id`` (index in the group), ``monitor``, ``batch_copy``/``batch_values`` (batched runs);
  ``obs_intervals`` = the trusted window of the run.
- ``acquisition/<monitor>.<variable>``: a TimeSeries per recorded state variable and per
  population rate (time first, SI unit, ``conversion=1.0``); batch copies are separate series
  named ``<monitor>.<variable> [<parameter>=<value>, ...]``.
- ``processing/astrosim``: tables ``run`` (seed, versions, status, command, ...), ``parameters``
  (name, SI value, unit, users), ``model`` (equations and code per object), ``monitors``
  (kind, group, dt, recorded indices) and ``batch_values`` (batched runs).
"""
import datetime
import json
import os
import uuid

import numpy as np

from .batches import batch_values
from .contents import check_monitors, sampled_series, spike_sets
from .outputs import new_output
from .reader import load
from .span import run_span

__all__ = ["to_nwb", "nwb_unit"]


def nwb_unit(unit):
    """Unit text for NWB: the stored SI name, ``'dimensionless'`` for ``'1'``."""
    return "dimensionless" if unit in ("1", "") else unit


def _when(text, fallback):
    try:
        when = datetime.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return fallback
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def _table(name, description, columns):
    """A DynamicTable from ``{column: (description, values)}`` (all columns the same length)."""
    from hdmf.common import DynamicTable, VectorData

    n = len(next(iter(columns.values()))[1]) if columns else 0
    if n == 0:
        return None
    cols = [VectorData(name=key, description=desc, data=list(values)) for key, (desc, values) in columns.items()]
    return DynamicTable(name=name, description=description, id=list(range(n)), columns=cols)


def _scalar_text(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _run_rows(rec, span, path):
    meta = rec.metadata
    rows = {"source_file": os.path.basename(path), "format_version": str(rec.format_version),
            "status": span.status, "status_reason": span.reason, "t_start": repr(span.t_start),
            "t_stop": repr(span.t_stop), "t_stop_from": span.source}
    for key, value in meta.items():
        if isinstance(value, dict) or key in ("script_source",):
            continue
        if hasattr(value, "dim"):
            continue
        rows[key] = _scalar_text(value)
    for name, clock in (meta.get("clocks") or {}).items():
        rows[f"clock:{name}:dt"] = repr(float(clock["dt"]))
    return rows


def _add(module, table):
    if table is not None:
        module.add(table)


def _metadata_module(nwbfile, rec, span, path, sets, series):
    module = nwbfile.create_processing_module(
        name="astrosim", description="how the simulation was made: run, versions, model, parameters, monitors")
    rows = _run_rows(rec, span, path)
    _add(module, _table("run", "run metadata of the astrosim recording (text values; times in s)", {
        "key": ("name of the item", list(rows)), "value": ("its value as text", list(rows.values()))}))
    table = rec.file.get("metadata/parameters")
    if table is not None and "name" in table:
        _add(module, _table("parameters", "external constants of the model, in SI units", {
            "parameter": ("parameter name", list(table["name"].asstr()[()])),
            "value": ("value in SI units", [float(v) for v in table["value"][()]]),
            "unit": ("SI unit", list(table["unit"].asstr()[()])),
            "used_by": ("objects using it (comma-separated)", list(table["used_by"].asstr()[()])),
        }))
    model = rec.metadata.get("model") or {}
    entries = [(obj, role, str(text)) for obj, spec in model.items() for role, text in spec.items()]
    if entries:
        _add(module, _table("model", "the Brian2 model: one row per object and role (equations, threshold, ...)", {
            "object": ("Brian2 object name", [e[0] for e in entries]),
            "role": ("what the text is (type, N, equations, condition_spike, reset_spike, on_pre, method...)",
                     [e[1] for e in entries]),
            "text": ("Brian2 text", [e[2] for e in entries]),
        }))
    mons = list(rec.monitors.values())
    _add(module, _table("monitors", "the monitors of the run and what they recorded", {
        "monitor": ("monitor name", [m.name for m in mons]),
        "kind": ("spikes, events, state or rate", [m.kind for m in mons]),
        "group": ("recorded Brian2 group", [str(m.source) for m in mons]),
        "group_size": ("number of elements of the group", [int(m.source_size or 0) for m in mons]),
        "dt": ("sampling step in s", [float(m.dt or 0.0) for m in mons]),
        "variables": ("recorded variables (JSON)", [json.dumps(m.variables) for m in mons]),
        "record": ("recorded element indices of state monitors (JSON)",
                   [json.dumps(m.record.tolist()) if m.kind == "state" else "" for m in mons]),
    }))
    values = batch_values(rec)
    copies = sorted({s.copy for s in [*sets, *series] if s.copy >= 0})
    if copies:
        labels = {s.copy: s.label for s in [*sets, *series]}
        cols = {"batch_copy": ("batch copy index", copies), "label": ("the copy's values", [labels[c] for c in copies])}
        for key, (arr, dims, unit) in sorted(values.items()):
            arr = np.asarray(arr)
            if arr.ndim == 1:
                cols[key] = (f"value per copy in SI units ({nwb_unit(unit or '1')})", [float(arr[c]) for c in copies])
        _add(module, _table("batch_values", "what each batch copy was given", cols))


def _units(nwbfile, sets, span, resolution=None):
    from hdmf.common import VectorData, VectorIndex
    from pynwb.misc import Units

    rows = [(s, n) for s in sets for n in range(s.size)]
    if not rows:
        return
    times = [s.trains[n] for s, n in rows]
    ends = np.cumsum([len(t) for t in times]).tolist()
    flat = np.concatenate(times) if times else np.zeros(0)
    st = VectorData(name="spike_times", description="spike times in s", data=flat)
    cols = [st, VectorIndex(name="spike_times_index", data=ends, target=st)]
    obs = VectorData(name="obs_intervals", description="the window the run covers completely (s)",
                     data=[[span.t_start, span.t_stop]] * len(rows))
    cols += [obs, VectorIndex(name="obs_intervals_index", data=list(range(1, len(rows) + 1)), target=obs)]
    cols.append(VectorData(name="group", description="recorded Brian2 group", data=[s.group for s, _ in rows]))
    cols.append(VectorData(name="population", description="population name (as in the SONATA export)",
                           data=[s.population for s, _ in rows]))
    cols.append(VectorData(name="node_id", description="index of the neuron in its group",
                           data=np.array([n for _, n in rows], dtype=np.int64)))
    cols.append(VectorData(name="monitor", description="astrosim monitor name", data=[s.monitor for s, _ in rows]))
    if any(s.copy >= 0 for s, _ in rows):
        cols.append(VectorData(name="batch_copy", description="batch copy index",
                               data=np.array([s.copy for s, _ in rows], dtype=np.int64)))
        cols.append(VectorData(name="batch_values", description="the copy's parameter values",
                               data=[s.label for s, _ in rows]))
    nwbfile.units = Units(name="units", id=list(range(len(rows))), columns=cols, resolution=resolution,
                          description="simulated neurons: one row per neuron of each recorded group (and batch copy)")


def series_name(s):
    """NWB name of a `Series`: ``monitor.variable``, plus `` [values]`` for a batch copy."""
    name = f"{s.monitor}.{s.variable}"
    return name if s.copy < 0 else f"{name} [{s.label}]"


def _iterator(s):
    from hdmf.data_utils import DataChunkIterator

    def rows():
        for block in s.blocks():
            yield from block

    dtype = np.dtype(bool) if s.dtype == "bool" else s.dataset.dtype
    return DataChunkIterator(data=rows(), maxshape=s.shape, dtype=dtype, buffer_size=1024)


def _timeseries(nwbfile, series):
    from hdmf.backends.hdf5.h5_utils import H5DataIO
    from pynwb import TimeSeries

    names = set()
    for s in series:
        name = series_name(s)
        if name in names:
            raise ValueError(f"two recorded series would both be named '{name}' in the NWB file")
        names.add(name)
        if s.n_times == 0:
            continue
        what = "population rate" if s.kind == "rate" else f"state variable '{s.variable}'"
        desc = f"{what} of '{s.group}' recorded by monitor '{s.monitor}'"
        if s.record is not None:
            desc += f"; columns are elements {_ranges(s.record)} of '{s.group}'"
        if s.copy >= 0:
            desc += f"; batch copy {s.copy} ({s.label})"
        timing = {"starting_time": s.t0, "rate": 1.0 / s.dt} if s.regular else {"timestamps": s.times[: s.n_times]}
        comments = json.dumps({"monitor": s.monitor, "variable": s.variable, "group": s.group,
                               "batch_copy": s.copy, "dimensions": s.dimensions.tolist(), "dtype": s.dtype})
        nwbfile.add_acquisition(TimeSeries(
            name=name, data=H5DataIO(_iterator(s), compression="gzip", compression_opts=1),
            unit=nwb_unit(s.unit), conversion=1.0, description=desc, comments=comments, **timing))


def _ranges(indices):
    """Compact text of sorted-ish indices: ``0-9, 20, 30-31``."""
    idx = np.asarray(indices, dtype=np.int64)
    if idx.size == 0:
        return "(none)"
    parts, start, prev = [], idx[0], idx[0]
    for x in idx[1:]:
        if x == prev + 1:
            prev = x
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        start = prev = x
    parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def to_nwb(path, out, *, overwrite=False, monitors=None):
    """Write the recording ``path`` as an NWB 2 file ``out`` (see the module docstring).

    Only the window every monitor covers is written (`run_span`: all of a finished run; up to
    ``t_complete`` for a killed or failed one). ``out`` is written under a temporary name and
    renamed when complete; an existing ``out`` is refused unless ``overwrite``.

    Returns a dict with the counts written (``units``, ``spikes``, ``series``).
    """
    from pynwb import NWBHDF5IO, NWBFile

    import astrosim

    with new_output(out, overwrite=overwrite, suffix=".partial.nwb", source=path) as tmp, load(path) as rec:
        check_monitors(rec, monitors)
        span = run_span(rec)
        meta = rec.metadata
        now = datetime.datetime.now(datetime.timezone.utc)
        start = _when(meta.get("start_time") or rec.created, now)
        script = meta.get("script")
        sets = spike_sets(rec, span, monitors)
        series = sampled_series(rec, span, monitors)
        description = meta.get("description") or (
            f"astrosim simulation of {os.path.basename(str(script))}" if script else "astrosim simulation")
        notes = {"status": span.status, "status_reason": span.reason, "t_start_s": span.t_start,
                 "t_stop_s": span.t_stop, "seed": meta.get("seed"), "batch": meta.get("batch"),
                 "versions": {k: v for k, v in meta.items() if k.endswith("_version")}}
        nwbfile = NWBFile(
            session_description=str(description),
            identifier=str(uuid.uuid4()),
            session_start_time=start,
            file_create_date=now,
            source_script=meta.get("script_source") or None,
            source_script_file_name=os.path.basename(str(script)) if script and meta.get("script_source") else None,
            notes=json.dumps(notes),
            data_collection=f"simulated with astrosim {astrosim.__version__} (Brian2 {meta.get('brian2_version')}); "
                            f"exported from {os.path.basename(os.fspath(path))}",
            keywords=["simulation", "astrosim", "Brian2"],
            experiment_description=str(meta.get("command") or ""),
        )
        steps = [float(m.dt) for m in rec.by_kind("spikes") if m.dt and (monitors is None or m.name in monitors)]
        _units(nwbfile, sets, span, resolution=min(steps) if steps else None)  # spike times are multiples of dt
        _timeseries(nwbfile, series)
        _metadata_module(nwbfile, rec, span, os.fspath(path), sets, series)
        with NWBHDF5IO(tmp, "w") as io:
            io.write(nwbfile)
        notes = []
        skipped = [m.name for m in rec.by_kind("events") if monitors is None or m.name in monitors]
        if skipped:
            notes.append(f"event monitors are not spikes or samples and were left out: {', '.join(skipped)}")
        if span.status != "complete":
            notes.append(f"the run did not complete (status '{span.status}'): data up to t = {span.t_stop:g} s "
                         "is exported")
    return {"units": sum(s.size for s in sets), "spikes": int(sum(sum(len(t) for t in s.trains) for s in sets)),
            "series": sum(1 for s in series if s.n_times), "notes": notes}
