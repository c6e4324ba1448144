"""Float64 reference formulas (numpy or torch) for astromorphic, kozachkov, linear and softmax attention.

Every function works per head on arrays shaped ``(..., N, d)`` (any leading batch/head axes),
accepts numpy arrays or torch tensors (the result has the input's type), and is written in
the explicit form: which keys a query sees is an ``(..., N, N)`` visibility matrix (all
ones, or lower-triangular for the causal form, with padded keys removed), and every
per-query store is built from it directly. These are the oracles for the fast modules in
``astrosim.models.transformers`` and the definitions used by the mapping layer.

Notation (paper Eqs. 8-18, per head): phi = elu + 1; kappa_t = phi(k_t) + w_t, where
w_t is column t of W_astro = phi(M^T M P M^T)^T; the store seen by query i is
S_i = sum_{t visible} kappa_t v_t^T; H_i = sigma(S_i / m) (or sigma(S_i)); the presynaptic trace
g_i = (sum_t phi(k_t))**alpha; the calcium response C_i = phi(q_i) . g_i; the output
L_i = phi(q_i)^T H_i / (m C_i) with the masked reciprocal (0 where C_i <= eps).
"""
from __future__ import annotations

import numpy as np

from ._backend import namespace
from .options import AstromorphicOptions, astromorphic_options

__all__ = [
    "feature_map",
    "relative_position_matrix",
    "astro_weights",
    "visibility",
    "masked_reciprocal",
    "astromorphic_attention",
    "astromorphic_write",
    "astromorphic_read",
    "kozachkov_attention",
    "linear_attention",
    "softmax_attention",
    "reference_attention",
]

_TINY = 1e-300


def feature_map(x):
    """phi(x) = elu(x) + 1 (Eq. 4), positive everywhere."""
    xp = namespace(x)
    return xp.where(x > 0, x + 1.0, xp.exp(xp.clip_max(x, 0.0)))


def relative_position_matrix(length: int, kernel: str = "exp", decay: float = 0.1) -> np.ndarray:
    """The N x N relative-position matrix P of Eq. 12 (its form is not given by the paper).

    Parameters
    ----------
    length : int
        Number of positions L.
    kernel : {'exp', 'distance'}
        ``'exp'``: exp(-decay |i - j|); ``'distance'``: |i - j| / L.
    decay : float
        Rate of the ``'exp'`` kernel.

    Returns
    -------
    numpy.ndarray, shape (L, L), float64
    """
    if length < 1:
        raise ValueError(f"relative_position_matrix: length must be >= 1, got {length}")
    pos = np.arange(length, dtype=np.float64)
    dist = np.abs(pos[:, None] - pos[None, :])
    if kernel == "exp":
        return np.exp(-decay * dist)
    if kernel == "distance":
        return dist / length
    raise ValueError(f"relative_position_matrix: unknown kernel {kernel!r} (expected 'exp' or 'distance')")


def astro_weights(M, P):
    """Astrocyte weights W_astro = phi(M^T M P M^T)^T (Eq. 12, with the tie W_rel = M^T).

    Parameters
    ----------
    M : array, shape (..., d, L)
        Learned projection (one per head).
    P : array, shape (L, L)
        Relative-position matrix.

    Returns
    -------
    array, shape (..., d, L): column t is the astrocyte's key-side vector w_t for position t.
    """
    xp = namespace(M)
    P = xp.asarray(P, M)
    pm = xp.einsum("ij,...dj->...id", P, M)  # P M^T, (..., L, d)
    quad = xp.einsum("...dl,...le->...de", M, pm)  # D = M P M^T, (..., d, d)
    edges = xp.einsum("...dl,...de->...le", M, quad)  # a = M^T D, (..., L, d)
    return xp.swap(feature_map(edges))


def visibility(n: int, like, *, causal: bool = False, key_mask=None):
    """Boolean (..., N, N) matrix: entry [i, t] is True when query i sees key t."""
    xp = namespace(like)
    vis = xp.tril_bool(n, like) if causal else xp.ones_bool((n, n), like)
    if key_mask is not None:
        key_mask = xp.asarray(key_mask, like) > 0.5 if not _is_bool(key_mask) else key_mask
        vis = vis & key_mask[..., None, :]
    return vis


def _is_bool(x):
    return str(getattr(x, "dtype", "")).endswith("bool")


def masked_reciprocal(c, eps: float = 1e-6):
    """1/c where c > eps, else 0: the paper's masked inverse of the calcium response."""
    xp = namespace(c)
    ok = c > eps
    return xp.where(ok, 1.0 / xp.where(ok, c, 1.0), 0.0 * c)


def _check(q, k, v):
    if q.shape[-2:] != k.shape[-2:] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention reference: q {tuple(q.shape)}, k {tuple(k.shape)} and v {tuple(v.shape)} "
                         "must be (..., N, d), (..., N, d) and (..., N, e)")


