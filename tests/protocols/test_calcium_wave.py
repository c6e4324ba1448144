"""Protocol ``calcium_wave``: the Stimberg et al. (2019) Fig. 5 astrocyte ring, a regenerative wave of constant speed.

Stimberg et al. and Goldberg et al. (2010) publish no wave-speed number that could be checked here; the
reference is the published Fig. 5 model itself (its equations and parameter values, written out below
independently of astrosim's model library and run on brian2), whose full 50-cell ring gives a delay of
15.54 s per cell (docs/protocols.md).
"""
import subprocess
import sys

import numpy as np
import pytest
from brian2 import Network, NeuronGroup, StateMonitor, Synapses, ms, second, umolar

from astrosim.protocols import get
from astrosim.protocols._base import ProtocolParameterError

WAVE = get("calcium_wave")

#: Stimberg et al. (2019), Fig. 5: G-ChI without PLCbeta, exogenous IP3 clamp (Goldberg et al. 2010 form)
#: switched on for 20 s of every 50 s, Goldberg non-linear junction flux. Written from the published
#: equations in the reference's own variable names.
FIG5_EQUATIONS = """
dC/dt = (Omega_C*m_inf**3*h**3 + Omega_L)*(C_T - (1 + rho_A)*C) - O_P*C**2/(C**2 + K_P**2) : mmolar
dh/dt = (h_inf - h)/tau_h : 1
m_inf = I/(I + d_1) * C/(C + d_5) : 1
Q_2 = d_2*(I + d_1)/(I + d_3) : mmolar
h_inf = Q_2/(Q_2 + C) : 1
tau_h = 1/(O_2*(Q_2 + C)) : second
dI/dt = J_delta - J_3K - Omega_5P*I + J_ex + J_coupling : mmolar
J_delta = O_delta/(1 + I/kappa_delta) * C**2/(C**2 + K_delta**2) : mmolar/second
J_3K = O_3K * C**4/(C**4 + K_D**4) * I/(I + K_3K) : mmolar/second
target = I_bias*int((t % (50*second)) < 20*second) : mmolar
J_ex = -F_ex/2*(1 + tanh((abs(I - target) - I_Theta)/omega_I))*sign(I - target) : mmolar/second
J_coupling : mmolar/second
I_bias : mmolar (constant)
"""
FIG5_PARAMETERS = dict(
    O_P=0.9 * umolar / second, K_P=0.05 * umolar, C_T=2 * umolar, rho_A=0.18, Omega_C=6 / second,
    Omega_L=0.1 / second, d_1=0.13 * umolar, d_2=1.05 * umolar, O_2=0.2 / umolar / second, d_3=0.9434 * umolar,
    d_5=0.08 * umolar, O_delta=0.6 * umolar / second, kappa_delta=1.5 * umolar, K_delta=0.1 * umolar,
    Omega_5P=0.05 / second, K_D=0.7 * umolar, K_3K=1.0 * umolar, O_3K=4.5 * umolar / second,
    F_ex=0.09 * umolar / second, F=0.09 * umolar / second, I_Theta=0.3 * umolar, omega_I=0.05 * umolar)
FIG5_DELAY_S_PER_CELL = 15.54  # full 50-cell reference ring, brian2 (docs/protocols.md)


