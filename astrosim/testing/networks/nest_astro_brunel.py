"""NEST 3.10's ``astrocyte_brunel_bernoulli`` example, in Brian2 (astrosim's model library) and in NEST.

The example: a random balanced network of ``aeif_cond_alpha_astro`` neurons (80 % excitatory) driven by
Poisson input, with ``tsodyks_synapse`` connections drawn pairwise-Bernoulli, and
``astrocyte_lr_1994`` astrocytes paired with half of the excitatory connections (NEST's
``third_factor_bernoulli_with_pool`` rule: each target neuron has a random pool of 10 astrocytes; a
paired connection also feeds its source neuron to one astrocyte of the pool, and that astrocyte sends
a SIC to the target). Sizes: ``scale=1`` is the example's 10,000 neurons and 10,000 astrocytes,
``scale=0.2`` is 2,000 and 2,000. NEST's script scales only up, dividing the connection probability
by the scale; here ``p_primary`` stays 0.1 at every size (in-degree grows with size; about 720k
connections at 0.2, 18M at 1), as in the issue's measurements.

:func:`build_nest_astro_brunel` returns a namespace for :func:`astrosim.testing.networks.run_in_namespace`;
:func:`build_nest_network` builds the same network in NEST (its own connection rules and random
numbers, so the two agree in distribution, not connection by connection).
"""
import numpy as np
import brian2 as b2
from brian2 import Hz, ms, nS, pA, umolar

from astrosim.models.astrocytes import lr_1994_nest
from astrosim.models.neurons import aeif_cond_alpha_astro
from astrosim.models.synapses import sic_connection, tsodyks_2000

__all__ = ["PARAMETERS", "sizes", "draw_connectivity", "build_nest_astro_brunel", "build_nest_network",
           "nest_statistics", "brian_statistics"]

#: The example's values (NEST units where NEST has no unit system).
PARAMETERS = {
    "N_ex": 8000, "N_in": 2000, "N_astro": 10000,
    "p_primary": 0.1,  # neuron-neuron connection probability
    "p_third_if_primary": 0.5,  # probability that an excitatory connection is paired with an astrocyte
    "pool_size": 10,  # astrocytes per target neuron's pool
    "poisson_rate": 2000 * Hz,  # Poisson input per neuron
    "w_a2n": 0.05 * pA,  # sic_connection weight
    "w_e": 1.0 * nS, "w_i": -4.0 * nS,  # excitatory / inhibitory weights
    "w_astro": 1.0,  # weight of the neuron -> astrocyte tsodyks synapses (the same number as w_e)
    "d_e": 2.0 * ms, "d_i": 1.0 * ms,  # delays
    "d_poisson": 1.0 * ms, "d_sic": 1.0 * ms,  # NEST's default delay for the unset ones
    "tau_syn_ex": 2.0 * ms, "tau_syn_in": 4.0 * ms,
    "IP3_init": 0.4 * umolar,  # the example's initial IP3
}


def sizes(scale):
    """(N_ex, N_in, N_astro) at ``scale``."""
    return tuple(max(1, int(round(PARAMETERS[k] * scale))) for k in ("N_ex", "N_in", "N_astro"))


def draw_connectivity(scale, seed, p_primary=None):
    """Draw the example's connectivity with numpy (seeded): a dict of index arrays.

    ``ee_i, ee_j`` excitatory -> all neurons; ``ie_i, ie_j`` inhibitory -> all (indices into the
    inhibitory population and into all neurons); ``na_i, na_a`` neuron -> astrocyte and
    ``an_a, an_j`` astrocyte -> neuron, one pair of each per paired excitatory connection.
    """
    n_ex, n_in, n_astro = sizes(scale)
    n = n_ex + n_in
    p = PARAMETERS["p_primary"] if p_primary is None else p_primary
    rng = np.random.default_rng(seed)

    def bernoulli(n_src):
        i, j = [], []
        for start in range(0, n_src, 256):  # bounded memory at full size
            block = rng.random((min(256, n_src - start), n)) < p
            bi, bj = np.nonzero(block)
            i.append(bi + start)
            j.append(bj)
        return np.concatenate(i).astype(np.int32), np.concatenate(j).astype(np.int32)

    ee_i, ee_j = bernoulli(n_ex)
    ie_i, ie_j = bernoulli(n_in)
    pool_size = min(PARAMETERS["pool_size"], n_astro)
    pools = rng.integers(0, n_astro, size=(n, pool_size))
    while True:  # pools of distinct astrocytes: redraw the rows with repeats
        srt = np.sort(pools, axis=1)
        bad = np.nonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))[0]
        if bad.size == 0:
            break
        pools[bad] = rng.integers(0, n_astro, size=(bad.size, pool_size))
    paired = np.nonzero(rng.random(ee_i.size) < PARAMETERS["p_third_if_primary"])[0]
    astro = pools[ee_j[paired], rng.integers(0, pool_size, size=paired.size)].astype(np.int32)
    return {"ee_i": ee_i, "ee_j": ee_j, "ie_i": ie_i, "ie_j": ie_j,
            "na_i": ee_i[paired], "na_a": astro, "an_a": astro, "an_j": ee_j[paired]}


