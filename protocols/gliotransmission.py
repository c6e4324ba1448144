"""Paired-pulse ratio of a Tsodyks-Markram synapse with and without astrocytic gliotransmission (De Pitta 2011).

Each synapse starts at rest with a fixed presynaptic-receptor occupancy Gamma_S and receives one
spike pair; Gamma_S lowers (alpha = 0, release-decreasing) or raises (alpha = 1,
release-increasing) the resting release probability U_0 = (1 - Gamma_S) U_0* + alpha Gamma_S.
PPR = r_2/r_1 is compared with the closed-form value (models-and-validation 8.2): release-
decreasing gliotransmission turns the depressing synapse into a facilitating one, release-
increasing gliotransmission deepens depression (De Pitta et al. 2011, Stimberg et al. 2019 Fig. 3).
"""
import numpy as np
from brian2 import Hz, NeuronGroup, SpikeGeneratorGroup, StateMonitor, ms, umolar, second

from astrosim.models.synapses import tsodyks_markram
from astrosim.models.tripartite import build_tripartite

from ._base import Parameter, resolve, run_network, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "TABLE_8_2"]

NAME = "gliotransmission"
SUMMARY = "paired-pulse ratio with/without gliotransmission (alpha=0 decreasing, alpha=1 increasing) vs analytic"

#: models-and-validation 8.2 (U_0* = 0.6, Omega_f = 3.33/s, Omega_d = 2/s): PPR by delay (ms) for
#: Gamma_S = 0, then alpha = 0 at Gamma_S 0.25/0.5/0.75, then alpha = 1 at 0.25/0.5/0.75/1.
TABLE_8_2 = {
    10: (0.571, (0.856, 1.184, 1.554), (0.405, 0.258, 0.129, 0.020)),
    50: (0.612, (0.869, 1.160, 1.486), (0.460, 0.323, 0.201, 0.095)),
    100: (0.655, (0.881, 1.133, 1.412), (0.519, 0.394, 0.282, 0.181)),
    500: (0.838, (0.921, 1.007, 1.097), (0.785, 0.732, 0.682, 0.632)),
}

PARAMETERS = (
    Parameter("delays", np.array([10.0, 50.0, 100.0, 500.0]) * ms, "inter-spike intervals of the pairs",
              low=0.1 * ms, high=10 * second),
    Parameter("gamma_values", [0.0, 0.25, 0.5, 0.75, 1.0], "presynaptic receptor occupancies Gamma_S",
              low=0.0, high=1.0),
    Parameter("U_0_star", 0.6, "resting release probability without gliotransmitter", low=0.0, high=1.0),
    Parameter("closed_loop_duration", 30 * second, "closed-loop tripartite run per condition (0 skips it)",
              low=0 * second, high=3600 * second),
    Parameter("closed_loop_rate", 10 * Hz, "presynaptic Poisson rate of the closed-loop run", low=0.01 * Hz,
              high=200 * Hz),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)

_RECORDER = """
r1 : 1
r2 : 1
n_spikes : 1
"""
_EFFECT = """
r1_post += r_S * int(n_spikes_post == 0)
r2_post += r_S * int(n_spikes_post == 1)
n_spikes_post += 1
"""


def run(overrides=None, *, seed=None, out=None, report=None):
    """Simulate every (alpha, Gamma_S, delay) combination at once; return PPRs and the analytic values."""
    p = resolve(PARAMETERS, overrides or {}, NAME)
    delays = np.asarray(p["delays"] / ms, dtype=float)
    gammas = np.asarray(p["gamma_values"], dtype=float)
    combos = [(a, g, d) for a in (0.0, 1.0) for g in gammas for d in delays]
    n = len(combos)
    alpha = np.array([c[0] for c in combos])
    gamma = np.array([c[1] for c in combos])
    delay = np.array([c[2] for c in combos])
    start = 5.0  # ms
    times = np.concatenate([np.full(n, start), start + delay]) * ms
    source = SpikeGeneratorGroup(n, np.tile(np.arange(n), 2), times, name="pairs")
    target = NeuronGroup(n, _RECORDER, name="release_recorder")
    objects, monitors = [source, target], {}
    for a in (0.0, 1.0):  # alpha is a model constant, so one Synapses object per kind of gliotransmission
        index = np.flatnonzero(alpha == a)
        syn = tsodyks_markram.build(source, target, effect=_EFFECT, name=f"tm_alpha{int(a)}", alpha=a,
                                    U_0_star=p["U_0_star"], O_G=0 / (umolar * second), Omega_G=0 / second,
                                    method="euler")  # exact integration divides by O_G*G_A + Omega_G = 0
        syn.connect(i=index, j=index)
        syn.x_S = 1.0
        syn.Gamma_S = gamma[index]
        monitors[f"synapses_alpha{int(a)}"] = StateMonitor(syn, ["u_S", "x_S"], record=True, dt=1 * ms,
                                                           name=f"state_alpha{int(a)}")
        objects += [syn, monitors[f"synapses_alpha{int(a)}"]]
    run_network(objects, (start + delays.max() + 5) * ms, engine=p["engine"], seed=seed, report=report)
    r1, r2 = np.asarray(target.r1[:]), np.asarray(target.r2[:])
    with np.errstate(invalid="ignore", divide="ignore"):
        ppr = np.where(r1 > 0, r2 / np.where(r1 > 0, r1, 1), np.nan)  # U_0 = 0 (alpha=0, Gamma_S=1): no release
    u0 = (1 - gamma) * p["U_0_star"] + alpha * gamma
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(u0 > 0, tsodyks_markram.paired_pulse_ratio(delay * 1e-3, np.where(u0 > 0, u0, 1)),
                            np.nan)
    table = _table_deviation(alpha, gamma, delay, ppr)
    summary = {"max_abs_error_vs_analytic": float(np.nanmax(np.abs(ppr - expected))),
               "max_abs_error_vs_table_8_2": table, "ppr": ppr.tolist(), "alpha": alpha.tolist(),
               "gamma_S": gamma.tolist(), "delay_ms": delay.tolist(), "first_release": r1.tolist()}
    if p["closed_loop_duration"] > 0:
        loop = closed_loop(p["closed_loop_rate"], p["closed_loop_duration"], engine=p["engine"], seed=seed)
        summary["closed_loop_mean_Y_S_uM"] = loop["mean_Y_S_uM"]
        summary["closed_loop_mean_Gamma_S"] = loop["mean_Gamma_S"]
        monitors.update(loop["monitors"])
    result = {"protocol": NAME, "params": p, "ppr": ppr, "expected": expected, "alpha": alpha, "gamma": gamma,
              "delay_ms": delay, "r1": r1, "summary": summary, "monitors": monitors}
    if out is not None:
        write_output(out, result["monitors"], protocol=NAME, params=p, summary=summary)
    return result


