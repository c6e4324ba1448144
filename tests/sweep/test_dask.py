"""Sweeps on a Dask LocalCluster: 1 and 2 worker processes and other chunkings give identical results,
also when a worker process is killed in the middle of the sweep."""
import io
import os
import signal

import pytest

pytest.importorskip("dask.distributed")

import cloudpickle  # noqa: E402
import sweep_models  # noqa: E402
from sweep_helpers import assert_same, run  # noqa: E402

cloudpickle.register_pickle_by_value(sweep_models)  # the workers cannot import the tests folder


def test_one_worker_of_a_running_scheduler_matches_the_reference(tmp_path, reference):
    from dask.distributed import LocalCluster

    log = io.StringIO()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        one = run(tmp_path / "s", workers=None, scheduler=cluster.scheduler_address, chunk=4, progress=True,
                  stream=log)
    assert_same(one, reference)
    text = log.getvalue()
    assert "1 worker(s)" in text and "12/12 points" in text and "points/s" in text
    assert "dashboard http" in text or "dashboard not available" in text


def test_two_workers_survive_a_killed_worker_with_identical_results(tmp_path, reference):
    state = {}

    def keep(client):
        state["client"] = client

    def kill_one(task, reply):
        if "pid" in state:
            return
        client = state["client"]
        busy = {w: keys for w, keys in client.processing().items() if keys}
        if not busy:
            return  # nothing running right now: try again after the next shard
        worker, keys = next(iter(busy.items()))
        state["pid"] = client.run(os.getpid, workers=[worker])[worker]
        state["lost"] = {int(str(k).split("-")[3]) for k in keys}
        os.kill(state["pid"], signal.SIGKILL)

    two = run(tmp_path / "s", workers=2, chunk=2, on_client=keep, on_shard=kill_one)
    assert "pid" in state, "no task was running when a shard finished"
    assert_same(two, reference)
    # the lost tasks were run again, by another worker process
    import h5py

    for task_id in state["lost"]:
        with h5py.File(tmp_path / "s" / "shards" / f"task-{task_id:06d}.h5") as f:
            assert not f.attrs["worker"].endswith(f":{state['pid']}")
