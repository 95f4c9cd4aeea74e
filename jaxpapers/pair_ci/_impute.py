"""Proper multiple imputation by chained equations, fitted on training rows only (spec §3 step 2).

For each incompletely observed column j, in turn (``imputation_sweeps`` sweeps), the model of j
given every other column of the current completed data is fitted over the training rows where
j is observed, and every missing cell of j (training and test rows alike) is redrawn from it:

* continuous j — Bayesian linear regression (flat prior) on the training-standardised scale:
  β̂ = G⁻¹AᵀWx_j, G = AᵀWA + εI;  σ*² = RSS / χ²_ν;  β* = β̂ + σ* L⁻ᵀz (G = LLᵀ);
  x̃_ij = a_iᵀβ* + σ* e_i.
* discrete j with C_j states — multinomial logistic regression on the one-hot codes of the other
  columns (:func:`jaxpapers.stats.logistic_regression`, ``solver="mm"``, Böhning's bound; classes
  absent from the training rows masked, :mod:`._multinomial`), fitted with Bayesian-bootstrap
  row weights w_i ~ Exp(1) (Rubin 1981) so that the coefficients are a draw from their
  approximate posterior; x̃_ij ~ Categorical(softmax(a_iᵀB*)) over the states seen.
  [proposed: the spec names a multinomial-logistic imputer; the bootstrap makes it proper, as
  the parameter draw does for the continuous model.]

The imputations do not depend on the tested (x, y, S), so the K × m completed data sets are
computed once per data set (:func:`impute_folds`) and shared by every test of a PC run.
"""

from __future__ import annotations

import functools

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers._typing import PRNGKey
from jaxpapers.linalg import cho_solve, cholesky, solve_upper
from jaxpapers.pair_ci._multinomial import fit_multinomial
from jaxpapers.pair_ci._types import Config, ImputationCache
from jaxpapers.stats import fold_assignment

__all__ = ["impute_chained", "impute_folds", "values_ok", "within_group_permutation"]


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


def _draw_continuous(key, features, current, weights, n_active, cfg):
    """Posterior-predictive draw of a Bayesian linear regression (module docstring)."""
    key_sigma, key_beta, key_cell = jax.random.split(key, 3)
    n = features.shape[0]
    design = jnp.concatenate([jnp.ones((n, 1), features.dtype), features], axis=1)
    eye = jnp.eye(design.shape[1], dtype=design.dtype)
    chol = cholesky(design.T @ (design * weights[:, None]) + cfg.imputation_ridge * eye)
    beta = cho_solve(chol, design.T @ (current * weights)[:, None])[:, 0]
    rss = jnp.sum(weights * (current - design @ beta) ** 2)
    dof = jnp.maximum(jnp.sum(weights) - n_active, 1.0)
    sigma = jnp.sqrt(rss / _chi_square_draw(key_sigma, dof, (), design.dtype))
    # β* = β̂ + σ L⁻ᵀ z has covariance σ² G⁻¹ when G = L Lᵀ.
    noise = jax.random.normal(key_beta, beta.shape, design.dtype)
    beta_draw = beta + sigma * solve_upper(chol, noise[:, None])[:, 0]
    draw = design @ beta_draw + sigma * jax.random.normal(key_cell, (n,), design.dtype)
    return draw, jnp.all(jnp.isfinite(draw))


def _draw_discrete(key, features, current, weights, n_valid, width, cfg):
    """Draw of a multinomial logistic model fitted with Bayesian-bootstrap weights."""
    key_boot, key_cell = jax.random.split(key)
    boot = jax.random.exponential(key_boot, weights.shape, features.dtype)
    fit = fit_multinomial(features, current.astype(jnp.int32), weights * boot, width, cfg)
    # Classes no training row takes are already −∞; states beyond C_j cannot be drawn either.
    logits = jnp.where(jnp.arange(width)[None, :] < n_valid, fit.log_prob, -jnp.inf)
    draw = jax.random.categorical(key_cell, logits, axis=1).astype(features.dtype)
    return draw, fit.converged


