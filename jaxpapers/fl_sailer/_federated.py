"""FedAvg of the invariant VAE over a stacked, padded client axis (spec §2.5).

    θ^{r+1} = θ^r + Σ_m w_m Δ_m,   Δ_m = LocalUpdate_m(θ^r) − θ^r,   w_m = n_m / n

Each round every client starts from the broadcast θ^r with a fresh Adam state and runs E local
epochs (:func:`local_update`). The client axis is ``vmap``-ped, or, with a ``mesh`` that has a
``client`` axis, split over devices by ``jax.shard_map`` with a ``psum`` of the weighted
updates (the clients of one device are ``vmap``-ped). Options: the cross-client moment term
(γ > 0: every round client b shares the moments (m_b, v_b) of its aggregated posterior, 2d
numbers), the simulated secure sum of the updates, and DP clipping and noise.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

import jax
import jax.numpy as jnp
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import ArrayLike

from jaxpapers import _mesh, _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.fl_sailer._loss import posterior_moments
from jaxpapers.fl_sailer._secure import clip_update, gaussian_noise, masked_share, unmask_sum
from jaxpapers.fl_sailer._train import local_update
from jaxpapers.fl_sailer._types import ClientData, Config, TrainResult

__all__ = ["CLIENT", "communication_bytes", "federated_train", "stack_clients"]

CLIENT = "client"
"""The mesh axis that splits clients."""

_SECURE, _NOISE = 1, 2  # fold_in tags of a round key


def stack_clients(
    x_list: Sequence[ArrayLike], cov_list: Sequence[ArrayLike], *, pad_to: int | None = None
) -> ClientData:
    """Stack per-client blocks on a leading client axis, padding rows (and, with ``pad_to``,
    clients) with masked-out zeros.

    Args:
        x_list: each client's binary cells × c matrix (same c).
        cov_list: each client's covariates, cells × q.
        pad_to: pad the client axis to this many clients (a multiple of the mesh's ``client``
            size); padded clients have no rows and weight zero.

    Returns:
        the :class:`ClientData`.

    Examples:
        >>> import jax.numpy as jnp
        >>> data = stack_clients([jnp.ones((2, 3)), jnp.ones((1, 3))],
        ...                      [jnp.zeros((2, 1)), jnp.zeros((1, 1))])
        >>> data.x.shape, data.mask.tolist()
        ((2, 2, 3), [[True, True], [True, False]])
    """
    if len(x_list) < 2:
        raise ValueError(
            f"x_list must hold at least 2 clients for federation, got {len(x_list)} "
            "(use train for one data set)"
        )
    if len(cov_list) != len(x_list):
        raise ValueError(f"cov_list must have {len(x_list)} clients, got {len(cov_list)}")
    rows = max(np.shape(x)[0] for x in x_list)
    clients = len(x_list) if pad_to is None else pad_to
    if clients < len(x_list):
        raise ValueError(f"pad_to must be >= the number of clients {len(x_list)}, got {pad_to}")

    def pad(block, width):
        block = jnp.asarray(block, jnp.float32)
        return jnp.zeros((rows, width), jnp.float32).at[: block.shape[0]].set(block)

    c, q = np.shape(x_list[0])[1], np.shape(cov_list[0])[1]
    xs = [pad(x, c) for x in x_list] + [jnp.zeros((rows, c))] * (clients - len(x_list))
    covs = [pad(v, q) for v in cov_list] + [jnp.zeros((rows, q))] * (clients - len(x_list))
    masks = [jnp.arange(rows) < np.shape(x)[0] for x in x_list]
    masks += [jnp.zeros(rows, bool)] * (clients - len(x_list))
    return ClientData(jnp.stack(xs), jnp.stack(covs), jnp.stack(masks))


def _client_round(key, graphdef, params, data, client_id, weight, round_index, config, peers):
    """One client's weighted (clipped) update w_m Δ_m and its last-epoch loss."""
    model = nnx.merge(graphdef, params)
    ckey = jax.random.fold_in(key, client_id)
    peer_args = None
    if peers is not None:  # every other client that holds rows
        others = peers[2] & (jnp.arange(peers[2].shape[0]) != client_id)
        peer_args = (peers[0], peers[1], others)
    first = round_index * config.local_epochs
    trained, losses, steps = local_update(ckey, model, data.x, data.covariates, data.mask, config,
                                          config.local_epochs, first, peer_args)  # fmt: skip
    delta = jax.tree.map(jnp.subtract, nnx.state(trained), params)
    if config.dp_clip is not None:
        delta, _ = clip_update(delta, config.dp_clip)
    return jax.tree.map(lambda d: weight.astype(d.dtype) * d, delta), losses[-1], steps


