"""Summaries of training runs: a markdown table (mean ± std over seeds) and learning-curve plots."""
import math
import re
import statistics
from pathlib import Path

from astrosim.train.runlog import read_run

__all__ = ["collect_runs", "group_runs", "summarise_group", "markdown_table", "plot_curves", "write_report"]

_SEED_SUFFIX = re.compile(r"-s\d+$")


def collect_runs(paths):
    """Run records ``{'name', 'path', 'config', 'history', 'summary'}`` from run folders (or parents of them)."""
    runs = []
    for p in map(Path, paths):
        folders = [p] if (p / "config.json").exists() else sorted(q.parent for q in p.glob("*/config.json"))
        if not folders:
            raise FileNotFoundError(f"{p}: no run folders (config.json) found")
        for f in folders:
            config, history, summary = read_run(f)
            runs.append({"name": f.name, "path": f, "config": config, "history": history, "summary": summary})
    return runs


def group_runs(runs):
    """Group runs whose folder names differ only in a trailing ``-sSEED``; keeps first-seen order."""
    groups = {}
    for r in runs:
        groups.setdefault(_SEED_SUFFIX.sub("", r["name"]), []).append(r)
    return groups


def _mean_std(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return None, None, 0
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0), len(values)


def _fmt(mean, std, n, scale=1.0, digits=2, unit=""):
    if mean is None:
        return "—"
    text = f"{mean * scale:.{digits}f}{unit}"
    return text + (f" ± {std * scale:.{digits}f}" if n > 1 else "")


def summarise_group(runs, target=0.85):
    """Numbers for one group: final/best test metric, epochs to ``target`` accuracy, speed, memory."""
    lm = any("test_ppl" in row for r in runs for row in r["history"])
    key = "test_ppl" if lm else "test_acc"
    finals, bests, to_target, epoch_s, rate, mem, epochs = [], [], [], [], [], [], []
    statuses = []
    for r in runs:
        rows = [row for row in r["history"] if row.get("status") != "diverged" and key in row]
        statuses.append((r["summary"] or {}).get("status", "unfinished"))
        if not rows:
            continue
        values = [row[key] for row in rows]
        finals.append(values[-1])
        bests.append(min(values) if lm else max(values))
        epochs.append(len(rows))
        if not lm:
            hit = next((row["epoch"] for row in rows if row[key] >= target), None)
            to_target.append(hit)
        epoch_s.append(statistics.fmean(row["epoch_s"] for row in rows))
        rate.append(statistics.fmean(row.get("tokens_per_s" if lm else "examples_per_s", 0) for row in rows))
        mem.append(max(row.get("peak_mem_mb", 0) for row in rows))
    reached = [e for e in to_target if e is not None]
    return {"lm": lm, "runs": len(runs), "seeds": sorted(r["config"]["config"]["seed"] for r in runs),
            "task": runs[0]["config"]["config"]["task"], "attention": runs[0]["config"]["config"]["attention"],
            "final": _mean_std(finals), "best": _mean_std(bests), "to_target": _mean_std(reached),
            "reached": f"{len(reached)}/{len(to_target)}", "epochs": _mean_std(epochs), "epoch_s": _mean_std(epoch_s),
            "rate": _mean_std(rate), "peak_mem_mb": max(mem) if mem else None,
            "parameters": runs[0]["config"].get("parameters"), "statuses": statuses,
            "device": runs[0]["config"].get("device_name")}


def markdown_table(groups, target=0.85):
    """Markdown table with one row per group."""
    head = ("| runs | task | attention | seeds | epochs | final test | best test | epochs to "
            f"{target:.0%} (reached) | s / epoch | examples/s (LM: tokens/s) | peak mem MiB | parameters | status |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, runs in groups.items():
        s = summarise_group(runs, target)
        if s["lm"]:
            final = "ppl " + _fmt(*s["final"], digits=1)
            best = "ppl " + _fmt(*s["best"], digits=1)
            hit = "n/a"
        else:
            final, best = _fmt(*s["final"], scale=100, unit=" %"), _fmt(*s["best"], scale=100, unit=" %")
            hit = f"{_fmt(*s['to_target'], digits=1)} ({s['reached']})"
        statuses = ", ".join(f"{k}×{s['statuses'].count(k)}" for k in sorted(set(s["statuses"])))
        lines.append(f"| {name} | {s['task']} | {s['attention']} | {','.join(map(str, s['seeds']))} | "
                     f"{_fmt(*s['epochs'], digits=0)} | {final} | {best} | {hit} | {_fmt(*s['epoch_s'], digits=1)} | "
                     f"{_fmt(*s['rate'], digits=0)} | {s['peak_mem_mb']:.0f} | {s['parameters']:,} | {statuses} |")
    return "\n".join(lines)


def plot_curves(groups, path, title=None):
    """Test metric against epoch: seed mean with min–max band, one line per group; saves a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4.2))
    lm = False
    for name, runs in groups.items():
        key = "test_ppl" if any("test_ppl" in row for r in runs for row in r["history"]) else "test_acc"
        lm = key == "test_ppl"
        curves = [[row[key] for row in r["history"] if key in row] for r in runs]
        curves = [c for c in curves if c]
        if not curves:
            continue
        n = min(map(len, curves))
        arr = np.array([c[:n] for c in curves]) * (1 if lm else 100)
        x = np.arange(1, n + 1)
        line, = ax.plot(x, arr.mean(0), marker="o", ms=3, label=f"{name} (n={len(curves)})")
        if len(curves) > 1:
            ax.fill_between(x, arr.min(0), arr.max(0), color=line.get_color(), alpha=0.2)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test perplexity (per token)" if lm else "test accuracy (%)")
    if lm:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def write_report(paths, out_dir, *, target=0.85):
    """Write ``report.md`` and one ``curves-<task>.png`` per task into ``out_dir``; returns the markdown."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    groups = group_runs(collect_runs(paths))
    text = markdown_table(groups, target)
    by_task = {}
    for name, runs in groups.items():
        by_task.setdefault(runs[0]["config"]["config"]["task"], {})[name] = runs
    pics = []
    for task, sub in by_task.items():
        pics.append(plot_curves(sub, out_dir / f"curves-{task}.png", title=task))
    body = text + "\n\n" + "\n".join(f"![{p.stem}]({p.name})" for p in pics) + "\n"
    (out_dir / "report.md").write_text(body)
    return body
