"""Li-Rinzel (1994) reduction of the De Young-Keizer IP3-receptor model: cytosolic Ca2+ and h."""
import numpy as np
from brian2 import NeuronGroup, second, umolar

from .._params import resolve_parameters

__all__ = ["CORE_EQUATIONS", "EQUATIONS", "PARAMETERS", "INITIAL", "CITATION", "build", "resting_calcium",
           "resting_states"]

CITATION = (
    "Li & Rinzel (1994), 'Equations for InsP3 receptor-mediated [Ca2+]i oscillations derived from a "
    "detailed kinetic model', J. Theor. Biol. 166:461; De Young & Keizer (1992), PNAS 89:9895."
)

#: The calcium core shared by every astrocyte model here: C (cytosolic Ca2+), h (IP3R
#: de-inactivation). It reads the IP3 concentration ``I`` from the including model.
CORE_EQUATIONS = """
dC/dt = J_chan + J_leak - J_pump : mmolar
dh/dt = a2*(Q2*(1 - h) - C*h) : 1
J_chan = v1 * (m_inf*n_inf*h)**3 * (c0 - (1 + c1)*C) : mmolar/second
J_leak = v2 * (c0 - (1 + c1)*C) : mmolar/second
J_pump = v3 * C**2 / (k3**2 + C**2) : mmolar/second
m_inf = I / (I + d1) : 1
n_inf = C / (C + d5) : 1
Q2 = d2 * (I + d1) / (I + d3) : mmolar
"""

#: Li-Rinzel astrocyte with IP3 clamped per cell (``I`` is a per-cell constant).
EQUATIONS = CORE_EQUATIONS + "I : mmolar (constant)\n"

PARAMETERS = {
    "c0": 2.0 * umolar,  # total free Ca2+ per cytosolic volume
    "c1": 0.185,  # ER / cytosol volume ratio
    "v1": 6.0 / second,  # maximal IP3R (CICR) rate
    "v2": 0.11 / second,  # ER leak rate
    "v3": 0.9 * umolar / second,  # maximal SERCA rate
    "k3": 0.1 * umolar,  # SERCA affinity (0.05 uM gives the FM regime of De Pitta 2009)
    "d1": 0.13 * umolar,  # IP3 dissociation constant
    "d2": 1.049 * umolar,  # Ca2+ inactivation dissociation constant
    "d3": 0.9434 * umolar,  # IP3 dissociation constant
    "d5": 0.08234 * umolar,  # Ca2+ activation dissociation constant
    "a2": 0.2 / (umolar * second),  # IP3R inactivation binding rate
}

INITIAL = {"C": 0.071006 * umolar, "h": 0.7791, "I": 0.16 * umolar}


def build(n, *, name=None, method="rk4", dt=None, **overrides):
    """Create ``n`` Li-Rinzel astrocytes with clamped IP3 (set ``group.I`` per cell).

    Parameters
    ----------
    n : int
        Number of astrocytes.
    method : str
        Integration method; ``'rk4'`` keeps the oscillation window accurate at dt = 1-10 ms.
    dt : Quantity, optional
        Time step of the group (default: the default clock).
    **overrides
        Replacements for :data:`PARAMETERS` (e.g. ``k3=0.05*umolar``), units checked.
    """
    params = resolve_parameters(PARAMETERS, overrides, "li_rinzel")
    group = NeuronGroup(n, EQUATIONS, method=method, namespace=params, dt=dt, name=name or "li_rinzel*")
    for var, value in INITIAL.items():
        setattr(group, var, value)
    return group


def _net_flux(ip3, p):
    """dC/dt (SI) at clamped IP3 with h at its steady value Q2/(Q2 + C), as a function of C (SI)."""
    q2 = p["d2"] * (ip3 + p["d1"]) / (ip3 + p["d3"])

    def flux(c):
        h = q2 / (q2 + c)
        m, n = ip3 / (ip3 + p["d1"]), c / (c + p["d5"])
        return ((p["v1"] * (m * n * h) ** 3 + p["v2"]) * (p["c0"] - (1 + p["c1"]) * c)
                - p["v3"] * c**2 / (p["k3"]**2 + c**2))
    return flux


def resting_states(ip3, *, samples=4000, **overrides):
    """Every steady-state Ca2+ (Quantity array, ascending) for clamped IP3.

    Roots of J_chan + J_leak = J_pump with h = Q2/(Q2 + C) on (0, c0/(1 + c1)): sign changes on a grid of
    ``samples`` points (geometric below 1 % of the range, linear above), refined by Brent's method.
    The net flux is positive at C -> 0 and negative at c0/(1 + c1), so the count is odd. Usually one;
    three in a bistable range, e.g. k3 = 0.05 uM and IP3 between the folds at ~0.482 and ~0.544 uM
    (lower and upper states stable, middle one a saddle). Two roots closer than the grid spacing
    (near a fold) can be missed.
    """
    from scipy.optimize import brentq

    p = {k: float(v) for k, v in resolve_parameters(PARAMETERS, overrides, "li_rinzel").items()}
    flux, top = _net_flux(float(ip3), p), p["c0"] / (1 + p["c1"])
    grid = np.unique(np.concatenate([np.geomspace(1e-9 * top, 1e-2 * top, samples // 4),
                                     np.linspace(1e-2 * top, top, samples - samples // 4)]))
    values = flux(grid)
    roots = [brentq(flux, grid[i], grid[i + 1], xtol=1e-20, rtol=1e-14)
             for i in np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)]
    roots += [float(c) for c in grid[values == 0]]
    return np.sort(np.asarray(roots)) * umolar / float(umolar)  # float() of a Quantity is its SI value


def resting_calcium(ip3, *, which="unique", **overrides):
    """Steady-state Ca2+ (Quantity) for clamped IP3 (see :func:`resting_states`).

    The rest state is not always unique: with k3 = 0.05 uM there are three for IP3 between ~0.482 and
    ~0.544 uM. ``which='unique'`` (default) raises ``ValueError`` then; ``'lowest'`` or ``'highest'``
    picks one. A stable rest only outside the oscillation window.
    """
    states = resting_states(ip3, **overrides)
    if which == "lowest":
        return states[0]
    if which == "highest":
        return states[-1]
    if which != "unique":
        raise ValueError(f"li_rinzel: which must be 'unique', 'lowest' or 'highest', got {which!r}")
    if len(states) != 1:
        raise ValueError(f"li_rinzel: {len(states)} rest states at IP3 = {ip3!r} ({states!r}); "
                         "pass which='lowest' or which='highest'")
    return states[0]
