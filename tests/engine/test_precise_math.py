"""Precise maths (``precise_math=True``) against Brian2's numpy target to 1e-12.

With ``precise_math`` the engine calls the C library's ``exp`` (and ``log``, ``expm1``, as it
always does). Brian2's numpy target on a CPU with AVX-512 evaluates whole arrays with numpy's
own SIMD ``exp``/``expm1``/``log``, which differ from the C library in the last bit for a few
per cent of arguments (checked: 46,542 of 1,000,000 for ``exp``); chaotic or excitable models
amplify those bits. The reference therefore runs in a subprocess with numpy's AVX-512 kernels
switched off (``NPY_DISABLE_CPU_FEATURES``), which makes numpy's results those of the C library,
as on any CPU without AVX-512 and as in Brian2's cython target.

Networks: Brian2's Hodgkin-Huxley I-F curve example (exponential Euler, ``exp``/``exprel`` in
every rate), CUBA (exact integration), COBAHH, and Stimberg et al. (2018) Fig. 1 (COBA with
short-term plasticity), shortened.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms

import astrosim
from astrosim.engine import EngineOptions
from astrosim.testing import networks
from tests.engine.networks.compare import (assert_close, assert_same_spikes, relative_error,
                                           run_backend)

RTOL = 1e-12
#: (builder, kwargs, duration in ms, dt in ms, final state variables)
CASES = {
    "hh_if_curve": ("build_hh_if_curve", {}, 300, 0.1, {"group": ["v", "m", "n", "h"]}),
    "cuba": ("build_cuba", {"n": 1000, "n_exc": 800, "p": 0.05}, 50, 0.1, {"P": ["v", "ge", "gi"]}),
    "cobahh": ("build_cobahh", {"n": 1000, "n_exc": 800, "p": 0.05}, 50, 0.1, {"P": ["v", "m", "n", "h", "ge", "gi"]}),
    "stimberg_fig1": ("build_coba", {"n_e": 800, "n_i": 200, "record_neuron": 5}, 50, 0.1,
                      {"neurons": ["v", "g_e", "g_i"], "exc_syn": ["u_S", "x_S"]}),
}
_AVX512 = "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"

_REFERENCE = """
import json, sys, numpy as np, brian2 as b2
from brian2 import ms
from astrosim.testing import networks
from tests.engine.networks.compare import run_backend
cases, out = json.loads(sys.argv[1]), sys.argv[2]
b2.prefs.codegen.target = "numpy"
arrays = {}
for name, (builder, kwargs, duration, dt, state) in cases.items():
    got = run_backend(b2.run, getattr(networks, builder), duration * ms, seed=2718,
                      dt=dt * ms, state_vars=state, **kwargs)
    arrays.update({f"{name}/{k}": v for k, v in got.items()})
np.savez(out, **arrays)
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("precise") / "reference.npz"
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=_AVX512)
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", _REFERENCE, json.dumps(CASES), str(out)], env=env,
                   cwd=root, check=True, capture_output=True)
    data = np.load(out)
    return {name: {k.split("/", 1)[1]: data[k] for k in data.files if k.startswith(name + "/")}
            for name in CASES}


def _astrosim(name, precise=True):
    builder, kwargs, duration, dt, state = CASES[name]
    return run_backend(astrosim.run, getattr(networks, builder), duration * ms, seed=2718,
                       dt=dt * ms, state_vars=state,
                       run_kwargs={"options": EngineOptions(precise_math=precise)}, **kwargs)


@pytest.mark.parametrize("name", list(CASES))
def test_precise_maths_agrees_with_brian2_numpy_to_1e_12(reference, name):
    ref = reference[name]
    got = _astrosim(name)
    spikes = [k[:-2] for k in ref if k.endswith(".i")]
    assert spikes and all(len(ref[f"{m}.i"]) > 20 for m in spikes)  # the networks are active
    for monitor in spikes:
        assert_same_spikes(got, ref, monitor)
    assert_close(got, ref, rtol=RTOL)


def test_fast_exp_bound_on_the_hh_if_curve(reference):
    """The default fast ``exp`` (within 1 ulp of libm): the bound docs/engine.md states."""
    ref = reference["hh_if_curve"]
    fast = _astrosim("hh_if_curve", precise=False)
    worst = max(relative_error(fast[k], ref[k]) for k in ref if k.startswith(("group.", "trace.")))
    assert worst <= 1e-6, f"fast exp: relative error {worst:.2e}"
