"""Neuron-glia networks of Stimberg et al. (2018): Figs. 2, 3, 4B and the Fig. 6 recurrent network."""
import numpy as np
import brian2 as b2
from brian2 import Hz, ms, mV, nS, pA, pF, mmolar, umolar, second, mmeter, umeter

from .neurons import _coba_constants

__all__ = ["build_gchi_astrocytes", "build_io_synapse", "build_synrel", "build_coba_with_astro"]

# Ca2+/IP3 core shared by all astrocyte models (G-ChI model, De Pittà et al. 2009).
_CALCIUM = dict(O_P=0.9 * umolar / second, C_T=2 * umolar, rho_A=0.18, Omega_C=6 / second,
                Omega_L=0.1 / second, d_1=0.13 * umolar, d_2=1.05 * umolar,
                O_2=0.2 / umolar / second, d_3=0.9434 * umolar, d_5=0.08 * umolar,
                kappa_delta=1.5 * umolar, K_3K=1.0 * umolar, O_3K=4.5 * umolar / second,
                I_Theta=0.3 * umolar, omega_I=0.05 * umolar)
# Tripartite-synapse constants (Figs. 3, 4, 6).
_TRIPARTITE = dict(rho_c=0.005, Y_T=500 * mmolar, Omega_c=40 / second, U_0__star=0.6,
                   Omega_f=3.33 / second, Omega_d=2.0 / second, O_G=1.5 / umolar / second,
                   Omega_G=0.5 / (60 * second), K_P=0.05 * umolar, K_delta=0.1 * umolar,
                   Omega_5P=0.05 / second, K_D=0.7 * umolar, C_Theta=0.5 * umolar,
                   Omega_A=0.6 / second, U_A=0.6, G_T=200 * mmolar, rho_e=6.5e-4,
                   Omega_e=60 / second, alpha=0.0)

_IP3_FLUXES = """
J_delta = O_delta/(1 + I/kappa_delta)*C**2/(C**2 + K_delta**2) : mmolar/second
J_3K = O_3K*C**4/(C**4 + K_D**4)*I/(I + K_3K) : mmolar/second
J_5P = Omega_5P*I : mmolar/second
"""
_BIAS_FLUX = """
delta_I_bias = I - I_bias : mmolar
J_ex = -F_ex/2*(1 + tanh((abs(delta_I_bias) - I_Theta)/omega_I))*sign(delta_I_bias) : mmolar/second
I_bias : mmolar (constant)
"""
_GATING = """
m_inf = I/(I + d_1)*C/(C + d_5) : 1
h_inf = Q_2/(Q_2 + C) : 1
tau_h = 1/(O_2*(Q_2 + C)) : second
Q_2 = d_2*(I + d_1)/(I + d_3) : mmolar
"""
_GLIO = """
dx_A/dt = Omega_A*(1 - x_A) : 1
dG_A/dt = -Omega_e*G_A : mmolar
"""
_GLIO_RELEASE = "G_A += rho_e*G_T*U_A*x_A\nx_A -= U_A*x_A"
_SYN_RELEASE = """
U_0 = (1 - Gamma_S)*U_0__star + alpha*Gamma_S
u_S += U_0*(1 - u_S)
r_S = u_S*x_S
x_S -= r_S
Y_S += rho_c*Y_T*r_S
"""


