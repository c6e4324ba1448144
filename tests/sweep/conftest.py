"""A reference sweep of the small noisy LIF model, run in this process (also warms the kernel cache)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sweep_helpers import run  # noqa: E402


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """Two tasks (one per tau), each one batched run of 6 copies."""
    return run(tmp_path_factory.mktemp("ref") / "sweep", chunk=6)
