"""Proper multiple imputation by chained Bayesian regressions, fitted on training rows only.

For each incompletely observed column j, in turn (``imputation_sweeps`` sweeps), regress it on all
other columns of the current completed data (one-hot encoded when discrete), over the training
rows where j is observed, and draw from the posterior predictive (spec §3 step 2):

* continuous j (Bayesian linear regression, flat prior):
  β̂ = G⁻¹AᵀWx_j with G = AᵀWA + εI;  σ*² = RSS / χ²_ν;  β* = β̂ + σ* chol(G⁻¹) z;
  x̃_ij = a_iᵀβ* + σ* e_i for every missing cell (training and test rows alike).
* discrete j with C states: the same draw for the one-hot target, column by column (a Bayesian
  linear-probability model), then x̃_ij ~ Categorical(clip(a_iᵀB*, 10⁻³, 1) renormalised).
  [proposed: a cheap proper imputer for discrete data; the paper's imputer is unknown.]

Because the imputations do not depend on the tested (x, y, S), the K × m completed data sets are
computed once per data set (:func:`impute_folds`) and shared by all tests of a PC run.
"""

from __future__ import annotations

import functools

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers._typing import PRNGKey
from jaxpapers.linalg import cho_solve, cholesky, solve_upper
from jaxpapers.pair_ci._types import Config, ImputationCache

__all__ = [
    "assign_folds",
    "chained_imputation",
    "impute_chained",
    "impute_folds",
    "within_group_permutation",
]

_MIN_PROB = 1e-3


def _feature_layout(p: int, cards: tuple[int, ...] | None) -> tuple[np.ndarray, np.ndarray]:
    """Static layout of the design: for each feature, its column and (discrete) state."""
    if cards is None:
        return np.arange(p), np.zeros(p, np.int32)
    column = np.concatenate([np.full(c, j) for j, c in enumerate(cards)])
    state = np.concatenate([np.arange(c) for c in cards])
    return column, state


def _encode(completed: Float[Array, "n p"], cards: tuple[int, ...] | None) -> Float[Array, "n D"]:
    """Features of every column: the value (continuous) or its exact-width one-hot code."""
    if cards is None:
        return completed
    column, state = _feature_layout(completed.shape[1], cards)
    codes = completed[:, column].astype(jnp.int32)
    return (codes == jnp.asarray(state)[None, :]).astype(completed.dtype)


def _chi_square_draw(key, dof, shape, dtype):
    """χ²_ν draws by the Wilson–Hilferty cube (ν ≥ 1; relative error < 1e-3 for ν ≥ 30).

    [deviation] ``jax.random.chisquare`` is exact but its rejection loop dominates compile time
    inside the vmapped, scanned imputer; the imputer's ν is the number of fitting rows minus
    the number of predictors, far above 30 in every use here.
    """
    z = jax.random.normal(key, shape, dtype)
    c = 2.0 / (9.0 * dof)
    return dof * jnp.maximum(1.0 - c + z * jnp.sqrt(c), 1e-3) ** 3


def _posterior_draw(key, design, target, weights, ridge, n_active):
    """A draw of (β*, σ*) of a Bayesian linear regression of each target column (flat prior)."""
    key_sigma, key_beta = jax.random.split(key)
    gram = design.T @ (design * weights[:, None]) + ridge * jnp.eye(
        design.shape[1], dtype=design.dtype
    )
    chol = cholesky(gram)
    beta = cho_solve(chol, design.T @ (target * weights[:, None]))
    rss = jnp.sum(weights[:, None] * (target - design @ beta) ** 2, axis=0)
    dof = jnp.maximum(jnp.sum(weights) - n_active, 1.0)
    chi2 = _chi_square_draw(key_sigma, dof, rss.shape, design.dtype)
    sigma = jnp.sqrt(rss / chi2)
    # β* = β̂ + σ L⁻ᵀ z has covariance σ² G⁻¹ when G = L Lᵀ.
    noise = jax.random.normal(key_beta, beta.shape, dtype=design.dtype)
    beta_draw = beta + solve_upper(chol, noise) * sigma[None, :]
    return beta_draw, sigma


