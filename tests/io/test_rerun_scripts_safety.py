"""Example scripts: the stored model builds again, and ``astrosim rerun`` reproduces the file exactly."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import astrosim.io as aio
from astrosim.io.compare import compare_files
from astrosim.io.model import rebuild_groups

ROOT = Path(__file__).resolve().parents[2]

STDP_SCRIPT = textwrap.dedent("""
    from brian2 import *
    taupre = taupost = 20*ms
    Apre = 0.01
    Apost = -Apre * 1.05
    wmax = 0.01
    inputs = PoissonGroup(100, rates=15*Hz, name="inputs")
    neurons = NeuronGroup(10, "dv/dt = (ge * (0*mV - v) + (-74*mV - v)) / (10*ms) : volt\\n"
                              "dge/dt = -ge / (5*ms) : 1", threshold="v > -54*mV", reset="v = -60*mV",
                          refractory=2*ms, method="euler", name="neurons")
    neurons.v = "-74*mV + rand() * 20*mV"
    S = Synapses(inputs, neurons, '''w : 1
                 dapre/dt = -apre / taupre : 1 (event-driven)
                 dapost/dt = -apost / taupost : 1 (event-driven)''',
                 on_pre='''ge += w
                 apre += Apre
                 w = clip(w + apost, 0, wmax)''',
                 on_post='''apost += Apost
                 w = clip(w + apre, 0, wmax)''', name="stdp")
    S.connect(p=0.5)
    S.w = "rand() * wmax"
    weights = StateMonitor(S, "w", record=range(20), dt=1*ms, name="weights")
    spikes = SpikeMonitor(neurons, name="spikes")
    run(200*ms)
""")


def _demo_script():
    text = (ROOT / "docs" / "figures" / "demo_network.py").read_text()
    assert "duration = 1 * second" in text
    return text.replace("duration = 1 * second", "duration = 20 * ms")  # the example, shortened


def _astrosim(*args):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "astrosim", *map(str, args)], capture_output=True, text=True,
                          env=env)


@pytest.mark.parametrize("name", ["stdp", pytest.param("demo_network", marks=pytest.mark.slow)])
def test_example_script_reruns_identically(tmp_path, name):
    script = tmp_path / f"{name}.py"
    script.write_text(STDP_SCRIPT if name == "stdp" else _demo_script())
    first = tmp_path / "first.h5"
    done = _astrosim("run", script, "--out", first, "--no-progress")  # stochastic, seed drawn
    assert done.returncode == 0, done.stderr[-2000:]
    with aio.load(first) as rec:
        models = rec.metadata["model"]
        rebuild_groups(models, rec.parameters)
        if name == "stdp":  # event-driven traces and refractoriness survive in the stored text
            assert "(event-driven)" in models["stdp"]["equations"]
            assert "not_refractory" not in models["neurons"]["equations"]
    again = tmp_path / "again.h5"
    done = _astrosim("rerun", first, "--out", again, "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "every monitor identical" in done.stdout
    assert compare_files(first, again) == []
    with aio.load(first) as rec:
        assert sum(len(m) for m in rec.monitors.values()) > 0
