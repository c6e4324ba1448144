"""Errors raised by the astrosim engine."""

__all__ = ["UnsupportedFeatureError", "SimulationError"]


class UnsupportedFeatureError(NotImplementedError):
    """A network uses a Brian2 feature the compiled engine does not support.

    Parameters
    ----------
    obj : str
        Name of the offending Brian2 object.
    feature : str
        Description of the unsupported feature.
    """

    def __init__(self, obj, feature):
        self.obj = obj
        self.feature = feature
        super().__init__(f"astrosim cannot run '{obj}': {feature} is not supported.")


class SimulationError(RuntimeError):
    """A state variable became NaN or infinite during a run.

    Parameters
    ----------
    message : str
        Human readable description.
    variable, index, time, batch : optional
        Where the invalid value appeared.
    """

    def __init__(self, message, variable=None, index=None, time=None, batch=None):
        self.variable = variable
        self.index = index
        self.time = time
        self.batch = batch
        super().__init__(message)