def build_nest_astro_brunel(scale=0.2, *, seed=100, per_synapse_sic=False, record=50, poisson_n=20,
                            p_primary=None):
    """Build the example in Brian2 with the NEST model transcriptions; return its namespace.

    Parameters
    ----------
    scale : float
        Size factor (1: 10,000 neurons and 10,000 astrocytes).
    seed : int
        Seed of the connectivity and of the Poisson streams' Brian2 seed.
    per_synapse_sic : bool
        Compute the SIC in the ``sic_connection`` synapses (one logarithm per connection and step,
        no delay: what a first transcription writes) instead of once per astrocyte with NEST's delay.
    record : int
        Neurons and astrocytes recorded by state monitors at 1 ms (as the example's multimeters).
    poisson_n : int
        The 2 kHz Poisson drive is ``poisson_n`` binomial inputs of 2 kHz/``poisson_n`` each (NEST
        draws a Poisson count per step; 20 keeps the count's variance within 1 % of it).
    """
    b2.seed(seed)
    n_ex, n_in, n_astro = sizes(scale)
    conn = draw_connectivity(scale, seed, p_primary)
    P = PARAMETERS
    neuron_params = {"tau_syn_ex": P["tau_syn_ex"], "tau_syn_in": P["tau_syn_in"]}
    neurons = aeif_cond_alpha_astro.build(n_ex + n_in, name="nest_neurons", **neuron_params)
    exc, inh = neurons[:n_ex], neurons[n_ex:]
    astrocytes = lr_1994_nest.build(n_astro, sic_delay=None if per_synapse_sic else P["d_sic"],
                                    name="nest_astrocytes")
    astrocytes.IP3 = P["IP3_init"]

    excite, ns_ex = aeif_cond_alpha_astro.spike_input("{release}", +1, **neuron_params)
    inhibit, ns_in = aeif_cond_alpha_astro.spike_input("{release}", -1, **neuron_params)
    to_astro, ns_astro = lr_1994_nest.spike_input("{release}")
    noise = b2.PoissonInput(neurons, "dg_ex", N=poisson_n, rate=P["poisson_rate"] / poisson_n,
                            weight=P["w_e"] * ns_ex["g0_ex"])
    ee = tsodyks_2000.build(exc, neurons, excite, weight_unit="siemens", effect_namespace=ns_ex,
                            delay=P["d_e"], tau_psc=P["tau_syn_ex"], name="nest_ee")
    ie = tsodyks_2000.build(inh, neurons, inhibit, weight_unit="siemens", effect_namespace=ns_in,
                            delay=P["d_i"], tau_psc=P["tau_syn_in"], name="nest_ie")
    na = tsodyks_2000.build(exc, astrocytes, to_astro, weight_unit="1", effect_namespace=ns_astro,
                            delay=P["d_e"], tau_psc=P["tau_syn_ex"], name="nest_na")
    an = sic_connection.build(astrocytes, neurons, per_synapse=per_synapse_sic, name="nest_an")
    for syn, (i, j), w in ((ee, ("ee_i", "ee_j"), P["w_e"]), (ie, ("ie_i", "ie_j"), P["w_i"]),
                           (na, ("na_i", "na_a"), P["w_astro"]), (an, ("an_a", "an_j"), P["w_a2n"])):
        syn.connect(i=conn[i], j=conn[j])
        syn.weight = w
    for syn in (ee, ie, na):
        syn.x = 1.0
    ns = {"neurons": neurons, "exc_neurons": exc, "inh_neurons": inh, "astrocytes": astrocytes,
          "noise": noise, "ee": ee, "ie": ie, "na": na, "an": an,
          "spikes": b2.SpikeMonitor(neurons, name="nest_spikes")}
    if record:
        ns["astro_mon"] = b2.StateMonitor(astrocytes, ["IP3", "Ca_astro"], record=np.arange(min(record, n_astro)),
                                          dt=1 * ms, name="nest_astro_mon")
        ns["sic_mon"] = b2.StateMonitor(neurons, "I_SIC", record=np.arange(min(record, n_ex + n_in)),
                                        dt=1 * ms, name="nest_sic_mon")
    ns["n_connections"] = int(sum(len(c) for k, c in conn.items() if k.endswith("_i") or k == "an_a"))
    return ns


def brian_statistics(ns, duration):
    """Network statistics of a finished Brian2/astrosim run (see :func:`nest_statistics`)."""
    n_ex = len(ns["exc_neurons"])
    i = np.asarray(ns["spikes"].i[:])
    astro = ns["astrocytes"]
    stats = _rates(i, n_ex, len(ns["neurons"]), float(duration))
    stats.update(_astro_stats(np.asarray(astro.Ca_astro[:] / umolar), np.asarray(astro.IP3[:] / umolar)))
    if "sic_mon" in ns:
        stats["sic_mean_pA"] = float(np.mean(ns["sic_mon"].I_SIC / pA))
    return stats


