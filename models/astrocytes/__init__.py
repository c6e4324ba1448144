"""Astrocyte models: Li-Rinzel, G-ChI (De Pitta 2009) and gap-junction IP3 coupling."""
from . import gap_junction, gchi, li_rinzel

__all__ = ["li_rinzel", "gchi", "gap_junction"]
