"""Circuit attention inside a trained causal language model: perplexity, agreement and generation.

Every astromorphic layer of the model has its per-head attention replaced by circuits (one per
sequence and head) of the chosen tier; a causal layer gets causal circuits (query t is read
before token t + 1 is written). The circuits' gains are calibrated once, before any text is
run, on windows of the training stream (:func:`calibrate_scales`), so nothing about later
tokens reaches earlier positions through them.
"""
from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from . import compare, mapping

__all__ = ["TIERS", "astromorphic_layers", "calibrate_scales", "circuit_attention", "load_lm", "lm_vocab",
           "next_token_logits", "generate", "window_scores", "lm_comparison"]

TIERS = ("algorithmic",) + compare.TIERS


def astromorphic_layers(model):
    """The attention modules of the model's blocks; every one must be astromorphic or kozachkov."""
    from astrosim.models.transformers.attention import AstromorphicAttention

    layers = [block.attn for block in getattr(model, "blocks", [])]
    if not layers:
        raise ValueError("lm_source: the model has no attention blocks")
    for i, attn in enumerate(layers):
        if type(attn) is not AstromorphicAttention:
            raise ValueError(f"lm_source: block {i} has {type(attn).__name__}; the circuit realises "
                             "astromorphic/kozachkov attention only")
    return layers


def _heads(attn, x):
    """q, k, v per (sequence, head) as float64 numpy (B*H, N, hd), and W_astro (B*H, hd, N) or None."""
    import torch

    with torch.no_grad():
        q, k, v = (t.double().cpu().numpy() for t in attn._split(x.float()))
        B, H, N, hd = q.shape
        w = None
        if attn.options.positional:
            w_h = attn.astrocyte_weights(torch.float64).cpu().numpy()[:, :, :N]
            w = np.broadcast_to(w_h[None], (B, H, hd, N)).reshape(B * H, hd, N)
    flat = lambda a: a.reshape(B * H, N, a.shape[-1])  # noqa: E731
    return flat(q), flat(k), flat(v), w, (B, H, N, hd)


def calibrate_scales(model, tokens, *, margin: float = 2.0) -> list:
    """Per layer, the data ranges of the algorithmic model on ``tokens`` (B, N) times ``margin``."""
    import torch

    layers = astromorphic_layers(model)
    scales = [None] * len(layers)
    handles = []
    for i, attn in enumerate(layers):
        def grab(module, args, kwargs, i=i):
            q, k, v, w, _ = _heads(module, args[0])
            scales[i] = mapping.CircuitScales.calibrate(q, k, v, w, module.options, causal=module.causal,
                                                        margin=margin)
        handles.append(attn.register_forward_pre_hook(grab, with_kwargs=True))
    try:
        model.eval()
        with torch.no_grad():
            model(torch.as_tensor(tokens, dtype=torch.long))
    finally:
        for h in handles:
            h.remove()
    return scales


@contextlib.contextmanager
def circuit_attention(model, tier: str, *, scales=None, T: float = 0.05, dt: float = 5e-4,
                      backend: str = "astrosim", seed: int = 0, stats: dict | None = None):
    """Within the block, the model's astromorphic layers compute their heads with circuits of ``tier``.

    ``tier='algorithmic'`` leaves the model as it is. ``stats`` (a dict) collects the simulated and
    wall seconds and the number of circuits run.
    """
    import torch

    if tier not in TIERS:
        raise ValueError(f"circuit tier must be one of {TIERS}, got {tier!r}")
    if tier == "algorithmic":
        yield model
        return
    layers = astromorphic_layers(model)
    scales = scales or [None] * len(layers)
    if len(scales) != len(layers):
        raise ValueError(f"circuit_attention: {len(scales)} scales for {len(layers)} layers")

    def replacement(attn, layer_scales):
        def head_outputs(x, mask=None):
            if mask is not None and not bool(mask.all()):
                raise ValueError("circuit attention: padded positions are not modelled (mask must be all True)")
            q, k, v, w, (B, H, N, hd) = _heads(attn, x)
            t0 = time.perf_counter()
            out = compare.simulate(q, k, v, w, options=attn.options, T=T, dt=dt, mode=tier, backend=backend,
                                   seed=seed, causal=attn.causal, scales=layer_scales)
            if stats is not None:
                stats["wall_s"] = stats.get("wall_s", 0.0) + time.perf_counter() - t0
                stats["simulated_s"] = stats.get("simulated_s", 0.0) + out["simulated"]
                stats["circuits"] = stats.get("circuits", 0) + B * H
            return torch.as_tensor(out["L"].reshape(B, H, N, hd), dtype=torch.float32, device=x.device)
        return head_outputs

    for attn, sc in zip(layers, scales):
        attn.head_outputs = replacement(attn, sc)
    try:
        yield model
    finally:
        for attn in layers:
            del attn.head_outputs


