"""Snapping exponents to the lattice and pruning small weights (spec §3.3 P3, §3.4).

At the start of P3: every exponent e within δ_snap of the lattice (integers, or multiples of ½
with ``half_integers``) becomes that lattice point; an exponent on a channel that takes negative
values on the data is always snapped to the nearest integer, because the real product unit is
exact only at integers there (a non-integer power of a negative number is not real). Weights
below ``prune_tolerance`` · max|w| of their array become 0. Snapped and pruned entries are frozen
for the rest of training.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxpapers.symbolic_regression._network import Network
from jaxpapers.symbolic_regression._types import Config

__all__ = ["negative_channels", "snap_and_prune", "snap_exponents"]


def negative_channels(network: Network, inputs, layer: int):
    """Which non-constant channels of h⁽ˡᵃʸᵉʳ⁾ are negative on some row of ``inputs``."""
    hidden = jax.vmap(lambda x: network.hidden(x)[layer])(inputs)
    return jnp.any(hidden[:, 1:] < 0, axis=0)


def snap_exponents(exponents, negative, config: Config):
    """(snapped exponents, which were snapped) for one exponent matrix (m_p, d − 1)."""
    exponents = jnp.clip(exponents, -config.max_exponent, config.max_exponent)
    spacing = 0.5 if config.half_integers else 1.0
    nearest = jnp.round(exponents / spacing) * spacing
    close = jnp.abs(exponents - nearest) < config.snap_tolerance
    integer = jnp.round(exponents)
    forced = jnp.broadcast_to(negative[None, :], exponents.shape)
    value = jnp.where(forced, integer, nearest)
    snapped = close | forced
    # a half-integer lattice point on a negative channel is not allowed: use the integer
    value = jnp.where(forced & close & (nearest != integer), integer, value)
    return jnp.where(snapped, value, exponents), snapped


def _prune(weights, tolerance):
    largest = jnp.max(jnp.abs(weights), initial=0.0)
    keep = jnp.abs(weights) >= tolerance * largest
    return jnp.where(keep, weights, 0.0), keep.astype(weights.dtype)


def snap_and_prune(network: Network, trainable: Network, problem, config: Config):
    """Snap exponents layer by layer (on the already-snapped lower layers), prune, freeze."""
    for index in range(len(network.layers)):
        layer, mask = network.layers[index], trainable.layers[index]
        negative = negative_channels(network, problem.inputs, index)
        exponents, snapped = snap_exponents(layer.exponents, negative, config)
        sums, keep_sums = _prune(layer.sums, config.prune_tolerance)
        ops, keep_ops = _prune(layer.operator_weights, config.prune_tolerance)
        layer = type(layer)(sums, exponents, ops)
        frozen = jnp.where(snapped, jnp.zeros_like(mask.exponents), mask.exponents)
        mask = type(mask)(mask.sums * keep_sums, frozen, mask.operator_weights * keep_ops)
        network = _replace_layer(network, index, layer)
        trainable = _replace_layer(trainable, index, mask)
    readout, keep = _prune(network.readout, config.prune_tolerance)
    network = _set(network, readout=readout)
    trainable = _set(trainable, readout=trainable.readout * keep)
    return network, trainable


def _replace_layer(network: Network, index: int, layer):
    layers = network.layers[:index] + (layer,) + network.layers[index + 1 :]
    return _set(network, layers=layers)


def _set(network: Network, **fields):
    names = list(fields)
    return eqx.tree_at(
        lambda m: [getattr(m, k) for k in names], network, [fields[k] for k in names]
    )
