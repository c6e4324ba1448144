"""The biophysical tier of the write/read circuit: LIF neurons, spike-timing Hebbian tripartite
synapses and a Li-Rinzel astrocyte, read out by the same mapping as the rate and Poisson tiers.

Built from the model library:

* **Neurons** (``models.neurons.lif_passive``, the paper's Eq. 6 LIF with its lab's parameters):
  hidden cells, and an ON/OFF pair per output unit. Cells fire regularly; a slot's target rate
  is set by the input current that gives that rate on the LIF's f-I curve
  ``r(I) = 1 / (t_ref + tau_m ln(R I / (R I - v_th)))``. In read mode an output cell receives the
  rheobase current plus a current proportional to the divisive drive I/C; the read-out inverts
  the f-I curve on the counted rate.
* **Tripartite synapses, Hebbian by spike timing**: the potentiating half of pair-based STDP
  (``models.plasticity.stdp``'s presynaptic trace, ``tau_pre``): each postsynaptic spike adds the
  presynaptic trace to an eligibility ``e``; ON-cell spikes count positive, OFF-cell spikes
  negative. For independent trains the expected eligibility of a slot is
  ``r_pre r_post (tau T - tau^2 (1 - exp(-T/tau)))``, which fixes the learning rate. At each
  token's end the eligibility is consolidated into the synaptic trace (a running average over
  the tokens written for scale 'tokens').
* **Astrocyte** (``models.astrocytes.li_rinzel``, the Li-Rinzel calcium core): each process
  accumulates IP3 from the presynaptic spikes it sees during writing (no degradation within a
  sequence: the store). Its calcium relaxes to the Li-Rinzel steady state for that IP3, which
  above the oscillation window grows sub-linearly (local log-log slope near 0.25 at high IP3):
  the alpha of Eq. 14 comes out of IP3-receptor and SERCA kinetics, not out of a power. The
  kinetics are sped up ``astro_speed`` times (rates v1, v2, v3, a2) so that calcium settles
  within a few token slots; steady states are unchanged. The positional term comes from a
  release clock of each process (gliotransmitter events at ``rho_h * W_astro[j, z]``, with ``z``
  the astrocyte's slow state counting tokens), paired with postsynaptic spikes through a release
  trace, as the hidden cell's spikes are.

The mapping reads g as the process's calcium times one calibration constant (the ratio of
``store_max**alpha`` to the steady calcium at the largest calibrated store), so g is exact at
that one store and departs elsewhere as far as Li-Rinzel's curve departs from a power law.
"""
from __future__ import annotations

import math

import numpy as np

from astrosim.attention import reference as ref
from astrosim.attention.options import AstromorphicOptions

from . import mapping
from .circuit import Circuit, CircuitStimulus

__all__ = ["BiophysicalGains", "lif_rate", "lif_current", "encode", "build", "decode", "steady_calcium", "departure"]


class BiophysicalGains:
    """Gains and constants of the biophysical tier (rates in Hz, IP3 in uM, times in s)."""

    rho_h = 50.0  # hidden rate per unit of phi
    v_max_rate = 60.0  # ON/OFF rate at the largest |v| in write mode
    out_max_rate = 150.0  # output rate above rheobase at the largest |I/C| in read mode
    ip3_basal = 0.8  # IP3 before any token (above Li-Rinzel's oscillation window, 0.35-0.65 uM)
    ip3_max = 8.0  # IP3 at the largest calibrated store
    astro_speed = 100.0  # speed-up of the Li-Rinzel kinetics
    settle_time = 0.4  # calcium settling after writing, s (about 10 decay times at speed 100)


def _lif_params():
    from astrosim.models.neurons import lif_passive

    p = lif_passive.PARAMETERS
    return {"R": float(p["R_m"]), "tau": float(p["tau_m"]), "v_th": float(p["v_th"]), "t_ref": float(p["t_ref"])}


def lif_rate(current, params=None):
    """Firing rate (Hz) of the passive LIF for a constant current (A); 0 at or below rheobase."""
    p = params or _lif_params()
    x = np.asarray(current, dtype=np.float64) * p["R"] / p["v_th"]
    with np.errstate(divide="ignore", invalid="ignore"):
        isi = p["t_ref"] + p["tau"] * np.log(x / (x - 1.0))
        return np.where(x > 1.0, 1.0 / isi, 0.0)


