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


# -- a floor for the COBA loop: hand-written loops of the same per-event and per-neuron work ----
def _floor_kernels():
    import numba
    from astrosim.engine.vecmath import exp

    @numba.njit(error_model="numpy")
    def events(rows, row_len, u, x, lu, post, g, buf, t, a_f, a_d, U, w):
        # per event: decay u_S and x_S since lastupdate (two exp), release, store the synapse's
        # state, then add its term into the target: what an STP on_pre must do at least
        for r in rows:
            lo = np.uint64(r * row_len)
            for j in range(row_len):
                i = lo + np.uint64(j)
                d = t - lu[i]
                uu = u[i] * exp(a_f * d)
                e = exp(a_d * d)
                xx = 1.0 + x[i] * e - e
                uu += U * (1.0 - uu)
                rr = uu * xx
                u[i] = uu
                x[i] = xx - rr
                lu[i] = t
                buf[j] = w * rr
            for j in range(row_len):
                g[post[lo + np.uint64(j)]] += buf[j]

    @numba.njit(error_model="numpy")
    def neurons(steps, v, ge, gi, lastspike, spikes, dt):
        # forward Euler of the COBA membrane and conductances, refractoriness and threshold
        n = v.shape[0]
        total = 0
        for s in range(steps):
            t = s * dt
            for k in range(n):
                active = (t - lastspike[k]) > 0.005
                dv = (9.99e-9 * (-0.06 - v[k]) + ge[k] * (0.0 - v[k]) + gi[k] * (-0.08 - v[k])
                      + 150e-12) / 198e-12
                v[k] = v[k] + dt * dv if active else v[k]
                ge[k] = ge[k] - dt * ge[k] / 0.005
                gi[k] = gi[k] - dt * gi[k] / 0.01
            m = 0
            for k in range(n):
                if v[k] > -0.05 and (t - lastspike[k]) > 0.005:
                    spikes[m] = k
                    m += 1
            for q in range(m):
                v[spikes[q]] = -0.06
                lastspike[spikes[q]] = t
            total += m
        return total

    return events, neurons


def coba_floor(n_neurons, n_synapses, n_sources, events, steps, repeats=5):
    """Seconds a COBA loop needs at least by this machine's hand-written loops (best of repeats).

    ``events`` synaptic events cost ``c_event`` each: rows of ``n_synapses / n_sources``
    contiguous synapses of randomly chosen sources, over arrays as large as the network's (so
    they come from DRAM), each event doing the STP update and one scattered add. ``steps`` times
    ``n_neurons`` neuron updates cost ``c_neuron`` each. Returns a dict with both costs (ns) and
    ``floor`` (s) = events x c_event + steps x n_neurons x c_neuron.
    """
    import time

    ev, nr = _floor_kernels()
    row = max(1, int(round(n_synapses / max(n_sources, 1))))
    n_rows = max(1, n_synapses // row)
    rng = np.random.default_rng(1)
    u, x, lu = np.zeros(n_rows * row), np.ones(n_rows * row), np.zeros(n_rows * row)
    post = np.sort(rng.integers(0, n_neurons, (n_rows, row)), axis=1).ravel().astype(np.int32)
    g, buf = np.zeros(n_neurons), np.zeros(row)
    rows = rng.integers(0, n_rows, max(1, 2_000_000 // row))
    ev(rows[:2], row, u, x, lu, post, g, buf, 0.0, -3.33, -2.0, 0.6, 1.0)
    best = np.inf
    for k in range(repeats):
        t0 = time.perf_counter()
        ev(rows, row, u, x, lu, post, g, buf, 1e-3 * (k + 1), -3.33, -2.0, 0.6, 1.0)
        best = min(best, time.perf_counter() - t0)
    c_event = best / (len(rows) * row)
    v = rng.uniform(-0.06, -0.05, n_neurons)
    ge, gi = rng.uniform(0, 0.05e-9, n_neurons), rng.uniform(0, 1e-9, n_neurons)
    lastspike, spikes = np.full(n_neurons, -1.0), np.zeros(n_neurons, dtype=np.int64)
    nr(2, v, ge, gi, lastspike, spikes, 1e-4)
    n_steps = max(10, 2_000_000 // n_neurons)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        nr(n_steps, v, ge, gi, lastspike, spikes, 1e-4)
        best = min(best, time.perf_counter() - t0)
    c_neuron = best / (n_steps * n_neurons)
    return {"c_event_ns": c_event * 1e9, "c_neuron_ns": c_neuron * 1e9, "row": row,
            "floor": events * c_event + steps * n_neurons * c_neuron}