def build_gchi_astrocytes(n_astro=2, noise=(0, 1), f_0=0.5 * Hz):
    """Fig. 2: synaptically driven G-ChI astrocytes (Milstein; ``noise`` scales the ``xi`` term).

    ``noise`` gives one value per astrocyte (repeated cyclically); a zero-noise astrocyte is
    deterministic.
    """
    ns = dict(_CALCIUM, f_0=f_0, rho_c=0.001, Y_T=500 * mmolar, Omega_c=40 / second,
              K_P=0.1 * umolar, O_beta=5 * umolar / second, O_N=0.3 / umolar / second,
              Omega_N=0.5 / second, K_KC=0.5 * umolar, zeta=10, O_delta=0.2 * umolar / second,
              K_delta=0.3 * umolar, Omega_5P=0.1 / second, K_D=0.5 * umolar,
              F_ex=0.09 * umolar / second)
    source = b2.NeuronGroup(1, "dx/dt = f_0 : 1", threshold="x > 1", reset="x = 0",
                            method="euler", namespace=ns, name="gchi_source")
    target = b2.NeuronGroup(1, "", name="gchi_target")
    syn = b2.Synapses(source, target, "dY_S/dt = -Omega_c*Y_S : mmolar (clock-driven)",
                      on_pre="Y_S += rho_c*Y_T", method="exact", namespace=ns, name="gchi_syn")
    syn.connect()
    eqs = """
    dGamma_A/dt = O_N*Y_S*(1 - Gamma_A) - Omega_N*(1 + zeta*C/(C + K_KC))*Gamma_A : 1
    dI/dt = J_beta + J_delta - J_3K - J_5P + J_ex : mmolar
    J_beta = O_beta*Gamma_A : mmolar/second
    dC/dt = J_r + J_l - J_p : mmolar
    dh/dt = (h_inf - h_clipped)/tau_h*(1 + noise*xi*tau_h**0.5) : 1
    h_clipped = clip(h, 0, 1) : 1
    J_r = (Omega_C*m_inf**3*h_clipped**3)*(C_T - (1 + rho_A)*C) : mmolar/second
    J_l = Omega_L*(C_T - (1 + rho_A)*C) : mmolar/second
    J_p = O_P*C**2/(C**2 + K_P**2) : mmolar/second
    Y_S : mmolar
    noise : 1 (constant)
    """ + _IP3_FLUXES + _BIAS_FLUX + _GATING
    astro = b2.NeuronGroup(n_astro, eqs, method="milstein", namespace=ns, name="gchi_astro")
    astro.h = 0.9
    astro.noise = np.resize(np.asarray(noise, dtype=float), n_astro)
    to_astro = b2.Synapses(syn, astro, "Y_S_post = Y_S_pre : mmolar (summed)", name="gchi_ecs")
    to_astro.connect()
    mon = b2.StateMonitor(astro, ["Gamma_A", "C", "h", "I"], record=True, name="gchi_mon")
    ns.update(source_neurons=source, target_neurons=target, synapses=syn, astrocytes=astro,
              ecs_syn_to_astro=to_astro, astro_mon=mon)
    return ns


def build_io_synapse(transient=16.5 * second):
    """Fig. 3: one spike train into three synapses, two of them modulated by an astrocyte each.

    Fully deterministic (spike generator, RK4 astrocytes with a threshold/refractory condition
    on ``C``, summed gliotransmitter from astrocyte to synapse).
    """
    ns = dict(_CALCIUM, **_TRIPARTITE)
    ns.update(O_delta=0.6 * umolar / second, F_ex=2.0 * umolar / second)
    times = np.array([0, 50, 100, 150, 200, 300, 310, 320, 330, 340, 350, 360, 370, 380, 390, 400])
    spikes = times * ms + transient
    source = b2.SpikeGeneratorGroup(1, np.zeros(len(times), dtype=int), spikes, name="io_source")
    target = b2.NeuronGroup(1, "", name="io_target")
    syn_eqs = """
    dY_S/dt = -Omega_c*Y_S : mmolar (clock-driven)
    dGamma_S/dt = O_G*G_A*(1 - Gamma_S) - Omega_G*Gamma_S : 1 (clock-driven)
    du_S/dt = -Omega_f*u_S : 1 (clock-driven)
    dx_S/dt = Omega_d*(1 - x_S) : 1 (clock-driven)
    r_S : 1
    G_A : mmolar
    """
    syn = b2.Synapses(source, target, syn_eqs, on_pre=_SYN_RELEASE, method="exact",
                      namespace=ns, name="io_syn")
    syn.connect(True, n=3)
    astro_eqs = """
    dI/dt = J_delta - J_3K - J_5P + J_ex : mmolar
    dC/dt = (Omega_C*m_inf**3*h**3 + Omega_L)*(C_T - (1 + rho_A)*C) - O_P*C**2/(C**2 + K_P**2) : mmolar
    dh/dt = (h_inf - h)/tau_h : 1
    """ + _IP3_FLUXES + _BIAS_FLUX + _GATING + _GLIO
    astro = b2.NeuronGroup(2, astro_eqs, threshold="C > C_Theta", refractory="C > C_Theta",
                           reset=_GLIO_RELEASE, method="rk4", namespace=ns, name="io_astro")
    astro.x_A = 1.0
    astro.h = 0.9
    astro.I = 0.4 * umolar
    astro.I_bias = np.asarray([0.8, 1.25]) * umolar
    to_syn = b2.Synapses(astro, syn, "G_A_post = G_A_pre : mmolar (summed)", name="io_ecs")
    to_syn.connect(j="i + 1")
    syn_mon = b2.StateMonitor(syn, ["u_S", "x_S", "r_S", "Y_S"], record=[0, 1, 2], name="io_syn_mon")
    ast_mon = b2.StateMonitor(astro, ["C", "G_A"], record=True, name="io_ast_mon")
    ast_spikes = b2.SpikeMonitor(astro, name="io_ast_spikes")
    ns.update(source_neurons=source, target_neurons=target, synapses=syn, astrocyte=astro,
              ecs_astro_to_syn=to_syn, syn_mon=syn_mon, ast_mon=ast_mon, ast_spikes=ast_spikes)
    return ns