def _moments(graphdef, params, data: ClientData):
    model = nnx.merge(graphdef, params)

    def one(x, mask):
        mu, logvar = model.encode(x)
        return posterior_moments(mu, logvar, mask)

    means, variances = jax.vmap(one)(data.x, data.mask)
    return means, variances, jnp.any(data.mask, axis=1)


def _aggregate(key, weighted, ids, num_clients, config, reduce):
    """Σ_m w_m Δ_m over the local clients, then ``reduce`` across devices (identity or psum)."""
    if not config.secure_aggregation:
        return jax.tree.map(lambda d: reduce(jnp.sum(d, axis=0)), weighted)
    skey = jax.random.fold_in(key, _SECURE)

    def secure(d):
        shares = jax.vmap(lambda v, c: masked_share(skey, v, c, num_clients))(d, ids)
        return unmask_sum(reduce(jnp.sum(shares, axis=0, dtype=jnp.uint32)), d.dtype)

    return jax.tree.map(secure, weighted)


def _rounds(key, graphdef, params, data, weights, ids, config, num_clients, reduce, gather):
    max_weight = (
        reduce(jnp.max(weights)) if reduce is _identity else jax.lax.pmax(jnp.max(weights), CLIENT)
    )

    def one_round(params, r):
        rkey = jax.random.fold_in(key, r)
        peers = gather(_moments(graphdef, params, data)) if config.gamma > 0 else None
        weighted, losses, steps = jax.vmap(
            lambda d, i, w: _client_round(rkey, graphdef, params, d, i, w, r, config, peers)
        )(data, ids, weights)
        update = _aggregate(rkey, weighted, ids, num_clients, config, reduce)
        if config.dp_clip is not None and config.dp_noise > 0:
            std = config.dp_noise * config.dp_clip * max_weight  # sensitivity max_m w_m C
            noise = gaussian_noise(jax.random.fold_in(rkey, _NOISE), update, std)
            update = jax.tree.map(jnp.add, update, noise)
        params = jax.tree.map(jnp.add, params, update)
        return params, (reduce(weights @ losses), reduce(jnp.max(steps)))

    params, (losses, steps) = jax.lax.scan(one_round, params, jnp.arange(config.rounds))
    return params, losses, steps


def _identity(x):
    return x


def federated_train(
    key: PRNGKey, model, clients: ClientData, config: Config, *, mesh: Mesh | None = None
) -> TrainResult:
    """FedAvg of the invariant VAE (module docstring): ``config.rounds`` rounds of
    ``config.local_epochs`` local epochs on every client, aggregated with weights n_m / n.

    Args:
        key: round r, client m use ``fold_in(fold_in(key, r), m)`` (independent of the layout).
        model: the initial :class:`InvariantVAE`, broadcast to every client.
        clients: the stacked clients (:func:`stack_clients`); a single stacked client is the
            degenerate FedAvg (equal to sequential local training, spec D1).
        config: model, loss, optimiser and federation settings.
        mesh: a mesh with a ``client`` axis to split clients over devices (``shard_map`` with
            ``psum``); the number of clients must be a multiple of its size. In a multi-process
            job pass global arrays (each process holding its own clients' rows). None: ``vmap``.

    Returns:
        a :class:`TrainResult`; ``loss`` is the weighted last-epoch local loss per round and
        ``num_steps`` the local steps of the busiest client, summed over rounds.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from flax import nnx
        >>> import jaxpapers.fl_sailer as fs
        >>> x = jax.random.bernoulli(jax.random.key(0), 0.3, (2, 16, 10)).astype(jnp.float32)
        >>> clients = fs.stack_clients(list(x), [jnp.zeros((16, 1))] * 2)
        >>> model = fs.InvariantVAE(10, 1, latent_dim=2, hidden=(8,), rngs=nnx.Rngs(0))
        >>> config = fs.Config(rounds=2, local_epochs=1, batch_size=8)
        >>> result = fs.federated_train(jax.random.key(1), model, clients, config)
        >>> result.loss.shape, int(result.num_steps)
        ((2,), 4)
    """
    _validate.check_ndim("clients.x", clients.x, 3, "3-D (clients × rows × peaks)")
    graphdef, params = nnx.split(model)
    num_clients = clients.x.shape[0]
    ids = jnp.arange(num_clients, dtype=jnp.int32)
    counts = jnp.sum(clients.mask, axis=1).astype(jnp.float32)
    weights = counts / jnp.sum(counts)
    if mesh is None:
        params, losses, steps = _vmapped_rounds(key, graphdef, params, clients, weights, ids,
                                                config)  # fmt: skip
    else:
        params, losses, steps = _sharded_rounds(key, graphdef, params, clients, weights, ids,
                                                config, mesh)  # fmt: skip
    return TrainResult(nnx.merge(graphdef, params), losses, jnp.all(jnp.isfinite(losses)),
                       jnp.sum(steps))  # fmt: skip


