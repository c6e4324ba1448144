"""Run a builder's namespace with ``brian2.run`` or ``astrosim.run`` as a script would."""

__all__ = ["run_in_namespace"]


def run_in_namespace(run_function, namespace, duration, **kwargs):
    """Call ``run_function(duration, **kwargs)`` from a frame whose globals are ``namespace``.

    ``brian2.run`` and ``astrosim.run`` both collect the Brian2 objects, and resolve external
    constants, from the frame that calls them; executing the call inside ``namespace`` makes
    that frame look exactly like the module frame of a script built from the same names.

    Parameters
    ----------
    run_function : callable
        ``brian2.run`` or ``astrosim.run``.
    namespace : dict
        Names → constants and Brian2 objects (as returned by a builder). Not modified,
        apart from the private call arguments, which are removed again.
    duration : brian2.Quantity
        Simulated time.

    Returns
    -------
    Whatever ``run_function`` returns (``astrosim.run`` returns its Simulator).
    """
    call = {"__run__": run_function, "__duration__": duration, "__kwargs__": kwargs}
    frame_globals = dict(namespace)
    frame_globals.update(call)
    exec("__result__ = __run__(__duration__, **__kwargs__)", frame_globals)
    return frame_globals["__result__"]
