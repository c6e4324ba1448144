"""The command line lists its commands and fails cleanly on unknown ones."""
import subprocess
import sys


def test_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "astrosim", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "usage: astrosim" in out.stdout


def test_unknown_command_is_an_error():
    out = subprocess.run([sys.executable, "-m", "astrosim", "no-such-command"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "invalid choice" in out.stderr
