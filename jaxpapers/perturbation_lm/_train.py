"""Perturbation training: ``init`` / ``train_step`` for one run and the ``fit`` driver.

One step draws a batch of (context, next token) pairs, perturbs each context M times with the
kernel (on device, inside the step), and takes an AdamW step on O1 or O2. Every ``eval_every``
steps the exact-prefix validation NLL is computed and the best parameters are kept (model
selection by early stopping, spec pitfall 5). Given a mesh, the batch — and with it the M copies
folded into it — is sharded over the ``data`` axis (data parallelism; parameters replicated).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
from jax.sharding import Mesh
from jaxtyping import Array, ArrayLike, Float, Int

from jaxpapers import _mesh, _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.perturbation_lm._objectives import ApplyFn, Kernel, aug_nll, marginal_nll
from jaxpapers.perturbation_lm._types import Config, FitResult, TrainInfo, TrainState

__all__ = ["exact_nll", "fit", "init", "objective", "optimizer", "train_step"]

Pairs = tuple[Int[ArrayLike, "_n k"], Int[ArrayLike, " _n"]]  # train and valid differ in n


def optimizer(config: Config) -> optax.GradientTransformation:
    """AdamW with the config's step size and weight decay (Loshchilov & Hutter, 2019)."""
    return optax.adamw(config.learning_rate, weight_decay=config.weight_decay)


def init(params: Any, config: Config) -> TrainState:
    """The state before the first step (accepts ``jax.ShapeDtypeStruct`` leaves).

    Examples:
        >>> state = init({"w": jnp.zeros(3)}, Config())
        >>> float(state.best_val_nll), int(state.best_step)
        (inf, 0)
    """
    inf = jnp.asarray(jnp.inf, jnp.float32)
    opt_state = optimizer(config).init(params)
    return TrainState(params, opt_state, params, inf, jnp.zeros((), jnp.int32), inf)


def objective(
    params: Any,
    apply_fn: ApplyFn,
    key: PRNGKey,
    x: Int[ArrayLike, "batch k"],
    y: Int[ArrayLike, " batch"],
    kernel: Kernel,
    config: Config,
) -> Float[Array, ""]:
    """The config's training objective: :func:`aug_nll` (O1) or :func:`marginal_nll` (O2)."""
    if config.objective == "aug":
        return aug_nll(params, apply_fn, key, x, y, kernel, config.num_samples)
    return marginal_nll(params, apply_fn, key, x, y, kernel, config.num_samples)


def exact_nll(params: Any, apply_fn: ApplyFn, data: Pairs) -> Float[Array, ""]:
    """Mean ``-log softmax(f_theta(x))[y]`` of the exact-prefix predictor on ``data = (x, y)``."""
    x, y = data
    logits = apply_fn(params, jnp.asarray(x)).astype(jnp.float32)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(y)))


def _constrain(tree: Any, mesh: Mesh | None) -> Any:
    if mesh is None:
        return tree
    sharding = _mesh.batch_sharding(mesh)
    return jax.tree.map(lambda a: jax.lax.with_sharding_constraint(a, sharding), tree)


def train_step(
    key: PRNGKey,
    state: TrainState,
    t: Int[ArrayLike, ""],
    train: Pairs,
    valid: Pairs,
    kernel: Kernel,
    *,
    apply_fn: ApplyFn,
    config: Config,
    mesh: Mesh | None = None,
) -> tuple[TrainState, TrainInfo]:
    """One AdamW step on a batch drawn with replacement; evaluate and select after step t.

    The evaluation runs when ``(t + 1) % eval_every == 0`` (a ``lax.cond`` on the step index,
    which stays a real branch under ``vmap`` over runs since ``t`` is shared).
    """
    key_batch, key_perturb = jax.random.split(key)
    x, y = jnp.asarray(train[0]), jnp.asarray(train[1])
    index = jax.random.randint(key_batch, (config.batch_size,), 0, x.shape[0])
    xb, yb = _constrain((x[index], y[index]), mesh)
    loss, grads = jax.value_and_grad(objective)(
        state.params, apply_fn, key_perturb, xb, yb, kernel, config
    )
    with jax.numpy_dtype_promotion("standard"):  # optax's bias correction: decay ** int count
        updates, opt_state = optimizer(config).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    evaluate = (jnp.asarray(t) + 1) % config.eval_every == 0
    val = jax.lax.cond(
        evaluate, lambda: exact_nll(params, apply_fn, valid), lambda: state.last_val_nll
    )
    better = evaluate & (val < state.best_val_nll)
    best_params = jax.tree.map(
        lambda new, old: jnp.where(better, new, old), params, state.best_params
    )
    best_val = jnp.where(better, val, state.best_val_nll)
    best_step = jnp.where(better, jnp.asarray(t, jnp.int32) + 1, state.best_step)
    new_state = TrainState(params, opt_state, best_params, best_val, best_step, val)
    return new_state, TrainInfo(loss, val)


