"""The compare-attention report: comparisons, sweeps, model substitution and figures into one folder."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import compare, figures, mapping

__all__ = ["compare_report", "model_report", "lm_report", "is_lm_run", "departure_report", "write_markdown"]


def _say(progress, text):
    if progress:
        progress(text)


def compare_report(out, *, tokens=8, hidden=4, dim=4, batch=16, T=0.1, times=(0.02, 0.05, 0.1, 0.2, 0.4),
                   hiddens=(2, 4, 8, 16), dt=5e-4, backend="astrosim", seed=0, source="random",
                   examples=16, model_tokens=None, trials=1, progress=print) -> dict:
    """Run the whole comparison and write ``report.json``, ``report.md`` and PNG figures into ``out``.

    Parameters
    ----------
    source : 'random' or path
        Random inputs, or a training run folder of an astromorphic IMDB model (then Q, K, V come
        from its attention layer on ``examples`` test reviews cut to ``model_tokens`` tokens,
        default ``tokens``).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"settings": dict(tokens=tokens, hidden=hidden, dim=dim, batch=batch, T=T, times=list(times),
                               hiddens=list(hiddens), dt=dt, backend=backend, seed=seed, source=str(source),
                               trials=trials)}
    q, k, v, w = compare.random_inputs(batch, tokens, hidden, dim, seed=seed)
    _say(progress, f"[1/4] {batch} circuits (N={tokens}, m={hidden}, d={dim}), T={T} s: rate and spiking, "
                   "astromorphic and kozachkov circuits")
    res = compare.compare_batch(q, k, v, w, T=T, dt=dt, backend=backend, seed=seed)
    report["comparison"] = {kind: {mode: {key: r[key] for key in ("scores", "seconds", "simulated", "alpha_fit")}
                                   for mode, r in res[kind].items()} for kind in ("astromorphic", "kozachkov")}
    panels, groups = _output_panels(res)
    report["outputs_circuit0"] = {label: a.tolist() for label, a in panels.items()}
    figures.plot_outputs(panels, out / "outputs.png", groups=groups,
                         title=f"circuit 0, T = {T} s per token (panels of one circuit kind share a colour scale)")
    _say(progress, f"[2/4] error against time per token, T in {list(times)}"
                   + (f", {trials} noise trials per T on the engine's batch axis" if trials > 1 else ""))
    rows = compare.sweep_time(q, k, v, w, times=times, dt=dt, backend=backend, seed=seed, trials=trials,
                              progress=lambda r: _say(progress, f"    T={r['T']}: rel. error {r['rel_error']:.4f}"))
    slope = compare.fit_power([r["T"] for r in rows], [r["rel_error"] for r in rows])
    report["time_sweep"] = {"rows": rows, "slope": slope}
    figures.plot_error_vs_time(rows, out / "error_vs_time.png",
                               title=f"spiking circuit vs astromorphic: error ~ T^{slope:.2f}")
    rate = compare.simulate(q, k, v, w, T=T, dt=dt, mode="rate", backend=backend)
    alpha = mapping.fit_alpha(rate["state"]["s"], rate["state"]["Ca"])
    report["alpha"] = {"fitted": alpha, "configured": mapping.circuit_options("astromorphic").alpha}
    figures.plot_alpha(rate["state"]["s"], rate["state"]["Ca"], alpha, out / "calcium_alpha.png")
    _say(progress, f"[3/4] error against hidden width, m in {list(hiddens)}")
    hrows = compare.sweep_hidden(batch, tokens, dim, hiddens=hiddens, T=T, dt=dt, backend=backend, seed=seed,
                                 progress=lambda r: _say(progress, f"    m={r['m']}: rel. error {r['rel_error']:.4f}"))
    report["hidden_sweep"] = hrows
    figures.plot_error_vs_hidden(hrows, out / "error_vs_hidden.png", title=f"spiking circuit, T = {T} s")
    if str(source) != "random":
        n_model = model_tokens or tokens
        _say(progress, f"[4/4] model {source}: {examples} test reviews, {n_model} tokens, circuit attention in place")
        report["model"] = _model_part(source, examples, n_model, T, dt, backend, seed)
    else:
        _say(progress, "[4/4] no model source (--source random)")
    (out / "report.json").write_text(json.dumps(report, indent=1, default=_jsonable))
    write_markdown(report, out / "report.md")
    return report


