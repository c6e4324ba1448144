"""Every protocol's file holds a model that builds again and reruns, from the file alone, to identical data."""
import pytest

import astrosim.io as aio
from astrosim.cli import main
from astrosim.io.compare import compare_files
from astrosim.io.model import rebuild_groups

SMALL = {
    "calcium_vs_frequency": ["rates=[1, 5]*Hz", "duration=2*second", "average_from=1*second", "repeats=2"],
    "stdp_window": ["max_delay=20*ms"],
    "key_value_write": ["n_tokens=2", "key_dim=4", "value_dim=2", "T_token=5*ms"],
    "gliotransmission": ["delays=[10]*ms", "gamma_values=[0, 1]", "sweep_duration=0*second",
                         "steps_duration=0*second"],
    "calcium_oscillations": ["ip3_values=[0.4, 0.5]*umolar", "k3_values=[100]*nmolar", "duration=10*second",
                             "analysis_window=5*second", "edge_rounds=0"],
    "release_probability": ["duration=1*second", "average_from=0.5*second"],
    "calcium_wave": ["n_cells=5", "duration=2*second", "stimulus_period=1*second", "stimulus_on=0.5*second"],
}


def test_every_protocol_is_covered():
    from astrosim.protocols import PROTOCOLS

    assert set(SMALL) == set(PROTOCOLS)


_SLOW = ("calcium_vs_frequency", "release_probability")  # the AN model's first compile dominates


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in _SLOW else n for n in sorted(SMALL)])
def test_protocol_file_reruns_identically(name, tmp_path, capsys):
    first, second = tmp_path / "first.h5", tmp_path / "again.h5"
    args = ["protocol", name, "--out", str(first)]
    for item in SMALL[name]:
        args += ["--set", item]
    assert main(args) == 0  # no --seed: one is drawn and stored
    capsys.readouterr()
    with aio.load(first) as rec:
        assert rec.status == "complete"
        assert isinstance(rec.metadata["seed"], int)
        groups = rebuild_groups(rec.metadata["model"], rec.parameters)  # the stored text builds again
        assert set(groups) == {n for n, e in rec.metadata["model"].items()
                               if e["type"] in ("NeuronGroup", "Synapses", "PoissonGroup", "SpikeGeneratorGroup")}
    assert main(["rerun", str(first), "--out", str(second)]) == 0
    out = capsys.readouterr()
    assert "every monitor identical" in out.out, out
    assert compare_files(first, second) == []
    assert "warning" not in out.err
