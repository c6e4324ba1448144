"""``astrosim run SCRIPT --out run.h5`` records an unmodified Brian2 script; ``astrosim inspect`` shows it."""
import subprocess
import sys
import textwrap

import numpy as np

import astrosim.io as aio

SCRIPT = textwrap.dedent(
    """
    from brian2 import *
    import numpy as np, sys
    tau = 8*ms
    G = NeuronGroup(30, "dv/dt = (v0 - v)/tau : volt\\nv0 : volt", threshold="v > 10*mV", reset="v = 0*mV",
                    method="exact", name="cells")
    G.v0 = "(5 + i) * mV"
    spikes = SpikeMonitor(G, name="spikes")
    trace = StateMonitor(G, "v", record=[0, 29], name="trace")
    run(50*ms)
    np.savez(sys.argv[0] + ".npz", t=spikes.t_[:], i=spikes.i[:], v=trace.v_[:])
    """
)


def _astrosim(*args):
    return subprocess.run([sys.executable, "-m", "astrosim", *map(str, args)], capture_output=True, text=True)


def test_run_records_script_and_inspect(tmp_path, capsys):
    from astrosim.cli import main

    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    out = tmp_path / "run.h5"
    done = _astrosim("run", script, "--out", out, "--seed", 3)
    assert done.returncode == 0, done.stderr
    assert "simulated" in done.stderr and "100.0%" in done.stderr  # the progress bar
    ref = np.load(str(script) + ".npz")  # what the script's own monitors held
    with aio.load(out) as rec:
        assert rec.complete
        np.testing.assert_array_equal(np.asarray(rec["spikes"].t), ref["t"])
        np.testing.assert_array_equal(rec["spikes"].i, ref["i"])
        np.testing.assert_array_equal(np.asarray(rec["trace"].v), ref["v"])
        meta = rec.metadata
        assert meta["seed"] == 3 and meta["script"] == str(script)
        assert meta["script_source"] == SCRIPT
        assert "astrosim run" in meta["command"]
        assert meta["model"]["cells"]["equations"].startswith("dv/dt = (v0 - v)/tau")

    before = out.read_bytes()
    assert main(["run", str(script), "--out", str(out)]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before

    assert main(["inspect", str(out)]) == 0
    shown = capsys.readouterr().out
    for text in ("complete", "/monitors/spikes", "/monitors/trace", "unit=V", "unit=s", "brian2 2.9.0", "seed=3"):
        assert text in shown, text
