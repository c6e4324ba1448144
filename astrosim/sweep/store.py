"""The sweep folder: ``sweep.json`` (what was swept and which shard holds which points) and one
HDF5 shard per task under ``shards/``, each written to a temporary file and renamed into place,
so a shard file that exists is complete."""
import json
import os
import socket
import time
from pathlib import Path

import h5py
import numpy as np

from .grid import SweepInputError

__all__ = ["INDEX", "FORMAT", "VERSION", "prepare_folder", "write_index", "read_index", "shard_path",
           "write_shard", "read_shard", "done_tasks", "to_columns", "pad_stack"]

INDEX = "sweep.json"
FORMAT = "astrosim-sweep"
VERSION = 1


def _axis_record(axis):
    stored = axis.stored()
    return {"name": axis.name, "unit": axis.unit, "dimensions": axis.dimensions, "values": stored.tolist()}


def index_record(runner, axes, sweep_seed, chunk, tasks):
    """The content of ``sweep.json``."""
    from astrosim import __version__

    return {"format": FORMAT, "version": VERSION, "astrosim": __version__, "target": runner.describe(),
            "seed": int(sweep_seed), "axes": [_axis_record(a) for a in axes],
            "shape": [len(a) for a in axes], "points": int(np.prod([len(a) for a in axes], dtype=np.int64)),
            "chunk": int(chunk), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "tasks": [{"id": t["id"], "file": shard_name(t["id"]), "indices": t["indices"]} for t in tasks]}


def _same_sweep(old, new):
    keys = ("target", "seed", "axes")
    return all(old.get(k) == new.get(k) for k in keys)


