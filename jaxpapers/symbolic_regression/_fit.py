"""``fit``: data → trained networks (all restarts at once) → SymPy → simplified model."""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers import _validate
from jaxpapers._loop import run_chunked
from jaxpapers._mesh import sharded_vmap
from jaxpapers._typing import PRNGKey
from jaxpapers.symbolic_regression._export import to_sympy
from jaxpapers.symbolic_regression._model import SymbolicModel, from_expressions
from jaxpapers.symbolic_regression._network import num_candidate_terms
from jaxpapers.symbolic_regression._select import validation_rows
from jaxpapers.symbolic_regression._simplify import simplify
from jaxpapers.symbolic_regression._systems import symbols
from jaxpapers.symbolic_regression._train import Problem, init_state, make_step
from jaxpapers.symbolic_regression._types import Config
from jaxpapers.symbolic_regression._windows import respond, window_targets

__all__ = ["fit", "prepare", "train_restarts"]


def _check(x, dxdt, t, config: Config) -> None:
    _validate.check_ndim("x", x, 2, "a 2-D array (rows, state dimension)")
    if config.loss == "derivative":
        if dxdt is None or t is not None:
            raise ValueError("the derivative loss needs dxdt (and no t); for times use "
                             "Config(loss='integral') and fit(key, x, t=times)")  # fmt: skip
        _validate.check_ndim("dxdt", dxdt, 2, "a 2-D array (rows, state dimension)")
        _validate.check_same_length(x=x, dxdt=dxdt)
        if np.shape(dxdt) != np.shape(x):
            raise ValueError(f"dxdt must have the shape of x {np.shape(x)}, got {np.shape(dxdt)}")
        _validate.check_finite("dxdt", dxdt)
    else:
        if t is None or dxdt is not None:
            raise ValueError("the integral loss needs t (and no dxdt): fit(key, x, t=times)")
        _validate.check_ndim("t", t, 1, "a 1-D array of sample times")
        _validate.check_same_length(x=x, t=t)
        _validate.check_finite("t", t)
    _validate.check_finite("x", x)
    rows, n = np.shape(x)
    needed = num_candidate_terms(config, n)
    if config.loss == "integral":
        rows -= config.window
    if rows <= needed:
        raise ValueError(
            f"x must have more rows than the network's {needed} candidate terms (read-out "
            f"width for n = {n}{', minus the window' if config.loss == 'integral' else ''}), "
            f"got {rows}"
        )


def prepare(key: PRNGKey, x, dxdt, t, config: Config) -> tuple[list[Problem], dict]:
    """Scaled per-equation problems and what the export needs (scales, masks, responses).

    Host-side numpy: states are divided by their root-mean-square (no centring, which would
    destroy polynomial sparsity), each target column by its root-mean-square on the training
    rows. With the derivative loss the networks see at most ``config.train_rows`` rows drawn at
    random; simplification and selection use every row.
    """
    key, key_rows = jax.random.split(key)
    dtype = np.asarray(x).dtype if np.issubdtype(np.asarray(x).dtype, np.floating) else np.float32
    x = np.asarray(x, np.float64)
    if config.loss == "derivative":
        targets, times = np.asarray(dxdt, np.float64), np.zeros(x.shape[0])
        valid = np.ones(x.shape[0], bool)
    else:
        times = np.asarray(t, np.float64)
        targets, valid = (np.asarray(a) for a in window_targets(x, times, config.window, np))
    holdout = validation_rows(key, targets.shape[0], config.validation_fraction) & valid
    train = valid & ~holdout
    x_scale = _rms(x, np.ones(x.shape[0], bool))
    y_scale = _rms(targets, train)
    rows = np.arange(x.shape[0])
    if config.loss == "derivative" and x.shape[0] > config.train_rows:
        rows = np.sort(
            np.asarray(jax.random.permutation(key_rows, x.shape[0]))[: config.train_rows]
        )
    to = lambda a: jnp.asarray(a, dtype)  # noqa: E731
    inputs, q = to(x[rows] / x_scale), rows if config.loss == "derivative" else slice(None)
    problems = [
        Problem(
            inputs, to(targets[q, i] / y_scale[i]), to(train[q]), to(holdout[q]), to(times[rows])
        )
        for i in range(x.shape[1])
    ]
    info = dict(x_scale=x_scale, y_scale=y_scale, train=train, holdout=holdout,
                targets=targets, times=times)  # fmt: skip
    return problems, info


