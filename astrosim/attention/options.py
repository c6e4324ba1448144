"""Options of the astromorphic attention layer: one switch per point where the paper is ambiguous."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

__all__ = ["AstromorphicOptions", "astromorphic_options", "PRESETS"]

_SCALE_PLACEMENTS = ("inside", "outside")
_ALPHA_PLACEMENTS = ("total", "per_token")
_POSITION_KERNELS = ("exp", "distance")


@dataclass(frozen=True)
class AstromorphicOptions:
    """Choices that define one astromorphic attention variant (per head).

    Parameters
    ----------
    sigma : bool
        Apply the logistic sigmoid to the Hebbian store (Eq. 11/18). Algorithm 1 has none.
    scale : float or 'tokens'
        The paper's ``m``. A number is a fixed scale (Tables S1-S3: 500*D or 100*D);
        ``'tokens'`` divides by the number of tokens written into the store so far
        (each query's own count in the causal form), keeping the sigmoid's argument an average.
    scale_placement : {'inside', 'outside'}
        ``'inside'``: H = sigma((phi(K)^T V + W_astro V) / m), output phi(Q) H / C (Eq. 11).
        ``'outside'``: H = sigma(phi(K)^T V + W_astro V), output phi(Q) H / (m C) (Eq. 18).
    alpha : float
        Sub-linear exponent of the presynaptic trace g (Eq. 14: 0.25).
    alpha_placement : {'total', 'per_token'}
        ``'total'``: g = (sum_t phi(k_t))**alpha (Eq. 14);
        ``'per_token'``: g = sum_t phi(k_t)**alpha (Algorithm 1, line 17), element-wise.
    positional : bool
        Include the relative-position astrocyte term W_astro V (Eqs. 10-12).
    position_kernel : {'exp', 'distance'}
        Form of the N x N relative-position matrix P, which the paper does not give:
        ``'exp'``: P_ij = exp(-decay * |i - j|) (the authors' follow-up, RMAAT);
        ``'distance'``: P_ij = |i - j| / L (L = max_len).
    position_decay : float
        Decay rate of the ``'exp'`` kernel, per position.
    eps : float
        Masked reciprocal of the calcium response: 1/C where C > eps, else 0.
    """

    sigma: bool = True
    scale: float | str = "tokens"
    scale_placement: str = "inside"
    alpha: float = 0.25
    alpha_placement: str = "total"
    positional: bool = True
    position_kernel: str = "exp"
    position_decay: float = 0.1
    eps: float = 1e-6

    def __post_init__(self):
        if isinstance(self.scale, str):
            if self.scale != "tokens":
                raise ValueError(f"AstromorphicOptions.scale: expected a positive number or 'tokens', got {self.scale!r}")
        elif not float(self.scale) > 0:
            raise ValueError(f"AstromorphicOptions.scale: must be > 0, got {self.scale!r}")
        for name, allowed in (("scale_placement", _SCALE_PLACEMENTS), ("alpha_placement", _ALPHA_PLACEMENTS),
                              ("position_kernel", _POSITION_KERNELS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"AstromorphicOptions.{name}: expected one of {allowed}, got {getattr(self, name)!r}")
        if not self.alpha > 0:
            raise ValueError(f"AstromorphicOptions.alpha: must be > 0, got {self.alpha!r}")
        if not self.position_decay >= 0:
            raise ValueError(f"AstromorphicOptions.position_decay: must be >= 0, got {self.position_decay!r}")
        if not self.eps >= 0:
            raise ValueError(f"AstromorphicOptions.eps: must be >= 0, got {self.eps!r}")

    def as_dict(self) -> dict:
        """Plain dict of the options (for configs and checkpoints)."""
        return asdict(self)


def _paper(dim: int) -> dict:
    # Eq. 18 and Tables S1-S3 (IMDB/CIFAR-10): m = 500 * D outside the sigmoid, alpha = 0.25 on the total.
    return dict(sigma=True, scale=500.0 * dim, scale_placement="outside", alpha=0.25,
                alpha_placement="total", positional=True, position_kernel="exp")


def _default(dim: int) -> dict:
    return {}


def _kozachkov(dim: int) -> dict:
    # Iso-architecture baseline (paper section 6.1 item 7): no sigma, alpha = 1, no positional term.
    return dict(sigma=False, scale=1.0, alpha=1.0, alpha_placement="total", positional=False)


def _kozachkov_paper(dim: int) -> dict:
    return dict(_kozachkov(dim), scale=500.0 * dim, scale_placement="outside")


PRESETS = {
    ("astromorphic", "default"): _default,
    ("astromorphic", "paper"): _paper,
    ("kozachkov", "default"): _kozachkov,
    ("kozachkov", "paper"): _kozachkov_paper,
}


def astromorphic_options(kind: str = "astromorphic", preset: str | None = None, dim: int | None = None,
                         **overrides) -> AstromorphicOptions:
    """Build options from a preset (``'default'`` or ``'paper'``) and explicit overrides.

    Parameters
    ----------
    kind : {'astromorphic', 'kozachkov'}
    preset : str, optional
        ``None`` or ``'default'``: the defaults used for training; ``'paper'``: Eq. 18 with
        Tables S1-S3 (needs ``dim``, the model width D, for m = 500 * D).
    dim : int, optional
        Model width D.
    **overrides
        Any :class:`AstromorphicOptions` field; overrides the preset.
    """
    preset = preset or "default"
    if (kind, preset) not in PRESETS:
        available = sorted(p for k, p in PRESETS if k == kind)
        raise KeyError(f"attention preset {preset!r} not defined for kind {kind!r}. Available: {available}")
    if preset == "paper" and dim is None:
        raise ValueError("astromorphic_options: preset 'paper' needs dim (m = 500 * D)")
    known = {f.name for f in fields(AstromorphicOptions)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown {kind} attention option(s) {unknown}. Known: {sorted(known)}")
    base = AstromorphicOptions(**PRESETS[(kind, preset)](dim))
    return replace(base, **overrides)
