"""``astrosim protocol``: listing, parameter errors, and a run that writes HDF5 and a figure."""
import subprocess
import sys

import pytest

from astrosim.protocols import PROTOCOLS, get
from astrosim.protocols._base import ProtocolParameterError, parse_value


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "astrosim", "protocol", *args], capture_output=True, text=True)


def test_list_names_every_protocol_once():
    out = _cli("--list")
    assert out.returncode == 0
    lines = out.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(PROTOCOLS)


@pytest.mark.parametrize("setting, message", [
    ("foo=1", "unknown parameter 'foo'"),
    ("duration=5*mV", "needs units of s"),
    ("repeats=0", "out of range"),
    ("repeats=2.5", "must be an integer"),
    ("engine=gpu", "must be one of"),
    ("rates=[1, 2]*volt", "needs units"),
])
def test_bad_parameters_are_clear_errors(setting, message):
    with pytest.raises(ProtocolParameterError, match=message.replace("(", r"\(")):
        key, value = setting.split("=", 1)
        get("calcium_vs_frequency").run({key: value})


def test_cli_reports_bad_parameter_without_traceback():
    out = _cli("stdp_window", "--set", "tau_pre=3*mV")
    assert out.returncode == 2
    assert "tau_pre" in out.stderr and "Traceback" not in out.stderr


def test_parse_value_accepts_units_lists_and_words():
    from brian2 import Hz, ms

    assert parse_value("5 ms") == 5 * ms
    assert list(parse_value("[1, 2]*Hz")) == [1 * Hz, 2 * Hz]
    assert parse_value("brian2") == "brian2"
    with pytest.raises(ProtocolParameterError):
        parse_value("__import__('os')")


def test_protocol_writes_hdf5_and_plot(tmp_path):
    from astrosim.io import load

    out, fig = tmp_path / "run.h5", tmp_path / "fig.png"
    res = _cli("stdp_window", "--set", "engine=brian2", "--set", "max_delay=20*ms", "--out", str(out),
               "--plot", str(fig))
    assert res.returncode == 0, res.stderr
    assert fig.stat().st_size > 1000
    recording = load(str(out))
    assert "weights" in recording.keys()
    user = recording.metadata["user"]
    assert user["protocol"] == "stdp_window" and user["summary"]["max_abs_error"] < 1e-12
