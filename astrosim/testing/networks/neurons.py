"""Neuron-only networks: Stimberg et al. 2018 Fig. 1 (COBA with STP), CUBA and COBAHH."""
import brian2 as b2
from brian2 import mV, ms, nS, pA, pF, siemens, cm, ufarad, msiemens, umetre, second

__all__ = ["build_coba", "build_cuba", "build_cobahh", "build_hh_if_curve"]


def _coba_constants():
    return dict(
        E_l=-60 * mV, g_l=9.99 * nS, E_e=0 * mV, E_i=-80 * mV, C_m=198 * pF,
        tau_e=5 * ms, tau_i=10 * ms, tau_r=5 * ms, I_ex=150 * pA, V_th=-50 * mV,
        V_r=-60 * mV, w_e=0.05 * nS, w_i=1.0 * nS, U_0=0.6,
        Omega_d=2.0 / second, Omega_f=3.33 / second,
    )


def build_coba(n_e=3200, n_i=800, p_e=0.05, p_i=0.2, *, record_neuron=50, monitors=True,
               synapse_monitor=True):
    """Stimberg et al. (2018) Fig. 1: COBA network whose synapses show short-term plasticity.

    Forward-Euler integration at the default clock; initial values and connectivity are drawn
    at build time, so a run from a given build is deterministic. ``synapse_monitor=False`` drops
    the monitor of one neuron's synapses (its indices need connectivity at build time, which
    cpp_standalone does not have).
    """
    ns = _coba_constants()
    eqs = """
    dv/dt = (g_l*(E_l - v) + g_e*(E_e - v) + g_i*(E_i - v) + I_ex)/C_m : volt (unless refractory)
    dg_e/dt = -g_e/tau_e : siemens
    dg_i/dt = -g_i/tau_i : siemens
    """
    neurons = b2.NeuronGroup(n_e + n_i, eqs, threshold="v > V_th", reset="v = V_r",
                             refractory="tau_r", method="euler", namespace=ns, name="coba_neurons")
    neurons.v = "E_l + rand()*(V_th - E_l)"
    neurons.g_e = "rand()*w_e"
    neurons.g_i = "rand()*w_i"
    exc, inh = neurons[:n_e], neurons[n_e:]
    stp = """
    du_S/dt = -Omega_f*u_S : 1 (event-driven)
    dx_S/dt = Omega_d*(1 - x_S) : 1 (event-driven)
    """
    release = "u_S += U_0*(1 - u_S)\nr_S = u_S*x_S\nx_S -= r_S\n"
    exc_syn = b2.Synapses(exc, neurons, stp, on_pre=release + "g_e_post += w_e*r_S",
                          namespace=ns, name="coba_exc_syn")
    inh_syn = b2.Synapses(inh, neurons, stp, on_pre=release + "g_i_post += w_i*r_S",
                          namespace=ns, name="coba_inh_syn")
    exc_syn.connect(p=p_e)
    inh_syn.connect(p=p_i)
    exc_syn.x_S = 1
    inh_syn.x_S = 1
    ns.update(neurons=neurons, exc_neurons=exc, inh_neurons=inh, exc_syn=exc_syn, inh_syn=inh_syn)
    if monitors:
        ns["exc_mon"] = b2.SpikeMonitor(exc, name="coba_exc_mon")
        ns["inh_mon"] = b2.SpikeMonitor(inh, name="coba_inh_mon")
        ns["state_mon"] = b2.StateMonitor(exc, ["v", "g_e", "g_i"], record=record_neuron,
                                          name="coba_state_mon")
    if monitors and synapse_monitor:
        ns["synapse_mon"] = b2.StateMonitor(exc_syn, ["u_S", "x_S"],
                                            record=exc_syn[record_neuron, :],
                                            when="after_synapses", name="coba_synapse_mon")
    return ns


