"""The write/read neuron-astrocyte circuit of the paper (Sec. III.C, Fig. 2) as Brian2 objects.

One circuit per attention head: hidden (presynaptic) layer of ``m`` cells, output layer of ``d``
cells, an astrocyte with one process (microdomain) per hidden cell on the hidden->output
synapses. Many circuits are laid side by side along the neuron index (block ``b`` holds cells
``b*m .. (b+1)*m - 1``), so one Brian2 network simulates a whole batch.

Time is cut into slots of length ``T``: ``N`` write slots (one token each), ``S`` settle slots,
``N`` read slots (one query each), then one closing step. Every cell counts its events in
the current slot (``n``; the rate circuit integrates its rate instead of drawing spikes) and
the counts are reset at the start of each slot, after the slot-end updates have read them.

Write mode
    hidden cell j fires at ``rho_h * phi(k_t)_j``. Each output unit i is a push-pull pair: its ON
    cell fires at ``rho_v * max(v_t,i, 0)`` and its OFF cell at ``rho_v * max(-v_t,i, 0)``, so
    negative values are carried without a tonic rate (and without its Poisson noise). Astrocyte
    process j releases gliotransmitter at ``rho_h * W_astro[j, z]`` where ``z`` is the
    astrocyte's slow state (a calcium wave advancing one unit per token). At each slot end
    the tripartite synapse (j, i) applies the Hebbian rule with the pair's difference as its
    postsynaptic term, ``u_n += eta * n_j * (n_on_i - n_off_i)``,
    ``u_a += eta * na_j * (n_on_i - n_off_i)``, and the process's IP3-like store integrates
    presynaptic activity, ``s_j += kappa * n_j``.
    Calcium follows ``dCa/dt = k_ca (s - Ca**n_pump)`` (influx proportional to the store,
    a cooperative pump of Hill coefficient ``n_pump``): its fixed point is
    ``Ca = s**(1/n_pump)``, the sub-linear trace of Eq. 14 (alpha = 1/n_pump).
Read mode
    hidden cells fire at ``rho_h * phi(q_t)``; the synaptic drive ``I_i = sum_j n_j e_ji``
    (efficacy ``e = sigma(u_n + u_a)`` or ``u_n + u_a``) and the astrocyte's calcium response
    ``C = sum_j n_j Ca_j`` reach the output pair: the ON cell fires at ``rho_o * max(I_i / C, 0)``,
    the OFF cell at ``rho_o * max(-I_i / C, 0)`` (divisive, shunting inhibition by the astrocyte:
    the P = 1/C of Eq. 16). With sigma the drive is positive and OFF cells stay silent.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CircuitStimulus", "Circuit", "build_circuit", "hebbian_rule", "run_circuit", "run_trials", "collect_state", "MODES"]

MODES = ("rate", "spiking")


@dataclass
class CircuitStimulus:
    """Everything a batch of circuits needs: rate tables, gains and constants (SI units, floats).

    Built by :func:`astrosim.analysis.mapping.encode`; see there for the meaning of each gain.
    """

    hidden_rates: np.ndarray  # (slots, B*m) Hz
    output_drive: np.ndarray  # (slots, B*d) Hz, rho_v * max(v, 0) during write slots (ON cells)
    output_drive_off: np.ndarray  # (slots, B*d) Hz, rho_v * max(-v, 0) during write slots (OFF cells)
    astro_release: np.ndarray  # (n_write, B*m), W_astro table (rate = rho_h * value)
    write_gate: np.ndarray  # (slots,)
    read_gate: np.ndarray  # (slots,)
    batch: int
    m: int
    d: int
    n_tokens: int
    settle_slots: int
    T: float  # slot length, s
    dt: float  # integration step, s
    rho_h: float
    rho_o: float
    eta: float
    kappa: float
    k_ca: float
    n_pump: float
    sigma: bool
    causal: bool = False
    running_average: bool = False  # Hebbian traces move 1/count of the way per write (scale 'tokens')
    write_slots: np.ndarray = None  # (N,) slot of each token's write
    read_slots: np.ndarray = None  # (N,) slot of each query's read
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.write_slots is None:  # the non-causal layout: writes, settle slots, reads
            self.write_slots = np.arange(self.n_tokens)
            self.read_slots = self.n_tokens + self.settle_slots + np.arange(self.n_tokens)

    @property
    def slots(self) -> int:
        return self.hidden_rates.shape[0]

    @property
    def duration(self) -> float:
        """Simulated time in seconds, including the closing step that records the last slot."""
        return self.slots * self.T + self.dt


@dataclass
class Circuit:
    """Brian2 objects of a built batch of circuits, and the network holding them."""

    stimulus: CircuitStimulus
    mode: str
    network: object
    hidden: object
    output: object
    astro: object
    synapses: object
    monitors: dict
    namespace: dict


def _hidden_eqs(mode):
    eqs = "rate = hidden_rates(t, i) : Hz\nca : 1\nna : 1\n"
    if mode == "rate":
        return eqs + "dn/dt = rate : 1\n"
    return eqs + "n : 1\n"


def _astro_eqs(mode):
    eqs = ("release = rho_h * astro_release(z * T_slot, i) * write_gate(t) : Hz\n"
           "dz/dt = write_gate(t) / T_slot : 1\n"
           "dCa/dt = k_ca * (s - Ca**n_pump) : 1\n"
           "s : 1\n")
    if mode == "rate":
        return eqs + "dna/dt = release : 1\n"
    return eqs + "na : 1\n"


def _output_eqs(mode):
    drive = ("write_gate(t) * output_drive(t, i) + "
             "read_gate(t) * rho_o * clip(I / (Cn + 1e-300), 0, inf)")
    eqs = "I : 1\nCn : 1\nn_off : 1\n"
    if mode == "rate":
        return eqs + f"rate = {drive} : Hz\ndn/dt = rate : 1\n"
    return eqs + f"rate = {drive} : Hz\nn : 1\n"


def hebbian_rule(running_average: bool) -> str:
    """Slot-end covariance Hebbian rule, gated by the write signal of the slot that just ended.

    With a fixed scale the traces add ``eta * pre * post`` per written token; with
    ``running_average`` (scale 'tokens') each write moves them ``1/count`` of the way to
    ``eta * pre * post``, so after t writes they hold the mean over the t tokens (the learning
    rate falls as 1/count, a metaplastic synapse that counts its own writes).
    """
    # (the first slot start, t = 0, ends no slot: the clipped table lookup would read slot 0's gate)
    gate = "wg = write_gate(t - 0.5*T_slot) * int(t > 0.5*T_slot)\n"
    if not running_average:
        return (gate + "u_n += eta * wg * n_pre * (n_post - n_off_post)\n"
                "u_a += eta * wg * na_pre * (n_post - n_off_post)\n"
                "n_writes += wg")
    return (gate + "n_writes += wg\n"
            "u_n += wg * (eta * n_pre * (n_post - n_off_post) - u_n) / clip(n_writes, 1, inf)\n"
            "u_a += wg * (eta * na_pre * (n_post - n_off_post) - u_a) / clip(n_writes, 1, inf)")


def build_circuit(stim: CircuitStimulus, mode: str = "rate", *, record_counts: bool = True,
                  record_activity: bool = False) -> Circuit:
    """Build the Brian2 objects of ``stim.batch`` circuits in one :class:`brian2.Network`.

    Parameters
    ----------
    stim : CircuitStimulus
    mode : {'rate', 'spiking'}
        ``'rate'``: noiseless rate circuit (cells integrate their rates; deterministic);
        ``'spiking'``: Poisson spikes and Poisson gliotransmitter release events.
    record_counts : bool
        Record the per-slot counts of all layers (needed by the mapping's read-out).
    record_activity : bool
        Also record every spike (spiking mode) and the astrocyte's calcium and slow state at every
        step, as ``monitors['spikes_*']`` and ``monitors['calcium']`` (for plots; memory grows
        with cells x steps).

    Returns
    -------
    Circuit
    """
    import brian2 as b2

    if mode not in MODES:
        raise ValueError(f"build_circuit: mode must be one of {MODES}, got {mode!r}")
    B, m, d, T = stim.batch, stim.m, stim.d, stim.T
    for name, arr, cols in (("hidden_rates", stim.hidden_rates, B * m), ("output_drive", stim.output_drive, B * d),
                            ("output_drive_off", stim.output_drive_off, B * d),
                            ("astro_release", stim.astro_release, B * m)):
        if arr.ndim != 2 or arr.shape[1] != cols or not np.all(np.isfinite(arr)):
            raise ValueError(f"build_circuit: stimulus table {name} must be finite with {cols} columns, "
                             f"got shape {arr.shape}")
    steps = T / stim.dt
    if abs(steps - round(steps)) > 1e-9 or round(steps) < 1:
        raise ValueError(f"build_circuit: slot length T={T} s must be a whole number of steps dt={stim.dt} s")
    ns = {
        "hidden_rates": b2.TimedArray(stim.hidden_rates * b2.Hz, dt=T * b2.second, name="hidden_rates"),
        "output_drive": b2.TimedArray(stim.output_drive * b2.Hz, dt=T * b2.second, name="output_drive"),
        "output_drive_off": b2.TimedArray(stim.output_drive_off * b2.Hz, dt=T * b2.second, name="output_drive_off"),
        "astro_release": b2.TimedArray(stim.astro_release, dt=T * b2.second, name="astro_release"),
        "write_gate": b2.TimedArray(stim.write_gate, dt=T * b2.second, name="write_gate"),
        "read_gate": b2.TimedArray(stim.read_gate, dt=T * b2.second, name="read_gate"),
        "T_slot": T * b2.second, "rho_h": stim.rho_h * b2.Hz,
        "rho_o": stim.rho_o * b2.Hz, "eta": stim.eta,
        "kappa": stim.kappa, "k_ca": stim.k_ca / b2.second, "n_pump": stim.n_pump,
    }
    spiking = mode == "spiking"
    # Schedule within a step: astrocyte (-3), its copy into the hidden cells (-2), hidden (-1),
    # synaptic sums into the output (0), output (1): every sum sees this step's counts.
    kw = dict(threshold="rand() < rate*dt", reset="n += 1") if spiking else {}
    hidden = b2.NeuronGroup(B * m, _hidden_eqs(mode), method="euler", order=-1, name="hidden",
                            namespace=ns, **kw)
    akw = dict(threshold="rand() < release*dt", reset="na += 1") if spiking else {}
    astro = b2.NeuronGroup(B * m, _astro_eqs(mode), method="euler", order=-3, name="astrocyte",
                           namespace=ns, **akw)
    output = b2.NeuronGroup(B * d, _output_eqs(mode), method="euler", order=1, name="output",
                            namespace=ns, **kw)
    off_eqs = ("ratio : 1\nrate = write_gate(t) * output_drive_off(t, i) + read_gate(t) * rho_o * clip(-ratio, 0, inf)"
               " : Hz\n" + ("dn/dt = rate : 1\n" if mode == "rate" else "n : 1\n"))
    output_off = b2.NeuronGroup(B * d, off_eqs, method="euler", order=2, name="output_off", namespace=ns, **kw)
    efficacy = "1 / (1 + exp(-(u_n + u_a)))" if stim.sigma else "u_n + u_a"
    syn = b2.Synapses(hidden, output, f"""u_n : 1
                      u_a : 1
                      n_writes : 1
                      eff = {efficacy} : 1
                      I_post = n_pre * eff : 1 (summed)
                      Cn_post = n_pre * ca_pre : 1 (summed)""", name="tripartite", namespace=ns)
    pre = np.repeat(np.arange(B * m).reshape(B, m), d, axis=1).ravel()
    post = np.tile(np.arange(B * d).reshape(B, 1, d), (1, m, 1)).ravel()
    syn.connect(i=pre, j=post)
    syn.run_regularly(hebbian_rule(stim.running_average), dt=T * b2.second, when="start", order=0, name="hebbian")
    to_astro = b2.Synapses(hidden, astro, name="presyn_to_astro", namespace=ns)
    to_astro.connect(j="i")
    to_astro.run_regularly("s_post += kappa * write_gate(t - 0.5*T_slot) * n_pre", dt=T * b2.second,
                           when="start", order=0, name="ip3_store")
    from_astro = b2.Synapses(astro, hidden, "ca_post = Ca_pre : 1 (summed)", name="astro_to_terminal",
                             namespace=ns)
    from_astro.connect(j="i")
    # Slot-end copies (before the Hebbian update reads them): the process's release count to its
    # terminal, the OFF cell's count to its ON partner.
    from_astro.run_regularly("na_post = na_pre", dt=T * b2.second, when="start", order=-1, name="release_copy")
    pair = b2.Synapses(output_off, output, name="push_pull_pair", namespace=ns)
    pair.connect(j="i")
    # Read mode: the OFF cell carries the negative part of its partner's divisive drive.
    pair_read = b2.Synapses(output, output_off, "ratio_post = I_pre / (Cn_pre + 1e-300) : 1 (summed)",
                            name="push_pull_read", namespace=ns)
    pair_read.connect(j="i")
    pair.run_regularly("n_off_post = n_pre", dt=T * b2.second, when="start", order=-1, name="pair_copy")
    resets = [g.run_regularly(f"{v} = 0", dt=T * b2.second, when="start", order=1, name=f"{g.name}_slot_reset")
              for g, v in ((hidden, "n"), (output, "n"), (output_off, "n"), (astro, "na"))]
    monitors = {}
    if record_counts:
        kwm = dict(record=True, dt=T * b2.second, when="start", order=0)
        monitors = {
            "hidden": b2.StateMonitor(hidden, "n", name="hidden_counts", **kwm),
            "astro": b2.StateMonitor(astro, ["na", "Ca", "s"], name="astro_counts", **kwm),
            "output": b2.StateMonitor(output, ["n", "I", "Cn"], name="output_counts", **kwm),
            "output_off": b2.StateMonitor(output_off, "n", name="output_off_counts", **kwm),
        }
    if record_activity:
        monitors["calcium"] = b2.StateMonitor(astro, ["Ca", "s", "z"], record=True, name="calcium_trace")
        if spiking:
            for key, group in (("hidden", hidden), ("output", output), ("output_off", output_off),
                               ("release", astro)):
                monitors[f"spikes_{key}"] = b2.SpikeMonitor(group, name=f"{group.name}_spikes")
    net = b2.Network(hidden, astro, output, output_off, syn, to_astro, from_astro, pair, pair_read, *resets,
                     *monitors.values())
    return Circuit(stim, mode, net, hidden, output, astro, syn, monitors, ns)


def run_circuit(circuit: Circuit, backend: str = "brian2", *, seed: int | None = None, report=None) -> dict:
    """Run a built circuit for its whole protocol and return its raw state (numpy, SI).

    Parameters
    ----------
    circuit : Circuit
    backend : {'brian2', 'astrosim'}
        Brian2's own runtime, or astrosim's compiled engine (``astrosim.Simulator``).
    seed : int, optional
        Random seed (spiking mode).

    Returns
    -------
    dict with per-slot counts ``hidden_n`` (slots, B*m), ``astro_na``, ``astro_Ca``, ``astro_s``,
    ``output_n``, ``output_off_n`` (slots, B*d), ``output_I``, ``output_Cn``, and final ``u_n``, ``u_a`` (B, m, d),
    ``Ca``, ``s`` (B, m); ``seconds`` (wall time of the run, compilation included) and ``timings``
    (the engine's ``prepare``/``compile``/``run`` split; empty for Brian2).
    """
    import time

    import brian2 as b2

    stim = circuit.stimulus
    duration = stim.duration * b2.second
    t0 = time.perf_counter()
    timings = {}
    if backend == "brian2":
        if seed is not None:
            b2.seed(seed)
        circuit.network.run(duration, report=report)
    elif backend == "astrosim":
        import astrosim

        sim = astrosim.Simulator(circuit.network, seed=seed)
        sim.run(duration, report=report)
        timings = dict(getattr(sim, "timings", {}) or {})
    else:
        raise ValueError(f"run_circuit: backend must be 'brian2' or 'astrosim', got {backend!r}")
    seconds = time.perf_counter() - t0
    state = collect_state(circuit, seconds)
    state["timings"] = timings
    return state


def run_trials(circuit: Circuit, trials: int, *, seed: int | None = None) -> list:
    """Run ``trials`` independent noise realisations of a built (spiking) circuit in one engine
    run, on astrosim's batch axis (``Simulator(net, batch=trials)``).

    Returns a list of ``trials`` state dicts as :func:`run_circuit` gives; ``seconds`` and
    ``timings`` (of the one shared run) are repeated in each.
    """
    import time

    import astrosim
    import brian2 as b2

    sim = astrosim.Simulator(circuit.network, batch=int(trials), seed=seed)
    t0 = time.perf_counter()
    sim.run(circuit.stimulus.duration * b2.second)
    seconds = time.perf_counter() - t0
    data = {key: sim.monitor_data(mon) for key, mon in circuit.monitors.items()}
    finals = {name: np.asarray(sim.get_states(obj, name)) for name, obj in
              (("u_n", circuit.synapses), ("u_a", circuit.synapses), ("Ca", circuit.astro), ("s", circuit.astro))}
    states = []
    for b in range(int(trials)):
        rows = {f"{key}.{var}": np.asarray(values[var][b]) for key, values in data.items()
                for var in values if var != "t"}
        state = collect_state(circuit, seconds, rows=rows, finals={k: v[b] for k, v in finals.items()})
        state["timings"] = dict(getattr(sim, "timings", {}) or {})
        states.append(state)
    return states


def collect_state(circuit: Circuit, seconds: float = float("nan"), *, rows: dict | None = None,
                  finals: dict | None = None) -> dict:
    """Read the circuit's monitors and final synaptic/astrocytic state into numpy arrays.

    ``rows`` (``'monitor.var'`` -> (k, n) arrays) and ``finals`` (name -> flat array) replace the
    Brian2 objects' own values (used for one copy of a batched engine run).
    """
    stim = circuit.stimulus
    B, m, d = stim.batch, stim.m, stim.d
    mon = circuit.monitors
    slots = stim.slots

    def rec(key, var):
        values = rows[f"{key}.{var}"] if rows is not None else np.asarray(getattr(mon[key], var)).T
        return values[1:slots + 1]  # monitor row k (t = k T) holds the counts of slot k - 1

    state = {
        "hidden_n": rec("hidden", "n"), "astro_na": rec("astro", "na"), "astro_Ca": rec("astro", "Ca"),
        "astro_s": rec("astro", "s"), "output_n": rec("output", "n"), "output_off_n": rec("output_off", "n"),
        "output_I": rec("output", "I"), "output_Cn": rec("output", "Cn"),
    }
    for key, value in state.items():
        if value.shape[0] != slots:
            raise RuntimeError(f"collect_state: monitor for {key} has {value.shape[0]} slot rows, expected {slots}")
    syn = circuit.synapses
    order = np.lexsort((np.asarray(syn.j[:]), np.asarray(syn.i[:])))
    final = finals if finals is not None else {"u_n": syn.u_n[:], "u_a": syn.u_a[:], "Ca": circuit.astro.Ca[:],
                                               "s": circuit.astro.s[:]}
    state["u_n"] = np.asarray(final["u_n"]).ravel()[order].reshape(B, m, d)
    state["u_a"] = np.asarray(final["u_a"]).ravel()[order].reshape(B, m, d)
    state["Ca"] = np.asarray(final["Ca"]).ravel().reshape(B, m)
    state["s"] = np.asarray(final["s"]).ravel().reshape(B, m)
    state["seconds"] = seconds
    return state
