"""`save`: export plain Brian2 monitors (after ``brian2.run`` or ``astrosim.run``) to an astrosim file."""
import os
import tempfile

import numpy as np

from .h5file import check_writable, create_file, write_metadata
from .metadata import clock_steps, collect_groups, model_description, utc_now
from .monitors import MonitorWriter, describe_monitor
from .recorder import split_metadata

__all__ = ["save"]


def _rows(monitor, spec):
    """The monitor's recorded values in the engine chunk format (SI, time-major)."""
    rows = {}
    for var in spec["variables"]:
        if var == "batch":
            continue
        rows[var] = np.asarray(monitor.variables[var].get_value())
    return rows


def save(path, objects, *, metadata=None, overwrite=False):
    """Write Brian2 monitors to ``path`` in the astrosim HDF5 layout.

    The file is written under a temporary name in the same directory and renamed into place
    when complete, so ``path`` never holds a half-written export.

    Parameters
    ----------
    path : str or path-like
        Output file (``.h5``).
    objects : list of monitors or dict
        SpikeMonitor, EventMonitor, StateMonitor or PopulationRateMonitor objects; a dict maps
        the name to store each monitor under to the monitor.
    metadata : dict, optional
        ``seed``, ``command``, ``script``, ``description``, ``namespace`` (resolves the model's
        external parameters) and any other items (stored under ``/metadata/user``).
    overwrite : bool
        Replace an existing file.

    Examples
    --------
    >>> from brian2 import *                                     # doctest: +SKIP
    >>> G = NeuronGroup(10, 'dv/dt = -v/(10*ms) : volt'); M = StateMonitor(G, 'v', record=True)
    >>> run(5*ms); astrosim.io.save('out.h5', [M])                # doctest: +SKIP
    """
    path = os.fspath(path)
    check_writable(path, overwrite)
    items = objects.items() if isinstance(objects, dict) else ((m.name, m) for m in objects)
    specs, monitors = [], []
    for name, monitor in items:
        spec = describe_monitor(monitor)
        spec["name"] = name
        specs.append(spec)
        monitors.append(monitor)
    if len({s["name"] for s in specs}) != len(specs):
        raise ValueError("two monitors would be stored under the same name; pass a dict of names")
    run_info, source, namespace, user = split_metadata(metadata)
    run_info.update(start_time=utc_now(), batch=0)
    t_end = max((float(m.clock.t[:]) for m in monitors), default=0.0)
    run_info.update(duration=t_end, runs=[[0.0, t_end, None]], end_time=utc_now())
    fd, tmp = tempfile.mkstemp(suffix=".h5.tmp", dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it the usual permissions
    try:
        f = create_file(tmp, overwrite=True)
        with f:
            models, parameters = model_description(collect_groups(monitors), namespace)
            write_metadata(f, run_info, models, parameters, clock_steps(monitors), user, source)
            for spec, monitor in zip(specs, monitors):
                writer = MonitorWriter(f["monitors"], spec)
                writer.append(_rows(monitor, spec))
                writer.write(force=True)
                if writer.kind in ("spikes", "events"):
                    f["monitors"][spec["name"]].attrs["sorting"] = (
                        "by_time" if writer.sorted_by_time else "none"
                    )
            f.flush()
            f.attrs["complete"] = True
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