CONDITIONS = (("none", None), ("alpha=0", 0.0), ("alpha=1", 1.0))


def closed_loop(rate, duration, *, engine="astrosim", seed=None, synapses=10):
    """Stimberg et al. (2019) Fig. 4-style closed loop: mean synaptic glutamate without and with gliotransmission.

    Three independent tripartite units (one LIF neuron, ``synapses`` Tsodyks-Markram synapses, one
    G-ChI astrocyte that senses their glutamate and, except for 'none', releases gliotransmitter
    back onto them), Poisson input at ``rate``; dt = 1 ms. Means are over the second half of the run.
    """
    objects, monitors = [], {}
    for label, alpha in CONDITIONS:
        net = build_tripartite(1, synapses, 1, input_rate=rate, gliotransmission=alpha is not None,
                               synapse_params={} if alpha is None else {"alpha": alpha}, dt=1 * ms)
        monitors[f"closed_loop_{label}"] = StateMonitor(net.synapses, ["Y_S", "Gamma_S"], record=True, dt=10 * ms,
                                                        name=f"closed_loop_{label.replace('=', '')}")
        objects += net.objects + [monitors[f"closed_loop_{label}"]]
    run_network(objects, duration, engine=engine, seed=seed)
    means_y, means_g = {}, {}
    for label, _ in CONDITIONS:
        mon = monitors[f"closed_loop_{label}"]
        keep = np.asarray(mon.t / second) >= float(duration / second) / 2
        means_y[label] = float(np.asarray(mon.Y_S / umolar)[:, keep].mean())
        means_g[label] = float(np.asarray(mon.Gamma_S)[:, keep].mean())
    return {"mean_Y_S_uM": means_y, "mean_Gamma_S": means_g, "monitors": monitors}


def _table_deviation(alpha, gamma, delay, ppr):
    """Largest |PPR - table| over the combinations that appear in models-and-validation 8.2 (NaN if none)."""
    worst = float("nan")
    for a, g, d, value in zip(alpha, gamma, delay, ppr):
        row = TABLE_8_2.get(int(round(d))) if abs(d - round(d)) < 1e-9 else None
        if row is None:
            continue
        if g == 0:
            ref = row[0]
        elif a == 0 and g in (0.25, 0.5, 0.75):
            ref = row[1][(0.25, 0.5, 0.75).index(g)]
        elif a == 1 and g in (0.25, 0.5, 0.75, 1.0):
            ref = row[2][(0.25, 0.5, 0.75, 1.0).index(g)]
        else:
            continue
        err = abs(value - ref)
        worst = err if np.isnan(worst) else max(worst, err)
    return worst


def plot(result, path):
    """PPR against Gamma_S for each delay, both kinds of gliotransmission, with the analytic curves."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, a, label in zip(axes, (0.0, 1.0), ("alpha = 0 (release-decreasing)", "alpha = 1 (release-increasing)")):
        for d in np.unique(result["delay_ms"]):
            sel = (result["alpha"] == a) & (result["delay_ms"] == d)
            line, = ax.plot(result["gamma"][sel], result["ppr"][sel], "o", label=f"{d:g} ms")
            ax.plot(result["gamma"][sel], result["expected"][sel], "-", color=line.get_color(), lw=0.8)
        ax.axhline(1, color="k", lw=0.5)
        ax.set(xlabel="Gamma_S", title=label)
    axes[0].set_ylabel("paired-pulse ratio r2/r1")
    axes[0].legend(title="delay (dots: simulated, lines: analytic)", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