def build_synrel(n_synapses=500, rates=(0.011, 0.11, 1.1, 11) * Hz, rate_dt=5 * second,
                 record_dt=10 * ms):
    """Fig. 4B: Poisson-driven synapses without, with open-loop and with closed-loop gliotransmission.

    Three synapses per Poisson source (the three ``connect(j='i')`` calls); two astrocytes
    per source: the first couples in a closed loop, the second open-loop (``I_bias``).
    """
    ns = dict(_CALCIUM, **_TRIPARTITE)
    ns.update(O_beta=3.2 * umolar / second, O_N=0.3 / umolar / second, Omega_N=0.5 / second,
              K_KC=0.5 * umolar, zeta=10, O_delta=0.6 * umolar / second,
              F_ex=2.0 * umolar / second, N_synapses=n_synapses)
    ns["rate_in"] = b2.TimedArray(np.asarray(rates / Hz, dtype=float) * Hz, dt=rate_dt,
                                  name="synrel_rate_in")
    source = b2.PoissonGroup(n_synapses, rates="rate_in(t)", namespace=ns, name="synrel_source")
    target = b2.NeuronGroup(n_synapses, "", name="synrel_target")
    syn_eqs = """
    dY_S/dt = -Omega_c*Y_S : mmolar (clock-driven)
    dGamma_S/dt = O_G*G_A*(1 - Gamma_S) - Omega_G*Gamma_S : 1 (clock-driven)
    du_S/dt = -Omega_f*u_S : 1 (event-driven)
    dx_S/dt = Omega_d*(1 - x_S) : 1 (event-driven)
    r_S : 1
    G_A : mmolar
    """
    syn = b2.Synapses(source, target, syn_eqs, on_pre=_SYN_RELEASE, method="exact",
                      namespace=ns, name="synrel_syn")
    for _ in range(3):
        syn.connect(j="i")
    syn.x_S = 1.0
    astro_eqs = """
    dGamma_A/dt = O_N*Y_S*(1 - Gamma_A) - Omega_N*(1 + zeta*C/(C + K_KC))*Gamma_A : 1
    dI/dt = J_beta + J_delta - J_3K - J_5P + J_ex : mmolar
    J_beta = O_beta*Gamma_A : mmolar/second
    dC/dt = (Omega_C*m_inf**3*h**3 + Omega_L)*(C_T - (1 + rho_A)*C) - O_P*C**2/(C**2 + K_P**2) : mmolar
    dh/dt = (h_inf - h)/tau_h : 1
    Y_S : mmolar
    """ + _IP3_FLUXES + _BIAS_FLUX + _GATING + _GLIO
    astro = b2.NeuronGroup(2 * n_synapses, astro_eqs, threshold="C > C_Theta",
                           refractory="C > C_Theta", reset=_GLIO_RELEASE, method="rk4",
                           namespace=ns, name="synrel_astro")
    astro.h = 0.9
    astro.x_A = 1.0
    astro.I_bias = np.r_[np.zeros(n_synapses), np.ones(n_synapses)] * umolar
    to_astro = b2.Synapses(syn, astro, "Y_S_post = Y_S_pre : mmolar (summed)", namespace=ns,
                           name="synrel_syn_to_astro")
    to_astro.connect(j="i if i < N_synapses")
    to_syn = b2.Synapses(astro, syn, "G_A_post = G_A_pre : mmolar (summed)", namespace=ns,
                         name="synrel_astro_to_syn")
    to_syn.connect(j="i if i < N_synapses")
    to_syn.connect(j="i if i >= N_synapses and i < 2*N_synapses")
    syn_mon = b2.StateMonitor(syn, "Y_S", record=np.arange(3 * n_synapses), dt=record_dt,
                              name="synrel_syn_mon")
    src_spikes = b2.SpikeMonitor(source, name="synrel_source_spikes")
    ast_spikes = b2.SpikeMonitor(astro, name="synrel_astro_spikes")
    ns.update(source_neurons=source, target_neurons=target, synapses=syn, astrocyte=astro,
              ecs_syn_to_astro=to_astro, ecs_astro_to_syn=to_syn, syn_mon=syn_mon,
              source_spikes=src_spikes, astro_spikes=ast_spikes)
    return ns


