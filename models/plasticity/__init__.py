"""Plasticity rules: pair-based STDP, rate-based Hebbian key->value writing, astrocytic presynaptic trace."""
from . import hebbian, presynaptic, stdp

__all__ = ["stdp", "hebbian", "presynaptic"]
