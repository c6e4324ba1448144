"""Astrocyte models: Li-Rinzel, G-ChI (De Pitta 2009), gap-junction IP3 coupling, NEST's astrocyte_lr_1994."""
from . import gap_junction, gchi, li_rinzel, lr_1994_nest

__all__ = ["li_rinzel", "gchi", "gap_junction", "lr_1994_nest"]
