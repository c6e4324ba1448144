"""Linear-time forms of the astromorphic family (non-causal O(N d e); causal by chunked prefix sums).

All functions take per-head float tensors shaped ``(B, H, N, d)`` that already hold the
feature-mapped queries ``phi_q``, the feature-mapped keys ``phi_k`` and the key-side vectors
written into the store ``kappa`` (= phi_k, plus w_t when the positional astrocyte term is on),
with padded tokens already zeroed, and compute what ``astrosim.attention.reference``
writes explicitly.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint as _checkpoint

from astrosim.attention.options import AstromorphicOptions

__all__ = ["astromorphic_linear_time", "safe_reciprocal"]


def safe_reciprocal(c: torch.Tensor, eps: float) -> torch.Tensor:
    """Masked reciprocal 1/c for c > eps, else 0, with finite gradients everywhere."""
    ok = c > eps
    return torch.where(ok, 1.0 / torch.where(ok, c, torch.ones_like(c)), torch.zeros_like(c))


def _safe_pow(x: torch.Tensor, alpha: float) -> torch.Tensor:
    if alpha == 1.0:
        return x
    ok = x > 0
    return torch.where(ok, torch.where(ok, x, torch.ones_like(x)).pow(alpha), torch.zeros_like(x))


def _trace(phi_k, live, options, causal):
    """Presynaptic trace g per query, (B, H, N, d) if causal else (B, H, 1, d)."""
    if options.alpha_placement == "per_token":
        step = _safe_pow(phi_k, options.alpha)
        step = step if live is None else step * live[..., None]
        return step.cumsum(2) if causal else step.sum(2, keepdim=True)
    total = phi_k.cumsum(2) if causal else phi_k.sum(2, keepdim=True)  # phi_k is already masked
    return _safe_pow(total, options.alpha)


def _counts(live, n, like, causal):
    """Tokens written before each query reads, (B, 1, N) or (B, 1, 1); clamped to >= 1."""
    if live is None:
        if causal:
            return torch.arange(1, n + 1, dtype=like.dtype, device=like.device).view(1, 1, n)
        return torch.full((1, 1, 1), float(n), dtype=like.dtype, device=like.device)
    count = live.cumsum(-1) if causal else live.sum(-1, keepdim=True)
    return count.clamp_min(1.0)


def _sigma_chunk(state, q, k, v, m_in):
    # state (B, H, d, e); q, k (B, H, C, d); v (B, H, C, e); m_in (B, 1|H, C) or None
    store = state.unsqueeze(2) + torch.einsum("bhcd,bhce->bhcde", k, v).cumsum(2)  # S_i, (B, H, C, d, e)
    arg = store if m_in is None else store / m_in[..., None, None]
    num = torch.einsum("bhcd,bhcde->bhce", q, torch.sigmoid(arg))
    return num, store[:, :, -1]


def _causal_sigma(phi_q, kappa, v, m_in, chunk_size, use_checkpoint):
    """Causal store with the sigmoid: per-position states, built chunk by chunk."""
    B, H, N, d = kappa.shape
    state = kappa.new_zeros(B, H, d, v.shape[-1])
    outs = []
    for s in range(0, N, chunk_size):
        sl = slice(s, s + chunk_size)
        m_c = None if m_in is None else m_in[..., sl]
        args = (state, phi_q[:, :, sl], kappa[:, :, sl], v[:, :, sl], m_c)
        if use_checkpoint and torch.is_grad_enabled():
            num, state = _checkpoint(_sigma_chunk, *args, use_reentrant=False)
        else:
            num, state = _sigma_chunk(*args)
        outs.append(num)
    return torch.cat(outs, dim=2)


def _causal_plain(phi_q, kappa, v, chunk_size):
    """Causal phi(q_i) . sum_{t<=i} kappa_t v_t^T without a sigmoid: chunked linear attention."""
    B, H, N, d = kappa.shape
    C = min(chunk_size, N)
    pad = (-N) % C
    if pad:
        phi_q, kappa, v = (F.pad(t, (0, 0, 0, pad)) for t in (phi_q, kappa, v))
    nc = (N + pad) // C
    qc = phi_q.view(B, H, nc, C, d)  # (B, H, nc, C, d)
    kc = kappa.view(B, H, nc, C, d)
    vc = v.view(B, H, nc, C, v.shape[-1])
    tril = torch.ones(C, C, dtype=torch.bool, device=v.device).tril()
    scores = (qc @ kc.transpose(-1, -2)).masked_fill(~tril, 0.0)  # (B, H, nc, C, C)
    intra = scores @ vc
    chunk_kv = kc.transpose(-1, -2) @ vc  # (B, H, nc, d, e)
    before = torch.cat([torch.zeros_like(chunk_kv[:, :, :1]), chunk_kv[:, :, :-1]], dim=2).cumsum(2)
    out = intra + qc @ before
    return out.reshape(B, H, nc * C, -1)[:, :, :N]


def astromorphic_linear_time(phi_q, phi_k, kappa, v, *, live=None, options: AstromorphicOptions,
                             causal: bool = False, chunk_size: int = 32, use_checkpoint: bool = True):
    """Astromorphic attention output per head, (B, H, N, e), in linear time.

    Parameters
    ----------
    phi_q, phi_k, kappa : Tensor, (B, H, N, d)
        Feature-mapped queries and keys, and the key-side store vectors (padded tokens zeroed).
    v : Tensor, (B, H, N, e)
        Values (padded tokens zeroed).
    live : Tensor, (B, 1, N), optional
        1.0 for real tokens, 0.0 for padding.
    options : AstromorphicOptions
    causal : bool
        Prefix sums over positions (query i reads the store written by tokens t <= i).
    chunk_size : int
        Positions per chunk for the causal forms.
    use_checkpoint : bool
        Recompute each sigmoid chunk in the backward pass (memory O(B H C d e) instead of O(B H N d e)).
    """
    N = phi_q.shape[2]
    tokens = options.scale == "tokens"
    count = _counts(live, N, phi_q, causal) if tokens else None
    m = count if tokens else float(options.scale)
    m_in, m_out = (m, 1.0) if options.scale_placement == "inside" else (1.0, m)
    if not causal:
        store = torch.einsum("bhnd,bhne->bhde", kappa, v)  # (B, H, d, e)
        if not isinstance(m_in, float):
            store = store / m_in[..., None]
        elif m_in != 1.0:
            store = store / m_in
        hebb = torch.sigmoid(store) if options.sigma else store
        num = phi_q @ hebb  # (B, H, N, e)
    elif options.sigma:
        if isinstance(m_in, float):  # a fixed scale inside the sigmoid folds into the values
            num = _causal_sigma(phi_q, kappa, v / m_in, None, chunk_size, use_checkpoint)
        else:
            num = _causal_sigma(phi_q, kappa, v, m_in, chunk_size, use_checkpoint)
    else:
        num = _causal_plain(phi_q, kappa, v, chunk_size)
        num = num / (m_in[..., None] if not isinstance(m_in, float) else m_in)
    g = _trace(phi_k, live, options, causal)  # (B, H, N|1, d)
    calcium = (phi_q * g).sum(-1)  # C_i, (B, H, N)
    scale = safe_reciprocal(calcium, options.eps)
    scale = scale / (m_out if isinstance(m_out, float) else m_out)
    return num * scale[..., None]
