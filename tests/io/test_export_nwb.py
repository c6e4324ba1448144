"""`astrosim export --format nwb`: valid NWB (pynwb's validator) that reads back equal to the source."""
import json

import h5py
import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb", reason="the export extra (pip install -e '.[export]') is not installed")


def _export(cli, src, out):
    code, stdout, err = cli("export", src, "--format", "nwb", "-o", out)
    assert code == 0, err
    assert f"{out}: NWB file with" in stdout
    with h5py.File(src, "r", swmr=True) as f:
        if "half_events" in f["monitors"]:
            assert "left out: half_events" in stdout
    from pynwb.validation import validate

    assert validate(path=str(out)) == []  # pynwb's schema validator finds nothing
    return pynwb.NWBHDF5IO(str(out), "r")


def _source_trains(f, monitor, copy=None):
    g = f[f"monitors/{monitor}"]
    t, i = g["t"][()], g["i"][()]
    if copy is not None:
        keep = g["batch"][()] == copy
        t, i = t[keep], i[keep]
    return [np.sort(t[i == n]) for n in range(int(g.attrs["source_size"]))]


def test_recorded_run_round_trip(run_files, tmp_path, cli):
    src = run_files["recorded"]
    with _export(cli, src, tmp_path / "run.nwb") as io, h5py.File(src, "r") as f:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        trains = _source_trains(f, "spikes")
        assert len(units) == len(trains) == 12  # one row per neuron, silent ones included
        assert nwb.units.resolution == pytest.approx(1e-4)  # the spike monitor's dt
        assert set(units["group"]) == {"neurons"} and set(units["population"]) == {"neurons"}
        assert list(units["node_id"]) == list(range(12)) and set(units["monitor"]) == {"spikes"}
        for n, row in units.iterrows():
            np.testing.assert_array_equal(row["spike_times"], trains[row["node_id"]])
            np.testing.assert_array_equal(row["obs_intervals"], [[0.0, 0.04]])
        assert sum(len(t) for t in trains) > 10
        t = f["monitors/trace/t"][()]
        for var, unit in (("v", "V"), ("x", "dimensionless"), ("n_spikes", "dimensionless")):
            ts = nwb.acquisition[f"trace.{var}"]
            assert ts.unit == unit and ts.conversion == 1.0
            np.testing.assert_array_equal(ts.data[()], f[f"monitors/trace/{var}"][()])
            np.testing.assert_allclose(ts.get_timestamps(), t, rtol=0, atol=1e-12)
            assert "elements 0, 5, 11 of 'neurons'" in ts.description
        high = nwb.acquisition["trace.high"]
        np.testing.assert_array_equal(high.data[()], f["monitors/trace/high"][()].astype(bool))
        rate = nwb.acquisition["rate.rate"]
        assert rate.unit == "Hz"
        np.testing.assert_array_equal(rate.data[()], f["monitors/rate/rate"][()])
        assert "half_events.t" not in nwb.acquisition  # events are not units or series
        meta = nwb.processing["astrosim"]
        run = dict(zip(meta["run"]["key"][:], meta["run"]["value"][:]))
        assert run["seed"] == "3" and run["status"] == "complete"
        assert run["brian2_version"] == f["metadata"].attrs["brian2_version"]
        assert run["astrosim_version"] == f["metadata"].attrs["astrosim_version"]
        params = meta["parameters"].to_dataframe().set_index("parameter")
        assert params.loc["tau", "value"] == pytest.approx(0.01) and params.loc["tau", "unit"] == "s"
        assert params.loc["v_th", "value"] == pytest.approx(-0.05) and params.loc["v_th", "unit"] == "V"
        model = meta["model"].to_dataframe()
        eqs = model[(model["object"] == "neurons") & (model["role"] == "equations")]["text"].iloc[0]
        assert eqs == f["metadata/model/neurons"].attrs["equations"] and "dv/dt" in eqs
        monitors = meta["monitors"].to_dataframe().set_index("monitor")
        assert json.loads(monitors.loc["trace", "record"]) == [0, 5, 11]
        assert json.loads(nwb.notes)["seed"] == 3


def test_batched_copies_are_series_named_by_values(run_files, tmp_path, runfiles, cli):
    src = run_files["batched"]
    with _export(cli, src, tmp_path / "batched.nwb") as io, h5py.File(src, "r") as f:
        nwb = io.read()
        labels = ["tau=5 ms", "tau=10 ms", "tau=20 ms"]
        for copy, label in enumerate(labels):
            ts = nwb.acquisition[f"trace.v [{label}]"]
            np.testing.assert_array_equal(ts.data[()], f["monitors/trace/v"][copy])
            rate = nwb.acquisition[f"rate.rate [{label}]"]
            np.testing.assert_array_equal(rate.data[()], f["monitors/rate/rate"][copy])
        assert "trace.v" not in nwb.acquisition
        units = nwb.units.to_dataframe()
        assert len(units) == 3 * 12
        for copy, label in enumerate(labels):
            rows = units[units["batch_copy"] == copy]
            assert set(rows["batch_values"]) == {label} and set(rows["population"]) == {f"neurons__copy{copy}"}
            for (_, row), train in zip(rows.iterrows(), _source_trains(f, "spikes", copy)):
                np.testing.assert_array_equal(row["spike_times"], train)
        table = nwb.processing["astrosim"]["batch_values"].to_dataframe()
        np.testing.assert_allclose(table["neurons.tau"], runfiles.BATCH_TAU)
        assert list(table["label"]) == labels


def test_killed_run_exports_its_complete_part(run_files, tmp_path, runfiles, cli):
    src = run_files["killed"]  # still flagged open-for-write: read as an SWMR reader
    with _export(cli, src, tmp_path / "killed.nwb") as io, h5py.File(src, "r", swmr=True) as f:
        nwb = io.read()
        t = f["monitors/trace/t"][()]
        t_stop = runfiles.killed_t_stop(f)  # t_complete, or where every monitor's data ends
        units = nwb.units.to_dataframe()
        assert units["obs_intervals"].iloc[0][0][1] == pytest.approx(t_stop)
        v = nwb.acquisition["trace.v"].data[()]
        n = int(np.sum(t < t_stop - 1e-9))
        np.testing.assert_array_equal(v, f["monitors/trace/v"][:n])
        spikes = np.concatenate(list(units["spike_times"]))
        assert spikes.max() < t_stop and len(spikes) == int(np.sum(f["monitors/spk/t"][()] < t_stop - 1e-9))
        run = dict(zip(nwb.processing["astrosim"]["run"]["key"][:], nwb.processing["astrosim"]["run"]["value"][:]))
        assert run["status"] in ("running", "interrupted") and "killed" in run["status_reason"]


def test_refuses_to_overwrite(run_files, tmp_path, cli):
    out = tmp_path / "keep.nwb"
    out.write_bytes(b"precious")
    code, _, err = cli("export", run_files["recorded"], "--format", "nwb", "-o", out)
    assert code == 2 and "exists" in err and out.read_bytes() == b"precious"
    code, _, err = cli("export", run_files["recorded"], "--format", "nwb", "-o", out, "--overwrite")
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
    code, _, err = cli("export", run_files["recorded"], "--format", "nwb", "-o", tmp_path / "x.nwb",
                        "--monitors", "nope")
    assert code == 2 and "no monitor nope" in err and not (tmp_path / "x.nwb").exists()
    assert not list(tmp_path.glob("*.partial*"))  # no temporary file left behind
