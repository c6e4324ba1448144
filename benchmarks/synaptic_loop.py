"""How close astrosim's synaptic update loop runs to memory bandwidth (COBA, Fig. 1 synapses).

The COBA network is run once to record its spikes. Those spikes are then replayed by a
SpikeGeneratorGroup through the *same* connectivity and STP pathway into passive targets, once
with and once without the synapses; the difference of astrosim's run times is the synaptic
loop's time. Dividing the DRAM bytes its synaptic events must move by that time gives an
effective bandwidth, compared with the machine's STREAM-like copy bandwidth.
"""
import sys
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

__all__ = ["synaptic_loop_report", "replay_times"]


def _record(duration_s, scale):
    import brian2 as b2
    import astrosim
    from astrosim.testing.networks import build_coba, run_in_namespace

    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.seed(28371)
    n_e, n_i = max(1, int(3200 * scale)), max(1, int(800 * scale))
    ns = build_coba(n_e, n_i, record_neuron=0)
    run_in_namespace(astrosim.run, ns, duration_s * b2.second)
    spikes_i = np.r_[ns["exc_mon"].i[:], ns["inh_mon"].i[:] + n_e].astype(np.int64)
    spikes_t = np.r_[ns["exc_mon"].t_[:], ns["inh_mon"].t_[:]]
    conn = {k: (np.asarray(ns[k].i[:]), np.asarray(ns[k].j[:])) for k in ("exc_syn", "inh_syn")}
    return n_e, n_i, spikes_i, spikes_t, conn


def replay_times(n_e, n_i, spikes_i, spikes_t, conn, duration_s, with_synapses, repeats=3):
    """Best astrosim run time (s) of the spike replay, with or without the STP synapses."""
    import brian2 as b2
    import astrosim
    from brian2 import ms, nS, second

    best = np.inf
    for _ in range(repeats):
        b2.start_scope()
        ns = dict(U_0=0.6, Omega_d=2.0 / second, Omega_f=3.33 / second, w_e=0.05 * nS, w_i=1.0 * nS)
        gen = b2.SpikeGeneratorGroup(n_e + n_i, spikes_i, spikes_t * second, name="replay_source")
        target = b2.NeuronGroup(n_e + n_i, "g_e : siemens\ng_i : siemens", name="replay_target")
        objs = [gen, target]
        if with_synapses:
            stp = "du_S/dt = -Omega_f*u_S : 1 (event-driven)\ndx_S/dt = Omega_d*(1 - x_S) : 1 (event-driven)"
            release = "u_S += U_0*(1 - u_S)\nr_S = u_S*x_S\nx_S -= r_S\n"
            for key, offset, var, w in (("exc_syn", 0, "g_e", "w_e"), ("inh_syn", n_e, "g_i", "w_i")):
                syn = b2.Synapses(gen, target, stp, on_pre=release + f"{var}_post += {w}*r_S",
                                  namespace=ns, name=f"replay_{key}")
                syn.connect(i=conn[key][0] + offset, j=conn[key][1])
                syn.x_S = 1
                objs.append(syn)
        net = b2.Network(*objs)
        sim = astrosim.Simulator(net)
        sim.run(duration_s * second + 1 * ms)
        best = min(best, float(sim.timings["run"]))
    return best


def synaptic_loop_report(duration_s, scale, copy_gbps):
    """Text lines: synaptic events, loop time, effective bandwidth and share of ``copy_gbps``."""
    from benchmarks.bandwidth import SYNAPSE_EVENT_BYTES

    n_e, n_i, si, st, conn = _record(duration_s, scale)
    outdeg = np.zeros(n_e + n_i, dtype=np.int64)
    outdeg[:n_e] = np.bincount(conn["exc_syn"][0], minlength=n_e)
    outdeg[n_e:] = np.bincount(conn["inh_syn"][0], minlength=n_i)
    events = int(outdeg[si].sum())
    t_with = replay_times(n_e, n_i, si, st, conn, duration_s, True)
    t_without = replay_times(n_e, n_i, si, st, conn, duration_s, False)
    loop = t_with - t_without
    n_syn = sum(len(c[0]) for c in conn.values())
    lines = [f"synaptic loop (COBA spikes replayed through the same {n_syn} STP synapses, "
             f"{len(si)} spikes, {events} synaptic events): run {t_with:.3f} s with synapses, "
             f"{t_without:.3f} s without -> loop {loop:.3f} s"]
    if loop > 0:
        gbps = events * SYNAPSE_EVENT_BYTES / loop / 1e9
        lines.append(f"  {events / loop / 1e6:.1f} M events/s x {SYNAPSE_EVENT_BYTES} B/event = "
                     f"{gbps:.2f} GB/s = {100 * gbps / copy_gbps:.0f}% of the copy bandwidth "
                     f"(synapse arrays {n_syn * 28 / 2**20:.0f} MiB vs 32 MiB L3)")
    else:
        lines.append("  loop time below timing resolution; increase --duration")
    return "\n".join(lines)
