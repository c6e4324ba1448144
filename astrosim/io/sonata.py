"""Export the spikes of a recording as a SONATA spike file.

Per the SONATA specification's spike-file format: one group ``/spikes/<population>`` per
recorded group, holding ``timestamps`` (float64, attribute ``units = "ms"``) and ``node_ids``
(uint64, the neuron's index in its group), and the attribute ``sorting`` (an HDF5 enum of
``none``/``by_id``/``by_time``; astrosim writes ``by_time``). Batch copies become populations
``<group>__copy<k>`` with the copy's values in a ``batch_values`` attribute (an addition; SONATA
readers ignore it). Only the window `run_span` trusts is written (all of a finished run).
"""
import h5py
import numpy as np

from .contents import check_monitors, spike_sets
from .h5file import LIBVER
from .outputs import new_output
from .reader import load
from .span import run_span

__all__ = ["to_sonata", "SORTING"]

#: the SONATA ``sorting`` enum
SORTING = {"none": 0, "by_id": 1, "by_time": 2}


def to_sonata(path, out, *, overwrite=False, monitors=None):
    """Write the spike monitors of ``path`` as the SONATA spike file ``out``.

    Returns ``{'populations': {name: spike count}, 'notes': [...]}``.

    Raises
    ------
    ValueError
        If the file has no spike monitor, or two spike monitors record the same group (pick one
        with ``monitors``).
    """
    notes = []
    with load(path) as rec:
        span = run_span(rec)
        check_monitors(rec, monitors)
        sets = spike_sets(rec, span, monitors)
        skipped = [m.name for m in rec.by_kind("events") if monitors is None or m.name in monitors]
        if skipped:
            notes.append(f"event monitors are not spikes and were left out: {', '.join(skipped)}")
        if not sets:
            raise ValueError(f"{path} has no spike monitor to export")
        by_population = {}
        for s in sets:
            if s.population in by_population:
                raise ValueError(
                    f"monitors '{by_population[s.population].monitor}' and '{s.monitor}' both record "
                    f"'{s.group}'; choose one with --monitors")
            by_population[s.population] = s
        if span.status != "complete":
            notes.append(f"the run did not complete (status '{span.status}'): spikes up to t = {span.t_stop:g} s "
                         "are exported")
        counts = {}
        sorting = h5py.enum_dtype(SORTING, basetype="u1")
        with new_output(out, overwrite=overwrite, suffix=".partial.h5", source=path) as tmp:
            with h5py.File(tmp, "w", libver=LIBVER) as f:
                f.attrs.create("magic", np.uint32(0x0A7A))
                f.attrs.create("version", np.array([0, 1], dtype=np.uint32))
                root = f.create_group("spikes")
                for name, s in by_population.items():
                    times = np.concatenate(s.trains) if s.trains else np.zeros(0)
                    ids = np.repeat(np.arange(s.size, dtype=np.uint64), [len(t) for t in s.trains])
                    order = np.argsort(times, kind="stable")
                    g = root.create_group(name)
                    g.attrs.create("sorting", SORTING["by_time"], dtype=sorting)
                    ts = g.create_dataset("timestamps", data=times[order] * 1e3, dtype=np.float64)
                    ts.attrs["units"] = "ms"
                    g.create_dataset("node_ids", data=ids[order], dtype=np.uint64)
                    g.attrs["astrosim_monitor"] = s.monitor
                    g.attrs["astrosim_group"] = s.group
                    g.attrs["size"] = np.uint64(s.size)
                    if s.copy >= 0:
                        g.attrs["batch_copy"] = s.copy
                        g.attrs["batch_values"] = s.label
                    counts[name] = int(times.size)
                root.attrs["t_start_ms"] = span.t_start * 1e3
                root.attrs["t_stop_ms"] = span.t_stop * 1e3
                root.attrs["status"] = span.status
    return {"populations": counts, "notes": notes}
