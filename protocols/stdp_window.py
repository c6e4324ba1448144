"""STDP window: one pre/post spike pair per synapse at a range of delays, weight change against delay.

Pair-based STDP with exponential traces (Song, Miller & Abbott 2000), the form fitted to the
Bi & Poo (1998) hippocampal-culture window. Each synapse sees exactly one pair, so the measured
change must equal the analytic window A_pre exp(-dt/tau_pre) (dt > 0) or A_post exp(dt/tau_post).
"""
import numpy as np
from brian2 import Quantity, SpikeGeneratorGroup, StateMonitor, ms

from astrosim.models.plasticity import stdp

from ._base import Parameter, resolve, run_network, same_structure, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "BATCH_PARAMETERS", "copies", "run_batch"]

NAME = "stdp_window"
SUMMARY = "pair-based STDP: weight change vs post-pre delay, against the analytic exponential window"

PARAMETERS = (
    Parameter("max_delay", 100 * ms, "largest |t_post - t_pre|", low=1 * ms, high=1000 * ms),
    Parameter("delay_step", 5 * ms, "spacing of the delays (0 is left out)", low=0.1 * ms, high=500 * ms),
    Parameter("tau_pre", 20 * ms, "potentiation trace time constant", low=0.1 * ms, high=1000 * ms),
    Parameter("tau_post", 20 * ms, "depression trace time constant", low=0.1 * ms, high=1000 * ms),
    Parameter("A_pre", 0.01, "potentiation amplitude", low=0.0, high=1.0),
    Parameter("A_post", -0.0105, "depression amplitude (negative)", low=-1.0, high=0.0),
    Parameter("w_initial", 0.5, "initial weight (w_max = 1)", low=0.0, high=1.0),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)


def _build(p):
    """One synapse per delay with its pre/post spike pair, and a weight monitor; returns (objects, delays, duration)."""
    step, max_delay = float(p["delay_step"] / ms), float(p["max_delay"] / ms)
    half = np.arange(step, max_delay + 1e-9, step)
    delays_ms = np.round(np.concatenate([-half[::-1], half]), 6)
    n = len(delays_ms)
    t0 = max_delay + 10.0  # ms, time of the earlier spike of each pair
    pre_t = t0 + np.maximum(0, -delays_ms)
    post_t = t0 + np.maximum(0, delays_ms)
    pre = SpikeGeneratorGroup(n, np.arange(n), pre_t * ms, name="stdp_pre")
    post = SpikeGeneratorGroup(n, np.arange(n), post_t * ms, name="stdp_post")
    syn = stdp.build(pre, post, name="stdp_synapses", **{k: p[k] for k in RULE})
    syn.connect(j="i")
    syn.w = p["w_initial"]
    monitor = StateMonitor(syn, "w", record=True, dt=1 * ms, name="weights")
    return [pre, post, syn, monitor], syn, monitor, delays_ms, (t0 + 2 * max_delay + 10.0) * ms


RULE = ("tau_pre", "tau_post", "A_pre", "A_post")


def run(overrides=None, *, seed=None, out=None, report=None):
    """Run all pairs at once; returns delays (s), measured and analytic weight changes."""
    p = resolve(PARAMETERS, overrides or {}, NAME)
    objects, syn, monitor, delays_ms, duration = _build(p)
    run_network(objects, duration, engine=p["engine"], seed=seed, report=report)
    result = _summarise(p, delays_ms, np.asarray(syn.w[:]))
    result["monitors"] = {"weights": monitor}
    if out is not None:
        write_output(out, result["monitors"], protocol=NAME, params=p, summary=result["summary"], seed=seed)
    return result


#: Parameters that may differ between the parameter sets of one batched run (``run_batch``, sweeps): the initial
#: weight and the rule's constants (per-copy constants of the synapses' on_pre/on_post code).
BATCH_PARAMETERS = ("w_initial",) + RULE


def copies(p):
    """Batch copies one parameter set takes: one (all its delays are synapses of that copy)."""
    return 1


def run_batch(param_sets, *, seed=None):
    """Parameter sets that differ only in :data:`BATCH_PARAMETERS` as one batched run (one copy each)."""
    first = same_structure(NAME, param_sets, BATCH_PARAMETERS)
    objects, syn, _, delays_ms, duration = _build(first)
    values = []
    for key in BATCH_PARAMETERS:
        column = Quantity([p[key] for p in param_sets])
        if np.any(np.asarray(column) != np.asarray(column)[0]):  # equal values keep the kernel of a plain run
            values.append((syn, "w" if key == "w_initial" else key,
                           np.repeat(np.asarray(column)[:, None], len(syn), axis=1) if key == "w_initial" else column))
    sim = run_network(objects, duration, engine="astrosim", seed=seed, batch=len(param_sets), batch_values=values)
    w = np.asarray(sim.get_states(syn, "w"))
    return [_summarise(p, delays_ms, w[b])["summary"] for b, p in enumerate(param_sets)]


def _summarise(p, delays_ms, w):
    """Weight changes against the analytic window, and the time constants fitted to them."""
    dw = w - p["w_initial"]
    half = len(delays_ms) // 2
    rule = {k: p[k] for k in RULE}
    expected = stdp.window(delays_ms * 1e-3, rule)
    summary = {"max_abs_error": float(np.max(np.abs(dw - expected))),
               "dw_at_plus_min_delay": float(dw[half]), "dw_at_minus_min_delay": float(dw[half - 1]),
               "fitted_tau_pre_ms": _fit_tau(delays_ms[delays_ms > 0], dw[delays_ms > 0]),
               "fitted_tau_post_ms": _fit_tau(-delays_ms[delays_ms < 0], dw[delays_ms < 0])}
    return {"protocol": NAME, "params": p, "delays_ms": delays_ms, "dw": dw, "expected": expected,
            "summary": summary}


def _fit_tau(delays, dw):
    """Time constant (ms) of an exponential fitted to |dw| against |delay|."""
    mag = np.abs(dw)
    if len(delays) < 2 or np.any(mag <= 0):
        return float("nan")
    slope = np.polyfit(delays, np.log(mag), 1)[0]
    return float(-1.0 / slope)


def plot(result, path):
    """Measured weight changes over the analytic window."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    fine = np.linspace(result["delays_ms"].min(), result["delays_ms"].max(), 400)
    fine = fine[fine != 0]
    rule = {k: result["params"][k] for k in ("tau_pre", "tau_post", "A_pre", "A_post")}
    ax.plot(fine, stdp.window(fine * 1e-3, rule), color="gray", label="analytic window")
    ax.plot(result["delays_ms"], result["dw"], "o", ms=4, label="simulated")
    ax.axhline(0, color="k", lw=0.5)
    ax.set(xlabel="t_post - t_pre (ms)", ylabel="weight change", title="STDP window")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
