"""Two local CPU processes, one FedAvg client each, equal the single-process FedAvg.

Each process holds only its own client's rows; ``federated_train`` splits the client axis over
a ``client`` mesh axis spanning both processes (``shard_map`` + ``psum`` over gloo). The
aggregated parameters must equal the one-process ``vmap`` result.
"""

import os
import socket
import subprocess
import sys

import numpy as np

import jax
from flax import nnx

import jaxpapers.fl_sailer as fs
from tests.fl_sailer import distributed_worker
from tests.helpers import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_processes_equal_one(tmp_path):
    port = str(_free_port())
    env = dict(os.environ, PYTHONPATH=str(ROOT), TQDM_DISABLE="1")
    env.pop("XLA_FLAGS", None)
    command = [sys.executable, "-m", "tests.fl_sailer.distributed_worker", port]
    workers = [
        subprocess.Popen([*command, str(i), str(tmp_path)], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(2)
    ]  # fmt: skip
    logs = []
    try:
        for worker in workers:
            logs.append(worker.communicate(timeout=240)[0])
    finally:
        for worker in workers:  # a worker left waiting for its peer must not outlive the test
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, log in zip(workers, logs, strict=True):
        assert worker.returncode == 0, log[-3000:]
    xs, covs = distributed_worker.client_blocks()
    model, config = distributed_worker.model_and_config()
    with jax.default_device(jax.devices()[0]):
        reference = fs.federated_train(
            jax.random.key(distributed_worker.SEED), model, fs.stack_clients(xs, covs), config
        )
    expected = [np.asarray(leaf) for leaf in jax.tree.leaves(nnx.state(reference.model, nnx.Param))]
    for process_id in range(2):
        got = np.load(tmp_path / f"process_{process_id}.npz")
        assert int(got["process_count"]) == 2
        for i, leaf in enumerate(expected):
            # the same float32 program split over two processes: equal up to fusion order
            np.testing.assert_allclose(got[f"arr_{i}"], leaf, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got["loss"], np.asarray(reference.loss), rtol=1e-5)
