"""``astrosim sweep`` over the Fig. 3 protocol: each chunk is one batched run, equal to the protocol's own run."""
import gc

import numpy as np
from brian2 import Hz

import astrosim
from astrosim.cli import main
from astrosim.protocols import calcium_vs_frequency as fig3
from astrosim.sweep import make_axes
from astrosim.sweep.plan import plan_tasks
from astrosim.sweep.runners import ProtocolRunner, _release_previous_networks

FIXED = {"duration": "2*second", "average_from": "1*second", "repeats": "1", "record_dt": "100*ms"}
GRID = ["neurons_per_astrocyte=2,3", "rates=2*Hz,6*Hz"]


def test_cli_sweep_equals_the_protocol_run_with_the_point_seeds(tmp_path, capsys):
    out = tmp_path / "fig3"
    args = ["sweep", "calcium_vs_frequency", "--workers", "0", "--seed", "5", "--out", str(out), "--quiet"]
    for g in GRID:
        args += ["--grid", g]
    for k, v in FIXED.items():
        args += ["--set", f"{k}={v}"]
    assert main(args) == 0
    assert "4/4 points" in capsys.readouterr().out
    res = astrosim.io.load(out)
    assert res.shape == (2, 2) and res.complete
    calcium = res["calcium_uM"][..., 0]
    assert np.all(calcium > 0.05) and np.all(np.isnan(res["alpha_raw"]))  # one rate per point: no fit
    # neurons_per_astrocyte changes the network: two chunks, each one batched run over the rates
    runner = ProtocolRunner("calcium_vs_frequency", FIXED)
    tasks, _ = plan_tasks(runner, make_axes(GRID), 5, workers=0)
    assert [t["indices"] for t in tasks] == [[0, 1], [2, 3]]
    for row, task in enumerate(tasks):
        # the engine keeps captured code objects (and so their groups' names) alive; release them as a
        # sweep task does, so that this build gets the same names and reuses the sweep's kernel
        _release_previous_networks()
        gc.collect()
        direct = fig3.run({**FIXED, "neurons_per_astrocyte": row + 2, "rates": [2, 6] * Hz}, seed=task["seeds"][0])
        assert np.array_equal(direct["calcium_uM"], calcium[row])
        del direct  # holds the network (its simulator and monitors)
    # the rerun finds every shard and runs nothing
    assert main(args) == 0
    assert "0 task(s) run, 2 already done" in capsys.readouterr().out
