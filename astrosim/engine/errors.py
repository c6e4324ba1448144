"""Errors raised by the astrosim engine."""

__all__ = ["TargetIgnoredWarning", "UnsupportedFeatureError", "SimulationError"]


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


class TargetIgnoredWarning(UserWarning):
    """A script chose a Brian2 code-generation target that astrosim replaces.

    astrosim runs networks in its own compiled code with its own random streams; a script
    that sets ``prefs.codegen.target`` (for example to ``'numpy'``, to compare against values
    drawn from numpy's random stream) does not get that target for its runs.
    """
