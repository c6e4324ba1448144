"""`astrosim export --format sonata`: a SONATA spike file that libsonata and bmtk read back equal."""

import h5py
import numpy as np
import pytest

libsonata = pytest.importorskip("libsonata", reason="the export extra (pip install -e '.[export]') is not installed")


def _source(path, monitor, copy=None, swmr=False):
    with h5py.File(path, "r", swmr=swmr) as f:
        g = f[f"monitors/{monitor}"]
        t, i = g["t"][()], g["i"][()]
        if copy is not None:
            keep = g["batch"][()] == copy
            t, i = t[keep], i[keep]
    return t, i


def _pairs(t_s, ids):
    return sorted(zip(np.asarray(ids).tolist(), np.round(np.asarray(t_s) * 1e3, 9).tolist()))


def test_spike_file_layout_and_libsonata_read_back(run_files, tmp_path, cli):
    out = tmp_path / "spikes.h5"
    code, stdout, err = cli("export", run_files["recorded"], "--format", "sonata", "-o", out)
    assert code == 0, err
    assert "half_events" in stdout  # the left-out event monitor is named
    with h5py.File(out, "r") as f:  # the layout the specification asks for
        pop = f["spikes/neurons"]
        assert pop["timestamps"].dtype == np.float64 and pop["timestamps"].attrs["units"] == "ms"
        assert pop["node_ids"].dtype == np.uint64
        assert h5py.check_enum_dtype(pop.attrs.get_id("sorting").dtype) == {"none": 0, "by_id": 1, "by_time": 2}
        assert pop.attrs["sorting"] == 2
        assert np.all(np.diff(pop["timestamps"][()]) >= 0)
    reader = libsonata.SpikeReader(str(out))
    assert reader.get_population_names() == ["neurons"]
    pop = reader["neurons"]
    assert pop.sorting == "by_time"
    t, i = _source(run_files["recorded"], "spikes")
    assert len(t) > 10
    got = pop.get()
    assert sorted((int(n), round(float(ms), 9)) for n, ms in got) == _pairs(t, i)
    for n in (9, 11):
        np.testing.assert_allclose([ms for _, ms in pop.get(node_ids=[n])], np.sort(t[i == n]) * 1e3, rtol=1e-12)


def test_batched_populations_read_with_bmtk(run_files, tmp_path, cli):
    from bmtk.utils.reports.spike_trains import SpikeTrains

    out = tmp_path / "batched_spikes.h5"
    code, _, err = cli("export", run_files["batched"], "--format", "sonata", "-o", out)
    assert code == 0, err
    trains = SpikeTrains.from_sonata(str(out))
    assert sorted(trains.populations) == ["neurons__copy0", "neurons__copy1", "neurons__copy2"]
    with h5py.File(out, "r") as f:
        assert f["spikes/neurons__copy1"].attrs["batch_values"] == "tau=10 ms"
    for copy in range(3):
        df = trains.to_dataframe(populations=f"neurons__copy{copy}")
        t, i = _source(run_files["batched"], "spikes", copy)
        assert _pairs(df["timestamps"] * 1e-3, df["node_ids"]) == _pairs(t, i)


def test_killed_run_and_refusals(run_files, tmp_path, runfiles, cli):
    out = tmp_path / "killed_spikes.h5"
    code, stdout, err = cli("export", run_files["killed"], "--format", "sonata", "-o", out)
    assert code == 0, err
    assert "did not complete" in stdout
    with h5py.File(run_files["killed"], "r", swmr=True) as f:
        t_stop = runfiles.killed_t_stop(f)  # t_complete, or where every monitor's data ends
    t, i = _source(run_files["killed"], "spk", swmr=True)
    keep = t < t_stop - 1e-9
    got = libsonata.SpikeReader(str(out))["cells"].get()
    assert sorted((int(n), round(float(ms), 9)) for n, ms in got) == _pairs(t[keep], i[keep])
    before = out.read_bytes()
    code, _, err = cli("export", run_files["killed"], "--format", "sonata", "-o", out)
    assert code == 2 and "exists" in err and out.read_bytes() == before
    src = tmp_path / "copy.h5"
    src.write_bytes(run_files["recorded"].read_bytes())
    code, _, err = cli("export", src, "--format", "sonata", "-o", src, "--overwrite")
    assert code == 2 and "is the file being exported" in err
    assert src.read_bytes() == run_files["recorded"].read_bytes()
    code, _, err = cli("export", run_files["failed"], "--format", "sonata", "-o", tmp_path / "f.h5",
                        "--monitors", "trace")
    assert code == 2 and "no spike monitor" in err and not (tmp_path / "f.h5").exists()
