"""Bioplausible (circuit) against algorithmic attention: inputs, batched circuit runs, error metrics, sweeps."""
from __future__ import annotations

import numpy as np

from astrosim.attention import reference as ref

from . import mapping
from .circuit import build_circuit, run_circuit, run_trials

__all__ = ["ALGORITHMS", "TIERS", "encode_for", "build_for", "decode_for", "random_inputs", "algorithmic_outputs", "simulate", "simulate_trials", "errors",
           "compare_batch",
           "sweep_time", "sweep_hidden"]

ALGORITHMS = ("astromorphic", "kozachkov", "linear", "softmax")


def random_inputs(batch: int, tokens: int, hidden: int, dim: int, *, seed: int = 0, astro_scale: float = 0.3):
    """Random per-head inputs: q, k (B, N, m), v (B, N, d) standard normal; W_astro (B, m, N)
    from a random projection M (entries N(0, astro_scale^2)) and the 'exp' relative-position matrix."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((batch, tokens, hidden))
    k = rng.standard_normal((batch, tokens, hidden))
    v = rng.standard_normal((batch, tokens, dim))
    M = astro_scale * rng.standard_normal((batch, hidden, tokens))
    w_astro = ref.astro_weights(M, ref.relative_position_matrix(tokens))
    return q, k, v, w_astro


def algorithmic_outputs(q, k, v, w_astro=None, options=None) -> dict:
    """The four algorithmic attention terms (B, N, d), from the shared reference formulas.

    ``astromorphic`` uses ``options`` (the circuit's options, W_astro included when positional);
    ``kozachkov``, ``linear`` and ``softmax`` use the reference defaults.
    """
    options = options or mapping.circuit_options("astromorphic")
    w = w_astro if options.positional else None
    return {
        "astromorphic": ref.astromorphic_attention(q, k, v, w_astro=w, options=options),
        "kozachkov": ref.kozachkov_attention(q, k, v),
        "linear": ref.linear_attention(q, k, v),
        "softmax": ref.softmax_attention(q, k, v),
    }


def simulate(q, k, v, w_astro=None, *, options=None, T: float = 0.1, dt: float = 5e-4, mode: str = "spiking",
             backend: str = "brian2", seed: int | None = None, causal: bool = False, scales=None) -> dict:
    """Encode, build, run and decode one batch of circuits; returns the decoded quantities plus
    ``seconds`` (run time), ``simulated`` (simulated seconds) and the stimulus.

    ``mode`` is the tier: 'rate' (exact), 'spiking' (Poisson cells) or 'biophysical' (LIF neurons,
    spike-timing Hebbian synapses, Li-Rinzel astrocyte); ``causal`` reads each query before the
    next token is written; ``scales`` fixes the gains (:class:`mapping.CircuitScales`).
    """
    import brian2 as b2

    options = options or mapping.circuit_options("astromorphic")
    stim = encode_for(mode, q, k, v, w_astro if options.positional else None, options=options, T=T, dt=dt,
                      causal=causal, scales=scales)
    b2.defaultclock.dt = dt * b2.second
    circuit = build_for(mode, stim)
    state = run_circuit(circuit, backend, seed=seed)
    out = decode_for(mode, state, stim)
    out.update(seconds=state["seconds"], simulated=stim.duration, stimulus=stim, state=state)
    return out


def simulate_trials(q, k, v, w_astro=None, *, trials: int, options=None, T: float = 0.1, dt: float = 5e-4,
                    mode: str = "spiking", seed: int | None = None, causal: bool = False, scales=None) -> list:
    """Like :func:`simulate`, for ``trials`` noise realisations run at once on astrosim's batch axis
    (one compiled run); returns one decoded dict per trial."""
    import brian2 as b2

    options = options or mapping.circuit_options("astromorphic")
    stim = encode_for(mode, q, k, v, w_astro if options.positional else None, options=options, T=T, dt=dt,
                      causal=causal, scales=scales)
    b2.defaultclock.dt = dt * b2.second
    outs = []
    for state in run_trials(build_for(mode, stim), trials, seed=seed):
        out = decode_for(mode, state, stim)
        out.update(seconds=state["seconds"], simulated=stim.duration, stimulus=stim, state=state)
        outs.append(out)
    return outs


TIERS = ("rate", "spiking", "biophysical")


def encode_for(mode, q, k, v, w_astro=None, **kw):
    """The mapping's encoding for tier ``mode`` (the biophysical tier has its own gains)."""
    if mode == "biophysical":
        from . import biophysical

        return biophysical.encode(q, k, v, w_astro, **kw)
    if mode not in ("rate", "spiking"):
        raise ValueError(f"circuit tier must be one of {TIERS}, got {mode!r}")
    return mapping.encode(q, k, v, w_astro, **kw)


def build_for(mode, stim, **kw):
    """The Brian2 circuit of tier ``mode`` for a stimulus."""
    if mode == "biophysical":
        from . import biophysical

        return biophysical.build(stim, **kw)
    return build_circuit(stim, mode, **kw)


def decode_for(mode, state, stim):
    """The mapping's read-out of a run of tier ``mode``."""
    if mode == "biophysical":
        from . import biophysical

        return biophysical.decode(state, stim)
    return mapping.decode(state, stim)


def errors(estimate, target) -> dict:
    """Per-circuit relative error ||a - b|| / ||b|| and cosine similarity over (N, d); arrays of shape (B,)."""
    a = np.asarray(estimate, float).reshape(len(estimate), -1)
    b = np.asarray(target, float).reshape(len(target), -1)
    nb = np.linalg.norm(b, axis=1)
    rel = np.linalg.norm(a - b, axis=1) / np.where(nb > 0, nb, 1.0)
    cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * nb, 1e-300)
    return {"rel_error": rel, "cosine": cos}