def _reference_ring(n, duration):
    cells = NeuronGroup(n, FIG5_EQUATIONS, method="rk4", dt=50 * ms, namespace=FIG5_PARAMETERS)
    cells.h = 0.9
    cells.I_bias[n // 2] = 1 * umolar
    junctions = Synapses(cells, cells, """
        J_coupling_post = -F/2*(1 + tanh((abs(I_post - I_pre) - I_Theta)/omega_I))*sign(I_post - I_pre)
                          : mmolar/second (summed)""", namespace=FIG5_PARAMETERS)
    junctions.connect("j == (i + 1) % N_pre or j == (i + N_pre - 1) % N_pre")
    monitor = StateMonitor(cells, "C", record=True, dt=100 * ms)
    Network(cells, junctions, monitor).run(duration)
    return np.asarray(monitor.C / umolar)


def test_protocol_reproduces_the_published_fig5_model():
    """The protocol (astrosim engine) gives the same Ca2+ traces as the Fig. 5 equations on brian2."""
    reference = _reference_ring(6, 45 * second)
    result = WAVE.run({"n_cells": 6, "duration": 45 * second, "engine": "astrosim"})
    np.testing.assert_allclose(result["calcium"], reference, rtol=0, atol=1e-7)
    # mirror symmetry of the ring about the stimulated cell (analytic): equal arrivals at equal distances
    arrival, s = result["arrival"], WAVE.distances(6, 3, "ring")
    assert result["summary"]["reach_cells"] == 2
    for d in (1, 2):
        assert np.ptp(arrival[s == d]) < 1e-9


def test_wave_is_regenerative_with_constant_speed():
    """A 16-cell chain stimulated at one end: every cell fires, arrival times are linear in distance with the
    Fig. 5 delay per cell, and the Ca2+ front keeps its height (no decrement)."""
    s = WAVE.run({"topology": "chain", "n_cells": 16, "duration": 250 * second})["summary"]
    assert s["reach_cells"] == 15 and s["cells_reached"] == 16
    assert s["fit_r2"] > 0.9999 and s["fit_max_residual_s"] < 3.0
    assert abs(s["delay_near_half_s"] / s["delay_far_half_s"] - 1) < 0.03
    assert abs(s["delay_s_per_cell"] / FIG5_DELAY_S_PER_CELL - 1) < 0.03
    assert s["front_peak_far_over_near"] > 0.95 and min(s["front_peak_uM"]) > 0.9
    assert abs(s["speed_um_per_s"] - s["speed_cells_per_s"] * 50) < 1e-12


@pytest.mark.parametrize("setting", [
    {"F": 0 * umolar / second},  # no junctions (Goldberg et al. 2010: no coupling, no wave)
    {"O_delta": 0 * umolar / second},  # no PLCdelta: IP3 is not regenerated, the signal stays local
    {"coupling": "linear", "P_gj": 0.1 / second},  # linear junction carrying F at the front's IP3 step
])
def test_no_wave_without_regeneration_or_nonlinear_junctions(setting):
    result = WAVE.run(dict(setting, topology="chain", n_cells=5, duration=90 * second))
    s = result["summary"]
    assert s["arrival_s"][0] < 20 and s["reach_cells"] == 0 and s["cells_reached"] == 1
    assert result["calcium"][2:].max() < 0.1  # two junctions away the cells stay near rest


@pytest.mark.parametrize("setting, message", [
    ({"stimulated": 8, "n_cells": 8}, "must be < n_cells"),
    ({"record_dt": 75 * ms}, "whole multiple of dt"),
    ({"coupling": "quadratic"}, "must be one of"),
    ({"F": "0.1*umolar"}, "needs units"),
    ({"n_cells": 2}, "out of range"),
])
def test_bad_parameters_are_clear_errors(setting, message):
    with pytest.raises(ProtocolParameterError, match=message):
        WAVE.run(setting)


def test_command_writes_hdf5_and_figure(tmp_path):
    """``astrosim protocol calcium_wave --out --plot`` on a small chain: monitors, parameters and summary in HDF5."""
    from astrosim.io import load

    out, fig = tmp_path / "wave.h5", tmp_path / "wave.png"
    res = subprocess.run([sys.executable, "-m", "astrosim", "protocol", "calcium_wave", "--set", "topology=chain",
                          "--set", "n_cells=4", "--set", "duration=60*second", "--out", str(out), "--plot", str(fig)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert fig.stat().st_size > 1000
    recording = load(str(out))
    assert "wave_state" in recording.keys()
    summary = recording.metadata["user"]["summary"]
    assert summary["reach_cells"] == 3 and abs(summary["delay_s_per_cell"] - FIG5_DELAY_S_PER_CELL) < 1.5
