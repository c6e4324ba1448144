"""Moved to :mod:`astrosim.testing.networks` (tests and benchmarks share them); re-exported."""
from astrosim.testing.networks import *  # noqa: F401,F403
from astrosim.testing.networks import __all__  # noqa: F401
