"""Open, describe and finalize astrosim HDF5 files; write metadata values with their units."""
import json
import os

import h5py
import numpy as np

from .layout import FORMAT_NAME, FORMAT_VERSION, encode_unit
from .metadata import environment, utc_now

__all__ = [
    "LIBVER",
    "create_file",
    "open_file",
    "check_writable",
    "put_value",
    "write_metadata",
    "write_parameters",
    "write_batch_values",
    "set_attrs",
]

#: HDF5 library-version bounds of every file astrosim writes or modifies: the HDF5 1.10 file
#: format. 1.10 is the oldest format with SWMR (superblock version 3); the upper bound keeps every
#: object header message (layouts, datatypes, attributes) at a version HDF5 1.10 reads.
#: ``"latest"`` would let a newer library (HDF5 2.0) write messages older readers reject.
LIBVER = ("v110", "v110")


def check_writable(path, overwrite):
    """Raise FileExistsError if ``path`` exists and ``overwrite`` is false."""
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(
            f"{path} exists; astrosim.io does not overwrite files unless asked "
            "(pass overwrite=True, or --overwrite on the command line)"
        )
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"cannot write {path}: directory {parent} does not exist")


def create_file(path, overwrite=False):
    """Create an empty astrosim file (root attributes set, ``complete=False``)."""
    check_writable(path, overwrite)
    f = h5py.File(os.fspath(path), "w", libver=LIBVER)
    f.attrs["format"] = FORMAT_NAME
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["complete"] = False
    f.attrs["created"] = utc_now()
    f.create_group("monitors")
    return f


def open_file(path, mode="r+"):
    """Open an existing astrosim file for changes, keeping it readable by HDF5 1.10 (`LIBVER`)."""
    return h5py.File(os.fspath(path), mode, libver=LIBVER)


def set_attrs(obj, values):
    """Set attributes, turning None into absence and non-scalar objects into JSON text."""
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (str, bool, int, float, np.integer, np.floating, np.bool_)):
            obj.attrs[key] = value
        else:
            obj.attrs[key] = json.dumps(value, default=str)


def put_value(group, name, value, doc=None):
    """Store a number, array or Brian2 quantity as a dataset with ``unit``/``dimensions`` attributes."""
    from brian2.units.fundamentalunits import get_dimensions

    if name in group:
        del group[name]
    dim = get_dimensions(value)
    arr = np.asarray(value)
    if arr.dtype.kind in "US":
        dset = group.create_dataset(name, data=str(value), dtype=h5py.string_dtype())
    else:
        dset = group.create_dataset(name, data=arr)
        unit, dims = encode_unit(dim)
        dset.attrs["unit"] = unit
        dset.attrs["dimensions"] = dims
    if doc:
        dset.attrs["doc"] = doc
    return dset


def write_parameters(meta, parameters):
    """Write the model parameters as one table ``/metadata/parameters`` (name, value, unit, ...).

    Scalar parameters go to the table; array-valued ones to ``/metadata/parameter_arrays/<name>``.
    """
    from brian2 import Quantity

    scalars = {k: v for k, v in parameters.items() if np.ndim(v[0]) == 0}
    arrays = {k: v for k, v in parameters.items() if np.ndim(v[0]) != 0}
    table = meta.require_group("parameters")
    names = sorted(scalars)
    encoded = [encode_unit(scalars[n][1]) for n in names]
    strings = h5py.string_dtype()
    table.create_dataset("name", data=np.array(names, dtype=object), dtype=strings)
    table.create_dataset("value", data=np.array([float(scalars[n][0]) for n in names], dtype=np.float64))
    table.create_dataset("unit", data=np.array([u for u, _ in encoded], dtype=object), dtype=strings)
    table.create_dataset("dimensions", data=np.array([d for _, d in encoded], dtype=np.int8).reshape(len(names), 7))
    table.create_dataset("used_by", data=np.array([",".join(scalars[n][2]) for n in names], dtype=object), dtype=strings)
    table.attrs["doc"] = "external constants of the model: value in SI units, unit, dimension exponents, users"
    if arrays:
        agroup = meta.require_group("parameter_arrays")
        for name, (value, dim, users) in arrays.items():
            dset = put_value(agroup, name, Quantity(value, dim=dim) if dim is not None else value)
            dset.attrs["used_by"] = ",".join(users)


