"""NEST's astrocyte models transcribed to Brian2, run by astrosim, against traces NEST 3.10 produced.

The fixture (tests/fixtures/nest/astrocyte_brunel.json) is written by benchmarks/nest_reference.py with
NEST itself; it holds the NEST version and every parameter. NEST is not needed here.
"""
import json
from pathlib import Path

import numpy as np
import pytest
from brian2 import (Network, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, Synapses, defaultclock, ms,
                    mV, pA, second, umolar)

import astrosim
from astrosim.models.astrocytes import lr_1994_nest
from astrosim.models.integrators import rkf45
from astrosim.models.neurons import aeif_cond_alpha_astro
from astrosim.models.synapses import sic_connection

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "nest" / "astrocyte_brunel.json").read_text())
CASE = FIXTURE["astrocyte_case"]


def _astrocyte(dt_ms, method, sic_delay=None):
    """The fixture's astrocyte, its spike input and a monitor at NEST's sampling times."""
    dt = dt_ms * ms
    defaultclock.dt = dt
    astro = lr_1994_nest.build(1, method=method, sic_delay=sic_delay,
                               **{k: v * umolar for k, v in CASE["params"].items()})
    astro.IP3 = CASE["initial"]["IP3"] * umolar
    # NEST stamps a generator spike at the end of its step; Brian2 at the start: one step earlier here
    times = np.asarray(CASE["input_times_ms"]) * ms - dt
    gen = SpikeGeneratorGroup(len(times), np.arange(len(times)), times)
    statement, namespace = lr_1994_nest.spike_input(CASE["input_weight"])
    syn = Synapses(gen, astro, on_pre=statement, namespace=namespace, delay=dt)
    syn.connect()
    mon = StateMonitor(astro, ["IP3", "Ca_astro", "h_IP3R"], record=0, dt=CASE["record_interval_ms"] * ms)
    return [astro, gen, syn, mon], mon


def _sampled(mon, var, times_ms, unit):
    """Monitor values at NEST's sample times (NEST logs at t the state after the step ending at t)."""
    idx = np.rint(np.asarray(times_ms) / CASE["record_interval_ms"]).astype(int)
    return np.asarray(getattr(mon, var)[0] / unit)[idx]


def _run(objects, duration_ms):
    astrosim.Simulator(Network(*objects)).run(duration_ms * ms + defaultclock.dt)


def _max_rel(ours, ref):
    return float(np.max(np.abs(ours - np.asarray(ref)) / np.abs(np.asarray(ref))))


def test_fixture_records_nest_version_and_parameters():
    assert FIXTURE["nest_version"] == "3.10.0"
    assert FIXTURE["astrocyte"]["defaults"]["Km_SERCA"] == pytest.approx(0.1)
    # the transcription's defaults are NEST's (values as NEST reported them when the fixture was made)
    for name, value in FIXTURE["astrocyte"]["defaults"].items():
        if name in lr_1994_nest.PARAMETERS and name not in CASE["params"]:
            ours = lr_1994_nest.PARAMETERS[name]
            unit = {"k_IP3R": 1 / (umolar * ms), "rate_IP3R": 1 / ms, "rate_L": 1 / ms,
                    "rate_SERCA": umolar / ms, "tau_IP3": ms}.get(name, umolar)
            ours = float(ours / unit) if hasattr(ours, "dim") else ours
            assert ours == pytest.approx(value, rel=1e-12), name
    for name in ("V_peak", "V_reset", "g_L", "C_m", "E_L", "Delta_T", "tau_w", "a", "b", "V_th"):
        ours = aeif_cond_alpha_astro.PARAMETERS[name]
        unit = {"g_L": 1e-9, "a": 1e-9, "C_m": 1e-12, "b": 1e-12, "tau_w": 1e-3}.get(name, 1e-3)
        assert float(ours) / unit == pytest.approx(FIXTURE["neuron_sic"]["neuron_defaults"][name], rel=1e-12), name


def test_single_astrocyte_matches_nest_to_1e12():
    """dt = 0.1 ms, 20 s (200k steps): the Fehlberg step NEST takes, up to rounding."""
    ref = FIXTURE["astrocyte"]
    objects, mon = _astrocyte(ref["dt_ms"], rkf45)
    _run(objects, CASE["duration_ms"])
    for var, unit in (("Ca_astro", umolar), ("IP3", umolar), ("h_IP3R", 1)):
        err = _max_rel(_sampled(mon, var, ref["times_ms"], unit), ref[var])
        assert err < 2e-12, (var, err)


