"""Neuron models: the paper's passive LIF, conductance-based LIF and adaptive exponential IF."""
from . import adex, lif_conductance, lif_passive

__all__ = ["lif_passive", "lif_conductance", "adex"]
