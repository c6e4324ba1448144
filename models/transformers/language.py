"""Causal language model (the paper's WikiText-2 decoder, plus deeper stacks)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
import torch.nn as nn

from .blocks import Block, Positions, resolve_positions

__all__ = ["CausalLMConfig", "CausalLM"]


@dataclass
class CausalLMConfig:
    vocab_size: int = 33278  # WikiText-2 word-level vocabulary
    max_len: int = 512  # paper: sequence length 512
    dim: int = 768  # paper: D = 768
    heads: int = 6  # paper: 6 heads
    layers: int = 1  # paper: 1 decoder layer
    ffn_mult: int = 4
    dropout: float = 0.1
    attention: str = "astromorphic"
    attention_options: dict = field(default_factory=dict)
    positions: str = "auto"  # 'auto': none for astromorphic (W_astro carries them), learned otherwise
    tie_embeddings: bool = True  # share the token embedding with the output layer
    norm_first: bool = False  # paper: post-norm decoder block
    causal: bool = True  # False: attention over the whole window, future tokens included (the leak experiment)

    @classmethod
    def deep(cls, **overrides) -> "CausalLMConfig":
        """A deeper pre-norm stack (6 layers, D = 384, 6 heads) for runs beyond the paper's 1 layer."""
        return replace(cls(layers=6, dim=384, heads=6, norm_first=True), **overrides)


class CausalLM(nn.Module):
    """Decoder-only language model; every attention layer is causal (no position sees later tokens).

    ``config.causal=False`` takes the attention equations literally over the whole window (each
    position sees later tokens, including the one it predicts): only for measuring that leak.
    """

    def __init__(self, config: CausalLMConfig):
        super().__init__()
        self.config = c = config
        self.tok = nn.Embedding(c.vocab_size, c.dim)
        nn.init.normal_(self.tok.weight, std=0.02)
        self.blocks = nn.ModuleList(
            Block(c.dim, c.heads, c.attention, c.attention_options, causal=c.causal, max_len=c.max_len,
                  ffn_mult=c.ffn_mult, dropout=c.dropout, norm_first=c.norm_first)
            for _ in range(c.layers))
        self.pos = Positions(resolve_positions(c.positions, self.blocks[0]), c.max_len, c.dim)
        self.drop = nn.Dropout(c.dropout)
        self.ln_f = nn.LayerNorm(c.dim)  # paper: LayerNorm and dropout before the output
        self.head = nn.Linear(c.dim, c.vocab_size, bias=False)
        if c.tie_embeddings:
            self.head.weight = self.tok.weight

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """tokens (B, N) long (N <= max_len), optional mask (B, N) bool -> logits (B, N, vocab_size)."""
        if tokens.dim() != 2:
            raise ValueError(f"CausalLM: tokens must be (B, N), got {tuple(tokens.shape)}")
        if tokens.shape[1] > self.config.max_len:
            raise ValueError(f"CausalLM: sequence length {tokens.shape[1]} exceeds max_len={self.config.max_len}")
        x = self.drop(self.tok(tokens) + self.pos(tokens.shape[1]))  # (B, N, D)
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.drop(self.ln_f(x)))
