"""Multi-head attention modules (astromorphic, kozachkov, linear, softmax) and ``build_attention``."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from astrosim.attention.options import AstromorphicOptions, astromorphic_options
from astrosim.attention.reference import astro_weights, feature_map, relative_position_matrix

from .linear_time import astromorphic_linear_time

__all__ = ["AstromorphicAttention", "LinearAttention", "SoftmaxAttention", "build_attention", "ATTENTION_KINDS"]

ATTENTION_KINDS = ("astromorphic", "kozachkov", "linear", "softmax")


def _check_input(name, x, mask, dim):
    if x.dim() != 3 or x.shape[-1] != dim:
        raise ValueError(f"{name}: expected x of shape (B, N, {dim}), got {tuple(x.shape)}")
    if mask is not None:
        if mask.shape != x.shape[:2]:
            raise ValueError(f"{name}: mask must have shape {tuple(x.shape[:2])} (B, N), got {tuple(mask.shape)}")
        if mask.dtype != torch.bool:
            raise TypeError(f"{name}: mask must be a bool tensor (True = real token), got {mask.dtype}")


def _compute_dtype(t: torch.Tensor) -> torch.dtype:
    """float32 for half/bfloat16 inputs (accumulate and normalise in float32), else the input dtype."""
    return torch.promote_types(t.dtype, torch.float32)


class _MultiHead(nn.Module):
    """Shared projections: x -> q, k, v per head, and the output projection."""

    def __init__(self, dim: int, heads: int, causal: bool, bias: bool):
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention: dim={dim} is not divisible by heads={heads}")
        self.dim, self.heads, self.head_dim, self.causal = dim, heads, dim // heads, causal
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.proj = nn.Linear(dim, dim, bias=bias)

    def _split(self, x):
        B, N, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=-1)
        return [t.view(B, N, self.heads, self.head_dim).transpose(1, 2) for t in (q, k, v)]  # (B, H, N, hd)

    def _merge(self, out, like):
        B, H, N, hd = out.shape
        return self.proj(out.transpose(1, 2).reshape(B, N, H * hd).to(like.dtype))  # (B, N, D)


class AstromorphicAttention(_MultiHead):
    """The paper's astromorphic attention layer (and, with its options, the kozachkov baseline).

    Parameters
    ----------
    dim, heads : int
        Model width D and number of heads (head width D / heads is the feature dimension).
    causal : bool
        Prefix-sum form: position i reads the store written by tokens t <= i.
    max_len : int, optional
        Number of positions of the astrocyte term W_astro (needed when ``options.positional``).
    options : AstromorphicOptions
    chunk_size : int
        Positions per chunk in the causal forms.
    checkpoint : bool
        Recompute causal sigmoid chunks in backward (bounded memory).
    bias : bool
        Bias in the q/k/v and output projections.
    backend : {'auto', 'torch', 'triton'}
        Where the sigmoid store runs. ``'auto'``: the Triton kernels
        (:mod:`astrosim.attention.triton_astro`) for causal layers on CUDA inputs when Triton is
        installed, the options have the sigmoid and the head width is a power of two >= 16; the
        PyTorch linear-time path otherwise (always on the CPU, and for non-causal layers, whose
        store is two matrix products that cuBLAS already does faster than the whole Triton path). ``'triton'`` insists on the kernels (on the
        CPU only under ``TRITON_INTERPRET=1``); ``'torch'`` never uses them.
    """

    def __init__(self, dim, heads, *, causal=False, max_len=None, options: AstromorphicOptions | None = None,
                 chunk_size: int = 32, checkpoint: bool = True, bias: bool = True, backend: str = "auto"):
        super().__init__(dim, heads, causal, bias)
        if backend not in _BACKENDS:
            raise ValueError(f"astromorphic attention: backend must be one of {_BACKENDS}, got {backend!r}")
        self.backend = backend
        self.options = options or AstromorphicOptions()
        self.chunk_size, self.checkpoint = int(chunk_size), bool(checkpoint)
        self.max_len = max_len
        if self.options.positional:
            if not max_len or max_len < 1:
                raise ValueError("astromorphic attention: the positional astrocyte term needs max_len (positions)")
            P = relative_position_matrix(max_len, self.options.position_kernel, self.options.position_decay)
            self.register_buffer("position_matrix", torch.tensor(P, dtype=torch.float32), persistent=False)
            self.M = nn.Parameter(torch.empty(heads, self.head_dim, max_len))  # (H, hd, L)
            self.reset_astrocyte()
        else:
            self.register_parameter("M", None)

    @torch.no_grad()
    def reset_astrocyte(self, target_std: float = 1.0):
        """Draw M ~ N(0, 1) and rescale it so the edges a = M^T M P M^T have std ``target_std`` (a is cubic in M)."""
        M = torch.randn(self.M.shape, dtype=torch.float64)
        edges = _edges(M, self.position_matrix.to(torch.float64))
        self.M.copy_(M * (target_std / edges.std().clamp_min(1e-12)) ** (1.0 / 3.0))

    def astrocyte_weights(self, dtype=torch.float32) -> torch.Tensor:
        """W_astro per head, (H, hd, L), computed in ``dtype`` outside autocast."""
        with torch.autocast(self.M.device.type, enabled=False):
            return astro_weights(self.M.to(dtype), self.position_matrix.to(dtype))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self._merge(self.head_outputs(x, mask), x)

    def head_outputs(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Per-head attention output before the output projection, (B, H, N, hd), in the compute dtype."""
        _check_input("astromorphic attention", x, mask, self.dim)
        B, N, _ = x.shape
        if self.options.positional and N > self.max_len:
            raise ValueError(f"astromorphic attention: sequence length {N} exceeds max_len={self.max_len}")
        q, k, v = self._split(x)
        dtype, x_dtype = _compute_dtype(q), q.dtype
        with torch.autocast(x.device.type, enabled=False):
            q, k, v = q.to(dtype), k.to(dtype), v.to(dtype)
            phi_q, phi_k = feature_map(q), feature_map(k)
            live = None if mask is None else mask.to(dtype)[:, None, :]  # (B, 1, N)
            if live is not None:
                phi_k, v = phi_k * live[..., None], v * live[..., None]
            kappa = phi_k
            if self.options.positional:
                w = self.astrocyte_weights(dtype)[:, :, :N].transpose(-1, -2)  # (H, N, hd)
                kappa = phi_k + (w if live is None else w * live[..., None])
            if self._use_triton(x):
                from astrosim.attention.triton_astro import astromorphic_triton

                return astromorphic_triton(phi_q, phi_k, kappa, v, live=live, options=self.options,
                                           causal=self.causal, kernel_dtype=x_dtype)
            out = astromorphic_linear_time(phi_q, phi_k, kappa, v, live=live, options=self.options,
                                           causal=self.causal, chunk_size=self.chunk_size,
                                           use_checkpoint=self.checkpoint)
        return out

    def _use_triton(self, x) -> bool:
        if self.backend == "torch":
            return False
        usable = self.options.sigma and _pow2(self.head_dim)
        if self.backend == "triton":
            if not usable:
                raise ValueError("astromorphic attention: backend='triton' needs options.sigma=True and a "
                                 f"power-of-two head width >= 16 (got sigma={self.options.sigma}, "
                                 f"head width {self.head_dim})")
            return True
        from astrosim.attention.triton_astro import triton_available

        return x.is_cuda and self.causal and usable and triton_available()

    def extra_repr(self):
        return (f"dim={self.dim}, heads={self.heads}, causal={self.causal}, max_len={self.max_len}, "
                f"backend={self.backend}, options={self.options}")


