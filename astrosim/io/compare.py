"""Compare the monitors of two astrosim files (``astrosim rerun`` checks its result against the original)."""
import h5py
import numpy as np

__all__ = ["compare_files"]


def compare_files(path_a, path_b):
    """Differences between the monitor data of two files, as one-line texts (empty: identical).

    Every dataset of every monitor is compared exactly (NaN equal to NaN); a monitor or
    variable present in one file only, or of another length, is a difference too.
    """
    diffs = []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        ma, mb = fa["monitors"], fb["monitors"]
        for name in sorted(set(ma) | set(mb)):
            if name not in ma or name not in mb:
                diffs.append(f"monitor '{name}' is only in {path_a if name in ma else path_b}")
                continue
            for var in sorted(set(ma[name]) | set(mb[name])):
                if var not in ma[name] or var not in mb[name]:
                    diffs.append(f"'{name}/{var}' is only in one file")
                    continue
                a, b = ma[name][var][()], mb[name][var][()]
                if a.shape != b.shape:
                    diffs.append(f"'{name}/{var}': shape {a.shape} against {b.shape}")
                elif not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                    worst = float(np.nanmax(np.abs(a.astype(float) - b.astype(float)))) if a.size else 0.0
                    diffs.append(f"'{name}/{var}': values differ (largest difference {worst:.3g})")
    return diffs
