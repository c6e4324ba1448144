"""Q, K, V from a trained astromorphic text model, and the model's accuracy with circuit attention in place."""
from __future__ import annotations

import numpy as np

from . import mapping
from .compare import errors, simulate

__all__ = ["attention_layer", "capture_heads", "logits_with_heads", "select_examples", "model_comparison",
           "chunked_comparison", "summarize_chunks", "wilson_interval"]


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



def _all_valid(tokens):
    """The all-valid attention mask of a token batch."""
    import torch

    return torch.ones_like(tokens, dtype=torch.bool)


def _algorithmic_side(model, tokens, labels, layer):
    """What every comparison needs first: the captured heads of ``layer``, the model's own
    predictions and head outputs, and the circuit scales calibrated on them."""
    import torch

    model.eval()
    tokens = torch.as_tensor(tokens, dtype=torch.long)
    labels = np.asarray(labels)
    mask = _all_valid(tokens)
    cap = capture_heads(model, tokens, mask, layer)
    q, k, v = cap["q"], cap["k"], cap["v"]
    B, H, N, hd = q.shape
    w = None if cap["w_astro"] is None else np.broadcast_to(cap["w_astro"][None, :, :, :N], (B, H, hd, N))

    def flat(a):
        return None if a is None else a.reshape(a.shape[0] * H, *a.shape[2:])

    with torch.no_grad():
        algo_pred = model(tokens, mask).argmax(-1).cpu().numpy()
        algo_heads = mapping.expected_output(flat(q), flat(k), flat(v), flat(w), cap["options"])
    scales = mapping.CircuitScales.calibrate(flat(q), flat(k), flat(v), flat(w), cap["options"])
    return tokens, labels, cap, q, k, v, w, flat, algo_pred, algo_heads, scales

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

    (tokens, labels, cap, q, k, v, w, flat, algo_pred, algo_heads,
     scales) = _algorithmic_side(model, tokens, labels, layer)
    mask = _all_valid(tokens)
    B, H, N, hd = q.shape
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


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple:
    """95 % (``z`` = 1.96) Wilson score interval of a proportion ``successes / n``."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (float(centre - half), float(centre + half))


def chunked_comparison(model, tokens, labels, path, *, mode: str, T: float = 0.02, dt: float | None = None,
                       chunk: int = 50, backend: str = "astrosim", layer: int = 0, seed: int = 0,
                       max_seconds: float | None = None, shard: tuple = (0, 1), reverse: bool = False, meta: dict | None = None,
                       progress=None) -> dict:
    """Like :func:`model_comparison` for one tier, resumable: each chunk's results go to ``path``.

    ``path`` is a JSON-lines file: a header (the run's settings) and one line per finished chunk of
    ``chunk`` examples (predictions, labels, per-circuit errors, times). A rerun with the same
    settings skips the chunks already in the file and continues; other settings are refused (the
    file is never overwritten). ``shard=(i, n)`` runs only chunks ``i, i + n, ...``, so ``n``
    processes can share one file (each line is appended with one write); before each chunk the
    file is read again, so chunks finished by another process are skipped. ``reverse`` runs the
    chunks last first (a helper process started later meets the first one in the middle). No new chunk starts after ``max_seconds`` (at least one runs per call). The gains are calibrated
    on all ``tokens`` whether or not every chunk runs, so each chunk is the circuit of the full run.

    Returns :func:`summarize_chunks` of the file.
    """
    import hashlib
    import json
    import os
    import time
    from pathlib import Path

    from . import compare

    if mode not in compare.TIERS:
        raise ValueError(f"chunked_comparison: mode must be one of {compare.TIERS}, got {mode!r}")
    dt = dt if dt is not None else (1e-4 if mode == "biophysical" else 5e-4)
    path = Path(path)
    (tokens, labels, cap, q, k, v, w, flat, algo_pred, algo_heads,
     scales) = _algorithmic_side(model, tokens, labels, layer)
    mask = _all_valid(tokens)
    B, H, N, hd = q.shape
    header = {"kind": "header", "mode": mode, "T": T, "dt": dt, "chunk": int(chunk), "examples": int(B),
              "tokens": int(N), "heads": int(H), "seed": int(seed), "backend": backend,
              "inputs_sha1": hashlib.sha1(tokens.numpy().tobytes() + labels.tobytes()).hexdigest(),
              "scales": vars(scales).copy(), **(meta or {})}
    done = set()
    if path.exists():
        lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        if not lines or lines[0].get("kind") != "header":
            raise ValueError(f"chunked_comparison: {path} exists and is not a chunk file of this benchmark")
        old = lines[0]
        differ = [key for key in header if key not in ("scales",) and old.get(key) != header[key]]
        if differ:
            raise ValueError(f"chunked_comparison: {path} holds a run with other settings ({', '.join(differ)}); "
                             "use another file")
        done = {rec["start"] for rec in lines[1:]}
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(header) + "\n")
    t_begin, ran = time.perf_counter(), 0
    shard_i, shard_n = (int(x) for x in shard)
    if not 0 <= shard_i < shard_n:
        raise ValueError(f"chunked_comparison: shard must be (i, n) with 0 <= i < n, got {shard}")
    starts = list(range(0, B, chunk))
    for start in (starts[::-1] if reverse else starts):
        if (start // chunk) % shard_n != shard_i:
            continue
        done |= _finished_starts(path)  # chunks other processes finished meanwhile
        if start in done:
            continue
        if ran and max_seconds is not None and time.perf_counter() - t_begin > max_seconds:
            if progress:
                progress(f"    {mode}: time budget used; {len(done)} chunk(s) in {path}, rerun to continue")
            break
        sl = slice(start, min(start + chunk, B))
        t0 = time.perf_counter()
        out = compare.simulate(flat(q[sl]), flat(k[sl]), flat(v[sl]), None if w is None else flat(w[sl]),
                               options=cap["options"], T=T, dt=dt, mode=mode, backend=backend, seed=seed + start,
                               scales=scales)
        heads = out["L"].reshape(-1, H, N, hd)
        pred = logits_with_heads(model, tokens[sl], mask[sl], heads, layer).argmax(-1).cpu().numpy()
        wall = time.perf_counter() - t0
        e = errors(out["L"], algo_heads[sl.start * H: sl.stop * H])
        rec = {"kind": "chunk", "start": sl.start, "stop": sl.stop, "pred": pred.tolist(),
               "algo_pred": algo_pred[sl].tolist(), "labels": labels[sl].tolist(),
               "rel_error": e["rel_error"].tolist(), "cosine": e["cosine"].tolist(), "circuits": int(heads.shape[0] * H),
               "wall_s": wall, "run_s": out["seconds"], "timings": out["state"].get("timings", {})}
        with open(path, "a") as f:
            f.write(json.dumps(rec) + "\n")  # one write per line: processes sharing the file do not interleave
            f.flush()
            os.fsync(f.fileno())
        done.add(sl.start)
        ran += 1
        if progress:
            progress(f"    {mode}: reviews {sl.start}-{sl.stop - 1} done ({len(done) * chunk}/{B}), "
                     f"{wall:.0f} s, agreement so far in this chunk {float((pred == algo_pred[sl]).mean()):.3f}")
    return summarize_chunks(path)


def _finished_starts(path) -> set:
    """First example of every chunk recorded in a chunk file (a line still being written is skipped)."""
    import json

    starts = set()
    for line in path.read_text().splitlines()[1:]:
        try:
            starts.add(json.loads(line)["start"])
        except (ValueError, KeyError):
            continue
    return starts


def summarize_chunks(path) -> dict:
    """Accuracy, agreement (with 95 % Wilson intervals), head errors and circuits/s of a chunk file."""
    import json
    from pathlib import Path

    lines = [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
    header = lines[0]
    recs = sorted({r["start"]: r for r in lines[1:]}.values(), key=lambda r: r["start"])  # a chunk counts once
    cat = lambda key: np.concatenate([np.asarray(r[key]) for r in recs]) if recs else np.zeros(0)  # noqa: E731
    pred, algo, lab = cat("pred"), cat("algo_pred"), cat("labels")
    n = int(pred.size)
    circuits = sum(r["circuits"] for r in recs)
    wall = sum(r["wall_s"] for r in recs)
    correct, same, algo_correct = int((pred == lab).sum()), int((pred == algo).sum()), int((algo == lab).sum())
    return {
        "mode": header["mode"], "T": header["T"], "dt": header["dt"], "tokens": header["tokens"],
        "examples_planned": header["examples"], "examples_run": n, "chunks_run": len(recs),
        "accuracy": correct / n if n else float("nan"), "accuracy_ci95": wilson_interval(correct, n),
        "accuracy_algorithmic_same_examples": algo_correct / n if n else float("nan"),
        "accuracy_algorithmic_ci95": wilson_interval(algo_correct, n),
        "agreement": same / n if n else float("nan"), "agreement_ci95": wilson_interval(same, n),
        "head_rel_error": float(cat("rel_error").mean()) if n else float("nan"),
        "head_cosine": float(cat("cosine").mean()) if n else float("nan"),
        "circuits": circuits, "wall_s": wall, "circuits_per_s": circuits / wall if wall else float("nan"),
        "circuits_per_s_after_first_chunk": (sum(r["circuits"] for r in recs[1:]) / sum(r["wall_s"] for r in recs[1:])
                                             if len(recs) > 1 else float("nan")),
        "pending_examples": header["examples"] - n,
    }
