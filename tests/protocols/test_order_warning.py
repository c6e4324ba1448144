"""Brian2's order-of-execution warning is silenced only for the AN model's stochastic release."""
import logging

import pytest


def _order_warnings(synapse_name):
    import brian2 as b

    import astrosim.protocols._base  # noqa: F401 - installs the filter

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("brian2.codegen.generators.base")
    logger.addHandler(handler)
    try:
        b.prefs.codegen.target = "numpy"
        # the AN model's form: release probability from postsynaptic state, stochastic release
        G = b.NeuronGroup(3, "dv/dt = -v/(10*ms) : volt\nx : 1\nmodulation = 1 + x : 1", threshold="v > 1*mV",
                          reset="v = 0*mV", method="exact")
        S = b.Synapses(G, G, "PR = clip(0.3*modulation_post, 0, 1) : 1",
                       on_pre="released = int(rand() < PR)\nv_post += 1*mV * released", name=synapse_name)
        S.connect()
        b.Network(G, S).run(0.2 * b.ms)
    finally:
        logger.removeHandler(handler)
    return [r for r in records if "order of execution" in r.getMessage()]


@pytest.mark.parametrize("name, shown", [("an_synapses", False), ("other_synapses", True)])
def test_only_the_explained_warning_is_dropped(name, shown):
    assert bool(_order_warnings(name)) is shown
