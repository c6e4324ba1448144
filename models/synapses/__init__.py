"""Synapse models: Tsodyks-Markram with gliotransmitter modulation; NEST's tsodyks_synapse and sic_connection."""
from . import sic_connection, tsodyks_2000, tsodyks_markram

__all__ = ["tsodyks_markram", "tsodyks_2000", "sic_connection"]
