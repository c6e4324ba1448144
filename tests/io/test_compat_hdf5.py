"""Files open with older HDF5 stacks: HDF5 1.10 (Debian's h5dump) and h5py 3.11 (HDF5 1.14).

Every data set and attribute of a recorded, a batched, a saved, a failed, a killed and a
recovered run, and of the NWB and SONATA exports, is read by the older stack; the values must
equal what the current h5py reads.
In CI (``CI`` set) a missing older stack is a failure, elsewhere the test is skipped.
"""
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import h5py
import pytest

import astrosim.io as aio


OLD_H5PY = "h5py==3.11.*"  # bundles HDF5 1.14.2, the stack that crashed on files before format v110
IN_CI = bool(os.environ.get("CI"))

# Reads every attribute and data set of each file and prints {path: digest}; run by the old stack.
READ_ALL = textwrap.dedent(
    '''
    import hashlib, json, sys
    import h5py, numpy as np

    def digest(value):
        arr = np.asarray(value)
        if arr.dtype.kind in "OSU":
            items = [v.decode() if isinstance(v, bytes) else str(v) for v in arr.ravel().tolist()]
            data = json.dumps([list(arr.shape), items]).encode()
        else:
            data = repr((arr.shape, arr.dtype.kind, arr.dtype.itemsize)).encode() + np.ascontiguousarray(arr).tobytes()
        return hashlib.sha1(data).hexdigest()

    def read_all(path, swmr):
        out = {}
        with h5py.File(path, "r", swmr=swmr) as f:
            def attrs(name, obj):
                for key in obj.attrs.keys():
                    out[f"{name}@{key}"] = digest(obj.attrs[key])
            attrs("/", f)
            def visit(name, obj):
                attrs(name, obj)
                if isinstance(obj, h5py.Dataset):
                    out[name] = digest(obj[()])
            f.visititems(visit)
        return out

    if __name__ == "__main__":
        swmr = sys.argv[1] == "swmr"
        print(json.dumps({p: read_all(p, swmr) for p in sys.argv[2:]}))
    '''
)

def _need(reason):
    """Fail in CI (the older readers are part of its contract), skip elsewhere."""
    if IN_CI:
        pytest.fail(f"CI must run the compatibility check: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def old_python(tmp_path_factory):
    """Python of a virtual environment with an older h5py wheel (made once per test session)."""
    env = tmp_path_factory.mktemp("old-h5py") / "venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, capture_output=True, timeout=120)
        python = env / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", OLD_H5PY,
                        "numpy<2"], check=True, capture_output=True, text=True, timeout=300)
        version = subprocess.run([str(python), "-c", "import h5py; print(h5py.version.hdf5_version)"],
                                 check=True, capture_output=True, text=True).stdout.strip()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        _need(f"could not install {OLD_H5PY} in a virtual environment ({getattr(err, 'stderr', err)})")
    older = tuple(int(x) for x in version.split(".")[:2])
    assert older < tuple(int(x) for x in h5py.version.hdf5_version.split(".")[:2]), (version, "is not older")
    return python


@pytest.fixture(scope="module")
def run_files(run_files, tmp_path_factory):
    """The shared run files (conftest) plus NWB/SONATA exports of the batched run: ``{kind: path}``."""
    files = dict(run_files)
    if importlib.util.find_spec("pynwb") is None:
        if IN_CI:
            pytest.fail("CI must check the NWB export with the older readers too: pynwb is missing")
        return files
    out = tmp_path_factory.mktemp("compat-exports")
    files["nwb export"] = out / "batched.nwb"
    aio.to_nwb(files["batched"], files["nwb export"])
    files["sonata export"] = out / "batched_spikes.h5"
    aio.to_sonata(files["batched"], files["sonata export"])
    return files


def _current(path, swmr):
    namespace = {}
    exec(READ_ALL, namespace)
    return namespace["read_all"](str(path), swmr)


def test_killed_run_needs_swmr_or_recover(run_files):
    killed = run_files["killed"]
    with pytest.raises(OSError, match="already open for write"):  # the documented plain-open error
        h5py.File(killed, "r")
    with aio.load(killed) as rec:  # astrosim opens it anyway
        assert rec.writer_not_closed and not rec.complete and len(rec["trace"]) >= 200
    with h5py.File(run_files["recovered"], "r") as f:  # recovered: a plain open works
        assert f.attrs["status"] == "interrupted" and f.attrs["t_complete"] >= 200 * 1e-4
        assert f["monitors/trace/v"].shape[0] >= 200


def test_older_h5py_reads_every_dataset_and_attribute(run_files, old_python):
    script = pathlib.Path(str(old_python)).parent / "read_all.py"
    script.write_text(READ_ALL)
    plain = [str(p) for k, p in run_files.items() if k != "killed"]
    for mode, paths in (("plain", plain), ("swmr", [str(run_files["killed"])])):
        result = subprocess.run([str(old_python), str(script), mode, *paths], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, f"{OLD_H5PY} failed ({mode}, rc {result.returncode}): {result.stderr[-2000:]}"
        theirs = json.loads(result.stdout)
        for path in paths:
            ours = _current(path, mode == "swmr")
            assert len(ours) > 20
            assert theirs[path] == ours, f"{os.path.basename(path)} reads differently with {OLD_H5PY}"


def test_hdf5_1_10_h5dump_reads_every_file(run_files):
    h5dump = shutil.which("h5dump")
    if h5dump is None:
        _need("h5dump (Debian's hdf5-tools) is not installed")
    version = subprocess.run([h5dump, "--version"], capture_output=True, text=True).stdout
    assert "1.10" in version or "1.12" in version or "1.14" in version, version
    for label, path in run_files.items():
        result = subprocess.run([h5dump, str(path)], capture_output=True, text=True, timeout=120)
        if label == "killed":  # open for write: no plain reader opens it (see test above)
            assert result.returncode != 0
            continue
        assert result.returncode == 0 and not result.stderr, f"{version.strip()} on {label}: {result.stderr}"
        assert "ERROR" not in result.stdout
        if "export" not in label:
            assert 'DATASET "v"' in result.stdout or 'DATASET "rate"' in result.stdout
            assert "format_version" in result.stdout