def build_coba_with_astro(n_e=3200, n_i=800, n_a=3200, size=3.75 * mmeter,
                          stimulus=(1.0, 1.2, 1.0, 1.0), stimulus_dt=2 * second,
                          astro_dt=10 * ms, *, monitors=True):
    """Fig. 6: recurrent COBA network whose excitatory synapses are modulated by an astrocyte lattice.

    Astrocytes (RK4, own clock ``astro_dt``) sense the synapses' neurotransmitter through a
    summed variable, release gliotransmitter onto them through another, and exchange IP3 by
    gap junctions (a summed flux over astrocyte pairs closer than 75 um).
    """
    ns = dict(_coba_constants(), **_CALCIUM)
    del ns["U_0"]  # a synaptic variable in this model
    ns.update(_TRIPARTITE)
    ns.update(I_ex=100 * pA, O_beta=0.5 * umolar / second, O_N=0.3 / umolar / second,
              Omega_N=0.5 / second, K_KC=0.5 * umolar, zeta=10, O_delta=1.2 * umolar / second,
              F=0.09 * umolar / second, size=size)
    ns["stimulus"] = b2.TimedArray(list(stimulus), dt=stimulus_dt, name="astro_net_stimulus")
    neuron_eqs = """
    dv/dt = (g_l*(E_l - v) + g_e*(E_e - v) + g_i*(E_i - v) + I_ex*stimulus(t))/C_m : volt (unless refractory)
    dg_e/dt = -g_e/tau_e : siemens
    dg_i/dt = -g_i/tau_i : siemens
    x : meter (constant)
    y : meter (constant)
    """
    neurons = b2.NeuronGroup(n_e + n_i, neuron_eqs, threshold="v > V_th", reset="v = V_r",
                             refractory="tau_r", method="euler", namespace=ns,
                             name="astro_net_neurons")
    exc, inh = neurons[:n_e], neurons[n_e:]
    n_rows = int(np.sqrt(n_e))
    n_cols = n_e // n_rows
    cell = size / n_cols
    idx = np.arange(n_e)
    exc.x = (idx // n_rows) * cell - n_rows / 2.0 * cell
    exc.y = (idx % n_rows) * cell - n_cols / 2.0 * cell
    neurons.v = "E_l + rand()*(V_th - E_l)"
    neurons.g_e = "rand()*w_e"
    neurons.g_i = "rand()*w_i"
    syn_eqs = """
    dY_S/dt = -Omega_c*Y_S : mmolar (clock-driven)
    dGamma_S/dt = O_G*G_A*(1 - Gamma_S) - Omega_G*Gamma_S : 1 (clock-driven)
    du_S/dt = -Omega_f*u_S : 1 (event-driven)
    dx_S/dt = Omega_d*(1 - x_S) : 1 (event-driven)
    U_0 : 1
    r_S : 1
    G_A : mmolar
    astrocyte_index : integer (constant)
    """
    exc_syn = b2.Synapses(exc, neurons, syn_eqs, on_pre=_SYN_RELEASE + "g_e_post += w_e*r_S",
                          method="exact", namespace=ns, name="astro_net_exc_syn")
    exc_syn.connect(True, p=0.05)
    exc_syn.x_S = 1.0
    inh_syn = b2.Synapses(inh, neurons, syn_eqs, on_pre=_SYN_RELEASE + "g_i_post += w_i*r_S",
                          method="exact", namespace=ns, name="astro_net_inh_syn")
    inh_syn.connect(True, p=0.2)
    inh_syn.x_S = 1.0
    n_rows_a = int(np.sqrt(n_a))
    n_cols_a = n_a / n_rows_a
    ns.update(grid_dist=size / n_rows_a, N_rows_a=n_rows_a, N_cols_a=n_cols_a)
    exc_syn.astrocyte_index = "int(x_post/grid_dist) + N_cols_a*int(y_post/grid_dist)"
    astro_eqs = """
    dGamma_A/dt = O_N*Y_S*(1 - clip(Gamma_A, 0, 1)) - Omega_N*(1 + zeta*C/(C + K_KC))*clip(Gamma_A, 0, 1) : 1
    dI/dt = J_beta + J_delta - J_3K - J_5P + J_coupling : mmolar
    J_beta = O_beta*Gamma_A : mmolar/second
    J_coupling : mmolar/second
    dC/dt = J_r + J_l - J_p : mmolar
    dh/dt = (h_inf - h)/tau_h : 1
    J_r = (Omega_C*m_inf**3*h**3)*(C_T - (1 + rho_A)*C) : mmolar/second
    J_l = Omega_L*(C_T - (1 + rho_A)*C) : mmolar/second
    J_p = O_P*C**2/(C**2 + K_P**2) : mmolar/second
    Y_S : mmolar
    x : meter (constant)
    y : meter (constant)
    """ + _IP3_FLUXES + _GATING + _GLIO
    astro = b2.NeuronGroup(n_a, astro_eqs, threshold="C > C_Theta", refractory="C > C_Theta",
                           reset=_GLIO_RELEASE, method="rk4", dt=astro_dt, namespace=ns,
                           name="astro_net_astro")
    a_idx = np.arange(n_a)
    a_cell = size / n_rows_a
    astro.x = (a_idx // n_rows_a) * a_cell - n_rows_a / 2.0 * a_cell
    astro.y = (a_idx % n_rows_a) * a_cell - n_cols_a / 2.0 * a_cell
    astro.C = 0.01 * umolar
    astro.h = 0.9
    astro.I = 0.01 * umolar
    astro.x_A = 1.0
    to_syn = b2.Synapses(astro, exc_syn, "G_A_post = G_A_pre : mmolar (summed)", namespace=ns,
                         name="astro_net_astro_to_syn")
    to_syn.connect("i == astrocyte_index_post")
    to_astro = b2.Synapses(exc_syn, astro, "Y_S_post = Y_S_pre/N_incoming : mmolar (summed)",
                           namespace=ns, name="astro_net_syn_to_astro")
    to_astro.connect("astrocyte_index_pre == j")
    gap_eqs = """
    delta_I = I_post - I_pre : mmolar
    J_coupling_post = -(1 + tanh((abs(delta_I) - I_Theta)/omega_I))*sign(delta_I)*F/2 : mmolar/second (summed)
    """
    gap = b2.Synapses(astro, astro, gap_eqs, namespace=ns, name="astro_net_gap")
    gap.connect("i != j and sqrt((x_pre - x_post)**2 + (y_pre - y_post)**2) < 75*umeter")
    ns.update(neurons=neurons, exc_neurons=exc, inh_neurons=inh, exc_syn=exc_syn,
              inh_syn=inh_syn, astrocytes=astro, ecs_astro_to_syn=to_syn,
              ecs_syn_to_astro=to_astro, astro_to_astro=gap)
    if monitors:
        ns["exc_mon"] = b2.SpikeMonitor(exc, name="astro_net_exc_mon")
        ns["inh_mon"] = b2.SpikeMonitor(inh, name="astro_net_inh_mon")
        ns["ast_mon"] = b2.SpikeMonitor(astro, name="astro_net_ast_mon")
    return ns
