"""The ``astrosim`` command line: one sub-command per module in this package.

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``. Modules are discovered by name, so adding a command never means
editing this file.
"""
import argparse
import importlib
import pkgutil
import sys

__all__ = ["main", "build_parser"]


def _command_modules():
    package = sys.modules[__name__]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        yield importlib.import_module(f"{__name__}.{info.name}")


def build_parser():
    from astrosim import __version__

    parser = argparse.ArgumentParser(
        prog="astrosim",
        description="Brian2 neuron-astrocyte networks in compiled numba code, and Astromorphic Transformers.",
    )
    parser.add_argument("--version", action="version", version=f"astrosim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("astrosim: interrupted", file=sys.stderr)
        return 130
