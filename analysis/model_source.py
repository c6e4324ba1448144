"""Q, K, V from a trained astromorphic text model, and the model's accuracy with circuit attention in place."""
from __future__ import annotations

import numpy as np

from . import mapping
from .compare import errors, simulate

__all__ = ["attention_layer", "capture_heads", "logits_with_heads", "select_examples", "model_comparison"]


def attention_layer(model, layer: int = 0):
    """The attention module of block ``layer``; must be an astromorphic (or kozachkov) layer."""
    from astrosim.models.transformers.attention import AstromorphicAttention

    blocks = getattr(model, "blocks", None)
    if blocks is None or not 0 <= layer < len(blocks):
        raise ValueError(f"model_source: model has no block {layer}")
    attn = blocks[layer].attn
    if not isinstance(attn, AstromorphicAttention) or type(attn).__name__ != "AstromorphicAttention":
        raise ValueError(f"model_source: block {layer} has {type(attn).__name__}; the circuit realises "
                         "astromorphic/kozachkov attention only")
    return attn


def capture_heads(model, tokens, mask, layer: int = 0) -> dict:
    """Per-head q, k, v (B, H, N, hd) at the input of block ``layer``'s attention, float64 numpy,
    plus ``w_astro`` (H, hd, L) or None and the layer's ``options``."""
    import torch

    attn = attention_layer(model, layer)
    seen = {}

    def grab(module, args, kwargs):
        seen["x"] = args[0].detach()

    handle = attn.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        with torch.no_grad():
            model(tokens, mask)
    finally:
        handle.remove()
    with torch.no_grad():
        q, k, v = (t.double().cpu().numpy() for t in attn._split(seen["x"].float()))
        w = attn.astrocyte_weights(torch.float64).cpu().numpy() if attn.options.positional else None
    return {"q": q, "k": k, "v": v, "w_astro": w, "options": attn.options}


def logits_with_heads(model, tokens, mask, heads, layer: int = 0):
    """Model logits with block ``layer``'s per-head attention outputs replaced by ``heads`` (B, H, N, hd)."""
    import torch

    attn = attention_layer(model, layer)
    replacement = torch.as_tensor(np.asarray(heads), dtype=torch.float32, device=tokens.device)

    def fixed(x, mask=None):
        if replacement.shape[0] != x.shape[0] or replacement.shape[2] != x.shape[1]:
            raise ValueError(f"logits_with_heads: replacement {tuple(replacement.shape)} does not fit input "
                             f"{tuple(x.shape)}")
        return replacement

    attn.head_outputs = fixed
    try:
        with torch.no_grad():
            return model(tokens, mask)
    finally:
        del attn.head_outputs


def select_examples(x, y, count: int, length: int, *, pad_id: int = 0):
    """The first ``count`` examples with at least ``length`` real tokens, truncated to ``length``."""
    x, y = np.asarray(x), np.asarray(y)
    real = (x != pad_id).sum(1)
    idx = np.flatnonzero(real >= length)[:count]
    if len(idx) == 0:
        raise ValueError(f"select_examples: no example has {length} real tokens")
    return x[idx, :length], y[idx], idx


def model_comparison(model, tokens, labels, *, T=0.05, dt=5e-4, backend="brian2", modes=("rate", "spiking"),
                     layer=0, seed=0, chunk: int | None = None, progress=None) -> dict:
    """Accuracy of ``model`` on (tokens, labels) with algorithmic attention and with circuit attention.

    Every (example, head) pair is one circuit; the circuits of ``chunk`` examples (default: all)
    run as one batch per tier. The gains are calibrated once on all the examples' heads, so every
    chunk shares one compiled kernel. The biophysical tier runs at ``dt = 1e-4`` when ``dt`` is
    left at 5e-4.

    Returns
    -------
    dict with ``accuracy_algorithmic``, ``accuracy[mode]``, ``agreement[mode]`` (fraction of
    predictions equal to the algorithmic ones), ``head_error[mode]`` (relative error and cosine of
    the per-head outputs), ``examples``, ``tokens``, ``T``, ``seconds[mode]`` (run time summed over
    chunks), ``wall[mode]`` (encode, build, run, read-out) and ``circuits_per_s[mode]``.
    """
    import time

    import torch

    model.eval()
    tokens = torch.as_tensor(tokens, dtype=torch.long)
    labels = np.asarray(labels)
    mask = torch.ones_like(tokens, dtype=torch.bool)
    cap = capture_heads(model, tokens, mask, layer)
    q, k, v = cap["q"], cap["k"], cap["v"]
    B, H, N, hd = q.shape
    w = None if cap["w_astro"] is None else np.broadcast_to(cap["w_astro"][None, :, :, :N], (B, H, hd, N))
    flat = lambda a: None if a is None else a.reshape(a.shape[0] * H, *a.shape[2:])  # noqa: E731
    with torch.no_grad():
        algo_pred = model(tokens, mask).argmax(-1).cpu().numpy()
        algo_heads = mapping.expected_output(flat(q), flat(k), flat(v), flat(w), cap["options"])
    scales = mapping.CircuitScales.calibrate(flat(q), flat(k), flat(v), flat(w), cap["options"])
    chunk = int(chunk or B)
    result = {"examples": int(B), "tokens": int(N), "heads": int(H), "T": T, "chunk": chunk,
              "accuracy_algorithmic": float((algo_pred == labels).mean()),
              "accuracy": {}, "agreement": {}, "head_error": {}, "seconds": {}, "wall": {}, "circuits_per_s": {}}
    for mode in modes:
        mdt = 1e-4 if mode == "biophysical" and dt == 5e-4 else dt
        parts, run_s, t0 = [], 0.0, time.perf_counter()
        for start in range(0, B, chunk):
            sl = slice(start, start + chunk)
            out = simulate(flat(q[sl]), flat(k[sl]), flat(v[sl]), None if w is None else flat(w[sl]),
                           options=cap["options"], T=T, dt=mdt, mode=mode, backend=backend, seed=seed, scales=scales)
            parts.append(out["L"])
            run_s += out["seconds"]
            if progress:
                progress(f"    {mode}: {min(start + chunk, B)}/{B} examples ({time.perf_counter() - t0:.0f} s)")
        wall = time.perf_counter() - t0
        L = np.concatenate(parts)
        heads = L.reshape(B, H, N, hd)
        pred = logits_with_heads(model, tokens, mask, heads, layer).argmax(-1).cpu().numpy()
        e = errors(L, algo_heads)
        result["accuracy"][mode] = float((pred == labels).mean())
        result["agreement"][mode] = float((pred == algo_pred).mean())
        result["head_error"][mode] = {"rel_error": float(e["rel_error"].mean()), "cosine": float(e["cosine"].mean())}
        result["seconds"][mode] = run_s
        result["wall"][mode] = wall
        result["circuits_per_s"][mode] = B * H / wall
    return result
