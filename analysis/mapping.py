"""Mapping layer: algorithmic Q, K, V -> circuit stimulation, and circuit state -> the paper's H, g, C, L.

The encoding (:func:`encode`) and read-out (:func:`decode`) are exact inverses of the circuit's
gains, so that on the noiseless rate circuit ``decode(run(encode(q, k, v)))`` reproduces the
reference formulas of :mod:`astrosim.attention.reference` to float precision.

Code, per circuit (one head; ``m`` key features = hidden cells, ``d`` value features = output cells):

========================  =====================================================================
quantity                  circuit
========================  =====================================================================
phi(k_t)_j                hidden cell j's count in write slot t / (rho_h T)
v_t,i                     (ON minus OFF count of output pair i in write slot t) / (rho_v T)
W_astro[j, t]             astrocyte process j's release count in write slot t / (rho_h T)
H_neuron, H_astro         synaptic traces u_n, u_a (learning rate eta = 1 / (m_in rho_h rho_v T^2))
H                         synaptic efficacy sigma(u_n + u_a) (or u_n + u_a without sigma)
sum_t phi(k_t)            astrocyte process IP3-like store s_j (kappa = 1 / (rho_h T))
g_j                       astrocyte process calcium Ca_j at its fixed point s_j ** (1 / n_pump)
C_t = phi(q_t) . g        astrocyte response in read slot t: sum_j n_j Ca_j / (rho_h T)
L_t,i                     (ON minus OFF count of output pair i in read slot t) / (rho_o T m_out)
========================  =====================================================================
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from astrosim.attention import reference as ref
from astrosim.attention.options import AstromorphicOptions, astromorphic_options

from .circuit import CircuitStimulus

__all__ = ["CircuitGains", "CircuitScales", "encode", "decode", "circuit_options", "expected_output", "fit_alpha"]


class CircuitGains:
    """Default gains of the rate code (Hz per unit, maximum rates)."""

    rho_h = 100.0  # hidden rate per unit of phi, Hz
    v_max_rate = 100.0  # rate of an output ON/OFF cell at the largest |v| in write mode, Hz
    out_max_rate = 200.0  # largest output rate in read mode, Hz
    settle_efolds = 40.0  # relaxation e-folds of the slowest calcium process before reading


def circuit_options(kind: str, **overrides) -> AstromorphicOptions:
    """Options the circuit realises for ``kind`` ('astromorphic' or 'kozachkov').

    The circuit's Hebbian store is divided by the number of tokens (``scale='tokens'``), as in
    the reference default; the 'kozachkov' circuit is the linear one (alpha = 1, no sigma, no
    positional term), which equals linear attention.
    """
    return astromorphic_options(kind, **overrides)


def _check_inputs(q, k, v, w_astro, options):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    if q.ndim != 3 or k.shape != q.shape or v.ndim != 3 or v.shape[:2] != q.shape[:2]:
        raise ValueError(f"encode: q, k must be (B, N, m) and v (B, N, d); got q {q.shape}, k {k.shape}, v {v.shape}")
    for name, a in (("q", q), ("k", k), ("v", v)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"encode: {name} contains NaN or inf")
    if options.alpha_placement != "total":
        raise NotImplementedError("encode: the circuit realises alpha on the total (one calcium store per process); "
                                  f"alpha_placement={options.alpha_placement!r} is not supported")
    if options.positional:
        if w_astro is None:
            raise ValueError("encode: options.positional is True but no w_astro was given")
        w_astro = np.broadcast_to(np.asarray(w_astro, dtype=np.float64), (q.shape[0], q.shape[2], q.shape[1]))
        if np.any(w_astro < 0):
            raise ValueError("encode: w_astro must be non-negative (it is a release rate)")
    return q, k, v, w_astro


def _scales(n_tokens, options):
    m = float(n_tokens) if options.scale == "tokens" else float(options.scale)
    return (m, 1.0) if options.scale_placement == "inside" else (1.0, m)


def expected_output(q, k, v, w_astro=None, options: AstromorphicOptions | None = None, *,
                    causal: bool = False) -> np.ndarray:
    """The reference attention term the circuit is built to compute, (B, N, d)."""
    options = options or AstromorphicOptions()
    return ref.astromorphic_attention(np.asarray(q, float), np.asarray(k, float), np.asarray(v, float),
                                      w_astro=None if w_astro is None else np.asarray(w_astro, float),
                                      causal=causal, options=options)


@dataclass(frozen=True)
class CircuitScales:
    """The data ranges that set a circuit's gains: largest |v|, largest |I/C| and largest key store.

    In causal use the gains must be fixed before the sequence arrives (a gain chosen from the whole
    sequence would let later tokens change how earlier ones are coded): calibrate them once on other
    data (:meth:`calibrate`) and pass them to :func:`encode`.
    """

    v_max: float
    out_max: float
    store_max: float

    @classmethod
    def calibrate(cls, q, k, v, w_astro=None, options: AstromorphicOptions | None = None, *,
                  causal: bool = False, margin: float = 1.0) -> "CircuitScales":
        """Ranges of the given inputs (times ``margin``)."""
        options = options or AstromorphicOptions()
        q, k, v, w_astro = _check_inputs(q, k, v, w_astro, options)
        ratio = expected_output(q, k, v, w_astro, options, causal=causal) * _out_scales(q.shape[1], options, causal)
        store = ref.feature_map(k).sum(axis=1)
        return cls(v_max=margin * max(float(np.abs(v).max()), 1e-12),
                   out_max=margin * max(float(np.abs(ratio).max()), 1e-12),
                   store_max=margin * max(float(store.max()), 1e-12))


def _out_scales(n_tokens, options, causal):
    """m outside the sigmoid per query, (N, 1): the count of visible tokens for scale='tokens'."""
    m_in, m_out = _scales(n_tokens, options)
    if causal and options.scale == "tokens" and options.scale_placement == "outside":
        return np.arange(1, n_tokens + 1, dtype=np.float64)[:, None]
    return np.full((n_tokens, 1), m_out)


def _slot_layout(N, settle, causal):
    """Slot indices of each token's write and each query's read, and the total number of slots.

    Non-causal: N write slots, ``settle`` (an int) settle slots, N read slots. Causal: per token
    a write slot, ``settle[t]`` settle slots and the read slot of query t, so query t is read
    before token t + 1 is written.
    """
    if not causal:
        writes = np.arange(N)
        reads = N + int(settle) + np.arange(N)
        return writes, reads, 2 * N + int(settle)
    writes, reads, pos = np.zeros(N, int), np.zeros(N, int), 0
    for t in range(N):
        writes[t] = pos
        reads[t] = pos + 1 + int(settle[t])
        pos = reads[t] + 1
    return writes, reads, pos


def encode(q, k, v, w_astro=None, *, options: AstromorphicOptions | None = None, T: float = 0.1,
           dt: float = 1e-4, gains: type = CircuitGains, causal: bool = False,
           scales: CircuitScales | None = None) -> CircuitStimulus:
    """Turn algorithmic Q, K, V (and W_astro) into the stimulation of a batch of circuits.

    Parameters
    ----------
    q, k : array, shape (B, N, m)
        Queries and keys of B heads/examples (m = hidden cells per circuit).
    v : array, shape (B, N, d)
    w_astro : array, shape (B, m, N) or (m, N), optional
        Astrocyte weights (:func:`astrosim.attention.reference.astro_weights`).
    options : AstromorphicOptions
        Which attention the circuit realises (sigma, alpha, scale, positional term).
    T : float
        Presentation time per token (and per query), seconds.
    dt : float
        Integration step, seconds.
    causal : bool
        Read query t right after writing token t (and letting the calcium settle), before token
        t + 1 arrives: the circuit then computes causal (prefix) attention.
    scales : CircuitScales, optional
        Fixed data ranges for the gains; by default they are taken from these inputs (which in
        causal use makes the gains, though not the computation, depend on later tokens).

    Returns
    -------
    CircuitStimulus
    """
    options = options or AstromorphicOptions()
    q, k, v, w_astro = _check_inputs(q, k, v, w_astro, options)
    steps = round(T / dt)
    if steps < 1 or abs(T / dt - steps) > 1e-9:
        raise ValueError(f"encode: T={T} s must be a positive whole number of steps dt={dt} s")
    B, N, m = q.shape
    d = v.shape[2]
    scales = scales or CircuitScales.calibrate(q, k, v, w_astro, options, causal=causal)
    m_in, _ = _scales(N, options)
    m_out_q = _out_scales(N, options, causal)[:, 0]
    phi_k, phi_q = ref.feature_map(k), ref.feature_map(q)
    rho_h = gains.rho_h
    rho_v = gains.v_max_rate / scales.v_max
    n_pump = 1.0 / options.alpha
    # Calcium kinetics: the process with the largest store relaxes in two steps; each settle period
    # lasts until the slowest process has done settle_efolds e-folds (calcium at its fixed point to
    # float precision). Causal: the slowest process after token t is the one with the smallest
    # store so far, so the settle time after each token depends only on tokens <= t.
    k_ca = 0.5 / (dt * n_pump * scales.store_max ** (options.alpha * (n_pump - 1.0)))

    def settle_slots(store_min):
        lam_min = k_ca * n_pump * max(store_min, 1e-300) ** (options.alpha * (n_pump - 1.0))
        return int(math.ceil(gains.settle_efolds / lam_min / T))

    if causal:
        prefix_min = np.cumsum(phi_k, axis=1).min(axis=(0, 2))  # (N,)
        settle = [settle_slots(s) for s in prefix_min]
    else:
        settle = settle_slots(float(phi_k.sum(axis=1).min()))
    writes, reads, slots = _slot_layout(N, settle, causal)
    hidden, drive, drive_off, release, write_gate, read_gate = _slot_tables(
        phi_k, phi_q, v, w_astro, options, rho_h, rho_v, writes, reads, slots)
    # Read gain: the largest |I/C| the circuit will produce sets the output's modulation depth.
    rho_o = gains.out_max_rate / scales.out_max
    # Hebbian learning rate: 'tokens' inside the sigmoid is a running average (each write moves the
    # trace by 1/count of the way), a fixed scale a fixed rate.
    average = options.scale == "tokens" and options.scale_placement == "inside"
    eta = 1.0 / (rho_h * rho_v * T * T) / (1.0 if average else m_in)
    return CircuitStimulus(
        hidden_rates=hidden, output_drive=drive, output_drive_off=drive_off, astro_release=release, write_gate=write_gate,
        read_gate=read_gate, batch=B, m=m, d=d, n_tokens=N, settle_slots=int(np.sum(settle)), T=T, dt=dt,
        rho_h=rho_h, rho_o=rho_o, eta=eta, kappa=1.0 / (rho_h * T), k_ca=k_ca, n_pump=n_pump, sigma=options.sigma,
        causal=causal, running_average=average, write_slots=writes, read_slots=reads,
        info=dict(rho_v=rho_v, m_in=m_in, m_out=m_out_q, options=options.as_dict(), scales=asdict(scales)))


def _slot_tables(phi_k, phi_q, v, w_astro, options, rho_h, rho_v, writes, reads, slots):
    """Per-slot input tables of a circuit: hidden rates, output drives (on/off), release, gates.

    Key features drive the hidden cells in write slots and query features in read slots (rate
    ``rho_h`` per unit), values drive the output cells' two signed populations in write slots
    (``rho_v``), and the positional release is one row per token.
    """
    B, N, m = phi_k.shape
    d = v.shape[2]
    hidden = np.zeros((slots, B * m))
    hidden[writes] = rho_h * phi_k.transpose(1, 0, 2).reshape(N, B * m)
    hidden[reads] = rho_h * phi_q.transpose(1, 0, 2).reshape(N, B * m)
    drive, drive_off = np.zeros((slots, B * d)), np.zeros((slots, B * d))
    v_rows = rho_v * v.transpose(1, 0, 2).reshape(N, B * d)
    drive[writes], drive_off[writes] = np.maximum(v_rows, 0.0), np.maximum(-v_rows, 0.0)
    release = np.zeros((N, B * m))
    if options.positional:
        release[:] = w_astro[..., :N].transpose(2, 0, 1).reshape(N, B * m)
    write_gate, read_gate = np.zeros(slots), np.zeros(slots)
    write_gate[writes], read_gate[reads] = 1.0, 1.0
    return hidden, drive, drive_off, release, write_gate, read_gate


def decode(state: dict, stim: CircuitStimulus) -> dict:
    """Read the paper's quantities out of a run circuit's state.

    Returns
    -------
    dict of float64 arrays: ``phi_k`` (B, N, m), ``v`` (B, N, d), ``w_astro`` (B, m, N) read from
    write-mode counts; ``H_neuron``, ``H_astro``, ``H`` (B, m, d) from the synapses; ``g`` (B, m)
    from calcium; ``phi_q`` (B, N, m), ``C`` (B, N), ``P`` (B, N) and ``L`` (B, N, d) from read mode;
    ``L_ratio`` (B, N, d) = I/C from the synaptic sums (no output noise).
    """
    B, N, m, d, T = stim.batch, stim.n_tokens, stim.m, stim.d, stim.T
    info = stim.info
    writes, reads = stim.write_slots, stim.read_slots
    m_out = np.asarray(info["m_out"], dtype=np.float64).reshape(1, N, 1)

    def per_circuit(rows, width):
        return rows.reshape(rows.shape[0], B, width).transpose(1, 0, 2)

    out = {
        "phi_k": per_circuit(state["hidden_n"][writes], m) / (stim.rho_h * T),
        "v": per_circuit(state["output_n"][writes] - state["output_off_n"][writes], d) / (info["rho_v"] * T),
        "w_astro": per_circuit(state["astro_na"][writes], m).transpose(0, 2, 1) / (stim.rho_h * T),
        "H_neuron": state["u_n"].copy(),
        "H_astro": state["u_a"].copy(),
        "g": state["Ca"].copy(),
        "phi_q": per_circuit(state["hidden_n"][reads], m) / (stim.rho_h * T),
    }
    total = out["H_neuron"] + out["H_astro"]
    out["H"] = 1.0 / (1.0 + np.exp(-total)) if stim.sigma else total
    cn = per_circuit(state["output_Cn"][reads], d)
    out["C"] = cn[..., 0] / (stim.rho_h * T)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["P"] = np.where(out["C"] > 0, 1.0 / (m_out[..., 0] * out["C"]), 0.0)
        out["L_ratio"] = np.where(cn > 0, per_circuit(state["output_I"][reads], d) / cn, 0.0) / m_out
    diff = per_circuit(state["output_n"][reads] - state["output_off_n"][reads], d)
    out["L"] = diff / (stim.rho_o * T * m_out)
    return out


def fit_alpha(store, calcium) -> float:
    """Effective sub-linear exponent: slope of log Ca against log s (least squares)."""
    s, c = np.asarray(store, float).ravel(), np.asarray(calcium, float).ravel()
    ok = (s > 0) & (c > 0)
    if ok.sum() < 2 or np.ptp(np.log(s[ok])) == 0:
        raise ValueError("fit_alpha: need at least two distinct positive store values")
    return float(np.polyfit(np.log(s[ok]), np.log(c[ok]), 1)[0])
