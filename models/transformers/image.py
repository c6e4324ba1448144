"""Image classifier in the CoAtNet style of the paper: conv stem -> patches -> encoder stack -> pooled head."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn

from .blocks import Block, Positions, resolve_positions

__all__ = ["ImageClassifierConfig", "ImageClassifier"]


@dataclass
class ImageClassifierConfig:
    in_channels: int = 3  # 3 for CIFAR-10, 1 for Fashion-MNIST
    image_size: int = 32  # square images: 32 for CIFAR-10, 28 for Fashion-MNIST
    num_classes: int = 10
    stem_channels: int = 64  # width of the 3x3 convolution stem (not given by the paper)
    patch_size: int = 2  # paper: patch size 2 -> (image_size / 2)^2 tokens
    dim: int = 256  # paper: D = 256
    heads: int = 8  # paper: 8 heads
    layers: int = 8  # paper: 8 encoder layers
    ffn_mult: int = 4
    dropout: float = 0.1
    attention: str = "astromorphic"
    attention_options: dict = field(default_factory=dict)
    positions: str = "auto"  # 'auto': none for astromorphic (W_astro carries them), learned otherwise
    norm_first: bool = True  # pre-norm for the 8-layer stack (the paper does not say)

    @property
    def num_tokens(self) -> int:
        return (self.image_size // self.patch_size) ** 2


class ImageClassifier(nn.Module):
    """3x3 conv stem, non-overlapping patch embedding, encoder blocks, GELU + average pooling, linear head."""

    def __init__(self, config: ImageClassifierConfig):
        super().__init__()
        self.config = c = config
        if c.image_size % c.patch_size:
            raise ValueError(f"ImageClassifier: image_size={c.image_size} is not divisible by patch_size={c.patch_size}")
        self.stem = nn.Sequential(
            nn.Conv2d(c.in_channels, c.stem_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(c.stem_channels),
            nn.GELU(),
        )
        self.patch = nn.Conv2d(c.stem_channels, c.dim, c.patch_size, stride=c.patch_size)
        self.blocks = nn.ModuleList(
            Block(c.dim, c.heads, c.attention, c.attention_options, causal=False, max_len=c.num_tokens,
                  ffn_mult=c.ffn_mult, dropout=c.dropout, norm_first=c.norm_first)
            for _ in range(c.layers))
        self.pos = Positions(resolve_positions(c.positions, self.blocks[0]), c.num_tokens, c.dim)
        self.drop = nn.Dropout(c.dropout)
        self.ln_f = nn.LayerNorm(c.dim)
        self.act = nn.GELU()  # the paper's extra non-linearity before pooling
        self.head = nn.Linear(c.dim, c.num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images (B, C, H, W) float -> logits (B, num_classes)."""
        c = self.config
        expected = (c.in_channels, c.image_size, c.image_size)
        if images.dim() != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"ImageClassifier: images must be (B, {expected[0]}, {expected[1]}, {expected[2]}), "
                             f"got {tuple(images.shape)}")
        x = self.patch(self.stem(images))  # (B, D, H/p, W/p)
        x = x.flatten(2).transpose(1, 2)  # (B, N, D)
        x = self.drop(x + self.pos(x.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.act(self.ln_f(x)).mean(1))