def _key_side(k, w_astro, options):
    """Per-token key-side vectors kappa_t = phi(k_t) + w_t written into the store."""
    phi_k = feature_map(k)
    if not options.positional:
        return phi_k, phi_k
    if w_astro is None:
        raise ValueError("astromorphic reference: options.positional is True but no w_astro was given")
    n = k.shape[-2]
    if w_astro.shape[-2] != k.shape[-1] or w_astro.shape[-1] < n:
        raise ValueError(f"astromorphic reference: w_astro {tuple(w_astro.shape)} must be (..., d={k.shape[-1]}, L>={n})")
    xp = namespace(k)
    return phi_k, phi_k + xp.swap(w_astro[..., :n])


def _trace(phi_k, vis, options):
    """Presynaptic trace g seen by each query, (..., N, d)."""
    xp = namespace(phi_k)
    if options.alpha_placement == "per_token":
        return xp.einsum("...it,...td->...id", vis, xp.power(phi_k, options.alpha))
    total = xp.einsum("...it,...td->...id", vis, phi_k)
    return xp.where(total > 0, xp.power(xp.clip_min(total, _TINY), options.alpha), 0.0 * total)


def _scales(count, options):
    """(m inside the sigmoid, m outside), each broadcastable to (..., N)."""
    xp = namespace(count)
    m = xp.where(count > 0, count, 1.0 + 0.0 * count) if options.scale == "tokens" else float(options.scale)
    return (m, 1.0) if options.scale_placement == "inside" else (1.0, m)


def astromorphic_attention(q, k, v, *, w_astro=None, causal: bool = False, key_mask=None,
                           options: AstromorphicOptions | None = None):
    """Astromorphic attention, explicit per-query form (O(N^2 d e) memory; for tests).

    Parameters
    ----------
    q, k : array, shape (..., N, d)
    v : array, shape (..., N, e)
    w_astro : array, shape (..., d, L >= N), optional
        Astrocyte weights from :func:`astro_weights`; needed when ``options.positional``.
    causal : bool
        Query i sees keys t <= i only (stores, traces and token counts are prefix sums).
    key_mask : bool array, shape (..., N), optional
        True for real tokens; padded keys are left out of the store, the trace and the count.
    options : AstromorphicOptions, optional
        Defaults to ``AstromorphicOptions()``.

    Returns
    -------
    array, shape (..., N, e): the attention term L - X (no residual).
    """
    options = options or AstromorphicOptions()
    _check(q, k, v)
    xp = namespace(q)
    n = q.shape[-2]
    phi_q = feature_map(q)
    phi_k, kappa = _key_side(k, w_astro, options)
    vis_b = visibility(n, q, causal=causal, key_mask=key_mask)
    vis = xp.to_float(vis_b, q)
    store = xp.einsum("...it,...td,...te->...ide", vis, kappa, v)  # S_i, (..., N, d, e)
    count = xp.sum(vis, -1)  # tokens written before query i reads, (..., N)
    m_in, m_out = _scales(count, options)
    arg = store / (m_in[..., None, None] if not isinstance(m_in, float) else m_in)
    hebb = xp.sigmoid(arg) if options.sigma else arg
    num = xp.einsum("...id,...ide->...ie", phi_q, hebb)
    g = _trace(phi_k, vis, options)
    calcium = xp.sum(phi_q * g, -1)  # C_i, (..., N)
    inv = masked_reciprocal(calcium, options.eps) / m_out
    return num * inv[..., None]


def astromorphic_write(k, v, *, w_astro=None, key_mask=None, options: AstromorphicOptions | None = None):
    """Write mode as a token-by-token loop (Eqs. 9, 10, 13, 14; Algorithm 1), non-causal.

    Returns
    -------
    dict with ``H_neuron`` (..., d, e) = phi(K)^T V / m_in, ``H_astro`` (..., d, e) = W_astro V / m_in,
    ``H`` = sigma(H_neuron + H_astro) (or the plain sum without sigma), ``g`` (..., d), ``count``
    (...,) tokens written, and ``m_out`` (the scale left for the read step).
    """
    options = options or AstromorphicOptions()
    _check(k, k, v)
    xp = namespace(k)
    n = k.shape[-2]
    phi_k, kappa = _key_side(k, w_astro, options)
    live = xp.to_float(key_mask, k) if key_mask is not None else xp.to_float(xp.ones_bool(k.shape[:-1], k), k)
    h_neuron = 0.0 * xp.einsum("...d,...e->...de", phi_k[..., 0, :], v[..., 0, :])
    h_astro, g_acc, count = 0.0 * h_neuron, 0.0 * phi_k[..., 0, :], 0.0 * live[..., 0]
    for t in range(n):
        on = live[..., t]
        h_neuron = h_neuron + on[..., None, None] * xp.einsum("...d,...e->...de", phi_k[..., t, :], v[..., t, :])
        h_astro = h_astro + on[..., None, None] * xp.einsum("...d,...e->...de", kappa[..., t, :] - phi_k[..., t, :],
                                                            v[..., t, :])
        step = xp.power(phi_k[..., t, :], options.alpha) if options.alpha_placement == "per_token" else phi_k[..., t, :]
        g_acc = g_acc + on[..., None] * step
        count = count + on
    if options.alpha_placement == "total":
        g_acc = xp.where(g_acc > 0, xp.power(xp.clip_min(g_acc, _TINY), options.alpha), 0.0 * g_acc)
    m_in, m_out = _scales(count, options)
    m_in_b = m_in[..., None, None] if not isinstance(m_in, float) else m_in
    h_neuron, h_astro = h_neuron / m_in_b, h_astro / m_in_b
    total = h_neuron + h_astro
    return {"H_neuron": h_neuron, "H_astro": h_astro, "H": xp.sigmoid(total) if options.sigma else total,
            "g": g_acc, "count": count, "m_out": m_out}


