"""Run the transformer tests single-threaded (tiny tensors are many times slower with thread contention);
Triton kernels in the CPU interpreter."""
import os

import pytest
import torch

# The Triton kernel tests run the kernels in Triton's CPU interpreter; triton.jit reads this when the
# kernel module is imported, so it must be set before any test imports it (no effect without CUDA
# use: on a CUDA machine run those tests with TRITON_INTERPRET=0 to compile them instead).
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")


@pytest.fixture(autouse=True, scope="package")
def _single_thread_torch():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
