"""CI-sized conformance check: a fixed subset of Brian2's own tests must pass under astrosim.

The whole suite runs with ``astrosim conformance`` (see docs/conformance.md); here the fixed
subset ``astrosim.conformance.CI_SUBSET`` runs in a separate process (Brian2's test runner
starts its own pytest sessions) and every selected test must pass.
"""
import json
import subprocess
import sys

from astrosim.conformance import CI_SUBSET


def test_brian2_subset_passes_under_astrosim(tmp_path):
    out = tmp_path / "conformance.json"
    proc = subprocess.run([sys.executable, "-m", "astrosim", "conformance", "--subset",
                           "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert not result["failed"], result["failed"]
    assert not result["refused"], result["refused"]
    assert sorted(result["passed"]) == sorted(CI_SUBSET), (
        f"subset not fully selected/passed: {sorted(set(CI_SUBSET) - set(result['passed']))}")
    assert proc.returncode == 0, proc.stdout[-3000:]
