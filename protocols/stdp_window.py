"""STDP window: one pre/post spike pair per synapse at a range of delays, weight change against delay.

Pair-based STDP with exponential traces (Song, Miller & Abbott 2000), the form fitted to the
Bi & Poo (1998) hippocampal-culture window. Each synapse sees exactly one pair, so the measured
change must equal the analytic window A_pre exp(-dt/tau_pre) (dt > 0) or A_post exp(dt/tau_post).
"""
import numpy as np
from brian2 import SpikeGeneratorGroup, StateMonitor, ms

from astrosim.models.plasticity import stdp

from ._base import Parameter, resolve, run_network, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot"]

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


def run(overrides=None, *, seed=None, out=None, report=None):
    """Run all pairs at once; returns delays (s), measured and analytic weight changes."""
    p = resolve(PARAMETERS, overrides or {}, NAME)
    step, max_delay = float(p["delay_step"] / ms), float(p["max_delay"] / ms)
    half = np.arange(step, max_delay + 1e-9, step)
    delays_ms = np.round(np.concatenate([-half[::-1], half]), 6)
    n = len(delays_ms)
    t0 = max_delay + 10.0  # ms, time of the earlier spike of each pair
    pre_t = t0 + np.maximum(0, -delays_ms)
    post_t = t0 + np.maximum(0, delays_ms)
    pre = SpikeGeneratorGroup(n, np.arange(n), pre_t * ms, name="stdp_pre")
    post = SpikeGeneratorGroup(n, np.arange(n), post_t * ms, name="stdp_post")
    rule = {k: p[k] for k in ("tau_pre", "tau_post", "A_pre", "A_post")}
    syn = stdp.build(pre, post, name="stdp_synapses", **rule)
    syn.connect(j="i")
    syn.w = p["w_initial"]
    monitor = StateMonitor(syn, "w", record=True, dt=1 * ms, name="weights")
    duration = (t0 + 2 * max_delay + 10.0) * ms
    run_network([pre, post, syn, monitor], duration, engine=p["engine"], seed=seed, report=report)
    dw = np.asarray(syn.w[:]) - p["w_initial"]
    expected = stdp.window(delays_ms * 1e-3, {k: v for k, v in rule.items()})
    summary = {"max_abs_error": float(np.max(np.abs(dw - expected))),
               "dw_at_plus_min_delay": float(dw[len(half)]), "dw_at_minus_min_delay": float(dw[len(half) - 1]),
               "fitted_tau_pre_ms": _fit_tau(delays_ms[delays_ms > 0], dw[delays_ms > 0]),
               "fitted_tau_post_ms": _fit_tau(-delays_ms[delays_ms < 0], dw[delays_ms < 0])}
    result = {"protocol": NAME, "params": p, "delays_ms": delays_ms, "dw": dw, "expected": expected,
              "summary": summary, "monitors": {"weights": monitor}}
    if out is not None:
        write_output(out, result["monitors"], protocol=NAME, params=p, summary=summary, seed=seed)
    return result


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