def build_cuba(n=4000, n_exc=3200, p=0.02, *, monitors=True):
    """Brette et al. (2007) benchmark 2: CUBA network, exact (linear) integration."""
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV,
              we=(60 * 0.27 / 10) * mV, wi=(-20 * 4.5 / 10) * mV, n_exc=n_exc)
    eqs = """
    dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    group = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                           method="exact", namespace=ns, name="cuba_neurons")
    group.v = "Vr + rand()*(Vt - Vr)"
    exc_syn = b2.Synapses(group, group, on_pre="ge += we", namespace=ns, name="cuba_exc_syn")
    inh_syn = b2.Synapses(group, group, on_pre="gi += wi", namespace=ns, name="cuba_inh_syn")
    exc_syn.connect("i < n_exc", p=p)
    inh_syn.connect("i >= n_exc", p=p)
    ns.update(P=group, Ce=exc_syn, Ci=inh_syn)
    if monitors:
        ns["s_mon"] = b2.SpikeMonitor(group, name="cuba_spikes")
        ns["v_mon"] = b2.StateMonitor(group, "v", record=[0, 1, n - 1], name="cuba_v")
    return ns


def build_cobahh(n=4000, n_exc=3200, p=0.02, *, monitors=True):
    """Brette et al. (2007) benchmark 3: Hodgkin-Huxley neurons with conductance synapses."""
    area = 20000 * umetre ** 2
    ns = dict(
        Cm=(1 * ufarad * cm ** -2) * area, gl=(5e-5 * siemens * cm ** -2) * area,
        El=-60 * mV, EK=-90 * mV, ENa=50 * mV, g_na=(100 * msiemens * cm ** -2) * area,
        g_kd=(30 * msiemens * cm ** -2) * area, VT=-63 * mV, taue=5 * ms, taui=10 * ms,
        Ee=0 * mV, Ei=-80 * mV, we=6 * nS, wi=67 * nS,
    )
    eqs = """
    dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v)
             - g_na*(m*m*m)*h*(v - ENa) - g_kd*(n*n*n*n)*(v - EK))/Cm : volt
    dm/dt = alpha_m*(1 - m) - beta_m*m : 1
    dn/dt = alpha_n*(1 - n) - beta_n*n : 1
    dh/dt = alpha_h*(1 - h) - beta_h*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV - v + VT)/(4*mV))/ms : Hz
    beta_m = 0.28*(mV**-1)*5*mV/exprel((v - VT - 40*mV)/(5*mV))/ms : Hz
    alpha_h = 0.128*exp((17*mV - v + VT)/(18*mV))/ms : Hz
    beta_h = 4./(1 + exp((40*mV - v + VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV - v + VT)/(5*mV))/ms : Hz
    beta_n = .5*exp((10*mV - v + VT)/(40*mV))/ms : Hz
    """
    group = b2.NeuronGroup(n, eqs, threshold="v > -20*mV", refractory=3 * ms,
                           method="exponential_euler", namespace=ns, name="cobahh_neurons")
    exc_syn = b2.Synapses(group[:n_exc], group, on_pre="ge += we", namespace=ns, name="cobahh_exc_syn")
    inh_syn = b2.Synapses(group[n_exc:], group, on_pre="gi += wi", namespace=ns, name="cobahh_inh_syn")
    exc_syn.connect(p=p)
    inh_syn.connect(p=p)
    group.v = "El + (randn()*5 - 5)*mV"
    group.ge = "(randn()*1.5 + 4)*10.*nS"
    group.gi = "(randn()*12 + 20)*10.*nS"
    ns.update(P=group, Ce=exc_syn, Ci=inh_syn)
    if monitors:
        ns["trace"] = b2.StateMonitor(group, "v", record=[1, 10, 100], name="cobahh_trace")
        ns["spikes"] = b2.SpikeMonitor(group, name="cobahh_spikes")
    return ns


def build_hh_if_curve(num_neurons=40, *, i_max=0.7e-9, monitors=True):
    """Brian2's Hodgkin-Huxley I-F curve example: uncoupled HH neurons, input ramped over ``i``.

    Exponential Euler with ``exp`` and ``exprel`` in every rate: a sensitive test of the
    elementary functions (spikes are on identical steps only if they agree closely).
    """
    from brian2 import amp, mV
    area = 20000 * umetre ** 2
    ns = dict(num_neurons=num_neurons, Cm=1 * ufarad * cm ** -2 * area,
              gl=5e-5 * siemens * cm ** -2 * area, El=-65 * mV, EK=-90 * mV, ENa=50 * mV,
              g_na=100 * msiemens * cm ** -2 * area, g_kd=30 * msiemens * cm ** -2 * area,
              VT=-63 * mV, I_max=i_max * amp)
    eqs = """
    dv/dt = (gl*(El-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK) + I)/Cm : volt
    dm/dt = 0.32*(mV**-1)*4*mV/exprel((13.*mV-v+VT)/(4*mV))/ms*(1-m)-0.28*(mV**-1)*5*mV/exprel((v-VT-40.*mV)/(5*mV))/ms*m : 1
    dn/dt = 0.032*(mV**-1)*5*mV/exprel((15.*mV-v+VT)/(5*mV))/ms*(1.-n)-.5*exp((10.*mV-v+VT)/(40.*mV))/ms*n : 1
    dh/dt = 0.128*exp((17.*mV-v+VT)/(18.*mV))/ms*(1.-h)-4./(1+exp((40.*mV-v+VT)/(5.*mV)))/ms*h : 1
    I : amp
    """
    group = b2.NeuronGroup(num_neurons, eqs, threshold="v > -40*mV", refractory="v > -40*mV",
                           method="exponential_euler", namespace=ns, name="hh_if")
    group.v = ns["El"]
    group.I = "I_max * i / num_neurons"
    ns["group"] = group
    if monitors:
        ns["spikes"] = b2.SpikeMonitor(group, name="hh_if_spikes")
        ns["trace"] = b2.StateMonitor(group, "v", record=[num_neurons - 1], name="hh_if_trace")
    return ns
