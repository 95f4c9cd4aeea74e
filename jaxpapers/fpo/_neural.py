"""The neural-network environment of the authors' notebook (spec §2.3).

A Gaussian policy ``y = θ + σ_t ε`` (start θ = 0) in R^10 chases
``U(y) = 10 exp(−0.2 ||y − y*||²)``, ``y* = (2.5, 2.5, 0, …)``, through a reward model
``r_φ``: an MLP 10 → 32 → 32 → 1 with Softplus (weights N(0, 0.1²), biases 0). Each round
runs 15 policy steps (single-sample reparameterised gradient of
``r_φ(y) − 0.01 ||y||² − γ pen(y)``, clipped elementwise to [−1, 1], SGD with step ``lr_t``),
records U, r and ``||θ[2:]||`` at the mean, adds 5 samples of the policy to a FIFO buffer of
the last 50 (labelled by U) and takes one step of Adam with coupled L2 weight decay on the
buffer's mean squared error. Schedules: ``decay_t = 1 − (t/T)⁴``,
``σ_t = 0.001 + 0.099 decay_t``, ``lr_t = 0.001 + 0.049 decay_t``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, ArrayLike, Float, Int

from jaxpapers import _validate
from jaxpapers.fpo._penalty import penalty
from jaxpapers.fpo._types import Config, RoundInfo

__all__ = ["NeuralEnv", "NeuralState", "mlp_reward"]


class NeuralState(NamedTuple):
    """The policy mean, the reward model, its optimiser state, the data buffer and the key.

    ``buffer_y``/``buffer_u`` hold the last ``buffer_size`` samples, newest last; only the last
    ``filled`` rows are real (the buffer fills during the first rounds).
    """

    theta: Float[Array, " d"]
    phi: Any
    opt_state: Any
    buffer_y: Float[Array, "m d"]
    buffer_u: Float[Array, " m"]
    filled: Int[Array, ""]
    key: jax.Array


@dataclasses.dataclass(frozen=True)
class NeuralEnv:
    """Constants of the neural-network environment (defaults: the authors' notebook).

    Attributes:
        dim: action dimension.
        signal_dim: coordinates where ``y* = target``.
        target: ``U(y) = peak · exp(−width ||y − y*||²)``.
        peak: see ``target``.
        width: see ``target``.
        hidden: width of the reward model's two hidden layers.
        init_std: standard deviation of its initial weights (biases start at 0).
        action_cost: c in ``− c ||y||²``.
        inner_steps: policy steps per round.
        sigma_start: policy noise at the start and the end of the schedule.
        sigma_end: see ``sigma_start``.
        lr_start: policy step size at the start and the end.
        lr_end: see ``lr_start``.
        decay_power: ``decay_t = 1 − (t / num_rounds) ** decay_power``.
        clip: elementwise clip of the policy gradient.
        rm_lr: Adam step and coupled L2 weight decay of the reward model.
        rm_weight_decay: see ``rm_lr``.
        buffer_size: the FIFO buffer and how many samples enter per round.
        samples_per_round: see ``buffer_size``.
        num_rounds: outer rounds (also the schedules' horizon).
    """

    dim: int = 10
    signal_dim: int = 2
    target: float = 2.5
    peak: float = 10.0
    width: float = 0.2
    hidden: int = 32
    init_std: float = 0.1
    action_cost: float = 0.01
    inner_steps: int = 15
    sigma_start: float = 0.1
    sigma_end: float = 0.001
    lr_start: float = 0.05
    lr_end: float = 0.001
    decay_power: float = 4.0
    clip: float = 1.0
    rm_lr: float = 1e-3
    rm_weight_decay: float = 1e-3
    buffer_size: int = 50
    samples_per_round: int = 5
    num_rounds: int = 4000

    def __post_init__(self):
        for name in (
            "dim",
            "signal_dim",
            "hidden",
            "inner_steps",
            "buffer_size",
            "samples_per_round",
            "num_rounds",
        ):
            _validate.check_integer(f"NeuralEnv.{name}", getattr(self, name), minimum=1)
        if self.signal_dim > self.dim:
            raise ValueError(
                f"NeuralEnv.signal_dim must be <= dim = {self.dim}, got {self.signal_dim}"
            )
        for name in (
            "peak",
            "width",
            "init_std",
            "sigma_end",
            "lr_end",
            "clip",
            "rm_lr",
            "decay_power",
        ):
            _validate.check_positive(f"NeuralEnv.{name}", getattr(self, name))
        for name in ("action_cost", "rm_weight_decay"):
            _validate.check_range(f"NeuralEnv.{name}", getattr(self, name), low=0.0)

    def ideal(self, dtype=None) -> Float[Array, " d"]:
        mask = jnp.arange(self.dim) < self.signal_dim
        return jnp.where(mask, self.target, 0.0).astype(dtype or jnp.zeros(()).dtype)

    def utility(self, y: Float[Array, " d"]) -> Float[Array, ""]:
        """``U(y) = peak · exp(−width ||y − y*||²)``."""
        return self.peak * jnp.exp(-self.width * jnp.sum((y - self.ideal(y.dtype)) ** 2))

    def schedule(self, t: Float[ArrayLike, ""]) -> tuple[Float[Array, ""], Float[Array, ""]]:
        """``(σ_t, lr_t)`` at round ``t``."""
        decay = 1.0 - (jnp.asarray(t) / self.num_rounds) ** self.decay_power
        sigma = self.sigma_end + (self.sigma_start - self.sigma_end) * decay
        return sigma, self.lr_end + (self.lr_start - self.lr_end) * decay

    def optimizer(self) -> optax.GradientTransformation:
        """Adam with *coupled* L2 (torch ``Adam(weight_decay=...)``): decay enters the moments."""
        return optax.chain(optax.add_decayed_weights(self.rm_weight_decay), optax.adam(self.rm_lr))


def mlp_reward(phi: Any, y: Float[Array, " d"]) -> Float[Array, ""]:
    """The reward model ``r_φ(y)``: Softplus MLP, ``phi = ({"w": [in, out], "b": [out]}, …)``."""
    h = y
    for layer in phi[:-1]:
        h = jax.nn.softplus(h @ layer["w"] + layer["b"])
    return (h @ phi[-1]["w"] + phi[-1]["b"])[0]


def init_reward_model(key: jax.Array, env: NeuralEnv, dtype=None) -> tuple:
    """Weights ``N(0, init_std²)``, biases 0, sizes ``dim → hidden → hidden → 1``."""
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    sizes = (env.dim, env.hidden, env.hidden, 1)
    keys = jax.random.split(key, len(sizes) - 1)
    return tuple(
        {
            "w": env.init_std * jax.random.normal(k, (n_in, n_out), dtype),
            "b": jnp.zeros(n_out, dtype),
        }
        for k, n_in, n_out in zip(keys, sizes[:-1], sizes[1:], strict=True)
    )


def init(key: jax.Array, env: NeuralEnv, dtype=None) -> NeuralState:
    """θ = 0, a fresh reward model and an empty buffer; ``key`` also drives every round."""
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    key_rm, key_run = jax.random.split(key)
    phi = init_reward_model(key_rm, env, dtype)
    return NeuralState(
        theta=jnp.zeros(env.dim, dtype),
        phi=phi,
        opt_state=env.optimizer().init(phi),
        buffer_y=jnp.zeros((env.buffer_size, env.dim), dtype),
        buffer_u=jnp.zeros(env.buffer_size, dtype),
        filled=jnp.zeros((), jnp.int32),
        key=key_run,
    )


def _policy_step(config: Config, env: NeuralEnv, phi, theta, noise, sigma, lr):
    """One clipped SGD step of θ on ``r_φ(y) − c||y||² − γ pen(y)``, ``y = θ + σ ε``."""

    def objective(mean):
        y = mean + sigma * noise
        u = env.utility(y) if config.mode == "relaxed" else None
        pen = penalty(config.mode, mlp_reward, phi, y, u, stop_grad_oracle=config.stop_grad_oracle)
        return mlp_reward(phi, y) - env.action_cost * jnp.sum(y * y) - config.gamma * pen

    grad = jnp.clip(jax.grad(objective)(theta), -env.clip, env.clip)
    return theta + lr * grad


def _reward_model_step(env: NeuralEnv, state: NeuralState, samples_y):
    """Push the new samples into the buffer and take one optimiser step on its MSE."""
    n = env.samples_per_round
    buffer_y = jnp.concatenate([state.buffer_y[n:], samples_y])
    buffer_u = jnp.concatenate([state.buffer_u[n:], jax.vmap(env.utility)(samples_y)])
    filled = jnp.minimum(state.filled + n, env.buffer_size)
    real = jnp.arange(env.buffer_size, dtype=jnp.int32) >= env.buffer_size - filled

    def loss(phi):
        error = jax.vmap(mlp_reward, in_axes=(None, 0))(phi, buffer_y) - buffer_u
        return jnp.sum(jnp.where(real, error**2, 0.0)) / filled.astype(error.dtype)

    grads = jax.grad(loss)(state.phi)
    with jax.numpy_dtype_promotion("standard"):  # optax's bias correction: decay ** int count
        updates, opt_state = env.optimizer().update(grads, state.opt_state, state.phi)
    phi = optax.apply_updates(state.phi, updates)
    return state._replace(
        phi=phi, opt_state=opt_state, buffer_y=buffer_y, buffer_u=buffer_u, filled=filled
    )


def step(config: Config, env: NeuralEnv, state: NeuralState, t) -> tuple[NeuralState, RoundInfo]:
    """One outer round: ``inner_steps`` policy steps, the record, one reward-model step."""
    dtype = state.theta.dtype
    sigma, lr = env.schedule(jnp.asarray(t, dtype))
    key_policy, key_data = jax.random.split(jax.random.fold_in(state.key, t))
    noise = jax.random.normal(key_policy, (env.inner_steps, env.dim), dtype)

    def inner(theta, eps):
        return _policy_step(config, env, state.phi, theta, eps, sigma, lr), None

    theta, _ = jax.lax.scan(inner, state.theta, noise)
    info = RoundInfo(
        env.utility(theta),
        mlp_reward(state.phi, theta),
        jnp.linalg.norm(theta[env.signal_dim :]),
        jnp.linalg.norm(theta[: env.signal_dim]),
    )
    draws = jax.random.normal(key_data, (env.samples_per_round, env.dim), dtype)
    samples = theta[None, :] + sigma * draws
    return _reward_model_step(env, state._replace(theta=theta), samples), info