def lif_current(rate, params=None):
    """Constant current (A) at which the passive LIF fires at ``rate`` (Hz); 0 for rate 0."""
    p = params or _lif_params()
    r = np.asarray(rate, dtype=np.float64)
    if np.any(r * p["t_ref"] >= 1.0):
        raise ValueError(f"biophysical: rate {float(r.max()):.1f} Hz is beyond the LIF's maximum 1/t_ref")
    with np.errstate(divide="ignore", invalid="ignore"):
        x = 1.0 / (1.0 - np.exp(-(1.0 / r - p["t_ref"]) / p["tau"]))
        return np.where(r > 0, x * p["v_th"] / p["R"], 0.0)


def steady_calcium(ip3_um) -> float:
    """Li-Rinzel steady calcium (uM) at clamped IP3 (uM), above the oscillation window."""
    from brian2 import umolar

    from astrosim.models.astrocytes import li_rinzel

    return float(li_rinzel.resting_calcium(float(ip3_um) * umolar) / umolar)


def _trace_pairs(T, tau):
    """Expected presynaptic-trace sum over post spikes in a slot, per (pre rate x post rate)."""
    return tau * T - tau * tau * (1.0 - math.exp(-T / tau))


def encode(q, k, v, w_astro=None, *, options: AstromorphicOptions | None = None, T: float = 0.1,
           dt: float = 1e-4, causal: bool = False, scales: mapping.CircuitScales | None = None,
           gains: type = BiophysicalGains) -> CircuitStimulus:
    """The biophysical tier's stimulation (same tables and slot layout as :func:`mapping.encode`)."""
    from astrosim.models.plasticity import stdp

    options = options or AstromorphicOptions()
    q, k, v, w_astro = mapping._check_inputs(q, k, v, w_astro, options)
    steps = round(T / dt)
    if steps < 1 or abs(T / dt - steps) > 1e-9:
        raise ValueError(f"encode: T={T} s must be a positive whole number of steps dt={dt} s")
    B, N, m = q.shape
    d = v.shape[2]
    scales = scales or mapping.CircuitScales.calibrate(q, k, v, w_astro, options, causal=causal)
    m_in, _ = mapping._scales(N, options)
    m_out_q = mapping._out_scales(N, options, causal)[:, 0]
    phi_k, phi_q = ref.feature_map(k), ref.feature_map(q)
    rho_h, rho_v = gains.rho_h, gains.v_max_rate / scales.v_max
    settle = int(math.ceil(gains.settle_time / T - 1e-9))
    writes, reads, slots = mapping._slot_layout(N, [settle] * N if causal else settle, causal)
    hidden, drive, drive_off, release, write_gate, read_gate = mapping._slot_tables(
        phi_k, phi_q, v, w_astro, options, rho_h, rho_v, writes, reads, slots)
    tau = float(stdp.PARAMETERS["tau_pre"])
    average = options.scale == "tokens" and options.scale_placement == "inside"
    eta = 1.0 / (rho_h * rho_v * _trace_pairs(T, tau)) / (1.0 if average else m_in)
    # IP3 per presynaptic spike: the largest calibrated store reaches ip3_max; g's calibration
    # constant makes Ca * c_ref = store_max ** alpha there.
    d_ip3 = (gains.ip3_max - gains.ip3_basal) / (rho_h * T * scales.store_max)
    c_ref = scales.store_max ** options.alpha / steady_calcium(gains.ip3_max)
    rho_o = gains.out_max_rate / scales.out_max
    info = dict(rho_v=rho_v, m_in=m_in, m_out=m_out_q, options=options.as_dict(), scales=vars(scales).copy(),
                tier="biophysical", tau_trace=tau, d_ip3=d_ip3, c_ref=c_ref, ip3_basal=gains.ip3_basal,
                ca_basal=steady_calcium(gains.ip3_basal), astro_speed=gains.astro_speed)
    return CircuitStimulus(
        hidden_rates=hidden, output_drive=drive, output_drive_off=drive_off, astro_release=release,
        write_gate=write_gate, read_gate=read_gate, batch=B, m=m, d=d, n_tokens=N,
        settle_slots=settle * (N if causal else 1), T=T, dt=dt, rho_h=rho_h, rho_o=rho_o, eta=eta,
        kappa=float("nan"), k_ca=float("nan"), n_pump=float("nan"), sigma=options.sigma, causal=causal,
        running_average=average, write_slots=writes, read_slots=reads, info=info)


