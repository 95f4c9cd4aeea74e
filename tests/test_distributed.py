"""Two local CPU processes on JAX's own multi-controller runtime run one sharded simulation.

Each process has 2 CPU devices; ``jax.distributed.initialize`` joins them on 127.0.0.1 with gloo
collectives; ``adam_sgd_tracking.simulate`` shards its (settings x seeds) runs over the 4
devices of both processes (``_mesh.sharded_vmap`` builds global arrays from each process's data
and gathers the result back). Both processes must read the result of one process alone.
"""

import os
import socket
import subprocess
import sys

import numpy as np

import jax

import jaxpapers.adam_sgd_tracking as ast
from tests import distributed_worker
from tests.helpers import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_two_processes(out, timeout=120):
    port = str(_free_port())
    env = dict(os.environ, PYTHONPATH=str(ROOT), TQDM_DISABLE="1")
    env.pop("XLA_FLAGS", None)
    command = [sys.executable, "-m", "tests.distributed_worker", port]
    workers = [
        subprocess.Popen(
            [*command, str(i), str(out)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for i in range(2)
    ]
    logs = []
    try:
        for worker in workers:
            logs.append(worker.communicate(timeout=timeout)[0])
    finally:
        for worker in workers:  # a worker left waiting for its peer must not outlive the test
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, log in zip(workers, logs, strict=True):
        assert worker.returncode == 0, log[-3000:]


def test_two_processes_equal_one(tmp_path):
    _run_two_processes(tmp_path)
    problem, grid = distributed_worker.problem_and_grid()
    with jax.default_device(jax.devices()[0]):
        reference = ast.simulate(
            jax.random.key(distributed_worker.SEED), problem, "adam", grid,
            **distributed_worker.SIMULATION,
        )  # fmt: skip
    for process_id in range(2):
        got = np.load(tmp_path / f"process_{process_id}.npz")
        assert int(got["process_count"]) == 2 and int(got["device_count"]) == 4
        assert int(got["mesh_processes"]) == 2  # the mesh spans both processes
        assert got["errors"].shape == reference.errors.shape == (8, 3, 10)
        np.testing.assert_array_equal(got["diverged"], np.asarray(reference.diverged))
        for name in ("errors", "floor", "params"):
            # the same float32 program on different devices: equal up to fusion differences
            np.testing.assert_allclose(
                got[name], np.asarray(getattr(reference, name)), rtol=1e-5, atol=1e-6
            )