def _summary(values):
    values = np.asarray(values, float)
    return {"mean": float(values.mean()), "std": float(values.std()), "n": int(values.size)}


def compare_batch(q, k, v, w_astro=None, *, kinds=("astromorphic", "kozachkov"), T=0.1, dt=5e-4,
                  backend="brian2", seed=0, modes=("rate", "spiking")) -> dict:
    """Run circuits realising each of ``kinds`` in each of ``modes`` and score their outputs against
    the four algorithmic attentions.

    Returns
    -------
    dict ``results[kind][mode]`` with ``L`` (B, N, d), ``seconds``, ``simulated`` and
    ``scores[algorithm] = {'rel_error': summary, 'cosine': summary}``; plus ``algorithmic``.
    """
    results = {"algorithmic": None}
    for kind in kinds:
        options = mapping.circuit_options(kind)
        algo = algorithmic_outputs(q, k, v, w_astro, options if kind == "astromorphic" else None)
        if kind == "astromorphic":
            results["algorithmic"] = algo
        results[kind] = {}
        for mode in modes:
            out = simulate(q, k, v, w_astro, options=options, T=T, dt=dt, mode=mode, backend=backend, seed=seed)
            scores = {}
            for name, target in algo.items():
                e = errors(out["L"], target)
                scores[name] = {key: _summary(val) for key, val in e.items()}
            results[kind][mode] = {"L": out["L"], "seconds": out["seconds"], "simulated": out["simulated"],
                                   "scores": scores, "alpha_fit": _alpha_of(out)}
    if results["algorithmic"] is None:
        results["algorithmic"] = algorithmic_outputs(q, k, v, w_astro)
    return results


def _alpha_of(out):
    """Effective alpha of the run, from the calcium against the store over all processes."""
    try:
        return mapping.fit_alpha(out["state"]["s"], out["state"]["Ca"])
    except ValueError:
        return float("nan")


def sweep_time(q, k, v, w_astro=None, *, times=(0.02, 0.05, 0.1, 0.2, 0.5), kind="astromorphic", dt=5e-4,
               backend="brian2", seed=0, trials=1, progress=None) -> list:
    """Spiking-circuit error against presentation time T per token (and per query).

    With ``backend='astrosim'`` and ``trials > 1`` every T runs ``trials`` noise realisations of
    all circuits at once on the engine's batch axis; statistics are over circuits and trials.

    Returns a list of rows ``{'T', 'simulated', 'seconds', 'rel_error', 'rel_error_std', 'cosine',
    'rel_error_ratio'}`` (error of the circuit output against the algorithmic ``kind``; the ratio
    error is that of the noiseless I/C read-out, without the output cells' spike noise).
    """
    options = mapping.circuit_options(kind)
    target = ref.astromorphic_attention(q, k, v, w_astro=w_astro if options.positional else None, options=options)
    rows = []
    for T in times:
        if backend == "astrosim" and trials > 1:
            outs = simulate_trials(q, k, v, w_astro, trials=trials, options=options, T=T, dt=dt, seed=seed)
        else:
            outs = [simulate(q, k, v, w_astro, options=options, T=T, dt=dt, mode="spiking", backend=backend,
                             seed=seed)]
        e = {key: np.concatenate([errors(o["L"], target)[key] for o in outs]) for key in ("rel_error", "cosine")}
        er = np.concatenate([errors(o["L_ratio"], target)["rel_error"] for o in outs])
        rows.append({"T": T, "simulated": outs[0]["simulated"], "seconds": outs[0]["seconds"], "trials": len(outs),
                     "rel_error": float(e["rel_error"].mean()), "rel_error_std": float(e["rel_error"].std()),
                     "cosine": float(e["cosine"].mean()), "rel_error_ratio": float(er.mean())})
        if progress:
            progress(rows[-1])
    return rows


def sweep_hidden(batch, tokens, dim, *, hiddens=(2, 4, 8, 16), T=0.1, kind="astromorphic", dt=5e-4,
                 backend="brian2", seed=0, progress=None) -> list:
    """Spiking-circuit error against the number of hidden cells m (fresh random inputs per m)."""
    options = mapping.circuit_options(kind)
    rows = []
    for m in hiddens:
        q, k, v, w = random_inputs(batch, tokens, m, dim, seed=seed)
        target = ref.astromorphic_attention(q, k, v, w_astro=w if options.positional else None, options=options)
        out = simulate(q, k, v, w, options=options, T=T, dt=dt, mode="spiking", backend=backend, seed=seed)
        e = errors(out["L"], target)
        rows.append({"m": m, "T": T, "seconds": out["seconds"], "rel_error": float(e["rel_error"].mean()),
                     "rel_error_std": float(e["rel_error"].std()), "cosine": float(e["cosine"].mean())})
        if progress:
            progress(rows[-1])
    return rows


def fit_power(x, y) -> float:
    """Slope of log y against log x (the exponent of a power law y ~ x^p)."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


__all__.append("fit_power")
