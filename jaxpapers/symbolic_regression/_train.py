"""Training: the regularised loss and the phased schedule, one step at a time (spec §3).

Loss of one network (targets scaled to unit root-mean-square):

    ℒ(θ) = Σ_q w_q |R(N)_q − y_q| / Σ_q w_q + λ(t) [α₁ L_{1/2} + α₂ L_poly + α₃ L_ops],

with R the identity (derivative loss) or the windowed trapezoid mean (integral loss, §3.5),
w_q = 1 on training rows and 0 on validation rows. The schedule is one step function of the
global step t: P1 (t < t₂) data only, λ = 0; P2 (t₂ ≤ t < t₃) λ = 1; at t = t₃ the exponents are
snapped, small weights pruned, both frozen, and Adam restarted; P3 fine-tunes with λ = 0.
Adam uses a triangular cyclic learning rate; exponents take steps ``exponent_step`` times
smaller than the weights (Adam moves every parameter by about the learning rate). A restart
whose loss or parameters become non-finite stops updating and is flagged (``failed``), so one
bad restart in the ``vmap`` kills nothing.
"""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from jaxpapers.linalg import lstsq
from jaxpapers.symbolic_regression._network import Network, init_network
from jaxpapers.symbolic_regression._penalties import l_half, operator_penalty, poly_penalty
from jaxpapers.symbolic_regression._snap import snap_and_prune
from jaxpapers.symbolic_regression._types import Config, TrainInfo, TrainState
from jaxpapers.symbolic_regression._windows import respond

_READOUT_RIDGE = 1e-4  # ridge of the initial read-out fit, per unit of training weight

__all__ = ["Problem", "cyclic_schedule", "init_state", "loss_fn", "make_step", "train"]


class Problem(NamedTuple):
    """The scaled data one equation's network is fitted to.

    Attributes:
        inputs: scaled states x / x_scale, (M, n), where the network is evaluated.
        targets: scaled targets, (Q,): derivatives (Q = M) or window slopes (integral loss).
        weights: 1 for training rows/windows, 0 elsewhere, (Q,).
        holdout: 1 for validation rows/windows, 0 elsewhere, (Q,).
        times: sample times, (M,) (used by the integral loss only).
    """

    inputs: Float[Array, "M n"]
    targets: Float[Array, " Q"]
    weights: Float[Array, " Q"]
    holdout: Float[Array, " Q"]
    times: Float[Array, " M"]


def cyclic_schedule(config: Config) -> optax.Schedule:
    """Triangular cyclic learning rate between ``learning_rate`` (low, high)."""
    low, high = config.learning_rate
    half = config.half_period

    def schedule(count):
        phase = jnp.mod(count / half, 2.0)
        return low + (high - low) * (1.0 - jnp.abs(phase - 1.0))

    return schedule


def _optimizer(config: Config) -> optax.GradientTransformation:
    return optax.adam(cyclic_schedule(config))


def loss_fn(network: Network, problem: Problem, penalty_weight: Float[Array, ""], config: Config):
    """(ℒ, (data term, penalty term, validation MAE)) of one network (module docstring)."""
    predictions = jax.vmap(network)(problem.inputs)
    residual = jnp.abs(respond(predictions, problem.times, config) - problem.targets)
    data = jnp.sum(problem.weights * residual) / jnp.sum(problem.weights)
    held = jnp.sum(problem.holdout * residual) / jnp.maximum(jnp.sum(problem.holdout), 1.0)
    penalty = (
        config.l_half * l_half(network, config.smoothing)
        + config.poly * poly_penalty(network, config.half_integers)
        + config.ops * operator_penalty(network)
    )
    return data + penalty_weight * penalty, (data, penalty, held)


def least_squares_readout(network: Network, problem: Problem, config: Config) -> Network:
    """The network with its read-out set to the ridge least-squares fit of the targets on its
    read-out features [h⁽ᴸ⁾, x] (training rows; window means for the integral loss)."""
    features = jax.vmap(lambda x: jnp.concatenate([network.hidden(x)[-1], x]))(problem.inputs)
    features = jnp.asarray(respond(features, problem.times, config))
    ridge = _READOUT_RIDGE * jnp.sum(problem.weights)
    readout = lstsq(features, problem.targets, problem.weights, ridge)
    return eqx.tree_at(lambda m: m.readout, network, readout.astype(network.readout.dtype))