def _consolidation(average: bool) -> str:
    """Slot-end rule of the ON synapse: eligibility (ON minus OFF pairings) into the traces."""
    head = ("wg = write_gate(t - 0.5*T_slot) * int(t > 0.5*T_slot)\n"
            "n_writes += wg\n"
            "x_n = eta * (e_n - e_n_off)\n"
            "x_a = eta * (e_a - e_a_off)\n")
    if average:
        body = ("u_n += wg * (x_n - u_n) / clip(n_writes, 1, inf)\n"
                "u_a += wg * (x_a - u_a) / clip(n_writes, 1, inf)\n")
    else:
        body = "u_n += wg * x_n\nu_a += wg * x_a\n"
    return head + body + "e_n = 0\ne_a = 0"


def build(stim: CircuitStimulus, *, record_counts: bool = True) -> Circuit:
    """Brian2 objects of ``stim.batch`` biophysical circuits in one network."""
    import brian2 as b2
    from brian2 import amp, second, umolar

    from astrosim.models.astrocytes import li_rinzel
    from astrosim.models.neurons import lif_passive

    if stim.info.get("tier") != "biophysical":
        raise ValueError("biophysical.build: the stimulus was not encoded for the biophysical tier "
                         "(use astrosim.analysis.biophysical.encode)")
    B, m, d, T, info = stim.batch, stim.m, stim.d, stim.T, stim.info
    steps = T / stim.dt
    if abs(steps - round(steps)) > 1e-9:
        raise ValueError(f"biophysical.build: slot length T={T} s must be a whole number of steps dt={stim.dt} s")
    lif = _lif_params()
    i_rh = lif["v_th"] / lif["R"]
    g_out = (lif_current(stim.rho_o * info["scales"]["out_max"]) - i_rh) / info["scales"]["out_max"]
    table = lambda a, name, unit=1: b2.TimedArray(a * unit, dt=T * second, name=name)  # noqa: E731
    lr = {k: v for k, v in li_rinzel.PARAMETERS.items()}
    for key in ("v1", "v2", "v3", "a2"):
        lr[key] = lr[key] * info["astro_speed"]
    ns = dict(lr)
    ns.update({
        "hidden_current": table(lif_current(stim.hidden_rates), "hidden_current", amp),
        "on_current": table(lif_current(stim.output_drive), "on_current", amp),
        "off_current": table(lif_current(stim.output_drive_off), "off_current", amp),
        "astro_release": table(stim.astro_release, "astro_release"),
        "write_gate": table(stim.write_gate, "write_gate"), "read_gate": table(stim.read_gate, "read_gate"),
        "T_slot": T * second, "rho_h": stim.rho_h * b2.Hz, "eta": stim.eta, "tau_tr": info["tau_trace"] * second,
        "I_rh": i_rh * amp, "g_out": g_out * amp, "d_ip3": info["d_ip3"] * umolar, "c_ref": info["c_ref"],
        "ip3_0": info["ip3_basal"] * umolar, "kappa_s": 1.0 / (stim.rho_h * T),
    })
    counting = "n : 1\ndapre/dt = -apre / tau_tr : 1\n"
    hidden = lif_passive.build(B * m, name="hidden", extra_equations=counting + "ca : 1\narel : 1\n",
                               extra_reset="n += 1\napre += 1", extra_parameters=ns)
    hidden.order = -1
    hidden.run_regularly("I_SIC = hidden_current(t, i)", dt=T * second, when="start", order=2, name="hidden_drive")
    out_eqs = "n : 1\nI : 1\nCn : 1\n"
    output = lif_passive.build(B * d, name="output", extra_equations=out_eqs, extra_reset="n += 1",
                               extra_parameters=ns)
    output.order = 1
    output.run_regularly("I_SIC = write_gate(t) * on_current(t, i) + read_gate(t) * "
                         "(I_rh + g_out * clip(I / (Cn + 1e-300), 0, inf))", when="before_groups", name="output_drive")
    output_off = lif_passive.build(B * d, name="output_off", extra_equations="n : 1\nratio : 1\n",
                                   extra_reset="n += 1", extra_parameters=ns)
    output_off.order = 2
    output_off.run_regularly("I_SIC = write_gate(t) * off_current(t, i) + read_gate(t) * "
                             "(I_rh + g_out * clip(-ratio, 0, inf))", when="before_groups", name="output_off_drive")
    astro_eqs = li_rinzel.CORE_EQUATIONS + """
I : mmolar
dz/dt = write_gate(t) / T_slot : 1
drel/dt = rho_h * astro_release(z * T_slot, i) * write_gate(t) : 1
darel/dt = -arel / tau_tr : 1
na : 1
Ca : 1
s : 1
"""
    astro = b2.NeuronGroup(B * m, astro_eqs, threshold="rel >= 1", reset="rel -= 1\nna += 1\narel += 1",
                           method="euler", order=-3, name="astrocyte", namespace=ns)
    c0 = steady_calcium(info["ip3_basal"])
    q2 = float(lr["d2"] * (info["ip3_basal"] * umolar + lr["d1"]) / (info["ip3_basal"] * umolar + lr["d3"]) / umolar)
    astro.I = info["ip3_basal"] * umolar
    astro.C = c0 * umolar
    astro.h = q2 / (q2 + c0)
    astro.run_regularly("Ca = c_ref * C / umolar\ns = (I - ip3_0) / d_ip3 * kappa_s", when="end", name="astro_readout")
    efficacy = "1 / (1 + exp(-(u_n + u_a)))" if stim.sigma else "u_n + u_a"
    syn = b2.Synapses(hidden, output, f"""u_n : 1
                      u_a : 1
                      n_writes : 1
                      e_n : 1
                      e_a : 1
                      e_n_off : 1
                      e_a_off : 1
                      eff = {efficacy} : 1
                      I_post = n_pre * eff : 1 (summed)
                      Cn_post = n_pre * ca_pre : 1 (summed)""",
                      on_post="e_n += write_gate(t) * apre_pre\ne_a += write_gate(t) * arel_pre",
                      name="tripartite", namespace=ns)
    syn_off = b2.Synapses(hidden, output_off, "e_n : 1\ne_a : 1",
                          on_post="e_n += write_gate(t) * apre_pre\ne_a += write_gate(t) * arel_pre",
                          name="tripartite_off", namespace=ns)
    pre = np.repeat(np.arange(B * m).reshape(B, m), d, axis=1).ravel()
    post = np.tile(np.arange(B * d).reshape(B, 1, d), (1, m, 1)).ravel()
    syn.connect(i=pre, j=post)
    syn_off.connect(i=pre, j=post)
    link = b2.Synapses(syn_off, syn, "e_n_off_post = e_n_pre : 1 (summed)\ne_a_off_post = e_a_pre : 1 (summed)",
                       name="on_off_link", namespace=ns)
    link.connect(i=np.arange(len(pre)), j=np.arange(len(pre)))
    syn.run_regularly(_consolidation(stim.running_average), dt=T * second, when="start", order=0, name="hebbian")
    syn_off.run_regularly("e_n = 0\ne_a = 0", dt=T * second, when="start", order=1, name="hebbian_off_reset")
    to_astro = b2.Synapses(hidden, astro, on_pre="I_post += d_ip3 * write_gate(t)", name="presyn_to_astro",
                           namespace=ns)
    to_astro.connect(j="i")
    from_astro = b2.Synapses(astro, hidden, "ca_post = Ca_pre : 1 (summed)\narel_post = arel_pre : 1 (summed)",
                             name="astro_to_terminal", namespace=ns)
    from_astro.connect(j="i")
    pair_read = b2.Synapses(output, output_off, "ratio_post = I_pre / (Cn_pre + 1e-300) : 1 (summed)",
                            name="push_pull_read", namespace=ns)
    pair_read.connect(j="i")
    resets = [g.run_regularly(f"{v} = 0", dt=T * second, when="start", order=1, name=f"{g.name}_slot_reset")
              for g, v in ((hidden, "n"), (output, "n"), (output_off, "n"), (astro, "na"))]
    monitors = {}
    if record_counts:
        kwm = dict(record=True, dt=T * second, when="start", order=0)
        monitors = {
            "hidden": b2.StateMonitor(hidden, "n", name="hidden_counts", **kwm),
            "astro": b2.StateMonitor(astro, ["na", "Ca", "s"], name="astro_counts", **kwm),
            "output": b2.StateMonitor(output, ["n", "I", "Cn"], name="output_counts", **kwm),
            "output_off": b2.StateMonitor(output_off, "n", name="output_off_counts", **kwm),
        }
    net = b2.Network(hidden, astro, output, output_off, syn, syn_off, link, to_astro, from_astro, pair_read,
                     *resets, *monitors.values())
    return Circuit(stim, "biophysical", net, hidden, output, astro, syn, monitors, ns)


