"""Write mode of the paper's neuron-astrocyte network: Hebbian key->value storage and the astrocyte's sublinear trace.

Tokens t = 1..N are presented for T_token each: hidden (presynaptic) units carry phi(k_t)
(phi = elu + 1), output units carry v_t. Hebbian synapses dW/dt = eta a_pre a_post with
eta = 1/(m T_token) must end at W = (1/m) sum_t phi(k_t)^T v_t (paper Eq. 9/11), and an astrocytic
compartment per hidden unit integrating its activity must end at g = sum_t phi(k_t), read out as
g**alpha (paper Eqs. 13-14).
"""
import numpy as np
from brian2 import NeuronGroup, StateMonitor, TimedArray, ms, second

from astrosim.models.plasticity import hebbian, presynaptic

from ._base import Parameter, resolve, run_network, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "reference"]

NAME = "key_value_write"
SUMMARY = "Hebbian key->value write (paper Eq. 9) and astrocytic (sum phi(k))^alpha trace (Eqs. 13-14)"

PARAMETERS = (
    Parameter("n_tokens", 8, "number of key/value pairs N", low=1, high=1000),
    Parameter("key_dim", 16, "hidden units m (key feature size)", low=1, high=1024),
    Parameter("value_dim", 4, "output units d", low=1, high=1024),
    Parameter("T_token", 20 * ms, "presentation time per token", low=0.1 * ms, high=10 * second),
    Parameter("alpha", 0.25, "sublinear exponent of the astrocytic readout", low=0.0, high=1.0),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)


def _elu_plus_one(x):
    return np.where(x > 0, x + 1.0, np.exp(x))


def reference(keys, values, alpha):
    """Paper formulas: W = (1/m) phi(K)^T V and g = (sum_t phi(k_t))^alpha."""
    phi = _elu_plus_one(keys)
    return phi.T @ values / keys.shape[1], phi.sum(axis=0) ** alpha


def run(overrides=None, *, seed=None, out=None, report=None):
    """Present random keys/values (seeded) and compare the learned state with the paper's formulas."""
    p = resolve(PARAMETERS, overrides or {}, NAME)
    rng = np.random.default_rng(0 if seed is None else seed)
    n, m, d = p["n_tokens"], p["key_dim"], p["value_dim"]
    keys, values = rng.standard_normal((n, m)), rng.standard_normal((n, d))
    T = p["T_token"]
    dt = T / 20  # 20 steps per token; rates are piecewise constant so Euler sums are exact
    key_rates = TimedArray(np.vstack([_elu_plus_one(keys), np.zeros((1, m))]), dt=T, name="key_rates")
    value_rates = TimedArray(np.vstack([values, np.zeros((1, d))]), dt=T, name="value_rates")
    hidden = NeuronGroup(m, "a = key_rates(t, i) : 1", dt=dt, name="hidden",
                         namespace={"key_rates": key_rates})
    output = NeuronGroup(d, "a = value_rates(t, i) : 1", dt=dt, name="output",
                         namespace={"value_rates": value_rates})
    tables = {"key_rates": key_rates, "value_rates": value_rates}
    syn = hebbian.build(hidden, output, dt=dt, eta=1.0 / (m * T), name="hebbian_kv", namespace=tables)
    syn.connect()
    trace = presynaptic.build(m, dt=dt, T_token=T, alpha=p["alpha"], name="astro_trace")
    coupling = presynaptic.build_coupling(hidden, trace, dt=dt, name="astro_trace_in", namespace=tables)
    coupling.connect(j="i")
    mon = StateMonitor(trace, ["g", "g_alpha"], record=True, dt=T, name="astrocyte_trace")
    run_network([hidden, output, syn, trace, coupling, mon], n * T, engine=p["engine"], seed=seed,
                report=report)
    W = np.zeros((m, d))
    W[np.asarray(syn.i[:]), np.asarray(syn.j[:])] = np.asarray(syn.W[:])
    g_alpha = np.asarray(trace.g_alpha[:])
    W_ref, g_ref = reference(keys, values, p["alpha"])
    summary = {"W_max_rel_error": float(np.max(np.abs(W - W_ref)) / np.max(np.abs(W_ref))),
               "g_alpha_max_rel_error": float(np.max(np.abs(g_alpha - g_ref) / g_ref)),
               "g_sum_max_rel_error": float(np.max(np.abs(np.asarray(trace.g[:]) - g_ref ** (1 / p["alpha"]))
                                                   / g_ref ** (1 / p["alpha"]))) if p["alpha"] > 0 else 0.0}
    result = {"protocol": NAME, "params": p, "W": W, "W_ref": W_ref, "g_alpha": g_alpha, "g_ref": g_ref,
              "summary": summary, "monitors": {"astrocyte_trace": mon}, "trace_t": np.asarray(mon.t / second),
              "trace_g": np.asarray(mon.g)}
    if out is not None:
        write_output(out, result["monitors"], protocol=NAME, params=p, summary=summary, seed=seed)
    return result


def plot(result, path):
    """Learned vs formula weights, and the astrocytic trace growing token by token."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(result["W_ref"].ravel(), result["W"].ravel(), "o", ms=3)
    lim = np.abs(result["W_ref"]).max() * 1.1
    a.plot([-lim, lim], [-lim, lim], color="gray", lw=0.8)
    a.set(xlabel="(1/m) phi(K)^T V", ylabel="learned W", title="Hebbian key->value write")
    b.plot(result["trace_t"], result["trace_g"].T, lw=0.8)
    b.set(xlabel="time (s)", ylabel="astrocytic trace g", title=f"g -> g^alpha, alpha={result['params']['alpha']}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
