"""`astrosim recover`: a killed run's file opens with plain readers afterwards; live writers are refused."""

import h5py
import numpy as np
import pytest

import astrosim.io as aio
from astrosim.io.recover import RecoverError, lookup3, read_superblock, recover, writers_of


def test_lookup3_known_values():
    # the self-test values published with Bob Jenkins' lookup3.c
    assert lookup3(b"") == 0xDEADBEEF
    assert lookup3(b"Four score and seven years ago") == 0x17770551
    assert lookup3(b"Four score and seven years ago", 1) == 0xCD628161


def test_live_writer_refused_then_killed_file_recovered(tmp_path, runfiles, cli):
    path = tmp_path / "run.h5"
    proc, flushed = runfiles.start_writer(path, tmp_path, min_steps=100)
    try:
        assert flushed >= 100
        assert proc.pid in writers_of(path)
        with pytest.raises(RecoverError, match=f"still open for writing by process {proc.pid}"):
            recover(path)
        assert read_superblock(path)[0].open_for_write  # untouched
    finally:
        runfiles.kill(proc)
    before = path.read_bytes()
    with pytest.raises(OSError, match="already open for write"):
        h5py.File(path, "r")
    copy = tmp_path / "copy.h5"
    result = cli("recover", path, "-o", copy)
    assert result[0] == 0, result[2]
    assert "recovered" in result[1] and "interrupted" in result[1]
    assert path.read_bytes() == before  # -o leaves the original alone
    result = cli("recover", path, "-o", copy)
    assert result[0] == 2 and "exists" in result[2]
    result = cli("recover", path)  # in place
    assert result[0] == 0, result[2]
    for p in (path, copy):
        with h5py.File(p, "r") as f:  # plain open
            # a kill during a flush may leave one data set a chunk longer than another: the
            # rows every data set holds are the trusted ones
            n = min(f["monitors/trace/t"].shape[0], f["monitors/trace/v"].shape[0])
            assert n >= flushed
            np.testing.assert_allclose(f["monitors/trace/v"][:n, 0], np.arange(n) * 1e-3)
            assert f.attrs["status"] == "interrupted" and not f.attrs["complete"]
            assert "killed or crashed" in f.attrs["status_reason"]
            # from the data (n steps), or the recorder's own t_complete, at most one chunk behind
            assert (n - 20) * 1e-4 - 1e-9 <= f.attrs["t_complete"] <= n * 1e-4 + 1e-9
        with aio.load(p) as rec:
            assert not rec.writer_not_closed
    result = cli("recover", path)
    assert result[0] == 0 and "nothing to do" in result[1]


def test_recover_refuses_bad_files(tmp_path, cli):
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5 at all\n" * 10)
    result = cli("recover", text)
    assert result[0] == 2 and "not an HDF5 file" in result[2]
    result = cli("recover", tmp_path / "missing.h5")
    assert result[0] == 2 and "no such file" in result[2]
    damaged = tmp_path / "damaged.h5"
    with h5py.File(damaged, "w", libver=("v110", "v110")) as f:
        f["x"] = np.arange(3)
    raw = bytearray(damaged.read_bytes())
    raw[20] ^= 0xFF  # inside the superblock: its checksum no longer matches
    damaged.write_bytes(bytes(raw))
    with pytest.raises(RecoverError, match="checksum"):
        recover(damaged)
