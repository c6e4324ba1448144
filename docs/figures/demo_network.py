"""Demo Brian2 script for the io/plotting figures: the COBA network plus a calcium-reporting glia layer.

A plain Brian2 script (runs with ``python`` or ``astrosim run``). The 4000-neuron COBA
network is Stimberg et al. (2018) example 1 without short-term plasticity; 40 "astrocytes"
integrate the spikes of 100 excitatory neurons each into a calcium-like variable ``C``
(first-order uptake, a leaky integrator, *not* a G-ChI model) with a threshold ``C_Theta``.

    astrosim run docs/figures/demo_network.py --out demo.h5 --seed 1
"""
from brian2 import *

duration = 1 * second
N_e, N_i, N_a = 3200, 800, 40

E_l = -60 * mV; g_l = 9.99 * nS; E_e = 0 * mV; E_i = -80 * mV; C_m = 198 * pF
tau_e = 5 * ms; tau_i = 10 * ms; tau_r = 5 * ms; I_ex = 150 * pA
V_th = -50 * mV; V_r = E_l; w_e = 0.05 * nS; w_i = 1.0 * nS
C_0 = 0.05 * umolar; tau_C = 500 * ms; dC_spike = 0.008 * umolar; C_Theta = 0.5 * umolar

neurons = NeuronGroup(
    N_e + N_i,
    """dv/dt = (g_l*(E_l - v) + g_e*(E_e - v) + g_i*(E_i - v) + I_ex)/C_m : volt (unless refractory)
       dg_e/dt = -g_e/tau_e : siemens
       dg_i/dt = -g_i/tau_i : siemens""",
    threshold="v > V_th", reset="v = V_r", refractory="tau_r", method="euler", name="neurons")
neurons.v = "E_l + rand()*(V_th - E_l)"
neurons.g_e = "rand()*w_e"
neurons.g_i = "rand()*w_i"
exc, inh = neurons[:N_e], neurons[N_e:]
exc_syn = Synapses(exc, neurons, on_pre="g_e_post += w_e", name="exc_syn")
exc_syn.connect(p=0.05)
inh_syn = Synapses(inh, neurons, on_pre="g_i_post += w_i", name="inh_syn")
inh_syn.connect(p=0.2)

astrocytes = NeuronGroup(N_a, """dC/dt = (C_0 - C)/tau_C : mmolar
                                 active = C > C_Theta : boolean""", method="exact", name="astrocytes")
astrocytes.C = C_0
ecs = Synapses(exc, astrocytes, on_pre="C_post += dC_spike", name="neuron_to_astro")
ecs.connect("j == i // 80")

spikes = SpikeMonitor(neurons, name="spikes")
rate = PopulationRateMonitor(neurons, name="rate")
traces = StateMonitor(neurons, ["v", "g_e", "g_i"], record=[0, 1, 2, 3200, 3201], name="traces")
calcium = StateMonitor(astrocytes, "C", record=True, name="calcium")

run(duration, report="text")
