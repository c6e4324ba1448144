"""Transformer building blocks: feed-forward, encoder/decoder block, absolute positions."""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .attention import build_attention

__all__ = ["FeedForward", "Block", "Positions", "resolve_positions", "masked_mean"]

_POSITION_KINDS = ("auto", "learned", "sinusoidal", "none")


class FeedForward(nn.Module):
    """Two-layer MLP with GELU: D -> hidden -> D."""

    def __init__(self, dim: int, hidden: int, dropout: float):
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.out = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.out(self.drop(self.act(self.fc(x))))


class Block(nn.Module):
    """Attention + feed-forward with residuals and LayerNorm.

    Post-norm (``norm_first=False``, the paper's Eqs. 2-3): x = LN(x + A(x)); x = LN(x + FFN(x)).
    Pre-norm (``norm_first=True``): x = x + A(LN(x)); x = x + FFN(LN(x)).
    ``dropout_after_residual`` applies dropout to the sum x + A(x) (the paper's IMDB model)
    instead of to the branch A(x).
    """

    def __init__(self, dim, heads, attention, attention_options, *, causal=False, max_len=None, ffn_mult=4,
                 dropout=0.1, norm_first=False, dropout_after_residual=False):
        super().__init__()
        self.attn = build_attention(attention, dim, heads, causal=causal, max_len=max_len,
                                    **dict(attention_options or {}))
        self.ffn = FeedForward(dim, ffn_mult * dim, dropout)
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)
        self.norm_first, self.dropout_after_residual = norm_first, dropout_after_residual

    def _add(self, x, branch):
        return self.drop(x + branch) if self.dropout_after_residual else x + self.drop(branch)

    def forward(self, x, mask=None):
        if self.norm_first:
            x = self._add(x, self.attn(self.ln1(x), mask))
            return self._add(x, self.ffn(self.ln2(x)))
        x = self.ln1(self._add(x, self.attn(x, mask)))
        return self.ln2(self._add(x, self.ffn(x)))


class Positions(nn.Module):
    """Absolute positions added to token embeddings: ``'learned'``, ``'sinusoidal'`` or ``'none'``."""

    def __init__(self, kind: str, max_len: int, dim: int):
        super().__init__()
        self.kind, self.max_len = kind, max_len
        if kind == "learned":
            self.table = nn.Parameter(torch.randn(max_len, dim) * 0.02)
        elif kind == "sinusoidal":
            pos = torch.arange(max_len, dtype=torch.float32)[:, None]
            freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
            table = torch.zeros(max_len, dim)
            table[:, 0::2] = torch.sin(pos * freq)
            table[:, 1::2] = torch.cos(pos * freq)[:, : dim // 2]
            self.register_buffer("table", table, persistent=False)
        elif kind == "none":
            self.table = None
        else:
            raise ValueError(f"positions: unknown kind {kind!r}; expected one of {_POSITION_KINDS[1:]}")

    def forward(self, n: int):
        if self.table is None:
            return 0.0
        if n > self.max_len:
            raise ValueError(f"positions: sequence length {n} exceeds max_len={self.max_len}")
        return self.table[:n]


def resolve_positions(kind: str, block: Block) -> str:
    """``'auto'`` -> ``'none'`` when the block's attention carries relative positions (astromorphic
    with its astrocyte term), else ``'learned'``."""
    if kind not in _POSITION_KINDS:
        raise ValueError(f"positions: unknown kind {kind!r}; expected one of {_POSITION_KINDS}")
    if kind != "auto":
        return kind
    options = getattr(block.attn, "options", None)
    return "none" if options is not None and options.positional else "learned"


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over real tokens: (B, N, D), (B, N) bool -> (B, D)."""
    if mask is None:
        return x.mean(1)
    weights = mask.to(x.dtype)[..., None]
    return (x * weights).sum(1) / weights.sum(1).clamp_min(1.0)
