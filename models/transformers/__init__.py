"""PyTorch attention modules (astromorphic, kozachkov, linear, softmax) and the task models."""
from .attention import ATTENTION_KINDS, AstromorphicAttention, LinearAttention, SoftmaxAttention, build_attention
from .blocks import Block, FeedForward, Positions
from .image import ImageClassifier, ImageClassifierConfig
from .language import CausalLM, CausalLMConfig
from .text import TextClassifier, TextClassifierConfig

__all__ = [
    "ATTENTION_KINDS",
    "AstromorphicAttention",
    "LinearAttention",
    "SoftmaxAttention",
    "build_attention",
    "Block",
    "FeedForward",
    "Positions",
    "TextClassifier",
    "TextClassifierConfig",
    "ImageClassifier",
    "ImageClassifierConfig",
    "CausalLM",
    "CausalLMConfig",
]