def _impute_column(key, completed, data, observed, train, column, exclude, cards, cfg):
    """Redraw the missing cells of ``column`` given every other (non-excluded) column."""
    discrete = cards is not None
    n, p = completed.shape
    key_draw, key_cell = jax.random.split(key)
    feature_column = jnp.asarray(_feature_layout(p, cards)[0])
    keep = (feature_column != column) & ~exclude[feature_column]
    features = _encode(completed, cards) * keep[None, :].astype(completed.dtype)
    design = jnp.concatenate([jnp.ones((n, 1), completed.dtype), features], axis=1)
    n_active = 1.0 + jnp.sum(keep).astype(completed.dtype)
    weights = (train & observed[:, column]).astype(completed.dtype)
    current = completed[:, column]
    # One-hot designs are collinear with the intercept: a unit ridge keeps them well posed.
    ridge = cfg.imputation_ridge + (1.0 if discrete else 0.0)
    if discrete:
        width = int(max(cards))
        target = jax.nn.one_hot(current.astype(jnp.int32), width, dtype=completed.dtype)
    else:
        target = current[:, None]
    beta, sigma = _posterior_draw(key_draw, design, target, weights, ridge, n_active)
    mean = design @ beta
    if discrete:
        valid = jnp.arange(width) < jnp.asarray(cards)[column]
        prob = jnp.where(valid[None, :], jnp.clip(mean, _MIN_PROB, 1.0), 0.0)
        draw = jax.random.categorical(key_cell, jnp.log(prob), axis=1).astype(completed.dtype)
    else:
        draw = mean[:, 0] + sigma[0] * jax.random.normal(key_cell, (n,), completed.dtype)
    return completed.at[:, column].set(jnp.where(observed[:, column], data[:, column], draw))


def _training_moments(data, observed, train):
    """Mean and standard deviation of each column over its observed training cells."""
    weights = (train[:, None] & observed).astype(data.dtype)
    count = jnp.maximum(jnp.sum(weights, axis=0), 1.0)
    zeroed = jnp.where(observed, data, 0.0)
    mean = jnp.sum(zeroed * weights, axis=0) / count
    var = jnp.sum(weights * (zeroed - mean[None, :]) ** 2, axis=0) / count
    return mean[None, :], jnp.where(var > 0, jnp.sqrt(var), 1.0)[None, :]


def _initial_fill(key, data, observed, train, cards):
    """Start the chain: training mean (continuous) or a draw from the training marginal."""
    if cards is None:
        return jnp.where(observed, data, _training_moments(data, observed, train)[0])
    weights = (train[:, None] & observed).astype(data.dtype)
    zeroed = jnp.where(observed, data, 0.0)
    width = int(max(cards))
    counts = jnp.einsum("np,npc->pc", weights, jax.nn.one_hot(zeroed.astype(jnp.int32), width))
    logits = jnp.log(counts + 0.5) + jnp.where(
        jnp.arange(width)[None, :] < jnp.asarray(cards)[:, None], 0.0, -jnp.inf
    )
    draws = jax.random.categorical(key, logits, axis=1, shape=data.shape).astype(data.dtype)
    return jnp.where(observed, data, draws)


def impute_chained(
    key: PRNGKey,
    data: Float[Array, "n p"],
    train: Bool[Array, " n"],
    config: Config,
    cardinalities: tuple[int, ...] | None = None,
    exclude: Bool[Array, " p"] | None = None,
) -> Float[Array, "n p"]:
    """One proper chained-equations imputation of ``data`` (NaN = missing), fitted on ``train``.

    The jitted entry point of :func:`chained_imputation` (same arguments, raw data scale); use
    that function inside other transformations.
    """
    return _impute_chained_jit(key, data, train, config, cardinalities, exclude)


@functools.partial(jax.jit, static_argnames=("config", "cardinalities"))
def _impute_chained_jit(key, data, train, config, cardinalities, exclude):
    return chained_imputation(key, data, train, config, cardinalities, exclude)


