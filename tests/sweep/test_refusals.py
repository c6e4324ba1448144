"""Bad sweep input stops before anything runs, with one message naming the problem."""
import json
import sys
from pathlib import Path

import pytest
from brian2 import ms

import astrosim
from astrosim.cli import main
from astrosim.sweep import SweepInputError

sys.path.insert(0, str(Path(__file__).parent))
from sweep_models import noisy_lif  # noqa: E402

BASE = ["sweep", "calcium_vs_frequency", "--workers", "0", "--quiet"]


@pytest.mark.parametrize("args, message", [
    (["--grid", "PRO=0.1,0.2"], "unknown parameter 'PRO'"),
    (["--grid", "PR0=0.1:0.2"], "three parts"),
    (["--grid", "PR0=2,3"], "out of range"),
    (["--grid", "PR0=0.1,0.2", "--set", "PR0=0.3"], "both as a grid axis and a fixed value"),
    (["--grid", "PR0=0.1,0.2", "--set", "engine=brian2"], "astrosim engine"),
    (["--grid", "PR0=0.1", "--set", "average_from=200*second"], "must be before duration"),
    (["--grid", "rates=1*ms"], "units"),
    ([], "at least one --grid"),
])
def test_cli_refuses_bad_input(tmp_path, capsys, args, message):
    assert main(BASE + args + ["--out", str(tmp_path / "s")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s" / "shards").iterdir())


def test_cli_refuses_an_unknown_protocol(tmp_path, capsys):
    assert main(["sweep", "nope", "--grid", "x=1", "--out", str(tmp_path / "s"), "--workers", "0"]) == 2
    assert "unknown protocol 'nope'" in capsys.readouterr().err


def test_an_existing_folder_that_is_not_a_sweep_is_never_touched(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep")
    assert main(BASE + ["--grid", "PR0=0.1,0.2", "--out", str(folder)]) == 2
    assert "not a sweep" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["mine.txt"]
    (tmp_path / "file.h5").write_text("x")
    assert main(BASE + ["--grid", "PR0=0.1,0.2", "--out", str(tmp_path / "file.h5")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_folder_holding_another_sweep_is_refused(tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps({"format": "astrosim-sweep", "version": 1, "seed": 9,
                                                "target": {}, "axes": [], "chunk": 1, "tasks": []}))
    with pytest.raises(SweepInputError, match="different sweep"):
        astrosim.sweep("calcium_vs_frequency", ["PR0=0.1,0.2"], out=out, workers=0, progress=False)


def test_build_function_names_are_checked_against_its_signature(tmp_path):
    kw = dict(out=tmp_path / "s", workers=0, duration=10 * ms, progress=False)
    with pytest.raises(SweepInputError, match="unknown parameter 'tau_m'"):
        astrosim.sweep(noisy_lif, {"tau_m": [1, 2] * ms, "I0": [1.0]}, **kw)
    with pytest.raises(SweepInputError, match="no value for parameter 'tau'"):
        astrosim.sweep(noisy_lif, {"I0": [1.0, 2.0]}, **kw)
    with pytest.raises(SweepInputError, match="duration"):
        astrosim.sweep(noisy_lif, {"tau": [1, 2] * ms, "I0": [1.0]}, out=tmp_path / "s", workers=0)
    with pytest.raises(SweepInputError, match="seed"):
        astrosim.sweep(noisy_lif, {"tau": [1, 2] * ms, "I0": [1.0]}, seed=-1, **kw)
    assert not (tmp_path / "s").exists()
