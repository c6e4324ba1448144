"""Synapse models: Tsodyks-Markram short-term plasticity with gliotransmitter modulation."""
from . import tsodyks_markram

__all__ = ["tsodyks_markram"]