def chained_imputation(
    key: PRNGKey,
    data: Float[Array, "n p"],
    train: Bool[Array, " n"],
    config: Config,
    cardinalities: tuple[int, ...] | None = None,
    exclude: Bool[Array, " p"] | None = None,
    *,
    standardised: bool = False,
) -> Float[Array, "n p"]:
    """One proper chained-equations imputation of ``data`` (NaN = missing), fitted on ``train``.

    Args:
        key: randomness of the draws.
        data: ``(n, p)`` with NaN for missing cells; discrete columns hold state codes 0..C−1.
        train: rows whose observed cells fit the imputation models; every row is imputed.
        config: ``imputation_sweeps`` and ``imputation_ridge`` are used.
        cardinalities: states per column for discrete data (all columns discrete), else None.
        exclude: columns that are not used as predictors of the others (default: none).
        standardised: continuous data already on the training-standardised scale.

    Returns:
        The completed ``(n, p)`` array; observed cells are unchanged.
    """
    observed = ~jnp.isnan(data)
    exclude = jnp.zeros(data.shape[1], bool) if exclude is None else exclude
    if (
        cardinalities is None and not standardised
    ):  # impute on the training-standardised scale, then map back
        center, scale = _training_moments(data, observed, train)
        standard = chained_imputation(
            key, (data - center) / scale, train, config, None, exclude, standardised=True
        )
        return jnp.where(observed, data, standard * scale + center)
    key_init, key_sweeps = jax.random.split(key)
    completed = _initial_fill(key_init, data, observed, train, cardinalities)
    p = data.shape[1]
    keys = jax.random.split(key_sweeps, (config.imputation_sweeps, p))

    def one_column(completed, inputs):
        column, column_key = inputs
        redraw = lambda c: _impute_column(  # noqa: E731
            column_key, c, data, observed, train, column, exclude, cardinalities, config
        )
        # Fully observed columns need no draw (the predicate does not depend on the key, so
        # it stays a real branch under vmap over imputations).
        return jax.lax.cond(jnp.all(observed[:, column]), lambda c: c, redraw, completed), None

    def one_sweep(completed, sweep_keys):
        return jax.lax.scan(one_column, completed, (jnp.arange(p), sweep_keys))[0], None

    return jax.lax.scan(one_sweep, completed, keys)[0]


def assign_folds(key: PRNGKey, n: int, n_folds: int) -> Int[Array, " n"]:
    """Shuffled K-fold assignment: fold sizes differ by at most one."""
    return (jax.random.permutation(key, n) % n_folds).astype(jnp.int32)


def within_group_permutation(key: PRNGKey, group: Int[Array, " n"]) -> Int[Array, " n"]:
    """A random permutation ``perm`` with ``group[perm] == group`` (rows stay in their group).

    ``x[perm]`` shuffles x among the training rows and, separately, among the test rows.
    """
    key_a, key_b = jax.random.split(key)
    n = group.shape[0]
    offset = group.astype(jnp.float32) * 2.0
    source = jnp.argsort(offset + jax.random.uniform(key_a, (n,)))
    target = jnp.argsort(offset + jax.random.uniform(key_b, (n,)))
    return jnp.zeros(n, jnp.int32).at[target].set(source.astype(jnp.int32))


def impute_folds(
    key: PRNGKey,
    data: Float[Array, "n p"],
    config: Config,
    cardinalities: tuple[int, ...] | None = None,
    exclude: Bool[Array, " p"] | None = None,
) -> ImputationCache:
    """The K × m cached imputations, folds, permutations and learner keys of a data set.

    ``completed[k, b]`` is the b-th proper imputation of the whole matrix by an imputer fitted on
    the training rows of fold k (spec §3 step 2); permutations and learner keys are drawn once
    per fold (common random numbers, step 3). ``exclude`` drops columns from every imputation
    model (only to study the imputation scope; the default uses all variables).
    """
    n = data.shape[0]
    n_folds, m = config.n_folds, config.n_imputations
    key_fold, key_imp, key_perm, key_learn = jax.random.split(key, 4)
    fold = assign_folds(key_fold, n, n_folds)
    folds = jnp.arange(n_folds)
    imp_keys = jax.random.split(key_imp, (n_folds, m))

    def per_fold(k, keys_k):
        train = fold != k
        impute = lambda kk: chained_imputation(kk, data, train, config, cardinalities, exclude)  # noqa: E731
        return jax.vmap(impute)(keys_k)

    completed = jax.vmap(per_fold)(folds, imp_keys)
    permutation = jax.vmap(
        lambda kk, k: within_group_permutation(kk, (fold == k).astype(jnp.int32))
    )(jax.random.split(key_perm, n_folds), folds)
    return ImputationCache(
        completed=completed,
        observed=~jnp.isnan(data),
        fold=fold,
        permutation=permutation,
        learner_keys=jax.random.split(key_learn, n_folds),
    )