def _text(group, name, text):
    group.create_dataset(name, data=str(text), dtype=h5py.string_dtype())


def write_metadata(f, run_info, models, parameters, clocks, user=None, script_source=None):
    """Write ``/metadata``: environment and run attributes, clocks, model text, parameters, user items.

    Parameters
    ----------
    f : h5py.File
    run_info : dict
        Scalar run attributes (seed, duration, command, script, start_time, batch, ...).
    models : dict
        ``{object name: {'type', 'N', role: text}}`` from `model_description`.
    parameters : dict
        ``{name: (value, dim, users)}`` from `model_description`.
    clocks : dict
        ``{clock name: dt in seconds}``.
    user : dict, optional
        Extra metadata given by the caller (numbers, strings, quantities, JSON-able objects).
    script_source : str, optional
        Text of the script that ran.
    """
    from brian2 import Quantity

    meta = f.require_group("metadata")
    set_attrs(meta, environment())
    set_attrs(meta, run_info)
    if script_source is not None:
        _text(meta, "script_source", script_source)
    cgroup = meta.require_group("clocks")
    for name, dt in clocks.items():
        c = cgroup.require_group(name)
        c.attrs["dt"] = dt
        c.attrs["unit"] = "s"
    mgroup = meta.require_group("model")
    for name, entry in models.items():
        set_attrs(mgroup.require_group(name), entry)
    write_parameters(meta, parameters)
    if user:
        ugroup = meta.require_group("user")
        for key, value in user.items():
            if isinstance(value, (Quantity, np.ndarray, list, tuple)) and np.asarray(value).dtype.kind in "biuf":
                put_value(ugroup, key, value)
            else:
                set_attrs(ugroup, {key: value})


def _array_owners(objects):
    """``{device array name: (object name, variable name, dimension)}`` for the objects' variables."""
    from brian2.devices.device import get_device

    device = get_device()
    owners = {}
    for obj in objects:
        for varname, var in (getattr(obj, "variables", None) or {}).items():
            if not hasattr(var, "get_value") or varname.startswith("_"):
                continue
            try:
                array_name = device.get_array_name(var)
            except Exception:  # not an array of this device (constants, subexpressions)
                continue
            try:  # name the owner (synapses also see their targets' variables, e.g. v as v_post)
                owners[array_name] = (var.owner.name, var.name, var.dim)
            except (AttributeError, ReferenceError):
                owners.setdefault(array_name, (obj.name, varname, var.dim))
    return owners


def write_batch_values(f, sim, parameters):
    """Write ``/metadata/batch_values/<object>.<name>``: what each batch copy of ``sim`` was given.

    One data set per `Simulator.set_batch_values` call, shape ``(B,)`` or ``(B, N)``, in SI units,
    with attributes ``object``, ``name``, ``kind`` (``'parameter'`` or ``'initial value'``), and
    ``unit``/``dimensions`` where the unit is known (state variables; parameters of the model).
    Nothing is written for unbatched runs.
    """
    params = dict(getattr(sim, "_batch_params", None) or {})
    inits = dict(getattr(sim, "_batch_init", None) or {})
    if not getattr(sim, "batch", None) or not (params or inits):
        return
    group = f.require_group("metadata").require_group("batch_values")
    group.attrs["doc"] = "per-copy values of a batched run: one data set per object.name, first axis = copy"
    entries = [(obj, name, "parameter", values, (parameters.get(name) or (None, None))[1])
               for (obj, name), values in params.items()]
    owners = _array_owners(sim.network.objects) if inits else {}
    for array_name, values in inits.items():
        obj, name, dim = owners.get(array_name, (array_name, array_name, None))
        entries.append((obj, name, "initial value", values, dim))
    for obj, name, kind, values, dim in entries:
        dset = group.create_dataset(f"{obj}.{name}", data=np.asarray(values, dtype=np.float64))
        set_attrs(dset, {"object": obj, "name": name, "kind": kind})
        if dim is not None or kind == "initial value":
            unit, dims = encode_unit(dim)
            dset.attrs["unit"] = unit
            dset.attrs["dimensions"] = dims
