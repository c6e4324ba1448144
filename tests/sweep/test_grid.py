"""Grid axes from the command line and from Python; the chunk plan and its per-point seeds."""
import numpy as np
import pytest
from brian2 import Hz, second

from astrosim.sweep import SweepInputError, make_axes, parse_axis
from astrosim.sweep.plan import plan_tasks
from astrosim.sweep.runners import ProtocolRunner
from astrosim.sweep.seeds import STRIDE, base_seed, check_engine_streams, chunk_seed


def test_lists_and_ranges_with_units():
    assert parse_axis("PR0=0.1:0.5:0.1").values == (0.1, 0.2, 0.3, 0.4, 0.5)
    assert parse_axis("n=1,5,10").values == (1, 5, 10)
    assert parse_axis("n=2:11:3").values == (2, 5, 8, 11)
    rates = parse_axis("rates=1*Hz:3*Hz:1*Hz")
    assert rates.unit == "Hz" and np.allclose(rates.stored(), [1, 2, 3])
    assert parse_axis("d=1 second,2*second").values == (1 * second, 2 * second)
    assert parse_axis("x=0:1:0.3").values == (0.0, 0.3, 0.6, 0.9)  # stop not on the grid: not reached
    assert parse_axis("method=euler,rk4").values == ("euler", "rk4")


@pytest.mark.parametrize("spec, message", [
    ("PR0", "NAME=v1,v2"), ("PR0=", "NAME=v1,v2"), ("PR0=1:2", "three parts"),
    ("rates=1*Hz:2:1", "same units"), ("x=0:1:-0.1", "does not lead"), ("x=0:1:0", "does not lead"),
    ("x=1,foo*ms", "unknown unit"), ("2x=1", "not a parameter name"), ("x=1,1", "repeats a value"),
    ("x=1*ms,2*Hz", "mixes units"), ("x=1,euler", "mixes words"), ("x=0:1e9:1", "too many"),
])
def test_bad_grid_syntax_is_refused_with_a_clear_message(spec, message):
    with pytest.raises(SweepInputError, match=message):
        parse_axis(spec)


def test_python_grids_and_repeated_names():
    axes = make_axes({"rates": [1, 2] * Hz, "PR0": np.array([0.1, 0.2]), "n": "1,2"})
    assert [len(a) for a in axes] == [2, 2, 2]
    with pytest.raises(SweepInputError, match="more than once"):
        make_axes(["x=1,2", "x=3"])
    with pytest.raises(SweepInputError, match="1-D"):
        make_axes({"x": []})


def test_engine_seeding_matches_the_stream_arithmetic():
    check_engine_streams()  # batch copy b of seed s == copy 0 of seed s + STRIDE*b
    assert chunk_seed(3, 5) == (base_seed(3) + STRIDE * 5) % 2 ** 64
    assert base_seed(3) != base_seed(4)


def test_plan_seeds_follow_the_point_not_the_chunk():
    runner = ProtocolRunner("calcium_vs_frequency", {"repeats": "2"})
    axes = make_axes(["synapses_per_neuron=1,2", "rates=1*Hz,2*Hz,3*Hz", "PR0=0.1,0.2"])
    plans = [plan_tasks(runner, axes, 7, chunk)[0] for chunk in (1, 2, 5)]
    seeds = []
    for tasks in plans:
        by_index = {}
        for t in tasks:
            # a chunk never mixes structural values (synapses_per_neuron) ...
            assert len({p["synapses_per_neuron"] for p in t["points"]}) == 1
            # ... and its seeds are consecutive streams (one batched simulator seed)
            for k, s in enumerate(t["seeds"]):
                assert s == (t["seeds"][0] + STRIDE * 2 * k) % 2 ** 64  # 2 copies (repeats) per point
            by_index.update(zip(t["indices"], zip(t["seeds"], t["build_seeds"])))
        seeds.append(by_index)
    assert seeds[0] == seeds[1] == seeds[2] and len(seeds[0]) == 12
    assert len({s for s, _ in seeds[0].values()}) == 12
