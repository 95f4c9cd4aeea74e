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


_CLI_WORKER = """
import sys
import jax
jax.config.update("jax_num_cpu_devices", 1)
jax.config.update("jax_cpu_collectives_implementation", "gloo")
from tests import toy_experiment
from jaxpapers import cli
from jaxpapers._registry import Registry, Reproduction
entry = Reproduction.from_module("toy", toy_experiment)
code = cli.main(sys.argv[1:], Registry(entries=[entry]))
jax.distributed.shutdown()
sys.exit(code)
"""


def _cli_two_processes(script, out, *extra, timeout=180):
    port = str(_free_port())
    workers = []
    for i in range(2):
        env = dict(os.environ, PYTHONPATH=str(ROOT), TQDM_DISABLE="1")
        env.pop("XLA_FLAGS", None)
        env.update(
            JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{port}",
            JAX_NUM_PROCESSES="2",
            JAX_PROCESS_ID=str(i),
        )
        args = [sys.executable, str(script), "reproduce", "toy", "--distributed", "--out", str(out)]
        workers.append(
            subprocess.Popen(
                [*args, *extra],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
        )
    try:
        logs = [worker.communicate(timeout=timeout)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, log in zip(workers, logs, strict=True):
        assert worker.returncode == 0, log[-3000:]
    return logs


def test_cli_distributed_writes_one_report_and_resumes_per_process(tmp_path):
    import json

    script = tmp_path / "cli_worker.py"
    script.write_text(_CLI_WORKER)
    out = tmp_path / "out"
    logs = _cli_two_processes(script, out)
    assert sum("wrote " in log for log in logs) == 1  # only process 0 writes the report
    report = json.loads((out / "toy" / "report.json").read_text())
    assert report["meta"]["num_processes"] == 2 and report["meta"]["resumed_stages"] == []
    assert (out / "toy" / "ckpt" / "01_shift" / "0").is_dir()
    _cli_two_processes(script, out, "--resume")
    resumed = json.loads((out / "toy" / "report.json").read_text())
    assert resumed["meta"]["resumed_stages"] == ["draw", "shift"]
    assert resumed["claims"] == report["claims"]
