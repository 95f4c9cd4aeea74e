"""Simulated secure aggregation and the DP clip-and-noise mechanism (spec §2.5.4).

Secure sum (Bonawitz et al. 2017, simulated): clients a < b share a mask r_ab; client a adds
+r_ab, client b adds −r_ab, so every mask cancels in the sum and the server sees only masked
vectors. The arithmetic is fixed-point modulo 2³² (values scaled by 2^frac_bits and rounded),
so cancellation is exact and each masked vector is uniform on the ring, whatever the value.

DP-FedAvg (McMahan et al. 2018): clip each client's update to L2 norm C, add Gaussian noise
N(0, (σ C)²) per coordinate to the aggregate.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PyTree

from jaxpapers._typing import PRNGKey

__all__ = ["clip_update", "gaussian_noise", "masked_share", "secure_sum"]


def _pair_mask(key: PRNGKey, a: Int[Array, ""], b: Int[Array, ""], shape) -> Array:
    low, high = jnp.minimum(a, b), jnp.maximum(a, b)
    pair_key = jax.random.fold_in(jax.random.fold_in(key, low), high)
    return jax.random.bits(pair_key, shape, jnp.uint32)


def masked_share(
    key: PRNGKey,
    value: Float[Array, ...],
    client: Int[Array, ""],
    num_clients: int,
    frac_bits: int = 24,
) -> Array:
    """What client ``client`` sends: its fixed-point value plus Σ_b ±r_(client,b) mod 2³².

    Args:
        key: the round's shared mask key (each pair's mask is ``fold_in(key, (a, b))``).
        value: the client's vector; |value| and |sum| must stay below 2^(31 − frac_bits).
        client: this client's index in 0..num_clients-1.
        num_clients: M.
        frac_bits: fixed-point fraction bits (resolution 2^-frac_bits).

    Returns:
        the masked share, uint32 of ``value``'s shape.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> share = masked_share(jax.random.key(0), jnp.ones(3), jnp.int32(0), 2)
        >>> share.dtype
        dtype('uint32')
    """
    scaled = jnp.round(value * jnp.asarray(2.0**frac_bits, value.dtype)).astype(jnp.int32)
    share = jax.lax.bitcast_convert_type(scaled, jnp.uint32)
    for other in range(num_clients):  # M is small and static
        mask = _pair_mask(key, client, jnp.int32(other), value.shape)
        sign_mask = jnp.where(client < other, mask, -mask)  # uint32 negation wraps: −r mod 2³²
        share = share + jnp.where(client == other, jnp.uint32(0), sign_mask)
    return share


def secure_sum(
    key: PRNGKey, values: Float[Array, "m ..."], frac_bits: int = 24
) -> Float[Array, ...]:
    """Σ_m values[m] computed from masked shares only (the masks cancel exactly mod 2³²).

    Args:
        key: the mask key shared by the clients.
        values: one vector per client on the leading axis.
        frac_bits: fixed-point fraction bits; the result is exact up to M · 2^-(frac_bits+1).

    Returns:
        the sum over clients, in ``values``' dtype.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> values = jnp.array([[1.0, 2.0], [0.5, -1.0], [0.25, 0.0]])
        >>> secure_sum(jax.random.key(0), values)
        Array([1.75, 1.  ], dtype=float32)
    """
    num_clients = values.shape[0]
    clients = jnp.arange(num_clients, dtype=jnp.int32)
    shares = jax.vmap(lambda v, c: masked_share(key, v, c, num_clients, frac_bits))(values, clients)
    return unmask_sum(jnp.sum(shares, axis=0, dtype=jnp.uint32), values.dtype, frac_bits)


def unmask_sum(total: Array, dtype, frac_bits: int = 24) -> Array:
    """The real-valued sum from the uint32 sum of masked shares (two's complement fixed point).

    Args:
        total: Σ_m shares mod 2³² (uint32).
        dtype: the float dtype of the result.
        frac_bits: the fixed-point fraction bits the shares used.

    Returns:
        the sum as ``dtype``.
    """
    signed = jax.lax.bitcast_convert_type(total, jnp.int32)
    return signed.astype(dtype) / jnp.asarray(2.0**frac_bits, dtype)


def clip_update(update: PyTree, clip: float) -> tuple[PyTree, Float[Array, ""]]:
    """Scale ``update`` to L2 norm at most ``clip``: u · min(1, C/‖u‖); also returns ‖u‖.

    Args:
        update: a pytree (one client's update).
        clip: C > 0.

    Returns:
        (clipped update, its norm before clipping).

    Examples:
        >>> import jax.numpy as jnp
        >>> clipped, norm = clip_update({"w": jnp.array([3.0, 4.0])}, 1.0)
        >>> clipped["w"], norm
        (Array([0.6, 0.8], dtype=float32), Array(5., dtype=float32))
    """
    leaves = jax.tree.leaves(update)
    norm = jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in leaves))
    factor = jnp.minimum(1.0, clip / jnp.maximum(norm, jnp.finfo(norm.dtype).tiny))
    return jax.tree.map(lambda leaf: leaf * factor.astype(leaf.dtype), update), norm


def gaussian_noise(key: PRNGKey, like: PyTree, std: float | Array) -> PyTree:
    """Independent N(0, std²) noise with the structure, shapes and dtypes of ``like``.

    Args:
        key: draws the noise.
        like: the pytree whose structure the noise copies.
        std: the standard deviation.

    Returns:
        the noise pytree.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> gaussian_noise(jax.random.key(0), {"w": jnp.zeros(2)}, 1.0)["w"].shape
        (2,)
    """
    leaves, treedef = jax.tree.flatten(like)
    keys = jax.random.split(key, len(leaves))
    noise = [
        jnp.asarray(std, leaf.dtype) * jax.random.normal(k, leaf.shape, leaf.dtype)
        for k, leaf in zip(keys, leaves, strict=True)
    ]
    return jax.tree.unflatten(treedef, noise)
