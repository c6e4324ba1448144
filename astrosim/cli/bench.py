"""``astrosim bench engine``: run the engine benchmark of the source checkout's ``benchmarks/``."""
import importlib.util
import sys
from pathlib import Path

NAME = "bench"
HELP = "benchmarks: 'engine' compares astrosim with Brian2 runtime and cpp_standalone"

__all__ = ["NAME", "HELP", "add_arguments", "run"]

_SUITES = {"engine": "engine.py"}


def _benchmarks_dir():
    import astrosim

    return Path(astrosim.__file__).resolve().parents[1] / "benchmarks"


def _load(suite):
    path = _benchmarks_dir() / _SUITES[suite]
    if not path.is_file():
        raise FileNotFoundError(f"astrosim bench: {path} not found; benchmarks ship with the "
                                "source checkout (install astrosim editable from it)")
    root = str(path.parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    spec = importlib.util.spec_from_file_location(f"benchmarks.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def add_arguments(parser):
    sub = parser.add_subparsers(dest="suite", metavar="SUITE", required=True)
    engine = sub.add_parser("engine", help="astrosim vs Brian2 runtime (cython) and cpp_standalone")
    engine_module = _load("engine") if _benchmarks_dir().is_dir() else None
    if engine_module is not None:
        engine_module.add_arguments(engine)


def run(args):
    try:
        module = _load(args.suite)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    return module.run_benchmark(args)
