"""Li-Rinzel rest states: unique for most IP3, three in the bistable range of k3 = 0.05 uM (De Pitta et al. 2009)."""
import numpy as np
import pytest
from brian2 import Network, ms, second, umolar

from astrosim.models.astrocytes import li_rinzel
from astrosim.protocols.calcium_oscillations import rest_state_bifurcations

K3 = 0.05 * umolar


def test_state_count_changes_at_the_folds_found_by_linear_stability():
    """The folds come from an independent numpy transcription (calcium_oscillations.rest_state_bifurcations):
    one rest state just outside [fold_1, fold_2], three just inside."""
    folds = [x for x, kind in rest_state_bifurcations(0.05, 0.45, 0.6, samples=60) if kind == "fold"]
    assert len(folds) == 2 and abs(folds[0] - 0.4823) < 1e-3 and abs(folds[1] - 0.5440) < 1e-3
    for ip3, count in ((folds[0] - 2e-3, 1), (folds[0] + 2e-3, 3), (folds[1] - 2e-3, 3), (folds[1] + 2e-3, 1)):
        assert len(li_rinzel.resting_states(ip3 * umolar, k3=K3)) == count, ip3
    assert len(li_rinzel.resting_states(0.3 * umolar)) == 1  # default k3 = 0.1 uM: unique


def test_every_rest_state_is_a_fixed_point_of_the_brian2_model():
    """Started at each of the three states at IP3 = 0.51 uM (h = Q2/(Q2 + C)), the model stays put (rk4, 1 s)."""
    ip3 = 0.51 * umolar
    states = li_rinzel.resting_states(ip3, k3=K3)
    assert len(states) == 3
    cells = li_rinzel.build(3, k3=K3, dt=10 * ms)
    p = li_rinzel.PARAMETERS
    q2 = p["d2"] * (ip3 + p["d1"]) / (ip3 + p["d3"])
    cells.I, cells.C, cells.h = ip3, states, q2 / (q2 + states)
    Network(cells).run(1 * second)
    np.testing.assert_allclose(np.asarray(cells.C[:]), np.asarray(states), rtol=1e-8)


def test_resting_calcium_refuses_to_choose_silently():
    ip3 = 0.51 * umolar
    states = li_rinzel.resting_states(ip3, k3=K3)
    with pytest.raises(ValueError, match="3 rest states"):
        li_rinzel.resting_calcium(ip3, k3=K3)
    assert li_rinzel.resting_calcium(ip3, k3=K3, which="lowest") == states[0]
    assert li_rinzel.resting_calcium(ip3, k3=K3, which="highest") == states[-1]
    with pytest.raises(ValueError, match="which"):
        li_rinzel.resting_calcium(ip3, which="middle")
    assert li_rinzel.resting_calcium(0.7 * umolar, k3=K3) == li_rinzel.resting_states(0.7 * umolar, k3=K3)[0]
