"""Parameter sets with units: merge user overrides into a model's defaults, checking names and units."""
from brian2 import Quantity, get_dimensions, have_same_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS

__all__ = ["resolve_parameters", "ParameterError"]


class ParameterError(ValueError):
    """A parameter override with an unknown name or a unit that does not match the default."""


def _dimension_text(value):
    dims = get_dimensions(value)
    return "dimensionless" if dims is DIMENSIONLESS else str(dims)


def resolve_parameters(defaults, overrides, owner):
    """Return ``defaults`` updated with ``overrides``, checking each override.

    Parameters
    ----------
    defaults : dict
        Name -> Quantity (or float for dimensionless values): the model's parameter set.
    overrides : dict
        Name -> new value. Plain numbers are accepted only for dimensionless parameters.
    owner : str
        Model name used in error messages.

    Returns
    -------
    dict
        A new dictionary; ``defaults`` is not modified.

    Raises
    ------
    ParameterError
        For an unknown name or a value whose physical dimensions differ from the default's.
    """
    merged = dict(defaults)
    for key, value in overrides.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise ParameterError(f"{owner}: unknown parameter {key!r}; known parameters: {known}")
        default = defaults[key]
        if not have_same_dimensions(value, default):
            raise ParameterError(
                f"{owner}: parameter {key!r} needs units of {_dimension_text(default)} "
                f"(default {default!r}), got {value!r} ({_dimension_text(value)})"
            )
        merged[key] = value if isinstance(value, Quantity) or isinstance(default, Quantity) else float(value)
    return merged
