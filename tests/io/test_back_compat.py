"""Files of every released format version (tests/io/data/v<N>.h5) still load with their units."""
import glob
import importlib.util
import os

import numpy as np
import pytest
from brian2 import mV, ms

import astrosim.io as aio

HERE = os.path.dirname(__file__)
FILES = sorted(glob.glob(os.path.join(HERE, "data", "v*.h5")))


def _maker():
    spec = importlib.util.spec_from_file_location("make_back_compat", os.path.join(HERE, "make_back_compat.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_file_exists_for_the_current_version():
    assert os.path.join(HERE, "data", f"v{aio.FORMAT_VERSION}.h5") in FILES


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_old_files_load_and_match_a_fresh_run(path):
    mons, ns = _maker().build_and_run()
    with aio.load(path) as rec:
        assert rec.complete and rec.format_version <= aio.FORMAT_VERSION
        assert rec.parameters["tau"] == 5 * ms
        assert rec.metadata["description"] == "back-compat fixture"
        np.testing.assert_array_equal(np.asarray(rec["spikes"].t), np.asarray(mons[0].t[:]))
        np.testing.assert_array_equal(rec["spikes"].i, mons[0].i[:])
        assert rec["trace"].v.dim == mV.dim
        np.testing.assert_array_equal(np.asarray(rec["trace"].v), np.asarray(mons[1].v))
        np.testing.assert_array_equal(np.asarray(rec["rate"].rate), np.asarray(mons[2].rate[:]))