def _output_panels(res):
    """Circuit 0's outputs: each circuit kind next to its algorithm, then linear and softmax."""
    algo = res["algorithmic"]
    panels = {"astro circuit (spiking)": res["astromorphic"]["spiking"]["L"][0],
              "astro circuit (rate)": res["astromorphic"]["rate"]["L"][0],
              "astromorphic": algo["astromorphic"][0],
              "kozachkov circuit (spiking)": res["kozachkov"]["spiking"]["L"][0],
              "kozachkov": algo["kozachkov"][0], "linear": algo["linear"][0], "softmax": algo["softmax"][0]}
    groups = {label: ("astro" if i < 3 else "koz" if i < 6 else label) for i, label in enumerate(panels)}
    return panels, groups


def model_report(out, source, *, examples=16, tokens=32, T=0.1, dt=5e-4, backend="astrosim", seed=0,
                 modes=("rate", "spiking"), chunk=None, progress=None) -> dict:
    """Only the trained-model substitution; writes ``model.json`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = _model_part(source, examples, tokens, T, dt, backend, seed, modes=modes, chunk=chunk, progress=progress)
    (out / "model.json").write_text(json.dumps(result, indent=1, default=_jsonable))
    return result


def _model_part(source, examples, tokens, T, dt, backend, seed, modes=("rate", "spiking"), chunk=None, progress=None):
    from astrosim.train.session import load_run

    from .model_source import model_comparison, select_examples

    cfg, data, model, _ = load_run(source, "cpu")
    x, y = data.x["test"].cpu().numpy(), data.y["test"].cpu().numpy()
    xs, ys, idx = select_examples(x, y, examples, tokens)
    result = model_comparison(model, xs, ys, T=T, dt=dt, backend=backend, seed=seed, modes=modes, chunk=chunk,
                              progress=progress)
    result.update(run=str(source), attention=cfg.attention, preset=cfg.preset, test_indices=idx.tolist())
    return result


def departure_report(out, *, tokens=8, hidden=4, dim=4, batch=16, times=(0.05, 0.2, 0.8), dt=1e-4,
                     backend="astrosim", seed=0, progress=None) -> list:
    """Biophysical tier on random circuits: error of each stage against T (``departure.json``, ``.png``)."""
    from . import biophysical

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    q, k, v, w = compare.random_inputs(batch, tokens, hidden, dim, seed=seed)
    options = mapping.circuit_options("astromorphic")
    rows = []
    for T in times:
        res = compare.simulate(q, k, v, w, options=options, T=T, dt=dt, mode="biophysical", backend=backend, seed=seed)
        row = dict(biophysical.departure(q, k, v, w, res, options), T=T, seconds=res["seconds"],
                   alpha_fit=mapping.fit_alpha(res["state"]["s"], res["state"]["Ca"]))
        rows.append(row)
        _say(progress, "    T={T}: L {L:.4f}, I/C {L_ratio:.4f}, H {H:.4f}, g {g:.4f}".format(**row))
    (out / "departure.json").write_text(json.dumps(rows, indent=1, default=_jsonable))
    figures.plot_departure(rows, out / "departure.png",
                           title=f"biophysical tier, {batch} circuits, N = {tokens}, m = {hidden}, d = {dim}")
    return rows


def is_lm_run(source) -> bool:
    """Whether a run folder holds a language model (task sotu or wikitext2)."""
    cfg = Path(source) / "config.json"
    return cfg.exists() and json.loads(cfg.read_text())["config"]["task"] in ("sotu", "wikitext2")


def lm_report(out, source, *, examples=8, tokens=32, T=0.05, dt=5e-4, backend="astrosim", seed=0,
              tiers=("rate", "spiking"), calibration_windows=8, progress=None) -> dict:
    """Test-slice perplexity and next-token agreement of a causal LM with circuit attention per tier.

    The test windows are the first ``examples`` non-overlapping windows of ``tokens`` tokens of the
    test stream; the circuit gains are calibrated on the first ``calibration_windows`` training
    windows. Writes ``lm.json`` and ``lm.md`` into ``out``.
    """
    from . import lm_source

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg, data, model, _ = lm_source.load_lm(source)
    n = min(int(tokens), model.config.max_len)
    test = data.stream["test"].cpu().numpy()
    if len(test) < examples * n + 1:
        raise ValueError(f"lm_report: the test stream has {len(test)} tokens, fewer than {examples} x {n} + 1")
    inputs = test[: examples * n].reshape(examples, n)
    targets = test[1: examples * n + 1].reshape(examples, n)
    train = data.stream["train"].cpu().numpy()
    scales = lm_source.calibrate_scales(model, train[: calibration_windows * n].reshape(-1, n))
    _say(progress, f"LM {source}: {examples} test windows x {n} tokens, tiers {list(tiers)}")
    rows = {}
    for tier in tiers:
        tdt = 1e-4 if tier == "biophysical" and dt == 5e-4 else dt
        part = lm_source.lm_comparison(model, inputs, targets, tiers=(tier,), scales=scales, T=T, dt=tdt,
                                       backend=backend, seed=seed, progress=progress)
        rows.setdefault("algorithmic", part["algorithmic"])
        rows[tier] = dict(part[tier], dt=tdt)
    result = {"run": str(source), "attention": cfg.attention, "causal": bool(model.config.causal),
              "windows": int(examples), "tokens": n, "T": T, "backend": backend, "seed": seed, "rows": rows}
    (out / "lm.json").write_text(json.dumps(result, indent=1, default=_jsonable))
    lines = [f"# Circuit attention in {source}", "",
             f"{examples} test windows x {n} tokens, T = {T} s per token, back end {backend}.", "",
             "| attention | perplexity | next-token agreement with algorithmic | circuits | wall s |", "|---|---|---|---|---|"]
    for tier, r in rows.items():
        wall = "" if r.get("wall_s") is None else f"{r['wall_s']:.1f}"
        lines.append(f"| {tier} | {r['perplexity']:.2f} | {r['agreement']:.4f} | {r.get('circuits') or ''} | {wall} |")
    (out / "lm.md").write_text("\n".join(lines) + "\n")
    return result


def _jsonable(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def write_markdown(report: dict, path) -> None:
    """A short markdown summary of a report dict."""
    s = report["settings"]
    lines = ["# Circuit against algorithmic attention", "",
             f"{s['batch']} circuits, N = {s['tokens']} tokens, m = {s['hidden']} hidden cells, d = {s['dim']}, "
             f"T = {s['T']} s per token, dt = {s['dt']} s, back end {s['backend']}, seed {s['seed']}.", "",
             "| circuit | mode | vs astromorphic | vs kozachkov | vs linear | vs softmax | run s |",
             "|---|---|---|---|---|---|---|"]
    for kind, modes in report["comparison"].items():
        for mode, r in modes.items():
            cells = [f"{r['scores'][a]['rel_error']['mean']:.3g} / {r['scores'][a]['cosine']['mean']:.4f}"
                     for a in compare.ALGORITHMS]
            lines.append(f"| {kind} | {mode} | " + " | ".join(cells) + f" | {r['seconds']:.2f} |")
    lines += ["", "Cells: mean relative error / mean cosine similarity over circuits.", "",
              f"Error against time (spiking astromorphic circuit, {report['time_sweep']['rows'][0].get('trials', 1)} "
              f"noise trial(s) x {s['batch']} circuits per T): slope {report['time_sweep']['slope']:.3f} "
              "in log-log (1/sqrt(T) is -0.5).", "", "| T (s) | rel. error | std | cosine | I/C error |",
              "|---|---|---|---|---|"]
    for r in report["time_sweep"]["rows"]:
        lines.append(f"| {r['T']} | {r['rel_error']:.4f} | {r['rel_error_std']:.4f} | {r['cosine']:.4f} | "
                     f"{r['rel_error_ratio']:.4f} |")
    lines += ["", f"Calcium exponent: fitted alpha = {report['alpha']['fitted']:.5f} "
                  f"(pump Hill coefficient 1/{report['alpha']['configured']}).", "",
              "| m | rel. error | cosine |", "|---|---|---|"]
    for r in report["hidden_sweep"]:
        lines.append(f"| {r['m']} | {r['rel_error']:.4f} | {r['cosine']:.4f} |")
    if "model" in report:
        mres = report["model"]
        lines += ["", f"Model {mres['run']} ({mres['attention']}), {mres['examples']} test reviews cut to "
                      f"{mres['tokens']} tokens, {mres['heads']} heads, T = {mres['T']} s:", "",
                  f"- algorithmic attention: accuracy {mres['accuracy_algorithmic']:.4f}"]
        for mode, acc in mres["accuracy"].items():
            he = mres["head_error"][mode]
            lines.append(f"- circuit ({mode}): accuracy {acc:.4f}, agreement with algorithmic "
                         f"{mres['agreement'][mode]:.4f}, head rel. error {he['rel_error']:.3g}, cosine {he['cosine']:.4f}")
    Path(path).write_text("\n".join(lines) + "\n")
