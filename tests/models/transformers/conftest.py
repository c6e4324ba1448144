"""Run the transformer tests single-threaded: tiny tensors are many times slower with thread contention."""
import pytest
import torch


@pytest.fixture(autouse=True, scope="package")
def _single_thread_torch():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