def _impute_column(key, completed, data, observed, train, column, exclude, cards, cfg):
    """Redraw the missing cells of ``column`` given every other (non-excluded) column."""
    feature_column = jnp.asarray(_feature_layout(completed.shape[1], cards)[0])
    keep = (feature_column != column) & ~exclude[feature_column]
    features = _encode(completed, cards) * keep[None, :].astype(completed.dtype)
    weights = (train & observed[:, column]).astype(completed.dtype)
    current = completed[:, column]
    if cards is None:
        n_active = 1.0 + jnp.sum(keep).astype(features.dtype)  # intercept + predictors
        draw, ok = _draw_continuous(key, features, current, weights, n_active, cfg)
    else:
        n_valid = jnp.asarray(cards)[column]
        draw, ok = _draw_discrete(key, features, current, weights, n_valid, max(cards), cfg)
    filled = jnp.where(observed[:, column], data[:, column], draw)
    return completed.at[:, column].set(filled), ok


def _training_moments(data, observed, train):
    """Mean and standard deviation of each column over its observed training cells."""
    weights = (train[:, None] & observed).astype(data.dtype)
    count = jnp.maximum(jnp.sum(weights, axis=0), 1.0)
    zeroed = jnp.where(observed, data, 0.0)
    mean = jnp.sum(zeroed * weights, axis=0) / count
    var = jnp.sum(weights * (zeroed - mean[None, :]) ** 2, axis=0) / count
    return mean[None, :], jnp.where(var > 0, jnp.sqrt(var), 1.0)[None, :]


def _initial_fill(key, data, observed, train, cards):
    """Start the chain: 0 on the standardised scale, or a draw from the training marginal."""
    if cards is None:
        return jnp.where(observed, data, 0.0)
    weights = (train[:, None] & observed).astype(data.dtype)
    zeroed = jnp.where(observed, data, 0.0)
    width = max(cards)
    onehot = jax.nn.one_hot(zeroed.astype(jnp.int32), width, dtype=data.dtype)
    counts = jnp.einsum("np,npc->pc", weights, onehot)
    valid = jnp.arange(width)[None, :] < jnp.asarray(cards)[:, None]
    logits = jnp.where(valid, jnp.log(counts + 0.5), -jnp.inf)
    draws = jax.random.categorical(key, logits, axis=1, shape=data.shape).astype(data.dtype)
    return jnp.where(observed, data, draws)


def _chain(key, data, observed, train, cfg, cards, exclude):
    """The chained sweeps on data that is standardised (continuous) or coded (discrete)."""
    key_init, key_sweeps = jax.random.split(key)
    p = data.shape[1]
    keys = jax.random.split(key_sweeps, (cfg.imputation_sweeps, p))

    def one_column(carry, inputs):
        completed, ok = carry
        column, column_key = inputs

        def redraw(c):
            return _impute_column(column_key, c, data, observed, train, column, exclude, cards, cfg)

        # Fully observed columns need no draw (the predicate does not depend on the key, so it
        # stays a real branch under vmap over imputations and folds).
        skip = jnp.all(observed[:, column])
        completed, column_ok = jax.lax.cond(skip, lambda c: (c, jnp.array(True)), redraw, completed)
        return (completed, ok & column_ok), None

    def one_sweep(carry, sweep_keys):
        return jax.lax.scan(one_column, carry, (jnp.arange(p), sweep_keys))[0], None

    start = (_initial_fill(key_init, data, observed, train, cards), jnp.array(True))
    return jax.lax.scan(one_sweep, start, keys)[0]


