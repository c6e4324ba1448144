"""Per-epoch metric logs of a run folder: JSON lines plus a CSV copy, and a run summary."""
import csv
import json
import math
from pathlib import Path

__all__ = ["write_history", "read_run", "json_safe"]


def json_safe(value):
    """Replace non-finite floats (not valid JSON) by the strings 'nan', 'inf', '-inf'."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_history(folder, history):
    """(Re)write ``metrics.jsonl`` and ``metrics.csv`` from the list of epoch records."""
    folder = Path(folder)
    with open(folder / "metrics.jsonl", "w") as f:
        for row in history:
            f.write(json.dumps(json_safe(row)) + "\n")
    keys = []
    for row in history:
        keys += [k for k in row if k not in keys]
    with open(folder / "metrics.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        for row in history:
            writer.writerow(json_safe(row))


def read_run(folder):
    """``(config, history, summary)`` of a run folder; summary is None for an unfinished run."""
    folder = Path(folder)
    if not (folder / "config.json").exists():
        raise FileNotFoundError(f"{folder}: not a run folder (no config.json)")
    config = json.loads((folder / "config.json").read_text())
    history = []
    if (folder / "metrics.jsonl").exists():
        history = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]
    summary = json.loads((folder / "summary.json").read_text()) if (folder / "summary.json").exists() else None
    return config, history, summary
