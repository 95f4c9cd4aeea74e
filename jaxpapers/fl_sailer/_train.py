"""Local (centralised) training of the invariant VAE: epochs of masked mini-batch Adam steps.

One routine serves centralised training and a FedAvg client's local update: E epochs over the
rows of one (padded) data block, each epoch a fresh random order of the real rows, cut into
mini-batches of B rows (the last one padded and masked), with a fresh Adam state at the start
(spec §2.5.1 resets the local optimiser each round). A mini-batch without real rows (a padded
client smaller than the largest one) leaves parameters and optimiser state unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

import jax
import jax.numpy as jnp
import optax
from flax import nnx
from jaxtyping import Array, Bool, Float

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.fl_sailer._loss import kl_weight, vae_loss
from jaxpapers.fl_sailer._types import Config, TrainResult

__all__ = ["local_update", "optimizer", "train"]


def optimizer(config: Config) -> optax.GradientTransformation:
    """Adam with L2 weight decay added to the gradient (torch ``Adam(weight_decay=)``)."""
    adam = optax.adam(config.learning_rate)
    if config.weight_decay == 0:
        return adam
    return optax.chain(optax.add_decayed_weights(config.weight_decay), adam)


def _tree_where(flag: Array, new, old):
    return jax.tree.map(lambda a, b: jnp.where(flag, a, b), new, old)


def _batches(key: PRNGKey, mask: Bool[Array, " n"], batch_size: int):
    """Row indices (steps × B) of one epoch in random order, real rows first, and their mask."""
    n = mask.shape[0]
    steps = math.ceil(n / batch_size)
    order = jnp.argsort(jnp.where(mask, jax.random.uniform(key, (n,)), 2.0))
    pad = steps * batch_size - n
    index = jnp.concatenate([order, jnp.zeros(pad, order.dtype)]).reshape(steps, batch_size)
    valid = jnp.concatenate([mask[order], jnp.zeros(pad, bool)]).reshape(steps, batch_size)
    return index, valid


def local_update(
    key: PRNGKey,
    model,
    x: Float[Array, "n c"],
    cov: Float[Array, "n q"],
    mask: Bool[Array, " n"],
    config: Config,
    epochs: int,
    first_epoch: Array | int = 0,
    peers: tuple[Array, Array, Array] | None = None,
):
    """``epochs`` epochs of Adam on the SAILER loss over the real rows of one data block.

    Args:
        key: mini-batch order and reparameterisation noise (epoch e uses ``fold_in(key, e)``).
        model: the :class:`InvariantVAE` to start from.
        x: binary peaks (float), rows × peaks.
        cov: decoder covariates, rows × q.
        mask: True for real rows.
        config: the loss weights, optimiser and batch size.
        epochs: E.
        first_epoch: global index of the first epoch (drives the KL schedule β).
        peers: (m_b, v_b, include_b) for the cross-client moment term (γ > 0).

    Returns:
        (trained model, mean loss per epoch, optimiser steps taken).
    """
    graphdef, params = nnx.split(model)
    opt = optimizer(config)
    batch_size = min(config.batch_size, x.shape[0])
    weights = dict(lam_mi=config.lam_mi, recon_weight=config.recon_weight, gamma=config.gamma)

    def loss_fn(p, k, xb, cb, mb, beta):
        return vae_loss(nnx.merge(graphdef, p), k, xb, cb, mb, beta, peers=peers, **weights)

    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    def epoch(carry, e):
        k_order, k_steps = jax.random.split(jax.random.fold_in(key, e))
        index, valid = _batches(k_order, mask, batch_size)
        beta = kl_weight(first_epoch + e, config.kl_schedule, config.warmup_epochs,
                         config.cycle_epochs)  # fmt: skip

        def step(carry, inputs):
            p, state = carry
            i, rows, real = inputs
            (loss, _), grads = grad_fn(p, jax.random.fold_in(k_steps, i), x[rows], cov[rows],
                                       real, beta)  # fmt: skip
            with jax.numpy_dtype_promotion("standard"):  # optax bias correction: decay ** int
                updates, new_state = opt.update(grads, state, p)
            used = jnp.any(real)  # an all-padding batch changes nothing
            new = _tree_where(used, optax.apply_updates(p, updates), p)
            return (new, _tree_where(used, new_state, state)), (jnp.where(used, loss, 0.0), used)

        steps = jnp.arange(index.shape[0])
        carry, (losses, used) = jax.lax.scan(step, carry, (steps, index, valid))
        count = jnp.sum(used)
        return carry, (jnp.sum(losses) / jnp.maximum(count, 1).astype(losses.dtype), count)

    start = (params, opt.init(params))
    (params, _), (losses, counts) = jax.lax.scan(epoch, start, jnp.arange(epochs))
    return nnx.merge(graphdef, params), losses, jnp.sum(counts)


def train(
    key: PRNGKey,
    model,
    x: Float[Array, "n c"],
    cov: Float[Array, "n q"],
    config: Config,
    epochs: int,
) -> TrainResult:
    """Centralised training of the invariant VAE for ``epochs`` epochs (spec §2.4).

    Args:
        key: mini-batch order and reparameterisation noise.
        model: the initial :class:`InvariantVAE`.
        x: binary peaks of the selected peaks (cells × c; 0/1, float or integer).
        cov: decoder covariates c = [depth, onehot(batch)] (cells × q).
        config: loss weights, schedule, optimiser, batch size (γ is ignored: one data set).
        epochs: number of epochs.

    Returns:
        a :class:`TrainResult` (``result.model(x)`` is the embedding μ_φ(x)).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from flax import nnx
        >>> import jaxpapers.fl_sailer as fs
        >>> x = jax.random.bernoulli(jax.random.key(0), 0.3, (40, 12)).astype(jnp.float32)
        >>> model = fs.InvariantVAE(12, 1, latent_dim=2, hidden=(8,), rngs=nnx.Rngs(0))
        >>> result = fs.train(jax.random.key(1), model, x, jnp.zeros((40, 1)), fs.Config(), 2)
        >>> result.loss.shape, int(result.num_steps)
        ((2,), 4)
    """
    _validate.check_ndim("x", x, 2)
    _validate.check_ndim("cov", cov, 2)
    _validate.check_same_length(x=x, cov=cov)
    _validate.check_integer("epochs", epochs, minimum=1)
    values = _validate.as_concrete("x", x)
    if values is not None and not np.isin(values, (0, 1)).all():
        raise ValueError("x must be binary (0/1; use binarize on counts), got other values")
    x = jnp.asarray(x, jnp.float32)
    mask = jnp.ones(x.shape[0], bool)
    config = dataclasses.replace(config, gamma=0.0) if config.gamma else config
    graphdef, params = nnx.split(model)
    params, losses, steps = _train(key, graphdef, params, x, jnp.asarray(cov, jnp.float32), mask,
                                   config, epochs)  # fmt: skip
    return TrainResult(nnx.merge(graphdef, params), losses, jnp.isfinite(losses[-1]), steps)


@functools.partial(jax.jit, static_argnames=("graphdef", "config", "epochs"))
def _train(key, graphdef, params, x, cov, mask, config, epochs):
    trained, losses, steps = local_update(key, nnx.merge(graphdef, params), x, cov, mask, config,
                                          epochs)  # fmt: skip
    return nnx.state(trained), losses, steps