def next_token_logits(model, ids):
    """Logits (vocab,) for the token after ``ids`` (the last ``max_len`` of them)."""
    import torch

    ids = list(ids)[-model.config.max_len:]
    with torch.no_grad():
        return model(torch.as_tensor([ids], dtype=torch.long))[0, -1].float().cpu().numpy()


def generate(model, prompt_ids, n_tokens: int, tier: str = "algorithmic", *, temperature: float = 0.0,
             seed: int = 0, progress=None, **circuit) -> list:
    """Continue ``prompt_ids`` by ``n_tokens`` tokens, greedily (``temperature=0``) or by sampling.

    With a circuit tier every step runs the whole context through causal circuits (the causal
    circuit's state after token t does not depend on later tokens, so re-running the prefix gives
    the same earlier outputs as one continued simulation would).
    """
    if not prompt_ids:
        raise ValueError("generate: the prompt has no tokens")
    model.eval()
    rng = np.random.default_rng(seed)
    ids = list(prompt_ids)
    with circuit_attention(model, tier, seed=seed, **circuit):
        for step in range(int(n_tokens)):
            logits = next_token_logits(model, ids)
            if temperature > 0:
                p = np.exp((logits - logits.max()) / temperature)
                nxt = int(rng.choice(len(p), p=p / p.sum()))
            else:
                nxt = int(np.argmax(logits))
            ids.append(nxt)
            if progress:
                progress(step + 1, n_tokens)
    return ids[len(prompt_ids):]


def window_scores(model, inputs, targets, tier: str = "algorithmic", **circuit) -> dict:
    """Summed NLL, token count and argmax predictions of ``model`` on windows (B, N) with ``tier``."""
    import torch
    import torch.nn.functional as F

    stats = {}
    model.eval()
    with circuit_attention(model, tier, stats=stats, **circuit), torch.no_grad():
        logits = model(torch.as_tensor(inputs, dtype=torch.long)).float()
    tgt = torch.as_tensor(targets, dtype=torch.long)
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="sum")
    return {"nll": float(nll), "tokens": int(tgt.numel()), "pred": logits.argmax(-1).cpu().numpy(), **stats}


def lm_comparison(model, inputs, targets, *, tiers=("rate", "spiking"), scales=None, progress=None,
                  **circuit) -> dict:
    """Perplexity of each tier on the windows, and its next-token agreement with the algorithmic model."""
    rows = {}
    base = None
    for tier in ("algorithmic",) + tuple(t for t in tiers if t != "algorithmic"):
        if progress:
            progress(f"    {tier}: {len(inputs)} windows x {inputs.shape[1]} tokens")
        r = window_scores(model, inputs, targets, tier, scales=scales, **circuit) if tier != "algorithmic" \
            else window_scores(model, inputs, targets)
        if base is None:
            base = r["pred"]
        rows[tier] = {"perplexity": math.exp(r["nll"] / r["tokens"]), "tokens": r["tokens"],
                      "agreement": float((r["pred"] == base).mean()),
                      "wall_s": r.get("wall_s"), "circuits": r.get("circuits"), "simulated_s": r.get("simulated_s")}
        if progress:
            progress(f"    {tier}: perplexity {rows[tier]['perplexity']:.2f}, agreement {rows[tier]['agreement']:.4f}")
    return rows


def load_lm(run_dir):
    """A trained language-model run: config, data, model (CPU, eval mode) and its vocabulary."""
    from astrosim.train.session import load_run

    cfg, data, model, _ = load_run(run_dir, "cpu")
    if cfg.task not in ("sotu", "wikitext2"):
        raise ValueError(f"{run_dir}: a {cfg.task!r} run is not a language model (need sotu or wikitext2)")
    model.eval()
    return cfg, data, model, lm_vocab(cfg, run_dir)


def lm_vocab(cfg, run_dir):
    """The word vocabulary a run was trained with (word-level corpora only)."""
    import json
    from pathlib import Path

    if cfg.data.get("bpe"):
        raise ValueError(f"{run_dir}: BPE-tokenised runs are not supported for text prompts (word-level only)")
    source = json.loads((Path(run_dir) / "config.json").read_text()).get("source")
    if cfg.task == "sotu":
        from astrosim.data.sotu import load_sotu

        return load_sotu(folder=source, min_count=cfg.data.get("min_count", 3))["vocab"]
    from astrosim.data.wikitext import load_wikitext2

    return load_wikitext2(folder=source)["vocab"]