def _rms(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    scale = np.sqrt(np.mean(values[rows] ** 2, axis=0))
    return np.where(scale > 0, scale, 1.0)


def final_snap(network, trainable, config: Config):
    """Snap the exponents still free after P3 (all on positive channels) that ended within
    ``snap_tolerance`` of the lattice (host-side numpy; training may have drifted them there)."""
    spacing = 0.5 if config.half_integers else 1.0
    layers = []
    for layer, mask in zip(network.layers, trainable.layers, strict=True):
        e = np.clip(layer.exponents, -config.max_exponent, config.max_exponent)
        nearest = np.round(e / spacing) * spacing
        snap = (mask.exponents > 0) & (np.abs(e - nearest) < config.snap_tolerance)
        layers.append(type(layer)(layer.sums, np.where(snap, nearest, e), layer.operator_weights))
    return type(network)(tuple(layers), network.readout, network.operators,
                         network.max_exponent, network.guard)  # fmt: skip


def _stack(problems: list[Problem]) -> Problem:
    """One problem with a leading equation axis on targets (inputs shared)."""
    first = problems[0]
    return first._replace(targets=jnp.stack([p.targets for p in problems]))


def train_restarts(key: PRNGKey, problems: list[Problem], config: Config, show_progress=False):
    """Train ``config.restarts`` × n networks at once; returns (states, infos) with axes (S, n).

    The restarts are a ``vmap`` over keys, sharded over the devices' ``data`` axis
    (:func:`jaxpapers._mesh.sharded_vmap` places the initial state); the equations a ``vmap``
    over target columns. Training runs through :func:`jaxpapers._loop.run_chunked`: one jitted
    ``lax.scan`` per chunk, NaN checks and a progress bar between chunks.
    """
    stacked = _stack(problems)
    equations = jnp.arange(len(problems))

    def problem_of(i):
        return stacked._replace(targets=stacked.targets[i])

    def init_one(restart_key):
        keys = jax.random.split(restart_key, len(problems))
        return jax.vmap(lambda k, i: init_state(k, problem_of(i), config))(keys, equations)

    state = sharded_vmap(init_one)(jax.random.split(key, config.restarts))
    step = make_step(config)

    def step_all(carry, t):
        per_equation = jax.vmap(lambda s, i: step(s, t, problem_of(i)))
        return jax.vmap(lambda s: per_equation(s, equations))(carry)

    done = run_chunked(
        step_all, state, config.steps, chunk_size=config.chunk_size,
        metric=lambda infos: np.min(infos.data_loss[-1]), desc="symbolic_regression",
        show_progress=show_progress,
    )  # fmt: skip
    return done.state, done.infos


def _converged(infos, config: Config) -> np.ndarray:
    """(S, n): the data loss moved < 5 % between the last two tenths of the run, no failure."""
    loss = np.asarray(infos.data_loss)
    tenth = max(1, loss.shape[0] // 10)
    last, before = loss[-tenth:].mean(0), loss[-2 * tenth : -tenth].mean(0)
    steady = np.abs(last - before) <= 0.05 * np.maximum(np.abs(before), 1e-12)
    return steady & ~np.asarray(infos.failed[-1])


def fit(
    key: PRNGKey,
    x: Float[Array | np.ndarray, "M n"],
    dxdt: Float[Array | np.ndarray, "M n"] | None = None,
    *,
    t: Float[Array | np.ndarray, " M"] | None = None,
    config: Config = Config(),  # noqa: B008  (frozen, hashable)
    show_progress: bool = False,
) -> SymbolicModel:
    """Learn closed-form equations ẋ = f(x) from data with a symbolic network (spec §1).

    Pipeline: scale x and the targets; train ``config.restarts`` networks per equation at once
    (three phases, :mod:`._train`); rank the restarts by their error on held-out rows; turn the
    best ``config.candidates`` into SymPy (:func:`to_sympy`); simplify each with a threshold
    sweep, refit of every constant and an information criterion (:mod:`._simplify`); keep the
    best.

    Args:
        key: a typed key (restarts, validation split).
        x: states, (M, n).
        dxdt: derivatives at the states, (M, n) (derivative loss, the default).
        t: sample times, (M,), instead of ``dxdt`` with ``Config(loss="integral")``
            (spec §3.5): stacked trajectories each start their times afresh.
        config: the method's settings.
        show_progress: show a progress bar over the training steps.

    Returns:
        A :class:`SymbolicModel` (``expressions`` in x0, x1, …; ``predict`` is pure JAX).

    Raises:
        ValueError: mismatched or non-finite inputs, too few rows for the network's candidate
            terms, or a missing ``dxdt``/``t`` for the chosen loss.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> x = jnp.linspace(-2.0, 2.0, 200)[:, None]
        >>> cfg = Config(depth=1, sums=1, products=2, restarts=2, steps=600, half_period=100)
        >>> model = fit(jax.random.key(0), x, 3.0 * x**2 - 1.0, config=cfg)
        >>> import sympy
        >>> sympy.nsimplify(model.expressions[0], tolerance=1e-6, rational=True)
        3*x0**2 - 1
    """
    _check(x, dxdt, t, config)
    key_split, key_train = jax.random.split(key)
    problems, info = prepare(key_split, x, dxdt, t, config)
    states, infos = train_restarts(key_train, problems, config, show_progress)
    converged = _converged(infos, config)
    held = np.asarray(infos.validation_loss[-1])  # (S, n)
    variables = symbols(len(problems))
    x_np, times = np.asarray(x, np.float64), info["times"]

    def respond_np(values):
        return np.asarray(respond(values, times, config, np))

    chosen, chosen_converged, tables, criteria = [], [], [], []
    for i in range(len(problems)):
        order = np.argsort(np.where(np.isfinite(held[:, i]), held[:, i], np.inf), kind="stable")
        best = None
        for restart in order[: config.candidates]:
            pick = lambda a, r=restart, i=i: np.asarray(a[r, i], np.float64)  # noqa: E731
            network = final_snap(
                jax.tree.map(pick, states.network), jax.tree.map(pick, states.trainable), config
            )
            expr = to_sympy(network, info["x_scale"], float(info["y_scale"][i]), variables)
            selection = simplify(
                expr, variables, x_np, info["targets"][:, i], info["train"], info["holdout"],
                respond_np, config,
            )  # fmt: skip
            if best is None or selection.criterion < best[0].criterion:
                best = (selection, restart)
        assert best is not None  # config.candidates >= 1
        chosen.append(best[0].expression)
        chosen_converged.append(bool(converged[best[1], i]))
        tables.append(best[0].table)
        criteria.append(best[0].criterion)
    return from_expressions(
        tuple(chosen), chosen_converged, config.steps, tuple(tables), tuple(criteria)
    )