def prepare_folder(out, record):
    """Create ``out`` for a new sweep, or accept it for a rerun of the same sweep.

    Returns the stored chunk size when ``out`` already holds this sweep (its plan is kept), else
    None. Refuses a file, a folder with other content, and a folder holding a different sweep.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SweepInputError(f"--out {out}: is a file, not a sweep folder; choose another --out")
    index = out / INDEX
    if index.exists():
        old = read_index(out)
        if not _same_sweep(old, record):
            diff = [k for k in ("target", "seed", "axes") if old.get(k) != record.get(k)]
            raise SweepInputError(f"--out {out}: holds a different sweep (its {', '.join(diff)} differ); "
                                  f"choose another --out, or rerun with the same grid, values and seed to finish it")
        return int(old["chunk"])
    if out.is_dir() and any(out.iterdir()):
        raise SweepInputError(f"--out {out}: the folder exists and is not a sweep (no {INDEX}); "
                              f"choose a new or empty folder")
    (out / "shards").mkdir(parents=True, exist_ok=True)
    return None


def _atomic_write_text(path, text):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_index(out, record):
    """Write ``sweep.json`` atomically."""
    out = Path(out)
    (out / "shards").mkdir(parents=True, exist_ok=True)
    _atomic_write_text(out / INDEX, json.dumps(record, indent=1))


def read_index(out):
    """The parsed ``sweep.json`` of a sweep folder (with a clear error for anything else)."""
    path = Path(out) / INDEX
    if not path.exists():
        raise FileNotFoundError(f"{out}: not a sweep folder (no {INDEX})")
    try:
        record = json.loads(path.read_text())
    except ValueError as err:
        raise SweepInputError(f"{path}: damaged sweep index ({err})") from None
    if record.get("format") != FORMAT:
        raise SweepInputError(f"{path}: not an astrosim sweep index (format {record.get('format')!r})")
    if int(record.get("version", 0)) > VERSION:
        raise SweepInputError(f"{path}: sweep format version {record['version']} is newer than this astrosim reads")
    return record


def axes_from_record(record):
    """``[(name, values array, unit text, SI exponents)]`` of a stored sweep."""
    return [(a["name"], np.asarray(a["values"]), a["unit"], a.get("dimensions", [0] * 7)) for a in record["axes"]]


def shard_name(task_id):
    return f"shards/task-{int(task_id):06d}.h5"


def shard_path(out, task_id):
    return Path(out) / shard_name(task_id)


def done_tasks(out, tasks):
    """Ids of the tasks whose shard exists (complete: shards appear only by rename)."""
    return {t["id"] for t in tasks if shard_path(out, t["id"]).exists()}


def _flatten(prefix, value, out, skipped):
    from brian2 import Quantity, get_unit

    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out, skipped)
        return
    if isinstance(value, (str, bytes)) or value is None:
        skipped.add(prefix)
        return
    unit, dims = "", [0] * 7
    try:
        if isinstance(value, Quantity) or (isinstance(value, (list, tuple)) and value
                                           and isinstance(value[0], Quantity)):
            q = Quantity(value)
            if not q.is_dimensionless:
                unit, dims = str(get_unit(q.dim)), [int(e) for e in q.dim._dims]
            array = np.asarray(q, dtype=float)
        else:
            array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        skipped.add(prefix)
        return
    out[prefix] = (array, unit, dims)


def to_columns(results):
    """Per-point result dicts -> ``({name: (stacked float array, unit, SI exponents)}, skipped names)``.

    Nested dicts become ``a.b`` names; Brian2 quantities are stored in SI units with their unit;
    words and ``None`` are skipped; arrays of different shapes are padded with NaN.
    """
    per_point, skipped = [], set()
    for r in results:
        flat = {}
        _flatten("", r, flat, skipped)
        per_point.append(flat)
    names = []
    for flat in per_point:
        names += [n for n in flat if n not in names]
    columns = {}
    for name in names:
        arrays = [flat[name][0] if name in flat else np.array(np.nan) for flat in per_point]
        unit, dims = next(flat[name][1:] for flat in per_point if name in flat)
        columns[name] = (pad_stack(arrays), unit, dims)
    return columns, sorted(skipped - set(names))


def pad_stack(arrays):
    """Stack arrays of possibly different shapes along a new first axis, padding with NaN."""
    arrays = [np.asarray(a, dtype=float) for a in arrays]
    ndim = max(a.ndim for a in arrays)
    shapes = [(1,) * (ndim - a.ndim) + a.shape for a in arrays]
    shape = tuple(max(s[d] for s in shapes) for d in range(ndim))
    out = np.full((len(arrays),) + shape, np.nan)
    for i, (a, s) in enumerate(zip(arrays, shapes)):
        out[(i,) + tuple(slice(0, n) for n in s)] = a.reshape(s)
    return out


def write_shard(out, task, columns, seconds, worker=None, skipped=()):
    """Write the results of ``task`` (``columns`` from :func:`to_columns`) to its shard file, atomically."""
    path = shard_path(out, task["id"])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT + "-shard"
        f.attrs["task"] = int(task["id"])
        f.attrs["seconds"] = float(seconds)
        f.attrs["worker"] = str(worker or "")
        f.attrs["writer_host"] = socket.gethostname()
        f.attrs["skipped"] = json.dumps(list(skipped))
        f.create_dataset("indices", data=np.asarray(task["indices"], dtype=np.int64))
        group = f.create_group("results")
        for name, (array, unit, dims) in columns.items():
            d = group.create_dataset(name, data=array)
            d.attrs["unit"] = unit
            d.attrs["dimensions"] = np.asarray(dims, dtype=np.int8)
    os.replace(tmp, path)
    return path


def read_shard(out, task_id):
    """``(indices, {name: (array, unit, SI exponents)}, attrs)`` of a finished shard."""
    path = shard_path(out, task_id)
    try:
        with h5py.File(path, "r") as f:
            indices = f["indices"][()]
            results = {name: (d[()], str(d.attrs.get("unit", "")), [int(e) for e in d.attrs.get("dimensions", [0] * 7)])
                       for name, d in f["results"].items()}
            attrs = dict(f.attrs)
    except (OSError, KeyError) as err:
        raise SweepInputError(f"{path}: damaged shard ({err}); delete it and rerun the sweep to redo it") from None
    return indices, results, attrs