def decode(state: dict, stim: CircuitStimulus) -> dict:
    """The mapping's read-out, with the output rates taken back through the LIF's f-I curve."""
    out = mapping.decode(state, stim)
    N, d, B, T = stim.n_tokens, stim.d, stim.batch, stim.T
    lif = _lif_params()
    i_rh = lif["v_th"] / lif["R"]
    out_max = stim.info["scales"]["out_max"]
    g_out = (lif_current(stim.rho_o * out_max) - i_rh) / out_max
    m_out = np.asarray(stim.info["m_out"], dtype=np.float64).reshape(1, N, 1)

    def value(counts):
        rate = counts / T
        cur = np.where(rate > 0, lif_current(np.minimum(rate, 0.999 / lif["t_ref"])), i_rh)
        return np.maximum(cur - i_rh, 0.0) / g_out

    reads = stim.read_slots
    per = lambda rows: rows.reshape(rows.shape[0], B, d).transpose(1, 0, 2)  # noqa: E731
    out["L"] = (value(per(state["output_n"][reads])) - value(per(state["output_off_n"][reads]))) / m_out
    return out


def departure(q, k, v, w_astro, out: dict, options: AstromorphicOptions | None = None) -> dict:
    """Where a non-causal biophysical run departs from algorithmic attention, stage by stage.

    Relative errors (norm of the difference over the norm of the reference) of: the write-mode
    codes (phi(k), v, W_astro) and the read-mode query code phi(q); the synaptic store H; the
    astrocyte's g; the attention recomputed exactly except for the circuit's g (``L_g_only``) or
    except for the circuit's H (``L_H_only``); the divisive drive I/C before the output cells fire
    (``L_ratio``); and the output (``L``).
    """
    options = options or AstromorphicOptions()
    rel = lambda a, b: float(np.linalg.norm(np.asarray(a) - b) / max(np.linalg.norm(b), 1e-300))  # noqa: E731
    w = w_astro if options.positional else None
    write = ref.astromorphic_write(k, v, w_astro=w, options=options)
    target = ref.astromorphic_attention(q, k, v, w_astro=w, options=options)

    def attention(H, g):
        return ref.astromorphic_read(q, dict(write, H=H, g=g), options=options)["L"]

    rows = {"phi_k": rel(out["phi_k"], ref.feature_map(k)), "v": rel(out["v"], v),
            "phi_q": rel(out["phi_q"], ref.feature_map(q)), "H": rel(out["H"], write["H"]),
            "g": rel(out["g"], write["g"]),
            "L_g_only": rel(attention(write["H"], out["g"]), target),
            "L_H_only": rel(attention(out["H"], write["g"]), target),
            "L_ratio": rel(out["L_ratio"], target), "L": rel(out["L"], target)}
    if options.positional:
        rows["w_astro"] = rel(out["w_astro"], np.broadcast_to(w_astro, out["w_astro"].shape))
    return rows