@functools.partial(jax.jit, static_argnames=("graphdef", "config"))
def _vmapped_rounds(key, graphdef, params, clients, weights, ids, config):
    num_clients = clients.x.shape[0]
    return _rounds(key, graphdef, params, clients, weights, ids, config, num_clients, _identity,
                   _identity)  # fmt: skip


def _sharded_rounds(key, graphdef, params, clients, weights, ids, config, mesh):
    size = mesh.shape[CLIENT] if CLIENT in mesh.shape else 0
    if not size:
        raise ValueError(f"mesh must have a {CLIENT!r} axis, got axes {tuple(mesh.shape)}")
    num_clients = clients.x.shape[0]
    if num_clients % size:
        raise ValueError(
            f"the number of clients ({num_clients}) must be a multiple of the mesh's "
            f"{CLIENT!r} axis ({size}); pad with stack_clients(pad_to=...)"
        )
    split, whole = PartitionSpec(CLIENT), PartitionSpec()
    place = _placer(mesh)
    clients, weights, ids = place((clients, weights, ids), split)
    params, key = place((params, key), whole)

    def psum(x):
        return jax.lax.psum(x, CLIENT)

    def gather(tree):
        return jax.tree.map(lambda x: jax.lax.all_gather(x, CLIENT, tiled=True), tree)

    def body(key, params, data, weights, ids):
        return _rounds(key, graphdef, params, data, weights, ids, config, num_clients, psum,
                       gather)  # fmt: skip

    # check_vma=False: the psum'd update makes params replicated again, which the varying-axis
    # checker cannot see through the scan carry
    mapped = jax.shard_map(body, mesh=mesh, in_specs=(whole, whole, split, split, split),
                           out_specs=(whole, whole, whole), check_vma=False)  # fmt: skip
    return jax.jit(mapped)(key, params, clients, weights, ids)


def _placer(mesh: Mesh):
    def place(tree, spec):
        sharding = NamedSharding(mesh, spec)

        def put(leaf):
            if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
                return leaf  # already a global array (multi-process)
            if jax.process_count() == 1:
                return jax.device_put(leaf, sharding)
            return _mesh.put_global(leaf, sharding)

        return jax.tree.map(put, tree)

    return place


def communication_bytes(model, num_clients: int, rounds: int = 1) -> int:
    """Bytes exchanged by FedAvg: each client downloads and uploads every parameter per round
    (float32: 4 bytes each); the moment term adds 2d floats per client and round.

    Args:
        model: the :class:`InvariantVAE` that is exchanged.
        num_clients: M.
        rounds: R.

    Returns:
        bytes over all clients and rounds.

    Examples:
        >>> from flax import nnx
        >>> from jaxpapers.fl_sailer import InvariantVAE
        >>> model = InvariantVAE(10, 1, latent_dim=2, hidden=(4,), rngs=nnx.Rngs(0))
        >>> communication_bytes(model, num_clients=3)
        3504
    """
    count = sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(nnx.state(model, nnx.Param)))
    return 2 * 4 * count * num_clients * rounds
