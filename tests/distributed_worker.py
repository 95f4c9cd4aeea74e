"""One process of the two-process test in ``test_distributed.py`` (not a test module).

Usage: ``python -m tests.distributed_worker PORT PROCESS_ID OUT_DIR``. Joins a two-process JAX
job on 127.0.0.1:PORT with 2 CPU devices per process (gloo collectives), runs
``adam_sgd_tracking.simulate`` sharded over the 4 devices of both processes, and writes what
this process reads back to ``OUT_DIR/process_<id>.npz``.
"""

import sys

import numpy as np

import jax


def problem_and_grid():
    """The problem and grid both the workers and the one-process reference run."""
    import jax.numpy as jnp

    import jaxpapers.adam_sgd_tracking as ast

    problem = ast.quadratic_tracking(jnp.ones(4), jnp.array([0.1, 1.0, 2.0, 5.0]), 0.3)
    grid, _ = ast.hyperparameter_grid([0.01, 0.05, 0.2, 2.5], beta1=(0.0, 0.9))
    return problem, grid


SIMULATION = dict(num_steps=200, num_seeds=3, record_every=20, discard=100)
SEED = 5


def main(port: str, process_id: int, out: str) -> None:
    # set here, not at import: the test process imports this module for problem_and_grid
    jax.config.update("jax_num_cpu_devices", 2)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=process_id)
    import jaxpapers.adam_sgd_tracking as ast
    from jaxpapers import _mesh

    problem, grid = problem_and_grid()
    mesh = _mesh.make_mesh()  # all 4 devices of both processes
    result = ast.simulate(jax.random.key(SEED), problem, "adam", grid, mesh=mesh, **SIMULATION)
    arrays = {name: np.asarray(value) for name, value in result._asdict().items()}
    np.savez(
        f"{out}/process_{process_id}.npz",
        **arrays,
        device_count=jax.device_count(),
        process_count=jax.process_count(),
        mesh_processes=len({d.process_index for d in mesh.devices.flat}),
    )
    jax.distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
