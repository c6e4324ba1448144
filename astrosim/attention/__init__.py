"""Attention formulas shared by the transformer models and the mapping layer (float64 references)."""
from .options import AstromorphicOptions, astromorphic_options
from .reference import (
    astro_weights,
    astromorphic_attention,
    astromorphic_read,
    astromorphic_write,
    feature_map,
    kozachkov_attention,
    linear_attention,
    masked_reciprocal,
    reference_attention,
    relative_position_matrix,
    softmax_attention,
    visibility,
)

__all__ = [
    "AstromorphicOptions",
    "astromorphic_options",
    "astro_weights",
    "astromorphic_attention",
    "astromorphic_read",
    "astromorphic_write",
    "feature_map",
    "kozachkov_attention",
    "linear_attention",
    "masked_reciprocal",
    "reference_attention",
    "relative_position_matrix",
    "softmax_attention",
    "visibility",
]
