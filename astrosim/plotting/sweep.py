"""Figures of sweep results: one result against one grid axis (a line per value of the others) or two (a map)."""
import itertools

import numpy as np

from ._common import save_figure

__all__ = ["plot_sweep", "plot_sweep_file", "run_cli", "MAX_LINES"]

#: Most lines drawn in a 1-D plot before the other axes must be fixed with ``at``.
MAX_LINES = 12


def _label(res, name):
    unit = res.axis_units.get(name, "")
    return f"{name} ({unit})" if unit else name


def _nearest(res, name, value):
    values = np.asarray(res.raw_axes[name])
    if values.dtype.kind in "US":
        hits = np.flatnonzero(values == str(value))
        if not len(hits):
            raise ValueError(f"axis {name!r} has no value {value!r}; values: {', '.join(values)}")
        return int(hits[0])
    return int(np.argmin(np.abs(values.astype(float) - float(value))))


def _values(res, result):
    if result is None:
        if len(res.names) != 1:
            raise ValueError(f"{res.path}: say which result to plot (--var); results: {', '.join(res.names)}")
        result = res.names[0]
    data = res.raw(result)
    extra = data.shape[len(res.shape):]
    if int(np.prod(extra)) != 1:
        raise ValueError(f"result {result!r} has {extra} values per point; plot a result with one value per point "
                         f"(results: {', '.join(res.names)})")
    return result, data.reshape(res.shape)


def plot_sweep(res, result=None, x=None, y=None, at=None):
    """Draw ``result`` of a :class:`~astrosim.sweep.SweepResults` against axis ``x`` (and ``y``).

    ``at`` fixes other axes (``{name: value}``, the nearest grid value is used). In a 1-D plot the
    remaining axes give one line per combination; in a 2-D map they must be fixed or of length 1.
    Missing points (unfinished tasks) are left blank.
    """
    import matplotlib.pyplot as plt

    names = res.axis_names
    at = dict(at or {})
    x = x or names[0]
    for name in [x, y, *at]:
        if name is not None and name not in names:
            raise ValueError(f"{res.path}: no grid axis {name!r}; axes: {', '.join(names)}")
    if y == x:
        raise ValueError("x and y must be different grid axes")
    result, data = _values(res, result)
    index = [slice(None)] * len(names)
    for name, value in at.items():
        index[names.index(name)] = _nearest(res, name, value)
    free = [n for n in names if n not in (x, y) and n not in at]
    unit = res.units.get(result, "")
    ylabel = f"{result} ({unit})" if unit else result
    fixed = ", ".join(f"{n}={res.raw_axes[n][index[names.index(n)]]}" for n in at)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    if y is None:
        combos = list(itertools.product(*(range(res.shape[names.index(n)]) for n in free)))
        if len(combos) > MAX_LINES:
            raise ValueError(f"{len(combos)} lines (one per value of {', '.join(free)}); fix axes with --at NAME=VALUE")
        xs = np.asarray(res.raw_axes[x])
        for combo in combos:
            idx = list(index)
            for n, k in zip(free, combo):
                idx[names.index(n)] = k
            line = data[tuple(idx)]
            label = ", ".join(f"{n}={res.raw_axes[n][k]:g}{' ' + res.axis_units[n] if res.axis_units[n] else ''}"
                              if res.raw_axes[n].dtype.kind in "fiu" else f"{n}={res.raw_axes[n][k]}"
                              for n, k in zip(free, combo)) or None
            ax.plot(xs if xs.dtype.kind not in "US" else np.arange(len(xs)), line, "o-", label=label)
        if xs.dtype.kind in "US":
            ax.set_xticks(np.arange(len(xs)), xs)
        ax.set(xlabel=_label(res, x), ylabel=ylabel)
        if len(combos) > 1:
            ax.legend(fontsize=7)
    else:
        big = [n for n in free if res.shape[names.index(n)] > 1]
        if big:
            raise ValueError(f"a map of {x} and {y} needs the other axes fixed: add --at {big[0]}=VALUE")
        idx = [0 if n in free else index[i] for i, n in enumerate(names)]
        idx[names.index(x)] = idx[names.index(y)] = slice(None)
        grid = data[tuple(idx)]
        if names.index(x) < names.index(y):
            grid = grid.T  # rows follow y
        xs, ys = np.asarray(res.raw_axes[x], dtype=float), np.asarray(res.raw_axes[y], dtype=float)
        ox, oy = np.argsort(xs), np.argsort(ys)
        xs, ys, grid = xs[ox], ys[oy], grid[np.ix_(oy, ox)]
        mesh = ax.pcolormesh(_edges(xs), _edges(ys), np.ma.masked_invalid(grid), shading="flat")
        fig.colorbar(mesh, ax=ax, label=ylabel)
        ax.set(xlabel=_label(res, x), ylabel=_label(res, y))
    what = res.target.get("protocol") or res.target.get("build", "sweep")
    done = "" if res.complete else f"; {int(res.done.sum())}/{res.done.size} points done"
    ax.set_title(f"{what}: {result}{' at ' + fixed if fixed else ''} (seed {res.seed}{done})", fontsize=9)
    fig.tight_layout()
    return fig


def _edges(centres):
    """Cell edges around sorted grid values (for pcolormesh)."""
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def plot_sweep_file(path, output, result=None, x=None, y=None, at=None, dpi=120):
    """Load the sweep folder ``path``, draw :func:`plot_sweep` and save it to ``output``."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        matplotlib.use("Agg")
    from astrosim.sweep import load_sweep

    return save_figure(plot_sweep(load_sweep(path), result, x, y, at), output, dpi=dpi)


def run_cli(args):
    """``astrosim plot SWEEP_DIR --var RESULT --x AXIS [--y AXIS] [--at AXIS=VALUE] -o fig.png``."""
    import sys

    at = {}
    for item in args.at:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"astrosim plot: --at needs AXIS=VALUE, got {item!r}", file=sys.stderr)
            return 2
        at[name.strip()] = value.strip()
    try:
        for name, value in at.items():
            try:
                at[name] = float(value)
            except ValueError:
                pass
        out = plot_sweep_file(args.file, args.output, args.var[0] if args.var else None, args.x, args.y, at,
                              dpi=args.dpi)
    except (FileNotFoundError, KeyError, ValueError) as err:
        print(f"astrosim plot: error: {err.args[0] if isinstance(err, KeyError) else err}", file=sys.stderr)
        return 2
    print(out)
    return 0
