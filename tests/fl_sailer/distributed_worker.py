"""One client of the two-process FedAvg test in ``test_distributed.py`` (not a test module).

Usage: ``python -m tests.fl_sailer.distributed_worker PORT PROCESS_ID OUT_DIR``. Joins a
two-process JAX job on 127.0.0.1:PORT (one CPU device per process, gloo collectives). Process m
holds only client m's rows: the stacked client arrays are global arrays built from each
process's own block, and ``federated_train`` runs ``shard_map`` over the ``client`` mesh axis
spanning both processes. Writes the aggregated parameters to ``OUT_DIR/process_<id>.npz``.
"""

import sys

import numpy as np

import jax

ROWS, PEAKS, COVARIATES = 12, 10, 2
SEED = 7


def client_blocks():
    """Both clients' (x, covariates): the single-process reference stacks the same blocks."""
    import jax.numpy as jnp

    keys = jax.random.split(jax.random.key(SEED), 4)
    xs = [jax.random.bernoulli(keys[m], 0.3, (ROWS - 3 * m, PEAKS)).astype(jnp.float32)
          for m in range(2)]  # fmt: skip
    covs = [jax.random.normal(keys[2 + m], (ROWS - 3 * m, COVARIATES)) for m in range(2)]
    return xs, covs


def model_and_config():
    from flax import nnx

    import jaxpapers.fl_sailer as fs

    model = fs.InvariantVAE(PEAKS, COVARIATES, latent_dim=2, hidden=(6,), rngs=nnx.Rngs(0))
    config = fs.Config.prototype(batch_size=4, local_epochs=1, rounds=2, gamma=1.0)
    return model, config


def main(port: str, process_id: int, out: str) -> None:
    jax.config.update("jax_num_cpu_devices", 1)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=process_id)
    from flax import nnx
    from jax.sharding import NamedSharding, PartitionSpec

    import jaxpapers.fl_sailer as fs
    from jaxpapers import _mesh

    mesh = _mesh.make_mesh((2,), (fs.CLIENT,))
    sharding = NamedSharding(mesh, PartitionSpec(fs.CLIENT))
    xs, covs = client_blocks()
    stacked = fs.stack_clients(xs, covs)  # shapes only; each process keeps its own block
    local = jax.tree.map(lambda a: np.asarray(a)[process_id : process_id + 1], stacked)
    clients = jax.tree.map(
        lambda a, full: jax.make_array_from_process_local_data(sharding, a, full.shape),
        local, stacked,
    )  # fmt: skip
    model, config = model_and_config()
    result = fs.federated_train(jax.random.key(SEED), model, clients, config, mesh=mesh)
    state = nnx.state(result.model, nnx.Param)
    leaves = [np.asarray(leaf.addressable_data(0)) for leaf in jax.tree.leaves(state)]
    np.savez(
        f"{out}/process_{process_id}.npz",
        *leaves,
        loss=np.asarray(result.loss.addressable_data(0)),
        process_count=jax.process_count(),
    )
    jax.distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
