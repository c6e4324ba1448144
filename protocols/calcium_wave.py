"""Intercellular Ca2+ wave in a ring or chain of G-ChI astrocytes coupled by IP3 gap junctions.

Defaults reproduce Stimberg et al. (2019), Fig. 5: a ring of 50 G-ChI astrocytes (no PLCbeta input),
neighbours joined by the non-linear junctions of Goldberg et al. (2010), one cell driven by an
exogenous IP3 clamp towards I_bias = 1 uM during 20 s of every 50 s, rk4 at dt = 50 ms, all cells
starting from C = I = 0, h = 0.9. IP3 crossing a junction raises the neighbour's IP3 until its
Ca2+ fires; the Ca2+-dependent PLCdelta of the fired cell then regenerates the IP3 that drives
the next junction. Reported: each cell's arrival time (first upward crossing of ``threshold``,
interpolated between samples), the reach (how far the wave got without a gap), the per-cell delay
and speed from a linear fit of arrival time against distance from the stimulated cell, the fits
over the near and far halves of the path (a constant speed gives the same delay), and the height of
the Ca2+ front at every cell (a regenerative wave keeps it). Junction fluxes are antisymmetric, so
their sum over all cells is zero at every instant.
"""
import numpy as np
from brian2 import Quantity, StateMonitor, ms, second, umeter, umolar

from astrosim.models.astrocytes import gap_junction, gchi

from ._base import (Parameter, ProtocolParameterError, copy_of, monitor_arrays, resolve, run_network, same_structure,
                    write_output)

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "build", "analyse", "distances", "BATCH_PARAMETERS",
           "copies", "run_batch"]

NAME = "calcium_wave"
SUMMARY = "Ca2+ wave in a gap-junction-coupled G-ChI astrocyte ring/chain (Stimberg 2019 Fig. 5): arrivals, speed"

PARAMETERS = (
    Parameter("n_cells", 50, "astrocytes in the ring or chain", low=3, high=10000),
    Parameter("topology", "ring", "'ring' (Stimberg Fig. 5) or 'chain' (open ends)", choices=("ring", "chain")),
    Parameter("stimulated", -1, "index of the stimulated cell (-1: n_cells//2 on a ring, 0 on a chain)",
              low=-1, high=9999),
    Parameter("coupling", "nonlinear", "gap junctions: 'nonlinear' (Goldberg 2010) or 'linear' (Fickian control)",
              choices=("nonlinear", "linear")),
    Parameter("F", 0.09 * umolar / second, "maximal junction IP3 flux (non-linear coupling)",
              low=0 * umolar / second, high=100 * umolar / second, unit="umolar/second"),
    Parameter("P_gj", 0.1 / second, "junction permeability (linear coupling)", low=0 / second, high=1000 / second,
              unit="1/second"),
    Parameter("I_bias", 1.0 * umolar, "exogenous IP3 target of the stimulated cell", low=0 * umolar,
              high=100 * umolar),
    Parameter("F_ex", 0.09 * umolar / second, "exogenous IP3 flux (all cells: I_bias elsewhere is 0)",
              low=0 * umolar / second, high=100 * umolar / second, unit="umolar/second"),
    Parameter("stimulus_period", 50 * second, "period of the rectangular stimulus", low=1 * ms, high=1e6 * second),
    Parameter("stimulus_on", 20 * second, "stimulus on-time per period (>= period: always on)", low=0 * second,
              high=1e6 * second),
    Parameter("O_delta", 0.6 * umolar / second, "PLCdelta maximal rate (IP3 regeneration)", low=0 * umolar / second,
              high=10 * umolar / second, unit="umolar/second"),
    Parameter("duration", 420 * second, "simulated time", low=1 * second, high=1e6 * second),
    Parameter("threshold", 0.5 * umolar, "Ca2+ level whose first upward crossing marks the wave's arrival",
              low=0.01 * umolar, high=10 * umolar),
    Parameter("cell_spacing", 50 * umeter, "distance between neighbouring cells (for um/s)", low=1 * umeter,
              high=1000 * umeter),
    Parameter("dt", 50 * ms, "integration step (rk4)", low=0.01 * ms, high=1 * second),
    Parameter("record_dt", 100 * ms, "sampling step of the monitors (a multiple of dt)", low=0.01 * ms,
              high=10 * second),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)


def distances(n, stimulated, topology):
    """Number of junctions between each cell and the stimulated one (around the shorter side of a ring)."""
    d = np.abs(np.arange(n) - stimulated)
    return np.minimum(d, n - d) if topology == "ring" else d