@functools.partial(jax.jit, static_argnames=("config", "cardinalities"))
def impute_chained(
    key: PRNGKey,
    data: Float[Array, "n p"],
    train: Bool[Array, " n"],
    config: Config,
    cardinalities: tuple[int, ...] | None = None,
    exclude: Bool[Array, " p"] | None = None,
) -> tuple[Float[Array, "n p"], Bool[Array, ""]]:
    """One proper chained-equations imputation of ``data`` (module docstring).

    Args:
        key: randomness of the draws.
        data: ``(n, p)`` with NaN for missing cells; discrete columns hold state codes 0..C−1.
        train: rows whose observed cells fit the imputation models; every row is imputed.
        config: ``imputation_sweeps``, ``imputation_ridge`` and the ``logistic_*`` fields.
        cardinalities: states per column when the data are discrete (all columns), else None.
        exclude: columns that are not used as predictors of the others (default: none).

    Returns:
        ``(completed, converged)``: the completed ``(n, p)`` array (observed cells unchanged)
        and whether every conditional model of every sweep was fitted (finite draws; logistic
        fits met ``config.logistic_tol``). The chain runs ``config.imputation_sweeps`` sweeps.

    It is jitted (``config`` and ``cardinalities`` static) so that eager calls reuse one
    program; inside another ``jit`` or ``vmap`` it is simply inlined.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.pair_ci import Config, impute_chained, simulate_confounder
        >>> data = simulate_confounder(jax.random.key(0), 200, mechanism="mcar")
        >>> completed, converged = impute_chained(jax.random.key(1), data, jnp.ones(200, bool),
        ...                                       Config())
        >>> bool(jnp.isnan(data).any()), bool(jnp.isnan(completed).any()), bool(converged)
        (True, False, True)
    """
    observed = ~jnp.isnan(data)
    exclude = jnp.zeros(data.shape[1], bool) if exclude is None else exclude
    if cardinalities is not None:
        return _chain(key, data, observed, train, config, cardinalities, exclude)
    # Continuous data: impute on the training-standardised scale, then map back.
    center, scale = _training_moments(data, observed, train)
    standard = jnp.where(observed, (data - center) / scale, 0.0)
    completed, ok = _chain(key, standard, observed, train, config, None, exclude)
    return jnp.where(observed, data, completed * scale + center), ok


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


def values_ok(data: Float[Array, "n p"], cardinalities: tuple[int, ...] | None) -> Bool[Array, ""]:
    """Every cell is NaN (missing) or finite, and discrete cells are codes in [0, C_j)."""
    missing = jnp.isnan(data)
    good = missing | jnp.isfinite(data)
    if cardinalities is not None:
        limit = jnp.asarray(cardinalities, data.dtype)[None, :]
        coded = (data == jnp.round(data)) & (data >= 0) & (data < limit)
        good = good & (missing | coded)
    return jnp.all(good)


def impute_folds(
    key: PRNGKey,
    data: Float[Array, "n p"],
    config: Config,
    cardinalities: tuple[int, ...] | None = None,
    exclude: Bool[Array, " p"] | None = None,
) -> ImputationCache:
    """The K × m cached imputations, folds, permutations and learner keys of a data set.

    ``completed[k, b]`` is the b-th proper imputation of the whole matrix by an imputer fitted
    on the training rows of fold k (spec §3 step 2); permutations and learner keys are drawn
    once per fold (common random numbers, step 3). ``exclude`` drops columns from every
    imputation model (only to study the imputation scope; the default uses all variables).
    Folds come from :func:`jaxpapers.stats.fold_assignment`.
    """
    n = data.shape[0]
    n_folds, m = config.n_folds, config.n_imputations
    key_fold, key_imp, key_perm, key_learn = jax.random.split(key, 4)
    fold = fold_assignment(key_fold, n, n_folds)
    folds = jnp.arange(n_folds)

    def per_fold(k, keys_k):
        train = fold != k
        return jax.vmap(lambda kk: impute_chained(kk, data, train, config, cardinalities, exclude))(
            keys_k
        )

    completed, converged = jax.vmap(per_fold)(folds, jax.random.split(key_imp, (n_folds, m)))
    permutation = jax.vmap(
        lambda kk, k: within_group_permutation(kk, (fold == k).astype(jnp.int32))
    )(jax.random.split(key_perm, n_folds), folds)
    return ImputationCache(
        completed=completed,
        observed=~jnp.isnan(data),
        fold=fold,
        permutation=permutation,
        learner_keys=jax.random.split(key_learn, n_folds),
        converged=converged,
        num_steps=jnp.full((n_folds, m), config.imputation_sweeps, jnp.int32),
        valid=values_ok(data, cardinalities),
    )
