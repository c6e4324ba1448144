"""One-line error messages for the command line (``--debug`` shows the traceback instead)."""

__all__ = ["CommandError", "explain", "is_user_error"]


class CommandError(Exception):
    """A user error a command found itself (bad option, bad path); its message is shown as is."""


def _brian2_classes():
    try:
        from brian2.core.base import BrianObjectException
        from brian2.core.magic import MagicError
        from brian2.equations.equations import EquationError
        from brian2.stateupdaters.base import UnsupportedEquationsException
        from brian2.units.fundamentalunits import DimensionMismatchError
    except ImportError:  # pragma: no cover - brian2 is a dependency
        return (), None
    user = (DimensionMismatchError, EquationError, UnsupportedEquationsException, MagicError, BrianObjectException)
    return user, BrianObjectException


def _one_line(text):
    return " ".join(str(text).split())


def explain(err):
    """The message of ``err`` on one line, naming the object and the real cause.

    Brian2 wraps the error of an object (a unit mismatch, a syntax error in an equation) in a
    ``BrianObjectException`` whose own text only points at the log; the cause is reported
    instead, prefixed by the object's name.
    """
    _, wrapper = _brian2_classes()
    names = []
    while wrapper is not None and isinstance(err, wrapper) and (err.__cause__ or err.__context__):
        names.append(getattr(err, "_brian_objname", None))
        err = err.__cause__ or err.__context__
    if isinstance(err, SyntaxError) and not names:
        where = f"{err.filename}:{err.lineno}: " if err.filename and err.filename != "<unknown>" else ""
        text = f"{where}{err.msg}" + (f": {err.text.strip()}" if err.text else "")
    elif isinstance(err, SyntaxError):
        text = f"syntax error in {err.text.strip()!r}" if err.text else f"syntax error ({err.msg})"
    elif isinstance(err, KeyError) and len(err.args) == 1 and isinstance(err.args[0], str):
        text = err.args[0]
    elif isinstance(err, (OSError,)) and err.filename and err.strerror:
        text = f"{err.filename}: {err.strerror}"
    else:
        text = str(err) or type(err).__name__
        if type(err).__module__ not in ("builtins", "astrosim.engine.errors") \
                and not type(err).__module__.startswith(("astrosim", "brian2")):
            text = f"{type(err).__name__}: {text}"
        elif type(err).__module__ == "builtins" and type(err) not in (ValueError, OSError, RuntimeError):
            text = f"{type(err).__name__}: {text}"
    prefix = "".join(f"'{n}': " for n in names if n and f"'{n}'" not in text and f"{n}:" not in text)
    return _one_line(prefix + text)


def is_user_error(err):
    """True for errors caused by the input (files, options, model text, units, NaN), not by astrosim."""
    from astrosim.engine.errors import SimulationError, UnsupportedFeatureError

    user, _ = _brian2_classes()
    return isinstance(err, (CommandError, OSError, ValueError, KeyError, SyntaxError, NameError,
                            UnsupportedFeatureError, SimulationError, *user))
