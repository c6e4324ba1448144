"""AN model under sustained firing: time course of 2-AG, DSE, eSP and release probability PR.

Postsynaptic firing releases 2-AG (a jump r_AG t_pulse per spike, decay tau_AG) that depresses
release directly (DSE = K_AG AG) and, through astrocytic IP3 and Ca2+, potentiates it again once
Ca2+ crosses theta_Ca (glutamate -> eSP): PR = clip(PR0 (1 + (DSE + eSP)/100), 0, 1) (paper
Appendix D; Wade et al. 2011). Check: by Campbell's theorem the mean of the 2-AG shot noise over
a window is r_AG t_pulse tau_AG times the neuron's mean rate there.
"""
import numpy as np
from brian2 import Hz, SpikeMonitor, StateMonitor, ms, second, umolar

from astrosim.models import an_model

from ._base import Parameter, copy_of, monitor_arrays, resolve, run_network, same_structure, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "BATCH_PARAMETERS", "copies", "run_batch"]

NAME = "release_probability"
SUMMARY = "AN model under sustained input: 2-AG, DSE, eSP, Ca2+ and PR time courses; 2-AG vs Campbell's theorem"

PARAMETERS = (
    Parameter("rate", 10 * Hz, "presynaptic Poisson rate", low=0.01 * Hz, high=500 * Hz),
    Parameter("synapses_per_neuron", 10, "input synapses per neuron (lab code: 10)", low=1, high=100),
    Parameter("neurons_per_astrocyte", 2, "neurons sharing the astrocyte (lab code: 2)", low=1, high=50),
    Parameter("duration", 200 * second, "simulated time", low=1 * second, high=7200 * second),
    Parameter("average_from", 100 * second, "start of the window for the means", low=0 * second,
              high=7200 * second),
    Parameter("glu_latch", 1.0, "1: glutamate pulses continue after the first crossing (lab code)",
              low=0.0, high=1.0),
    Parameter("PR0", 0.3, "resting release probability", low=0.0, high=1.0),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)


def validate(p):
    """Refuse resolved values that do not fit together; returns ``p``."""
    if p["average_from"] >= p["duration"]:
        raise ValueError(f"{NAME}: average_from must be before duration")
    return p


def _build(p):
    """One AN unit at ``p``'s values and its monitors."""
    net = an_model.build(1, rate=p["rate"], synapses_per_neuron=p["synapses_per_neuron"],
                         neurons_per_astrocyte=p["neurons_per_astrocyte"], glu_latch=p["glu_latch"], PR0=p["PR0"])
    record_dt = 10 * ms
    neuron_mon = StateMonitor(net.neurons, ["AG", "DSE", "eSP", "modulation"], record=True, dt=record_dt,
                              name="neurons")
    astro_mon = StateMonitor(net.astrocytes, ["C", "I", "Glu"], record=True, dt=record_dt, name="astrocyte")
    spikes = SpikeMonitor(net.neurons, name="neuron_spikes")
    return net, {"neurons": neuron_mon, "astrocyte": astro_mon, "neuron_spikes": spikes}


def run(overrides=None, *, seed=None, out=None, report=None):
    """Run one AN unit; return traces and window means with the Campbell prediction for 2-AG."""
    p = validate(resolve(PARAMETERS, overrides or {}, NAME))
    net, monitors = _build(p)
    sim = run_network(net.objects + list(monitors.values()), p["duration"], engine=p["engine"], seed=seed,
                      report=report)
    result = _summarise(p, net, *(monitor_arrays(sim, monitors[k]) for k in ("neurons", "astrocyte", "neuron_spikes")))
    result["monitors"] = monitors
    if out is not None:
        write_output(out, monitors, protocol=NAME, params=p, summary=result["summary"], seed=seed)
    return result


#: Parameters that may differ between the parameter sets of one batched run (``run_batch``, sweeps).
BATCH_PARAMETERS = ("rate", "PR0", "glu_latch", "average_from")


def copies(p):
    """Batch copies one parameter set takes: one AN unit."""
    return 1


def run_batch(param_sets, *, seed=None):
    """Run resolved parameter sets that differ only in :data:`BATCH_PARAMETERS` as one batched engine run.

    Set ``k`` is batch copy ``k`` (the engine's random stream ``k`` of ``seed``), so it gets what
    :func:`run` gives with that copy's seed. Returns one summary dict per set.
    """
    first = same_structure(NAME, param_sets, BATCH_PARAMETERS)
    for p in param_sets:
        validate(p)
    net, monitors = _build(first)
    n_in = len(net.pre)
    rates = np.array([float(p["rate"] / Hz) for p in param_sets])
    values = [(net.pre, "rate", np.repeat(rates[:, None], n_in, axis=1) * Hz)]
    for obj, key in ((net.synapses, "PR0"), (net.astrocytes, "glu_latch")):
        column = np.array([float(p[key]) for p in param_sets])
        if np.any(column != column[0]):  # equal values keep the kernel of a plain run
            values.append((obj, key, column))
    sim = run_network(net.objects + list(monitors.values()), first["duration"], engine="astrosim", seed=seed,
                      batch=len(param_sets), batch_values=values)
    data = {k: sim.monitor_data(m) for k, m in monitors.items()}
    return [_summarise(p, net, *(copy_of(data[k], b) for k in ("neurons", "astrocyte", "neuron_spikes")))["summary"]
            for b, p in enumerate(param_sets)]


