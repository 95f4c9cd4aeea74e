"""S5: inverse physics-informed network refinement of (a, D) (spec §2 S5).

A field network u_θ(x̃, ỹ, t̃) (inputs scaled to [−1, 1], tanh MLP, sigmoid output) is first fit
to the training frames alone, then trained jointly with a = e^α, D = e^δ on

    (1/N_d) Σ (u_θ − u_obs)² + (1/N_r) Σ r̃² + λ_p [(α − α₀)² + (δ − δ₀)²],

r̃ = L_t (u_t + v·∇u − a|∇u|² − DΔu) the residual in scaled time, with fresh random pixels and
collocation points every step (Adam, cosine-decayed learning rate). The drift v(t) is fixed
(linear interpolation of the S2 estimate). Only the chronological first ``train_fraction`` of
the frames is used.

Reference: Raissi, Perdikaris, Karniadakis, "Physics-informed neural networks", J. Comput.
Phys. 2019.
"""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from jaxpapers._typing import PRNGKey

__all__ = ["PinnResult", "refine_pinn"]


class PinnResult(NamedTuple):
    """Result of :func:`refine_pinn`.

    Attributes:
        a, D: refined coefficients.
        data_loss_start: data misfit when the joint phase starts (network fit to data only).
        data_loss_end: data misfit at the end.
        losses: total loss per joint step.
    """

    a: Float[Array, ""]
    D: Float[Array, ""]
    data_loss_start: Float[Array, ""]
    data_loss_end: Float[Array, ""]
    losses: Float[Array, " n"]


def _scales(shape, dx, dt):
    num_t, height, width = shape
    return (width - 1) * dx / 2.0, (height - 1) * dx / 2.0, (num_t - 1) * dt / 2.0


def refine_pinn(
    key: PRNGKey,
    u: Float[Array, "T H W"],
    velocity: Float[Array, "T 2"],
    *,
    dx: float,
    dt: float,
    a0: float,
    D0: float,
    fit_steps: int = 500,
    joint_steps: int = 500,
    width: int = 64,
    depth: int = 4,
    batch: int = 1024,
    learning_rate: float = 1e-3,
    prior: float = 1.0,
    train_fraction: float = 0.8,
) -> PinnResult:
    """Refine (a, D) from the S3 estimate (a0, D0) with an inverse PINN (see module docstring)."""
    train = u[: max(2, int(train_fraction * u.shape[0]))]
    lx, ly, lt = _scales(train.shape, dx, dt)
    key_net, key_fit, key_joint = jax.random.split(key, 3)
    net = eqx.nn.MLP(3, "scalar", width, depth, activation=jnp.tanh, key=key_net)
    net = jax.tree.map(lambda p: p.astype(u.dtype) if eqx.is_inexact_array(p) else p, net)
    params, static = eqx.partition(net, eqx.is_inexact_array)
    theta0 = jnp.log(jnp.asarray([a0, D0], u.dtype))
    times = jnp.arange(train.shape[0], dtype=u.dtype)

    def field(p, z):
        return jax.nn.sigmoid(eqx.combine(p, static)(z))

    def data_loss(p, k):
        idx = [
            jax.random.randint(jax.random.fold_in(k, i), (batch,), 0, n)
            for i, n in enumerate(train.shape)
        ]
        scaled = [
            2.0 * i.astype(u.dtype) / (n - 1) - 1.0 for i, n in zip(idx, train.shape, strict=True)
        ]
        z = jnp.stack([scaled[2], scaled[1], scaled[0]], axis=-1)
        fitted = jax.vmap(lambda zz: field(p, zz))(z)
        return jnp.mean((fitted - train[idx[0], idx[1], idx[2]]) ** 2)

    def residual(p, theta, z):
        a, D = jnp.exp(theta[0]), jnp.exp(theta[1])
        grad = jax.grad(field, 1)(p, z)
        hess = jax.hessian(field, 1)(p, z)
        ux, uy, ut = grad[0] / lx, grad[1] / ly, grad[2] / lt
        lap = hess[0, 0] / lx**2 + hess[1, 1] / ly**2
        frame = (z[2] + 1.0) * (train.shape[0] - 1) / 2.0
        vx = jnp.interp(frame, times, velocity[: train.shape[0], 0])
        vy = jnp.interp(frame, times, velocity[: train.shape[0], 1])
        return lt * (ut + vx * ux + vy * uy - a * (ux**2 + uy**2) - D * lap)

    def joint_loss(both, k):
        p, theta = both
        z = jax.random.uniform(jax.random.fold_in(k, 9), (batch, 3), u.dtype, -1.0, 1.0)
        physics = jnp.mean(jax.vmap(lambda zz: residual(p, theta, zz))(z) ** 2)
        return data_loss(p, k) + physics + prior * jnp.sum((theta - theta0) ** 2)

    def run(loss, start, steps, k):
        schedule = optax.cosine_decay_schedule(learning_rate, max(steps, 1), alpha=1e-2)
        opt = optax.adam(schedule)

        def step(carry, kk):
            x, state = carry
            value, grad = jax.value_and_grad(loss)(x, kk)
            updates, state = opt.update(grad, state, x)
            return (optax.apply_updates(x, updates), state), value

        # optax's Adam bias correction raises a float to an int32 count: standard promotion
        with jax.numpy_dtype_promotion("standard"):
            carry = (start, opt.init(start))
            (x, _), values = jax.lax.scan(step, carry, jax.random.split(k, steps))
        return x, values

    params, _ = run(data_loss, params, fit_steps, key_fit)
    probe = jax.random.key(0)
    start_misfit = data_loss(params, probe)
    (params, theta), losses = run(joint_loss, (params, theta0), joint_steps, key_joint)
    a, D = jnp.exp(theta[0]), jnp.exp(theta[1])
    return PinnResult(a, D, start_misfit, data_loss(params, probe), losses)
