"""Model parameter overrides: unknown names and wrong units are clear errors; good overrides take effect."""
import pytest
from brian2 import Hz, mV, umolar

from astrosim.models import an_model
from astrosim.models._params import ParameterError, resolve_parameters
from astrosim.models.astrocytes import li_rinzel
from astrosim.models.neurons import lif_passive


def test_unknown_parameter_names_the_model_and_the_key():
    with pytest.raises(ParameterError, match="li_rinzel: unknown parameter 'k4'"):
        li_rinzel.build(1, k4=0.1 * umolar)


def test_wrong_unit_is_rejected():
    with pytest.raises(ParameterError, match="'tau_m' needs units"):
        lif_passive.build(1, tau_m=5 * mV)


def test_override_reaches_the_group_namespace():
    group = li_rinzel.build(2, k3=0.05 * umolar)
    assert group.namespace["k3"] == 0.05 * umolar
    assert resolve_parameters(li_rinzel.PARAMETERS, {}, "x") == li_rinzel.PARAMETERS


def test_an_model_sizes_and_bad_sizes():
    net = an_model.build(3, neurons_per_astrocyte=2, synapses_per_neuron=4, rate=[1, 2, 3] * Hz)
    assert (len(net.pre), len(net.neurons), len(net.astrocytes)) == (24, 6, 3)
    assert len(net.synapses) == 24 and list(net.neuron_to_astro.j[:]) == [0, 0, 1, 1, 2, 2]
    assert list(net.pre.rate[:8] / Hz) == [1] * 8
    with pytest.raises(ValueError, match="synapses_per_neuron must be a positive integer"):
        an_model.build(1, synapses_per_neuron=0)