def astromorphic_read(q, state: dict, *, options: AstromorphicOptions | None = None):
    """Read mode (Eqs. 15-17): C = phi(Q) g^T, P = 1/(m C) (masked), L = (phi(Q) H) P.

    Returns
    -------
    dict with ``C`` (..., N), ``P`` (..., N) and ``L`` (..., N, e) (attention term, no residual).
    """
    options = options or AstromorphicOptions()
    xp = namespace(q)
    phi_q = feature_map(q)
    calcium = xp.sum(phi_q * state["g"][..., None, :], -1)
    m_out = state["m_out"]
    m_out = m_out[..., None] if not isinstance(m_out, float) else m_out
    inv = masked_reciprocal(calcium, options.eps) / m_out
    out = xp.einsum("...nd,...de->...ne", phi_q, state["H"]) * inv[..., None]
    return {"C": calcium, "P": inv, "L": out}


def kozachkov_attention(q, k, v, *, causal: bool = False, key_mask=None, scale: float = 1.0,
                        scale_placement: str = "inside"):
    """Kozachkov et al. neuron-astrocyte (linearized) attention: no sigma, alpha = 1, no positional term."""
    opts = astromorphic_options("kozachkov", scale=scale, scale_placement=scale_placement)
    return astromorphic_attention(q, k, v, causal=causal, key_mask=key_mask, options=opts)


def linear_attention(q, k, v, *, causal: bool = False, key_mask=None, eps: float = 1e-6):
    """Katharopoulos et al. linear attention in its attention-matrix form: (A V) / (A 1), A = phi(Q) phi(K)^T."""
    _check(q, k, v)
    xp = namespace(q)
    vis = xp.to_float(visibility(q.shape[-2], q, causal=causal, key_mask=key_mask), q)
    scores = xp.einsum("...id,...td->...it", feature_map(q), feature_map(k)) * vis
    return xp.einsum("...it,...te->...ie", scores, v) * masked_reciprocal(xp.sum(scores, -1), eps)[..., None]


def softmax_attention(q, k, v, *, causal: bool = False, key_mask=None, scale: float | None = None):
    """Standard scaled dot-product attention; a query with no visible key outputs 0."""
    _check(q, k, v)
    xp = namespace(q)
    vis = visibility(q.shape[-2], q, causal=causal, key_mask=key_mask)
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    scores = xp.einsum("...id,...td->...it", q, k) * scale
    top = xp.amax(xp.where(vis, scores, -1e300 + 0.0 * scores), -1, keepdims=True)
    weights = xp.where(vis, xp.exp(xp.clip_max(scores - top, 0.0)), 0.0 * scores)
    total = xp.sum(weights, -1)
    return xp.einsum("...it,...te->...ie", weights, v) * masked_reciprocal(total, 0.0)[..., None]


def reference_attention(kind: str, q, k, v, *, causal: bool = False, key_mask=None, w_astro=None,
                        options: AstromorphicOptions | None = None):
    """Dispatch to the reference of ``kind`` ('astromorphic', 'kozachkov', 'linear', 'softmax')."""
    if kind in ("astromorphic", "kozachkov"):
        options = options or astromorphic_options(kind)
        return astromorphic_attention(q, k, v, w_astro=w_astro, causal=causal, key_mask=key_mask, options=options)
    if kind == "linear":
        return linear_attention(q, k, v, causal=causal, key_mask=key_mask)
    if kind == "softmax":
        return softmax_attention(q, k, v, causal=causal, key_mask=key_mask)
    raise KeyError(f"attention kind {kind!r} not defined. Available: ['astromorphic', 'kozachkov', 'linear', 'softmax']")