def init_state(key: jax.Array, problem: Problem, config: Config) -> TrainState:
    """The state of one restart of one equation before step 0.

    With ``config.init == "lattice"`` the read-out starts at the least-squares fit on the
    initial units (:func:`least_squares_readout`), so that the exponents do not race a
    read-out that is still near zero.
    """
    n = problem.inputs.shape[1]
    network = init_network(key, n, config, problem.inputs.dtype, problem.inputs)
    if config.init == "lattice":
        network = least_squares_readout(network, problem, config)
    trainable = jax.tree.map(jnp.ones_like, network)
    opt_state = _optimizer(config).init(network)  # pyright: ignore[reportArgumentType]
    return TrainState(network, opt_state, trainable, jnp.asarray(False))


def _masked(tree, mask):
    return jax.tree.map(lambda a, m: a * m, tree, mask)


def _step_sizes(trainable: Network, config: Config) -> Network:
    """The trainable mask with the exponents' entries scaled by ``exponent_step``."""
    layers = tuple(
        eqx.tree_at(lambda l: l.exponents, layer, layer.exponents * config.exponent_step)
        for layer in trainable.layers
    )
    return eqx.tree_at(lambda m: m.layers, trainable, layers)


def make_step(config: Config):
    """``step(state, t, problem) -> (state, info)`` for one restart of one equation."""
    optimizer = _optimizer(config)
    start_penalty, start_finetune = config.phase_steps
    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    def snap(state: TrainState, problem: Problem) -> TrainState:
        network, trainable = snap_and_prune(state.network, state.trainable, problem, config)
        opt_state = optimizer.init(network)  # pyright: ignore[reportArgumentType]
        return TrainState(network, opt_state, trainable, state.failed)

    def step(state: TrainState, t: jax.Array, problem: Problem) -> tuple[TrainState, TrainInfo]:
        state = jax.lax.cond(t == start_finetune, snap, lambda s, _: s, state, problem)
        weight = ((t >= start_penalty) & (t < start_finetune)).astype(problem.inputs.dtype)
        (loss, (data, penalty, held)), grads = grad_fn(state.network, problem, weight, config)
        # optax's bias correction raises a float to an int32 count: standard promotion
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = optimizer.update(
                _masked(grads, state.trainable), state.opt_state, state.network
            )
        updates = _masked(updates, _step_sizes(state.trainable, config))
        network = optax.apply_updates(state.network, updates)
        leaves = jax.tree.leaves(network)
        ok = jnp.isfinite(loss) & jnp.all(jnp.stack([jnp.all(jnp.isfinite(p)) for p in leaves]))
        keep = ok & ~state.failed
        new = TrainState(network, opt_state, state.trainable, state.failed | ~ok)
        new = jax.tree.map(
            lambda a, b: jnp.where(keep, a, b), new, state._replace(failed=new.failed)
        )
        zero = jnp.zeros_like(loss)  # a failed restart reports 0 and its flag, never NaN
        info = TrainInfo(
            jnp.where(keep, loss, zero), jnp.where(keep, data, zero),
            jnp.where(keep, weight * penalty, zero), jnp.where(keep, held, zero), new.failed,
        )  # fmt: skip
        return new, info

    return step


def train(key: jax.Array, problem: Problem, config: Config) -> tuple[TrainState, TrainInfo]:
    """Train one network on ``problem`` for ``config.steps`` steps (one ``lax.scan``).

    Pure and jit/vmap-able: vmap it over keys for restarts, over target columns for equations.
    :func:`~jaxpapers.symbolic_regression.fit` runs the same step through
    :func:`jaxpapers._loop.run_chunked` (progress and NaN checks between chunks).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> x = jnp.linspace(0.5, 2.0, 40)[:, None]
        >>> problem = Problem(x, 2.0 * x[:, 0], jnp.ones(40), jnp.zeros(40), jnp.zeros(40))
        >>> state, info = train(jax.random.key(0), problem, Config(depth=1, steps=50))
        >>> info.loss.shape
        (50,)
    """
    step = make_step(config)
    state = init_state(key, problem, config)
    steps = jnp.arange(config.steps, dtype=jnp.int32)
    return jax.lax.scan(lambda s, t: step(s, t, problem), state, steps)