def _summarise(p, net, neurons, astrocyte, spikes):
    """Window means, the Campbell prediction and the PR check of one copy (``monitor_arrays`` form, SI)."""
    params = net.params
    t = np.asarray(neurons["t"])
    start = float(p["average_from"] / second)
    window = t >= start
    spike_t, spike_i = np.asarray(spikes["t"][0]), np.asarray(spikes["i"][0])
    span = float(p["duration"] / second) - start
    rates = np.bincount(spike_i[spike_t >= start], minlength=len(net.neurons)) / span
    uM = float(umolar)
    ag = np.asarray(neurons["AG"][0]).T / uM
    jump = float(params["r_AG"] * params["t_pulse"] / umolar)
    campbell = jump * float(params["tau_AG"] / second) * rates
    dse, esp = np.asarray(neurons["DSE"][0]).T, np.asarray(neurons["eSP"][0]).T
    pr = np.clip(p["PR0"] * np.asarray(neurons["modulation"][0]).T[0], 0, 1)  # PR of neuron 0's synapses
    pr_formula = np.clip(p["PR0"] * (1 + (dse[0] + esp[0]) / 100), 0, 1)
    rebuilt = reconstruct_ag(t, spike_t, spike_i, len(net.neurons), jump, float(params["tau_AG"] / second),
                             float(an_model.DEFAULT_DT / second))
    calcium, glu = np.asarray(astrocyte["C"][0]).T / uM, np.asarray(astrocyte["Glu"][0]).T / uM
    summary = {"neuron_rate_Hz": rates.tolist(), "mean_AG_uM": ag[:, window].mean(axis=1).tolist(),
               "campbell_AG_uM": campbell.tolist(),
               "AG_rel_error": float(np.max(np.abs(ag[:, window].mean(axis=1) - campbell) / campbell))
               if np.all(campbell > 0) else float("nan"),
               "AG_reconstruction_max_error": float(np.abs(rebuilt - ag).max() / max(ag.max(), 1e-300)),
               "mean_DSE": dse[:, window].mean(axis=1).tolist(), "mean_eSP": float(esp[0, window].mean()),
               "mean_PR": float(pr[window].mean()), "PR_formula_max_error": float(np.max(np.abs(pr - pr_formula))),
               "max_Ca_uM": float(calcium.max()), "first_glutamate_s": _first(t, glu[0] > 0)}
    return {"protocol": NAME, "params": p, "t": t, "AG": ag, "DSE": dse, "eSP": esp, "PR": pr,
            "Ca": calcium[0], "Glu": glu[0], "summary": summary}


def reconstruct_ag(t, spike_t, spike_i, n, jump, tau, dt):
    """2-AG at the sample times rebuilt from the spikes: each spike adds ``jump``, Euler decay (1 - dt/tau) per step.

    A sample at t sees the spikes before t; a spike k steps earlier has decayed over k - 1 updates.
    """
    out = np.zeros((n, len(t)))
    for neuron in range(n):
        times = spike_t[spike_i == neuron]
        for index, sample in enumerate(t):
            steps = np.round((sample - times[times < sample - 1e-12]) / dt)
            out[neuron, index] = jump * np.sum((1 - dt / tau) ** (steps - 1))
    return out


def _first(t, flags):
    hits = np.flatnonzero(flags)
    return float(t[hits[0]]) if len(hits) else float("nan")


def plot(result, path):
    """Stacked time courses of 2-AG, DSE/eSP, Ca2+/glutamate and PR."""
    import matplotlib.pyplot as plt

    t = result["t"]
    fig, axes = plt.subplots(4, 1, figsize=(8, 8), sharex=True)
    axes[0].plot(t, result["AG"].T, lw=0.7)
    axes[0].set_ylabel("2-AG (µM)")
    axes[1].plot(t, result["DSE"][0], label="DSE")
    axes[1].plot(t, result["eSP"][0], label="eSP")
    axes[1].set_ylabel("% change")
    axes[1].legend(fontsize=7)
    axes[2].plot(t, result["Ca"], label="Ca$^{2+}$")
    axes[2].plot(t, result["Glu"] * 10, label="glutamate x10", lw=0.6)
    axes[2].axhline(0.3, color="k", ls=":", lw=0.8)
    axes[2].set_ylabel("µM")
    axes[2].legend(fontsize=7)
    axes[3].plot(t, result["PR"])
    axes[3].set(ylabel="PR (neuron 0)", xlabel="time (s)")
    fig.suptitle(f"AN model at {result['params']['rate']} input")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
