"""Triton kernels for the sigmoid store of astromorphic attention: num_i = phi(q_i) . sigma(a_i S_i).

The expensive part of astromorphic attention is the Hebbian store read through a sigmoid. With
``S_i = sum_{t visible to i} kappa_t v_t^T`` (d x e per query) and a per-query scale ``a_i``
(1/m inside the sigmoid), every query reads ``num_i[e] = sum_d phi_q_i[d] sigma(a_i S_i[d, e])``.
Non-causal: one store per sequence, so this is two matrix products around a d x e sigmoid.
Causal: the store grows with i and the sigmoid sits on each prefix, so no matrix-product
shortcut exists; the work is O(N d e) element-wise. The kernels split the sequence into spans:

1. ``_span_kv``: per span, ``kappa_span^T v_span`` (tensor cores, f32 accumulation); an
   exclusive prefix sum over spans (PyTorch, tiny) gives the store at the start of each span.
2. ``_causal_fwd``: one program per (span, sequence x head, block of value columns) walks its
   span in sub-chunks of ``sub`` rows, with the store for its value columns in registers:
   ``P = S + cumsum_rows(kappa v^T)``, ``num = sum_d phi_q * sigma(a P)``.
3. backward: ``G_i = a_i (phi_q_i dnum_i^T) * sigma'(a_i S_i)`` is the gradient of the store
   seen by query i; keys and values need its suffix sums ``R_t = sum_{i >= t} G_i``.
   ``_causal_gsum`` sums G over each span (suffix sums over spans in PyTorch), and
   ``_causal_bwd`` walks each span again and forms ``dkappa_t = R_t v_t``,
   ``dv_t = kappa_t^T R_t`` and ``dphi_q_i = sigma(a_i S_i) dnum_i``.

Inputs may be bf16 or float32; every sum is accumulated in float32 and the outputs are float32.
The rest of the layer (feature map, presynaptic trace, calcium normalisation) is O(N d) and stays
in PyTorch (``models/transformers/linear_time.py``); :func:`astromorphic_triton` puts them
together. :func:`sigma_store_chunked` is the same span/sub-chunk algorithm in plain PyTorch
(the CPU mirror the tests compare against, and a readable statement of what the kernels do).

Kernels compile for CUDA; with ``TRITON_INTERPRET=1`` (or ``interpret=True`` here) they run in
Triton's CPU interpreter, which is how the CPU tests exercise them.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

__all__ = ["triton_available", "sigma_store", "sigma_store_chunked", "astromorphic_triton", "KernelConfig"]


def triton_available() -> bool:
    """True when the ``triton`` package imports."""
    try:
        import triton  # noqa: F401
    except Exception:  # pragma: no cover - depends on the install
        return False
    return True


@dataclass(frozen=True)
class KernelConfig:
    """Tile sizes of the causal kernels.

    span : most rows per program (and per stored prefix state); shorter spans are used while the
        grid would otherwise hold fewer than ``min_programs`` programs.
    tile : elements of one [sub, d, block_e] register tile (sets ``sub``, the rows per sub-chunk).
    block_e : most value columns per program (a power of two).
    warps_fwd, warps_bwd : warps per program in the forward and backward kernels.
    Defaults: the fastest of a sweep at N = 8,192 on an H200 (docs/attention.md).
    fast_sigmoid : use the hardware tanh approximation (CUDA only; ~5e-4 relative error).
    """

    span: int = 256
    tile: int = 8192
    block_e: int = 64
    min_programs: int = 1024
    warps_fwd: int = 4
    warps_bwd: int = 4
    fast_sigmoid: bool = True


@functools.lru_cache(maxsize=1)
def _kernels():
    from . import _triton_kernels as k

    return {name: getattr(k, name) for name in ("span_kv", "rows_matmul", "causal_fwd", "causal_gsum", "causal_bwd")}


def _interpret(device) -> bool:
    """True on the CPU (Triton's interpreter); refuses CPU tensors when the interpreter is off."""
    from triton import knobs

    if device.type == "cuda":
        if knobs.runtime.interpret:
            raise RuntimeError("sigma_store: CUDA tensors but TRITON_INTERPRET=1 is set; unset it to compile the kernels")
        return False
    if not knobs.runtime.interpret:
        raise RuntimeError(f"sigma_store: tensors on {device}; the Triton kernels run on CUDA, or on the CPU under "
                           "TRITON_INTERPRET=1 set before triton is imported")
    return True


def _tiles(N, BH, D, E, cfg):
    """(span, sub, block_e) for one call: a [sub, D, block_e] tile of about ``cfg.tile`` elements, and spans
    short enough that the grid holds at least ``cfg.min_programs`` programs."""
    be = min(E, cfg.block_e, max(16, cfg.tile // (2 * D)))
    sub = max(2, min(cfg.tile // (D * be), 16))
    span = max(16, sub)
    while span * 2 <= cfg.span and -(-N // (span * 2)) * BH * (E // be) >= cfg.min_programs:
        span *= 2
    return span, sub, be


def _check(phi_q, kappa, v, a, causal):
    if phi_q.dim() != 3 or kappa.shape != phi_q.shape or v.shape[:2] != phi_q.shape[:2]:
        raise ValueError(f"sigma_store: expected phi_q, kappa (BH, N, d) and v (BH, N, e); got {tuple(phi_q.shape)}, "
                         f"{tuple(kappa.shape)}, {tuple(v.shape)}")
    for name, size in (("d", phi_q.shape[-1]), ("e", v.shape[-1])):
        if size < 16 or size & (size - 1):
            raise ValueError(f"sigma_store: head width {name}={size} must be a power of two >= 16 for the Triton kernels")
    BH, N, d = phi_q.shape
    if BH * N * max(d, v.shape[-1]) >= 2**31:
        raise ValueError(f"sigma_store: {BH} sequences x heads of {N} tokens exceed the kernels' 32-bit offsets; "
                         "split the batch")
    want = phi_q.shape[:2] if causal else phi_q.shape[:1]
    if tuple(a.shape) != tuple(want):
        raise ValueError(f"sigma_store: scale a must have shape {tuple(want)}, got {tuple(a.shape)}")


def _exclusive_prefix(kv):
    """Sum over the spans before each span (exactly zero for the first; no later span enters by rounding)."""
    out = torch.zeros_like(kv)
    out[:, 1:] = kv[:, :-1].cumsum(1)
    return out


def _span_sums(kern, A, B, span, be):
    """Per-span A^T B, (BH, nspan, d, e) float32."""
    BH, N, D = A.shape
    E = B.shape[-1]
    nspan = -(-N // span)
    out = torch.empty(BH, nspan, D, E, dtype=torch.float32, device=A.device)
    if A.dtype != B.dtype:
        A, B = A.to(torch.float32), B.to(torch.float32)
    ieee = A.dtype == torch.float32
    kern["span_kv"][(nspan, BH, E // be)](A, B, out, N, nspan, SPAN=span, RB=16, D=D, E=E, BE=be, IEEE=ieee)
    return out


def _rows_matmul(kern, X, M, be):
    BH, N, D = X.shape
    E = M.shape[-1]
    out = torch.empty(BH, N, E, dtype=torch.float32, device=X.device)
    rb = 64
    kern["rows_matmul"][(-(-N // rb), BH, E // be)](X, M.contiguous(), out, N, D=D, E=E, BE=be, RB=rb)
    return out


class _SigmaStore(torch.autograd.Function):
    @staticmethod
    def forward(ctx, phi_q, kappa, v, a, causal, cfg):
        interpret = _interpret(phi_q.device)
        kern = _kernels()
        phi_q, kappa, v, a = (t.contiguous() for t in (phi_q, kappa, v, a.to(torch.float32)))
        BH, N, D = phi_q.shape
        E = v.shape[-1]
        span, sub, be = _tiles(N, BH, D, E, cfg)
        fast = cfg.fast_sigmoid and not interpret
        kv = _span_sums(kern, kappa, v, span, be)  # (BH, nspan, D, E)
        if causal:
            S0 = _exclusive_prefix(kv)
            num = torch.empty(BH, N, E, dtype=torch.float32, device=phi_q.device)
            kern["causal_fwd"][(kv.shape[1], BH, E // be)](phi_q, kappa, v, a, S0, num, N, kv.shape[1], SPAN=span,
                                                           SUB=sub, D=D, E=E, BE=be, FAST=fast,
                                                           num_warps=cfg.warps_fwd)
            ctx.save_for_backward(phi_q, kappa, v, a, S0)
        else:
            hebb = torch.sigmoid(kv.sum(1) * a[:, None, None])  # (BH, D, E)
            num = _rows_matmul(kern, phi_q, hebb, be)
            ctx.save_for_backward(phi_q, kappa, v, a, hebb)
        ctx.causal, ctx.cfg, ctx.tiles, ctx.fast = causal, cfg, (span, sub, be), fast
        return num

    @staticmethod
    def backward(ctx, dnum):
        phi_q, kappa, v, a, saved = ctx.saved_tensors
        kern = _kernels()
        cfg, (span, sub, be) = ctx.cfg, ctx.tiles
        dnum = dnum.to(torch.float32).contiguous()
        BH, N, D = phi_q.shape
        E = v.shape[-1]
        if ctx.causal:
            S0 = saved
            nspan = S0.shape[1]
            gs = torch.empty_like(S0)
            grid = (nspan, BH, E // be)
            kern["causal_gsum"][grid](phi_q, kappa, v, a, dnum, S0, gs, N, nspan, SPAN=span, SUB=sub, D=D, E=E,
                                      BE=be, FAST=ctx.fast, num_warps=cfg.warps_bwd)
            R0 = gs.flip(1).cumsum(1).flip(1).contiguous()  # suffix sums from each span's start
            atomic = E // be > 1
            alloc = torch.zeros if atomic else torch.empty
            dq = alloc(BH, N, D, dtype=torch.float32, device=phi_q.device)
            dk = alloc(BH, N, D, dtype=torch.float32, device=phi_q.device)
            dv = torch.empty(BH, N, E, dtype=torch.float32, device=phi_q.device)
            kern["causal_bwd"][grid](phi_q, kappa, v, a, dnum, S0, R0, dq, dk, dv, N, nspan, SPAN=span,
                                     SUB=sub, D=D, E=E, BE=be, FAST=ctx.fast, ATOMIC=atomic,
                                     num_warps=cfg.warps_bwd)
        else:
            hebb = saved
            dhebb = _span_sums(kern, phi_q, dnum, span, be).sum(1)
            dstore = dhebb * hebb * (1.0 - hebb) * a[:, None, None]  # (BH, D, E)
            dq = _rows_matmul(kern, dnum, hebb.transpose(1, 2), min(D, 64))
            dk = _rows_matmul(kern, v, dstore.transpose(1, 2), min(D, 64))
            dv = _rows_matmul(kern, kappa, dstore, be)
        return dq.to(phi_q.dtype), dk.to(kappa.dtype), dv.to(v.dtype), None, None, None


def sigma_store(phi_q, kappa, v, a, *, causal: bool, config: KernelConfig | None = None):
    """num_i = phi_q_i . sigma(a_i S_i) with the Triton kernels (differentiable in phi_q, kappa, v).

    Parameters
    ----------
    phi_q, kappa : Tensor, (BH, N, d)
        Feature-mapped queries and key-side store vectors (padded tokens zeroed in kappa).
    v : Tensor, (BH, N, e)
    a : Tensor
        Scale inside the sigmoid: (BH, N) per query if causal, (BH,) per sequence otherwise.
    causal : bool
        Query i reads S_i = sum_{t <= i} kappa_t v_t^T (else the whole sequence's store).
    config : KernelConfig, optional

    Returns
    -------
    Tensor (BH, N, e), float32.
    """
    _check(phi_q, kappa, v, a, causal)
    return _SigmaStore.apply(phi_q, kappa, v, a, causal, config or KernelConfig())


def sigma_store_chunked(phi_q, kappa, v, a, *, causal: bool, span: int = 128, sub: int = 2):
    """The kernels' algorithm in plain PyTorch (span prefix states, then sub-chunk walks); float math.

    Same arguments and result as :func:`sigma_store`; differentiable through autograd.
    """
    BH, N, D = phi_q.shape
    E = v.shape[-1]
    f = torch.promote_types(phi_q.dtype, torch.float32)
    phi_q, kappa, v, a = phi_q.to(f), kappa.to(f), v.to(f), a.to(f)
    nspan = -(-N // span)
    pad = nspan * span - N
    if not causal:
        hebb = torch.sigmoid(torch.einsum("bnd,bne->bde", kappa, v) * a[:, None, None])
        return phi_q @ hebb
    qp, kp, vp, ap = (torch.nn.functional.pad(t, (0, 0, 0, pad)) if t.dim() == 3 else
                      torch.nn.functional.pad(t, (0, pad)) for t in (phi_q, kappa, v, a))
    kv = torch.einsum("bsnd,bsne->bsde", kp.view(BH, nspan, span, D), vp.view(BH, nspan, span, E))
    S0 = _exclusive_prefix(kv)  # store at each span's start
    outs = []
    for s in range(nspan):
        S = S0[:, s]
        for r in range(0, span, sub):
            rows = slice(s * span + r, s * span + r + sub)
            kvr = kp[:, rows, :, None] * vp[:, rows, None, :]  # (BH, sub, D, E)
            P = S[:, None] + kvr.cumsum(1)
            sig = torch.sigmoid(P * ap[:, rows, None, None])
            outs.append(torch.einsum("bnd,bnde->bne", qp[:, rows], sig))
            S = S + kvr.sum(1)
    return torch.cat(outs, 1)[:, :N]


def _prefix_sum(x):
    """Inclusive cumulative sum over positions (dim 2) of (B, H, N, d), scanned along the last memory axis
    (PyTorch's scan over a middle axis runs one sequential thread per column: 40x slower at N = 65,536)."""
    return x.transpose(2, 3).cumsum(-1).transpose(2, 3)


def _trace(phi_k, live, options, causal):
    """Presynaptic trace g, as ``linear_time._trace`` computes it, with the fast prefix sum."""
    from astrosim.models.transformers.linear_time import _safe_pow

    if options.alpha_placement == "per_token":
        step = _safe_pow(phi_k, options.alpha)
        step = step if live is None else step * live[..., None]
        return _prefix_sum(step) if causal else step.sum(2, keepdim=True)
    total = _prefix_sum(phi_k) if causal else phi_k.sum(2, keepdim=True)
    return _safe_pow(total, options.alpha)


def astromorphic_triton(phi_q, phi_k, kappa, v, *, live=None, options, causal: bool = False,
                        kernel_dtype=None, config: KernelConfig | None = None):
    """Astromorphic attention output per head, (B, H, N, e), with the sigmoid store in Triton.

    Same arguments and result as :func:`astrosim.models.transformers.linear_time.astromorphic_linear_time`
    (options with ``sigma=True``); phi_q, kappa and v go to the kernels in ``kernel_dtype`` (default:
    their own; bf16 halves the kernels' reads), the presynaptic trace and calcium normalisation are
    computed in float32 here.
    """
    from astrosim.models.transformers.linear_time import _counts, safe_reciprocal

    if not options.sigma:
        raise ValueError("astromorphic_triton: the Triton path is for the sigmoid store (options.sigma=True)")
    B, H, N, d = phi_q.shape
    e = v.shape[-1]
    f32 = torch.promote_types(phi_k.dtype, torch.float32)
    tokens = options.scale == "tokens"
    count = _counts(live, N, phi_k.to(f32), causal) if tokens else None  # (B|1, 1, N|1)
    m = count if tokens else float(options.scale)
    m_in, m_out = (m, 1.0) if options.scale_placement == "inside" else (1.0, m)
    shape = (B, H, N) if causal else (B, H, 1)
    if isinstance(m_in, float):
        a = torch.full(shape, 1.0 / m_in, dtype=torch.float32, device=phi_q.device)
    else:
        a = (1.0 / m_in).to(torch.float32).expand(shape)
    a = a.reshape(B * H, N) if causal else a.reshape(B * H)
    kd = kernel_dtype or phi_q.dtype
    kd = torch.float32 if kd == torch.float64 else kd  # the kernels accumulate in float32 anyway
    num = sigma_store(phi_q.to(kd).reshape(B * H, N, d), kappa.to(kd).reshape(B * H, N, d),
                      v.to(kd).reshape(B * H, N, e), a, causal=causal, config=config).view(B, H, N, e)
    g = _trace(phi_k.to(f32), live, options, causal)
    calcium = (phi_q.to(f32) * g).sum(-1)
    scale = safe_reciprocal(calcium, options.eps)
    scale = scale / (m_out if isinstance(m_out, float) else m_out)
    return num.to(f32) * scale[..., None]