def test_coarse_step_separates_nests_method_from_rk4():
    """At dt = 5 ms NEST still takes one Fehlberg step per step: rkf45 matches it, rk4 does not."""
    ref = FIXTURE["astrocyte_coarse"]
    errors = {}
    for method in (rkf45, "rk4"):
        objects, mon = _astrocyte(ref["dt_ms"], method)
        _run(objects, CASE["duration_ms"])
        errors[method if isinstance(method, str) else "rkf45"] = _max_rel(
            _sampled(mon, "Ca_astro", ref["times_ms"], umolar), ref["Ca_astro"])
    assert errors["rkf45"] < 1e-12, errors
    assert errors["rk4"] > 5e-12, errors


def test_neuron_with_sic_matches_nest():
    """Astrocyte -> sic_connection (1 ms delay) -> two neurons: traces below threshold, spikes above."""
    ref, case = FIXTURE["neuron_sic"], FIXTURE["neuron_case"]
    objects, _ = _astrocyte(ref["dt_ms"], rkf45, sic_delay=case["sic_delay_ms"] * ms)
    astro = objects[0]
    quiet = aeif_cond_alpha_astro.build(1, method=rkf45, I_e=case["neurons"][0]["I_e"] * pA)
    firing = aeif_cond_alpha_astro.build(1, I_e=case["neurons"][1]["I_e"] * pA)  # rk4 (see its docstring)
    links = []
    for cell, group in zip(case["neurons"], (quiet, firing)):
        link = sic_connection.build(astro, group)
        link.connect()
        link.weight = cell["sic_weight"] * pA
        links.append(link)
    every = CASE["record_interval_ms"] * ms
    trace = StateMonitor(quiet, ["V_m", "w"], record=0, dt=every)
    # NEST logs the SIC the neuron will use in the next step: Brian2 sums it just before that step
    sic = StateMonitor(quiet, "I_SIC", record=0, dt=every, when="after_groups")
    spikes = SpikeMonitor(firing)
    _run(objects + [quiet, firing, trace, sic, spikes] + links, CASE["duration_ms"])

    idx = np.rint(np.asarray(ref["times_ms"]) / CASE["record_interval_ms"]).astype(int)
    v = np.asarray(trace.V_m[0] / mV)[idx]
    w = np.asarray(trace.w[0] / pA)[idx]
    i_sic = np.asarray(sic.I_SIC[0] / pA)[idx]
    assert max(ref["I_SIC"]) > 30  # the SIC really drives the neuron in this case
    assert _max_rel(v, ref["V_m"]) < 1e-12
    assert np.max(np.abs(w - ref["w"])) < 1e-9 * np.max(np.abs(ref["w"]))
    nonzero = np.asarray(ref["I_SIC"]) != 0
    assert np.array_equal(i_sic != 0, nonzero)
    # ln((Ca - SIC_th)/nM) amplifies Ca's rounding by Ca/(Ca - SIC_th)/ln(y) near the threshold:
    # compare the calcium each SIC value implies, Ca = SIC_th + exp(I_SIC/weight) nM
    weight, th = case["neurons"][0]["sic_weight"], float(lr_1994_nest.PARAMETERS["SIC_th"] / umolar)
    implied = lambda i: th + 1e-3 * np.exp(np.asarray(i)[nonzero] / weight)  # noqa: E731
    assert _max_rel(implied(i_sic), implied(ref["I_SIC"])) < 1e-12

    nest_spikes = np.asarray(ref["spike_times_ms"][1])
    ours = np.asarray(spikes.t / ms) + ref["dt_ms"]  # NEST stamps a spike at the end of its step
    assert len(nest_spikes) > 50
    # NEST resets mid-step (adaptive sub-steps), a fixed step at its end: the first spike agrees to a
    # step, later ones fall behind by a fraction of a step each; counts agree closely
    assert abs(ours[0] - nest_spikes[0]) <= ref["dt_ms"] + 1e-9
    assert abs(len(ours) - len(nest_spikes)) <= 0.02 * len(nest_spikes) + 1
    isi_ours, isi_nest = np.median(np.diff(ours)), np.median(np.diff(nest_spikes))
    assert abs(isi_ours - isi_nest) < 0.01 * isi_nest


