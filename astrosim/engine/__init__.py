"""astrosim's compiled engine: Brian2 networks fused into one numba time loop."""
from .errors import SimulationError, UnsupportedFeatureError
from .options import EngineOptions, default_options
from .simulator import Simulator
from .api import run, run_script, AstrosimDevice

__all__ = ["Simulator", "run", "run_script", "AstrosimDevice", "SimulationError",
           "UnsupportedFeatureError", "EngineOptions", "default_options"]