def _rates(i, n_ex, n, duration_s):
    count = np.bincount(i, minlength=n)
    return {"rate_exc_Hz": float(count[:n_ex].mean() / duration_s),
            "rate_inh_Hz": float(count[n_ex:].mean() / duration_s),
            "rate_sd_Hz": float(count.std() / duration_s),
            "silent_fraction": float(np.mean(count == 0))}


def _astro_stats(ca, ip3):
    return {"ca_mean_uM": float(ca.mean()), "ca_sd_uM": float(ca.std()),
            "ip3_mean_uM": float(ip3.mean()), "ip3_sd_uM": float(ip3.std()),
            "sic_active_fraction": float(np.mean(ca > float(lr_1994_nest.PARAMETERS["SIC_th"] / umolar) + 1e-3))}


# -- NEST ------------------------------------------------------------------------------------------------
def build_nest_network(nest, scale=0.2, *, seed=100, threads=1, record=50):
    """Build the example in NEST (the caller has reset the kernel and set ``resolution``).

    Follows NEST's script: the same models, parameters and connection rules (``pairwise_bernoulli``,
    ``TripartiteConnect`` with ``third_factor_bernoulli_with_pool``), with ``p_primary`` unscaled.
    Returns a dict of node collections and recorders.
    """
    P = PARAMETERS
    nest.SetKernelStatus({"local_num_threads": threads, "rng_seed": seed})
    n_ex, n_in, n_astro = sizes(scale)
    nprm = {"tau_syn_ex": float(P["tau_syn_ex"] / ms), "tau_syn_in": float(P["tau_syn_in"] / ms)}
    exc = nest.Create("aeif_cond_alpha_astro", n_ex, params=nprm)
    inh = nest.Create("aeif_cond_alpha_astro", n_in, params=nprm)
    astro = nest.Create("astrocyte_lr_1994", n_astro, params={"IP3": float(P["IP3_init"] / umolar)})
    noise = nest.Create("poisson_generator", params={"rate": float(P["poisson_rate"] / Hz)})
    w_e, w_i = float(P["w_e"] / nS), float(P["w_i"] / nS)
    d_e, d_i = float(P["d_e"] / ms), float(P["d_i"] / ms)
    tau_ex, tau_in = nprm["tau_syn_ex"], nprm["tau_syn_in"]
    nest.Connect(noise, exc + inh, syn_spec={"weight": w_e, "delay": float(P["d_poisson"] / ms)})
    primary = {"synapse_model": "tsodyks_synapse", "weight": w_e, "tau_psc": tau_ex, "delay": d_e}
    nest.TripartiteConnect(
        exc, exc + inh, astro,
        conn_spec={"rule": "pairwise_bernoulli", "p": P["p_primary"]},
        third_factor_conn_spec={"rule": "third_factor_bernoulli_with_pool", "p": P["p_third_if_primary"],
                                "pool_size": min(P["pool_size"], n_astro), "pool_type": "random"},
        syn_specs={"primary": primary,
                   "third_in": dict(primary, weight=P["w_astro"]),
                   "third_out": {"synapse_model": "sic_connection", "weight": float(P["w_a2n"] / pA),
                                 "delay": float(P["d_sic"] / ms)}})
    nest.Connect(inh, exc + inh, {"rule": "pairwise_bernoulli", "p": P["p_primary"]},
                 {"synapse_model": "tsodyks_synapse", "weight": w_i, "tau_psc": tau_in, "delay": d_i})
    spikes = nest.Create("spike_recorder")
    nest.Connect(exc + inh, spikes)
    out = {"exc": exc, "inh": inh, "astro": astro, "spikes": spikes}
    if record:
        out["mm_astro"] = nest.Create("multimeter", params={"record_from": ["IP3", "Ca_astro"], "interval": 1.0})
        out["mm_neuron"] = nest.Create("multimeter", params={"record_from": ["I_SIC"], "interval": 1.0})
        nest.Connect(out["mm_astro"], astro[:min(record, n_astro)])
        nest.Connect(out["mm_neuron"], (exc + inh)[:min(record, n_ex + n_in)])
    return out


def nest_statistics(nest, net, duration_s):
    """The statistics of :func:`brian_statistics` from a finished NEST run."""
    exc, inh, astro = net["exc"], net["inh"], net["astro"]
    first = exc[0].global_id
    senders = np.asarray(net["spikes"].events["senders"]) - first
    stats = _rates(senders, len(exc), len(exc) + len(inh), duration_s)
    stats.update(_astro_stats(np.asarray(astro.get("Ca_astro")), np.asarray(astro.get("IP3"))))
    if "mm_neuron" in net:
        stats["sic_mean_pA"] = float(np.mean(net["mm_neuron"].events["I_SIC"]))
    return stats
