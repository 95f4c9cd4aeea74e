"""The PAIR-CI statistic: paired, cross-fitted, multiply imputed (spec §3 steps 4–9).

For fold k and imputation b of the cached completed data D̃^(k,b) (:func:`impute_folds`),

    g_i^(b) = ℓ(y_i, f_null(x_{π(i)}, z_i)) − ℓ(y_i, f_full(x_i, z_i)),   i in test fold k,

with both models fitted on the training rows of fold k and x permuted within training and within
test rows by the fold's cached permutation π (``null="drop"`` zeroes x instead). Then

    ḡ_k^(b) = mean_{i in fold k} g_i^(b),   Q^(b) = mean_k ḡ_k^(b),
    U^(b) = (1/K + n_te/n_tr) s²_k(ḡ_k^(b))            (Nadeau–Bengio corrected CV variance),

pooled by Rubin's rules with Barnard–Rubin ν (ν_c = K − 1), and the one-sided p-value is
p = P(T_ν > Q̄/√T) (:func:`jaxpapers.stats.rubin_pool`).

:func:`pair_ci_directed` is one direction (candidate x, target y) on a cache; PC's p-value
combines both directions, p = min(1, 2 min(p_xy, p_yx)) (:func:`symmetric_pvalue`).

Reference: Robinson & Lall (2026), PAIR-CI, arXiv:2605.04838; the estimator follows the authors'
``MIDASverse/citest`` (``_run_mi_crossfit``) applied to the PAIR-CI hypothesis.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers.pair_ci._learners import LEARNERS
from jaxpapers.pair_ci._types import Config, ImputationCache, Result
from jaxpapers.stats import rubin_pool, student_t_sf

__all__ = ["pair_ci_directed", "symmetric_pvalue", "pvalue_for_pc"]


def _fold_mean(completed, cache, k, permutation, learner_key, x, y, cond, mask, cfg, n_states):
    """ḡ_k^(b) for one imputation, and whether both fits converged (and their steps)."""
    learner = LEARNERS[cfg.learner]
    target = completed[:, y]
    candidate = completed[:, x]
    conditioning = completed[:, cond] * mask[None, :].astype(completed.dtype)
    if cfg.null == "permute":
        null_candidate = candidate[permutation]
    else:
        null_candidate = jnp.zeros_like(candidate)
    full = jnp.concatenate([candidate[:, None], conditioning], axis=1)
    null = jnp.concatenate([null_candidate[:, None], conditioning], axis=1)
    train = (cache.fold != k).astype(completed.dtype)
    fit_null = learner(learner_key, null, target, train, cfg, n_states)
    fit_full = learner(learner_key, full, target, train, cfg, n_states)
    scored = cache.fold == k
    if cfg.score_rows == "observed_target":
        scored = scored & cache.observed[:, y]
    weights = scored.astype(completed.dtype)
    diff = fit_null.loss - fit_full.loss
    mean = jnp.sum(diff * weights) / jnp.maximum(jnp.sum(weights), 1.0)
    converged = fit_null.converged & fit_full.converged
    return mean, converged, jnp.maximum(fit_null.num_steps, fit_full.num_steps)


def pair_ci_directed(
    cache: ImputationCache,
    x: Int[Array, ""] | int,
    y: Int[Array, ""] | int,
    cond_set: Int[Array, " s"],
    cond_mask: Bool[Array, " s"],
    config: Config,
    n_states: int = 0,
) -> Result:
    """One direction of PAIR-CI (candidate ``x``, target ``y``) on cached imputations.

    Pure and written for one test: :func:`pc` vmaps it (through :func:`pair_ci_tester`).

    Args:
        cache: from :func:`impute_folds` (shared by every test of a data set).
        x: index of the candidate variable X.
        y: index of the target variable Y.
        cond_set: indices of the conditioning set Z, padded to a static length.
        cond_mask: which entries of ``cond_set`` are real (padding is ignored).
        config: the test's settings; ``n_folds``/``n_imputations`` must match the cache.
        n_states: static number of states of the widest discrete variable (``"categorical"``
            learner only).

    Returns:
        A :class:`Result`; ``pvalue`` is one-sided (a candidate that hurts gives p ≥ 0.5).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.pair_ci import Config, impute_folds, pair_ci_directed
        >>> from jaxpapers.pair_ci import simulate_confounder
        >>> data = simulate_confounder(jax.random.key(0), 300, mechanism="mnar", beta=1.0)
        >>> config = Config(n_folds=5, n_imputations=2)
        >>> cache = impute_folds(jax.random.key(1), data, config)
        >>> res = pair_ci_directed(cache, 1, 0, jnp.array([2, 3]), jnp.array([True, True]),
        ...                        config)
        >>> bool(res.pvalue < 0.01), res.fold_means.shape, bool(res.converged)
        (True, (2, 5), True)
    """
    n_folds = cache.completed.shape[0]
    cond_set = jnp.asarray(cond_set, jnp.int32)

    def per_fold(completed_k, k, permutation, learner_key):
        def per_imputation(completed):
            return _fold_mean(
                completed, cache, k, permutation, learner_key, x, y, cond_set, cond_mask,
                config, n_states,
            )  # fmt: skip

        return jax.vmap(per_imputation)(completed_k)

    # All K × m paired fits side by side; PC bounds memory through its batch size.
    fold_means, converged, steps = jax.vmap(per_fold, out_axes=1)(
        cache.completed, jnp.arange(n_folds), cache.permutation, cache.learner_keys
    )  # (m, K) each
    per_imputation = jnp.mean(fold_means, axis=1)
    correction = 1.0 / n_folds + 1.0 / (n_folds - 1)  # 1/K + n_te/n_tr with n_te = n/K
    variances = correction * jnp.var(fold_means, axis=1, ddof=1)
    pooled = rubin_pool(per_imputation, variances, float(n_folds - 1))
    # T = 0 (no variation at all, e.g. a constant target) is no evidence: p = 1, not NaN.
    pvalue = jnp.where(pooled.total > 0, student_t_sf(pooled.statistic, pooled.df), 1.0)
    nan = jnp.asarray(jnp.nan, pvalue.dtype)
    return Result(
        statistic=jnp.where(cache.valid, pooled.statistic, nan),
        pvalue=jnp.where(cache.valid, pvalue, nan),
        estimate=pooled.estimate,
        std_error=jnp.sqrt(pooled.total),
        df=pooled.df,
        within=pooled.within,
        between=pooled.between,
        fold_means=fold_means,
        converged=jnp.all(converged),
        num_steps=jnp.max(steps),
        imputation_converged=jnp.all(cache.converged),
        valid=cache.valid,
    )


def symmetric_pvalue(p_xy: Float[Array, ""], p_yx: Float[Array, ""]) -> Float[Array, ""]:
    """Both directions combined by Bonferroni: p = min(1, 2 min(p_xy, p_yx)) (spec §3 step 9).

    Examples:
        >>> import jax.numpy as jnp
        >>> round(float(symmetric_pvalue(jnp.asarray(0.01), jnp.asarray(0.4))), 6)
        0.02
    """
    return jnp.minimum(1.0, 2.0 * jnp.minimum(p_xy, p_yx))


def pvalue_for_pc(
    cache: ImputationCache,
    x: Int[Array, ""],
    y: Int[Array, ""],
    cond_set: Int[Array, " s"],
    cond_mask: Bool[Array, " s"],
    *,
    config: Config,
    n_states: int = 0,
) -> tuple[Float[Array, ""], Bool[Array, ""]]:
    """PC's test: (p, learner fits converged), symmetrised when ``config.symmetric``."""
    forward = pair_ci_directed(cache, x, y, cond_set, cond_mask, config, n_states)
    if not config.symmetric:
        return forward.pvalue, forward.converged
    backward = pair_ci_directed(cache, y, x, cond_set, cond_mask, config, n_states)
    pvalue = symmetric_pvalue(forward.pvalue, backward.pvalue)
    return pvalue, forward.converged & backward.converged
