"""Attention variants compared by the option benchmarks: name -> (kind, options for build_attention)."""

VARIANTS = {
    "astro-default": ("astromorphic", {}),
    "astro-paper": ("astromorphic", {"preset": "paper"}),
    "astro-paper-eq11": ("astromorphic", {"preset": "paper", "scale_placement": "inside"}),
    "astro-m=1-inside": ("astromorphic", {"scale": 1.0}),
    "astro-no-sigma": ("astromorphic", {"sigma": False}),
    "astro-per-token-alpha": ("astromorphic", {"alpha_placement": "per_token"}),
    "astro-no-positional": ("astromorphic", {"positional": False}),
    "kozachkov": ("kozachkov", {}),
    "linear": ("linear", {}),
    "softmax": ("softmax", {}),
}