def finish(state: TrainState, infos: TrainInfo, config: Config) -> FitResult:
    """The :class:`FitResult` of a run from its last state and its stacked per-step infos."""
    steps = infos.loss.shape[-1]
    evals = infos.val_nll[..., config.eval_every - 1 :: config.eval_every]
    horizon = steps - config.patience * config.eval_every
    converged = (state.best_step <= horizon) & jnp.isfinite(state.best_val_nll)
    return FitResult(
        params=state.best_params,
        best_step=state.best_step,
        best_val_nll=state.best_val_nll,
        converged=converged,
        num_steps=jnp.full(jnp.shape(state.best_step), steps, jnp.int32),
        losses=infos.loss,
        val_nll=evals,
    )


def fit(
    key: PRNGKey,
    params: Any,
    apply_fn: ApplyFn,
    kernel: Kernel,
    train: Pairs,
    valid: Pairs,
    config: Config,
    *,
    mesh: Mesh | None = None,
) -> FitResult:
    """Train a next-token model on perturbed contexts for ``config.num_steps`` steps.

    A pure ``lax.scan`` of :func:`train_step` (step t uses ``fold_in(key, t)``), so it can be
    jitted and vmapped over seeds, kernels (rates as traced ``jax.tree_util.Partial`` leaves)
    and data sets. ``kernel`` with rate 0 gives exact-prefix (baseline) training.

    Args:
        key: a typed PRNG key.
        params: initial parameters of ``apply_fn``.
        apply_fn: ``apply_fn(params, contexts (batch, k)) -> logits (batch, V)``.
        kernel: the perturbation, ``kernel(key, context) -> context``.
        train: ``(x, y)`` training pairs, shapes ``(n, k)`` and ``(n,)``.
        valid: ``(x, y)`` validation pairs for model selection (exact-prefix NLL).
        config: objective, M, batch size, budget, optimiser (:class:`Config`).
        mesh: shard each batch (and its M copies) over the mesh's ``data`` axis.

    Returns:
        :class:`FitResult` with the selected parameters, ``converged`` and ``num_steps``.
    """
    _check_pairs("train", train)
    _check_pairs("valid", valid)
    if mesh is not None and config.batch_size % mesh.shape[_mesh.DATA]:
        raise ValueError(
            f"batch_size must be a multiple of the {mesh.shape[_mesh.DATA]} devices of the "
            f"mesh's data axis, got {config.batch_size}"
        )

    def body(state, t):
        return train_step(
            jax.random.fold_in(key, t), state, t, train, valid, kernel,
            apply_fn=apply_fn, config=config, mesh=mesh,
        )  # fmt: skip

    steps = jnp.arange(config.num_steps, dtype=jnp.int32)
    state, infos = jax.lax.scan(body, init(params, config), steps)
    return finish(state, infos, config)


def _check_pairs(name: str, pairs) -> None:
    if not isinstance(pairs, tuple) or len(pairs) != 2:
        raise TypeError(f"{name} must be a pair (x, y) of arrays, got {type(pairs).__name__}")
    x, y = pairs
    _validate.check_ndim(f"{name}[0] (contexts)", x, 2, "a (n, k) array of contexts")
    _validate.check_ndim(f"{name}[1] (next tokens)", y, 1, "a (n,) array of next tokens")
    _validate.check_same_length(**{f"{name}_x": x, f"{name}_y": y})