@pytest.mark.slow
def test_network_statistics_agree_with_nest():
    """NEST's astrocyte_brunel_bernoulli at 1/20 size for 1 s: rates and calcium within NEST's spread."""
    from astrosim.testing.networks import run_in_namespace
    from astrosim.testing.networks.nest_astro_brunel import brian_statistics, build_nest_astro_brunel

    case = FIXTURE["network_case"]
    defaultclock.dt = case["dt_ms"] * ms
    ns = build_nest_astro_brunel(case["scale"], seed=7)
    run_in_namespace(astrosim.run, ns, case["duration_ms"] * ms)
    ours = brian_statistics(ns, case["duration_ms"] / 1000 * second)
    nest = {k: np.array([s[k] for s in FIXTURE["network"]]) for k in ours}
    for key, rel in (("rate_exc_Hz", 0.15), ("rate_inh_Hz", 0.15), ("ca_mean_uM", 0.02), ("ip3_mean_uM", 0.01),
                     ("sic_mean_pA", 0.15), ("ca_sd_uM", 0.3)):
        centre, spread = nest[key].mean(), nest[key].std()
        assert abs(ours[key] - centre) <= 3 * spread + rel * abs(centre), (key, ours[key], nest[key])
    assert ours["sic_active_fraction"] == pytest.approx(nest["sic_active_fraction"].mean(), abs=0.05)


def test_tsodyks_synapse_releases_follow_nests_propagators():
    """Releases of a spike train equal NEST's update (exact propagators, written out here in numpy)."""
    from brian2 import NeuronGroup

    from astrosim.models.synapses import tsodyks_2000

    defaultclock.dt = 0.1 * ms
    times = np.array([5.0, 12.0, 13.5, 40.0, 41.0, 41.5, 200.0])  # ms
    gen = SpikeGeneratorGroup(1, np.zeros(len(times), int), times * ms)
    target = NeuronGroup(1, "received : 1")
    syn = tsodyks_2000.build(gen, target, "received_post += {release}", tau_psc=2 * ms, tau_rec=50 * ms)
    syn.connect()
    syn.weight = 1.0
    syn.x = 1.0
    mon = StateMonitor(target, "received", record=0, when="end")
    astrosim.Simulator(Network(gen, target, syn, mon)).run(250 * ms)
    got = np.diff(np.concatenate([[0.0], np.asarray(mon.received[0])]))
    got = got[got != 0]
    # NEST tsodyks_synapse, tau_fac = 0 (u = U at every spike), from its source's propagators
    U, tau_psc, tau_rec = 0.5, 2.0, 50.0
    x, y, last, expected = 1.0, 0.0, 0.0, []
    for t in times:
        h = t - last
        p_yy, p_zz = np.exp(-h / tau_psc), np.expm1(-h / tau_rec)
        p_xy = (p_zz * tau_rec - (p_yy - 1.0) * tau_psc) / (tau_psc - tau_rec)
        z = 1.0 - x - y
        x += p_xy * y - p_zz * z
        y *= p_yy
        release = U * x
        x -= release
        y += release
        expected.append(release)
        last = t
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_bad_settings_are_refused_with_the_models_name():
    from astrosim.models._params import ParameterError

    defaultclock.dt = 0.1 * ms
    with pytest.raises(ValueError, match="sic_delay"):
        lr_1994_nest.build(1, sic_delay=0.15 * ms)
    with pytest.raises(ParameterError, match="astrocyte_lr_1994"):
        lr_1994_nest.build(1, Km_SERCA=0.1 * mV)
    with pytest.raises(ValueError, match="Delta_T"):
        aeif_cond_alpha_astro.build(1, Delta_T=0 * mV)
    astro = lr_1994_nest.build(1, sic_delay=None)
    with pytest.raises(ValueError, match="no SIC output"):
        sic_connection.build(astro, aeif_cond_alpha_astro.build(1))


def test_per_synapse_sic_equals_the_astrocytes_sic_without_delay():
    """The two sic_connection forms give the same current (after the first step) when D = 0."""
    from brian2 import run

    defaultclock.dt = 0.1 * ms
    currents = []
    for per_synapse in (False, True):
        astro = lr_1994_nest.build(2, sic_delay=None if per_synapse else 0 * ms)
        astro.Ca_astro = [0.3, 0.5] * umolar  # above the SIC threshold from the start
        neurons = aeif_cond_alpha_astro.build(3)
        link = sic_connection.build(astro, neurons, per_synapse=per_synapse)
        link.connect(i=[0, 1, 1, 0], j=[0, 0, 1, 2])
        link.weight = [1, 2, 3, 4] * pA
        mon = StateMonitor(neurons, "I_SIC", record=True, when="after_groups")
        run(2 * ms)
        currents.append(np.asarray(mon.I_SIC / pA)[:, 1:])
    assert np.all(currents[0] > 0)
    np.testing.assert_allclose(currents[1], currents[0], rtol=1e-13)
