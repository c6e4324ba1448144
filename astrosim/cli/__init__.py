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
    """Run one command; user errors print one line and give exit status 2 (``--debug``: traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (any position on the command line)")
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("astrosim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        return 0
    except Exception as err:  # noqa: BLE001 - every error ends as one line unless --debug
        from ._errors import explain, is_user_error

        if debug:
            import traceback

            traceback.print_exc()
        user = is_user_error(err)
        hint = "" if user else " (an astrosim problem: please report it with the --debug output)"
        print(f"astrosim {args.command}: error: {explain(err)}{hint}", file=sys.stderr)
        return 2 if user else 1