def _check(p):
    n = p["n_cells"]
    if p["stimulated"] >= n:
        raise ProtocolParameterError(f"{NAME}: parameter 'stimulated' = {p['stimulated']} must be < n_cells = {n}")
    ratio = float(p["record_dt"] / p["dt"])
    if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
        raise ProtocolParameterError(
            f"{NAME}: parameter 'record_dt' = {p['record_dt']!r} must be a whole multiple of dt = {p['dt']!r}")
    return p["stimulated"] if p["stimulated"] >= 0 else (n // 2 if p["topology"] == "ring" else 0)


def build(p, stimulated):
    """Astrocytes, junctions and monitor of the wave experiment for resolved parameters ``p``."""
    model = dict(gchi.RING_FIG5, O_delta=p["O_delta"], F_ex=p["F_ex"])
    pulses = None if p["stimulus_on"] >= p["stimulus_period"] else (p["stimulus_period"], p["stimulus_on"])
    cells = gchi.build(p["n_cells"], release=False, dt=p["dt"], bias_pulses=pulses, name="astrocytes", **model)
    for var, value in gchi.RING_FIG5_INITIAL.items():
        setattr(cells, var, value)
    cells.I_bias[stimulated] = p["I_bias"]
    connect = gap_junction.ring if p["topology"] == "ring" else gap_junction.chain
    strength = {"F": p["F"]} if p["coupling"] == "nonlinear" else {"P_gj": p["P_gj"]}
    junctions = connect(cells, name="junctions", kind=p["coupling"], **strength)
    monitor = StateMonitor(cells, ["C", "I", "J_coupling"], record=True, dt=p["record_dt"], name="wave_state")
    return cells, junctions, monitor


def _arrivals(t, calcium, threshold):
    """First upward crossing of ``threshold`` per row, linearly interpolated; NaN where none."""
    arrival = np.full(calcium.shape[0], np.nan)
    for k, row in enumerate(calcium):
        up = np.flatnonzero((row[1:] >= threshold) & (row[:-1] < threshold))
        if row[0] >= threshold:
            arrival[k] = t[0]
        elif len(up):
            i = up[0]
            arrival[k] = t[i] + (threshold - row[i]) / (row[i + 1] - row[i]) * (t[i + 1] - t[i])
    return arrival


def _fit(d, a):
    slope, intercept = np.polyfit(d, a, 1)
    resid = a - (slope * d + intercept)
    total = np.sum((a - a.mean()) ** 2)
    return slope, intercept, (1 - np.sum(resid ** 2) / total) if total > 0 else float("nan"), np.abs(resid).max()


def analyse(t, calcium, distance, threshold, spacing_um, *, fit_below=None):
    """Arrival times, reach, fitted per-cell delay and speed, and the Ca2+ front height per cell.

    The fit uses the cells at distances 1 .. reach (and below ``fit_below``: on a ring of even size
    the antipodal cell is excited from both sides at once and arrives early).
    """
    arrival = _arrivals(t, calcium, threshold)
    reach = -1
    while reach + 1 <= distance.max() and np.all(np.isfinite(arrival[distance == reach + 1])):
        reach += 1
    reach = max(reach, 0) if np.isfinite(arrival[distance == 0]).all() else -1
    use = (distance >= 1) & (distance <= reach) & (distance < (fit_below or np.inf))
    summary = {"arrival_s": np.round(arrival, 3).tolist(), "cells_reached": int(np.isfinite(arrival).sum()),
               "reach_cells": int(reach), "delay_s_per_cell": float("nan"), "speed_cells_per_s": float("nan"),
               "speed_um_per_s": float("nan"), "fit_r2": float("nan"), "fit_max_residual_s": float("nan"),
               "delay_near_half_s": float("nan"), "delay_far_half_s": float("nan")}
    peaks = np.array([calcium[k][(t >= a) & (t <= a + 10.0)].max() if np.isfinite(a) else np.nan
                      for k, a in enumerate(arrival)])
    summary["front_peak_uM"] = np.round(peaks, 4).tolist()
    if len(np.unique(distance[use])) >= 3:
        slope, intercept, r2, worst = _fit(distance[use].astype(float), arrival[use])
        half = (distance[use].max() + 1) // 2
        near, far = use & (distance <= half), use & (distance >= half)
        summary.update(delay_s_per_cell=float(slope), speed_cells_per_s=float(1 / slope) if slope > 0 else float("nan"),
                       fit_intercept_s=float(intercept), fit_r2=float(r2), fit_max_residual_s=float(worst),
                       delay_near_half_s=float(_fit(distance[near].astype(float), arrival[near])[0]),
                       delay_far_half_s=float(_fit(distance[far].astype(float), arrival[far])[0]),
                       front_peak_far_over_near=float(np.nanmin(peaks[use]) / np.nanmax(peaks[use])))
        summary["speed_um_per_s"] = summary["speed_cells_per_s"] * spacing_um
    return arrival, summary


def run(overrides=None, *, seed=None, out=None, report=None):
    """Simulate the ring/chain; return arrival times, reach, speed, front heights and the summed junction flux."""
    p = resolve(PARAMETERS, overrides or {}, NAME)
    stimulated = _check(p)
    cells, junctions, monitor = build(p, stimulated)
    sim = run_network([cells, junctions, monitor], p["duration"], engine=p["engine"], seed=seed, report=report)
    result = _summarise(p, stimulated, monitor_arrays(sim, monitor))
    result["monitors"] = {"wave_state": monitor}
    if out is not None:
        write_output(out, result["monitors"], protocol=NAME, params=p, summary=result["summary"], seed=seed)
    return result


#: Parameters that may differ between the parameter sets of one batched run (``run_batch``, sweeps): constants of
#: the cells, the stimulated cell's clamp target, and what only the analysis uses. The junction constants F and
#: P_gj (used in the junctions' Synapses code) stay structural, one run per value: per-copy constants of Synapses
#: code kept copy 0's value in the engine when this was written (fixed since; batching them is left to do).
BATCH_PARAMETERS = ("I_bias", "F_ex", "O_delta", "threshold", "cell_spacing")


def copies(p):
    """Batch copies one parameter set takes: one ring or chain."""
    return 1


def run_batch(param_sets, *, seed=None):
    """Parameter sets that differ only in :data:`BATCH_PARAMETERS` as one batched run (one copy each)."""
    first = same_structure(NAME, param_sets, BATCH_PARAMETERS)
    stimulated = _check(first)
    cells, junctions, monitor = build(first, stimulated)
    values = []
    for obj, key in ((cells, "F_ex"), (cells, "O_delta")):
        column = Quantity([p[key] for p in param_sets])
        if np.any(np.asarray(column) != np.asarray(column)[0]):  # equal values keep the kernel of a plain run
            values.append((obj, key, column))
    bias = Quantity([p["I_bias"] for p in param_sets])
    if np.any(np.asarray(bias) != np.asarray(bias)[0]):
        table = np.zeros((len(param_sets), first["n_cells"]))
        table[:, stimulated] = np.asarray(bias)
        values.append((cells, "I_bias", Quantity(table, dim=umolar.dim)))
    sim = run_network([cells, junctions, monitor], first["duration"], engine="astrosim", seed=seed,
                      batch=len(param_sets), batch_values=values)
    data = sim.monitor_data(monitor)
    return [_summarise(p, stimulated, copy_of(data, b))["summary"] for b, p in enumerate(param_sets)]


def _summarise(p, stimulated, data):
    """Arrivals, speed and front heights of one copy (``monitor_arrays`` form, SI)."""
    t = np.asarray(data["t"])
    uM = float(umolar)
    calcium = np.asarray(data["C"][0]).T / uM
    distance = distances(p["n_cells"], stimulated, p["topology"])
    fit_below = p["n_cells"] / 2 if p["topology"] == "ring" else None
    arrival, summary = analyse(t, calcium, distance, float(p["threshold"] / umolar),
                               float(p["cell_spacing"] / umeter), fit_below=fit_below)
    flux_sum = (np.asarray(data["J_coupling"][0]).T / float(umolar / second)).sum(axis=0)
    summary.update(stimulated_cell=int(stimulated), n_cells=int(p["n_cells"]), topology=p["topology"],
                   coupling=p["coupling"], cell_spacing_um=float(p["cell_spacing"] / umeter),
                   max_abs_summed_junction_flux_uM_per_s=float(np.abs(flux_sum).max()))
    return {"protocol": NAME, "params": p, "t": t, "calcium": calcium, "ip3": np.asarray(data["I"][0]).T / uM,
            "arrival": arrival, "distance": distance, "summary": summary}


def plot(result, path):
    """Space-time map of Ca2+ with arrivals, arrival time against distance with the fit, front height."""
    import matplotlib.pyplot as plt

    s, t, calcium = result["summary"], result["t"], result["calcium"]
    arrival, distance = result["arrival"], result["distance"]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [1.5, 1, 1]})
    im = a.imshow(calcium, aspect="auto", origin="lower", cmap="magma", interpolation="nearest",
                  extent=[t[0], t[-1], -0.5, calcium.shape[0] - 0.5])
    a.plot(arrival, np.arange(len(arrival)), "c.", ms=4)
    a.axhline(s["stimulated_cell"], color="w", lw=0.5, ls=":")
    a.set(xlabel="time (s)", ylabel="cell index", title=f"Ca$^{{2+}}$ (µM), {s['topology']} of {s['n_cells']}, "
          f"{s['coupling']} junctions; dots: arrival")
    fig.colorbar(im, ax=a)
    ok = np.isfinite(arrival)
    b.plot(distance[ok], arrival[ok], "o", ms=4, label="arrival")
    if np.isfinite(s["delay_s_per_cell"]):
        dd = np.array([0, distance[ok].max()])
        b.plot(dd, s["fit_intercept_s"] + s["delay_s_per_cell"] * dd, "k-", lw=0.8,
               label=f"fit: {s['delay_s_per_cell']:.2f} s/cell, R²={s['fit_r2']:.5f}")
    b.set(xlabel="distance from stimulated cell (cells)", ylabel="arrival time (s)",
          title=f"speed {s['speed_cells_per_s']:.4g} cells/s = {s['speed_um_per_s']:.3g} µm/s "
                f"({s['cell_spacing_um']:g} µm/cell)")
    b.legend(fontsize=8)
    c.plot(distance[ok], np.asarray(s["front_peak_uM"])[ok], "o", ms=4)
    c.set(xlabel="distance from stimulated cell (cells)", ylabel="front peak Ca$^{2+}$ (µM)",
          title=f"front height; reach {s['reach_cells']} of {int(distance.max())} junctions", ylim=(0, None))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
