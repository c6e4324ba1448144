"""Text classifier (the paper's IMDB model): embeddings -> encoder -> masked mean pooling -> logits."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn

from .blocks import Block, Positions, masked_mean, resolve_positions

__all__ = ["TextClassifierConfig", "TextClassifier"]


@dataclass
class TextClassifierConfig:
    vocab_size: int = 20000
    num_classes: int = 2
    max_len: int = 400  # paper: sequence length 400
    dim: int = 128  # paper: D = 128
    heads: int = 4  # paper: 4 heads
    layers: int = 1  # paper: 1 encoder layer
    ffn_mult: int = 4  # FFN hidden width = ffn_mult * dim (not given by the paper)
    dropout: float = 0.1
    attention: str = "astromorphic"
    attention_options: dict = field(default_factory=dict)  # e.g. {"preset": "paper"} or {"alpha": 0.5}
    positions: str = "auto"  # 'auto': none for astromorphic (W_astro carries them), learned otherwise
    embedding_dim: int | None = None  # token-vector width if not dim (300 for GloVe); projected to dim
    freeze_embeddings: bool = False  # keep a pretrained embedding matrix fixed
    pad_id: int = 0
    norm_first: bool = False  # paper: post-norm, Y = LayerNorm(SA(X) + X)
    dropout_after_residual: bool = True  # paper: dropout after the residual connection, before LayerNorm


class TextClassifier(nn.Module):
    """Encoder-only sequence classifier.

    Parameters
    ----------
    config : TextClassifierConfig
    embeddings : Tensor (vocab_size, embedding_dim), optional
        Pretrained token vectors (e.g. GloVe rows in vocabulary order) to initialise the embedding.
    """

    def __init__(self, config: TextClassifierConfig, embeddings: torch.Tensor | None = None):
        super().__init__()
        self.config = c = config
        emb_dim = c.embedding_dim or (embeddings.shape[1] if embeddings is not None else c.dim)
        self.tok = nn.Embedding(c.vocab_size, emb_dim, padding_idx=c.pad_id)
        nn.init.normal_(self.tok.weight, std=0.02)
        if embeddings is not None:
            if tuple(embeddings.shape) != (c.vocab_size, emb_dim):
                raise ValueError(f"TextClassifier: embeddings must have shape ({c.vocab_size}, {emb_dim}), "
                                 f"got {tuple(embeddings.shape)}")
            with torch.no_grad():
                self.tok.weight.copy_(embeddings)
        self.tok.weight.requires_grad_(not c.freeze_embeddings)
        self.proj = nn.Linear(emb_dim, c.dim) if emb_dim != c.dim else nn.Identity()
        self.blocks = nn.ModuleList(
            Block(c.dim, c.heads, c.attention, c.attention_options, causal=False, max_len=c.max_len,
                  ffn_mult=c.ffn_mult, dropout=c.dropout, norm_first=c.norm_first,
                  dropout_after_residual=c.dropout_after_residual)
            for _ in range(c.layers))
        self.pos = Positions(resolve_positions(c.positions, self.blocks[0]), c.max_len, c.dim)
        self.drop = nn.Dropout(c.dropout)
        self.ln_f = nn.LayerNorm(c.dim) if c.norm_first else nn.Identity()
        self.head = nn.Linear(c.dim, c.num_classes)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """tokens (B, N) long, mask (B, N) bool (True = real token) -> logits (B, num_classes)."""
        if tokens.dim() != 2:
            raise ValueError(f"TextClassifier: tokens must be (B, N), got {tuple(tokens.shape)}")
        x = self.drop(self.proj(self.tok(tokens)) + self.pos(tokens.shape[1]))  # (B, N, D)
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.drop(masked_mean(self.ln_f(x), mask)))
