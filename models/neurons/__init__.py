"""Neuron models: the paper's passive LIF, conductance-based LIF, adaptive exponential IF, NEST's aeif_cond_alpha_astro."""
from . import adex, aeif_cond_alpha_astro, lif_conductance, lif_passive

__all__ = ["lif_passive", "lif_conductance", "adex", "aeif_cond_alpha_astro"]
