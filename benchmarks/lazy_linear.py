"""The ``lazy_linear`` pass on the Fig. 6 class network: astrosim with the pass on and off, and
Brian2 cpp_standalone, in one invocation (each in its own fresh process, cold caches).

Usage: ``python benchmarks/lazy_linear.py [--duration S] [--scale F] [--skip-cpp]``. Prints the
loop ('sim'), build and total seconds of each and the ratios.
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks.engine import _spawn, _table  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--skip-cpp", action="store_true")
    parser.add_argument("--warm", action="store_true")
    args = parser.parse_args(argv)
    runs = [("astrosim", "1"), ("astrosim", "0")]
    if not args.skip_cpp:
        runs.append(("cpp_standalone", None))
    rows = []
    with tempfile.TemporaryDirectory(prefix="astrosim-lazy-") as tmp:
        for peer, lazy in runs:
            label = peer if lazy is None else f"astrosim lazy={lazy}"
            print(f"... astro / {label}", file=sys.stderr, flush=True)
            old = os.environ.get("ASTROSIM_LAZY_LINEAR")
            if lazy is not None:
                os.environ["ASTROSIM_LAZY_LINEAR"] = lazy
            try:
                row = _spawn("astro", peer, args, os.path.join(tmp, label))
            finally:
                if old is None:
                    os.environ.pop("ASTROSIM_LAZY_LINEAR", None)
                else:
                    os.environ["ASTROSIM_LAZY_LINEAR"] = old
            row["peer"] = label
            rows.append(row)
    print(f"# Fig. 6 class network, {args.duration} s, scale {args.scale}")
    print(_table(rows))
    ok = [r for r in rows if "error" not in r]
    on = next((r for r in ok if r["peer"].endswith("=1")), None)
    off = next((r for r in ok if r["peer"].endswith("=0")), None)
    cpp = next((r for r in ok if r["peer"] == "cpp_standalone"), None)
    if on and off:
        print(f"loop: pass off / pass on = {off['sim'] / on['sim']:.2f}x")
    for r in (on, off):
        if r and cpp:
            print(f"loop: cpp_standalone / {r['peer']} = {cpp['sim'] / r['sim']:.2f}x; "
                  f"total: {cpp['total'] / r['total']:.2f}x")
    return 0 if len(ok) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