_BACKENDS = ("auto", "torch", "triton")


def _pow2(n: int) -> bool:
    return n >= 16 and not n & (n - 1)


def _edges(M, P):
    """Edges a = M^T M P M^T per head, (H, L, hd), for M (H, hd, L)."""
    pm = torch.einsum("ij,hdj->hid", P, M)  # P M^T, (H, L, hd)
    quad = torch.einsum("hdl,hle->hde", M, pm)  # M P M^T, (H, hd, hd)
    return torch.einsum("hdl,hde->hle", M, quad)


class LinearAttention(AstromorphicAttention):
    """Katharopoulos et al. linear attention: phi(q_i) sum_t phi(k_t) v_t^T / (phi(q_i) . sum_t phi(k_t))."""

    def __init__(self, dim, heads, *, causal=False, max_len=None, eps: float = 1e-6, chunk_size: int = 32,
                 checkpoint: bool = True, bias: bool = True, backend: str = "auto"):
        opts = AstromorphicOptions(sigma=False, scale=1.0, alpha=1.0, positional=False, eps=eps)
        super().__init__(dim, heads, causal=causal, max_len=max_len, options=opts, chunk_size=chunk_size,
                         checkpoint=checkpoint, bias=bias, backend=backend)


class SoftmaxAttention(_MultiHead):
    """Standard multi-head softmax attention through ``F.scaled_dot_product_attention``."""

    def __init__(self, dim, heads, *, causal=False, max_len=None, bias: bool = True):
        super().__init__(dim, heads, causal, bias)
        self.max_len = max_len

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self._merge(self.head_outputs(x, mask), x)

    def head_outputs(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Per-head attention output before the output projection, (B, H, N, hd)."""
        _check_input("softmax attention", x, mask, self.dim)
        q, k, v = self._split(x)
        if mask is None:
            return F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        N = x.shape[1]
        allowed = mask[:, None, None, :]  # (B, 1, 1, N) keys
        if self.causal:
            allowed = allowed & torch.ones(N, N, dtype=torch.bool, device=x.device).tril()
        empty = ~allowed.any(-1, keepdim=True)  # queries with no visible key: attend anywhere, output 0
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed | empty)
        return out.masked_fill(empty, 0.0)


_MODULE_KWARGS = ("chunk_size", "checkpoint", "bias", "backend")


def build_attention(kind: str, dim: int, heads: int, *, causal: bool = False, max_len: int | None = None,
                    preset: str | None = None, **options) -> nn.Module:
    """Build a multi-head attention module.

    Parameters
    ----------
    kind : {'astromorphic', 'kozachkov', 'linear', 'softmax'}
    dim, heads : int
        Model width and number of heads.
    causal : bool
        Causal (decoder) form; no output depends on later tokens.
    max_len : int, optional
        Maximum sequence length (needed by the astromorphic positional term).
    preset : {'default', 'paper'}, optional
        Astromorphic/kozachkov option preset (``'paper'``: Eq. 18 with Tables S1-S3). The paper
        fixes no options for linear and softmax attention, so for them both presets are the same.
    **options
        :class:`~astrosim.attention.AstromorphicOptions` fields (astromorphic, kozachkov),
        ``eps`` (linear), and module settings ``chunk_size``, ``checkpoint``, ``bias``, ``backend``
        (astromorphic family: ``'auto'``, ``'torch'`` or ``'triton'``; ignored by softmax).

    Returns
    -------
    nn.Module with ``forward(x (B, N, D), mask (B, N) bool or None) -> (B, N, D)`` (attention term only).
    """
    module_kwargs = {k: options.pop(k) for k in _MODULE_KWARGS if k in options}
    if kind in ("astromorphic", "kozachkov"):
        opts = astromorphic_options(kind, preset, dim, **options)
        return AstromorphicAttention(dim, heads, causal=causal, max_len=max_len, options=opts, **module_kwargs)
    if preset not in (None, "default", "paper"):
        raise KeyError(f"attention preset {preset!r} not defined for kind {kind!r}. Available: ['default', 'paper']")
    if kind == "linear":
        allowed = {"eps"}
        if set(options) - allowed:
            raise TypeError(f"linear attention: unknown option(s) {sorted(set(options) - allowed)}; known: ['eps']")
        return LinearAttention(dim, heads, causal=causal, max_len=max_len, **options, **module_kwargs)
    if kind == "softmax":
        for key in ("chunk_size", "checkpoint", "backend"):
            module_kwargs.pop(key, None)
        if options:
            raise TypeError(f"softmax attention takes no options, got {sorted(options)}")
        return SoftmaxAttention(dim, heads, causal=causal, max_len=max_len, **module_kwargs)
    raise KeyError(f"attention kind {kind!r} not defined. Available: {list(ATTENTION_KINDS)}")

