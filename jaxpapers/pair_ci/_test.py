"""PAIR-CI: the paired, cross-fitted, multiply imputed test of X_x ⊥ X_y | X_S (spec §3).

For fold k and imputation b of the cached completed data D̃^(k,b) (:func:`impute_folds`),

    g_i^(b) = ℓ(y_i, f_null(x_{π(i)}, z_i)) − ℓ(y_i, f_full(x_i, z_i)),   i in test fold k,

with both models fitted on the training rows of fold k and x permuted within training and within
test rows by the fold's cached permutation π (``null="drop"`` zeroes x instead). Then

    ḡ_k^(b) = mean_{i in fold k} g_i^(b),   Q^(b) = mean_k ḡ_k^(b),
    U^(b) = (1/K + n_te/n_tr) s²_k(ḡ_k^(b))            (Nadeau–Bengio corrected CV variance),

pooled by Rubin's rules with Barnard–Rubin ν (ν_c = K − 1), and the one-sided p-value is
p = P(T_ν > Q̄/√T) (:func:`jaxpapers.stats.rubin_pool`).

Reference: Robinson & Lall (2026), PAIR-CI, arXiv:2605.04838; the estimator follows the authors'
``MIDASverse/citest`` (``_run_mi_crossfit``) applied to the PAIR-CI hypothesis.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers.pair_ci._learners import LEARNER_LOSSES
from jaxpapers.pair_ci._types import Config, ImputationCache, PairCIResult
from jaxpapers.stats import rubin_pool, student_t_sf

__all__ = ["pair_ci_from_cache", "pair_ci_pvalue", "symmetric_pvalue"]


def _fold_mean(
    completed, observed, fold, k, permutation, learner_key, x, y, cond, mask, cfg, n_states
):
    """ḡ_k^(b): mean paired loss difference over the test rows of fold k, one imputation."""
    loss = LEARNER_LOSSES[cfg.learner]
    target = completed[:, y]
    candidate = completed[:, x]
    conditioning = completed[:, cond] * mask[None, :].astype(completed.dtype)
    if cfg.null == "permute":
        null_candidate = candidate[permutation]
    else:
        null_candidate = jnp.zeros_like(candidate)
    full = jnp.concatenate([candidate[:, None], conditioning], axis=1)
    null = jnp.concatenate([null_candidate[:, None], conditioning], axis=1)
    train = (fold != k).astype(completed.dtype)
    diff = loss(learner_key, null, target, train, cfg, n_states) - loss(
        learner_key, full, target, train, cfg, n_states
    )
    scored = fold == k
    if cfg.score_rows == "observed_target":
        scored = scored & observed[:, y]
    weights = scored.astype(completed.dtype)
    return jnp.sum(diff * weights) / jnp.maximum(jnp.sum(weights), 1.0)


def pair_ci_from_cache(
    cache: ImputationCache,
    x: Int[Array, ""] | int,
    y: Int[Array, ""] | int,
    cond_set: Int[Array, " s"],
    cond_mask: Bool[Array, " s"],
    config: Config,
    n_states: int = 0,
) -> PairCIResult:
    """One-directional PAIR-CI test (candidate ``x``, target ``y``) on cached imputations.

    Args:
        cache: from :func:`impute_folds` (shared by every test of a data set).
        x: index of the candidate variable X.
        y: index of the target variable Y.
        cond_set: indices of the conditioning set Z, padded to a static length.
        cond_mask: which entries of ``cond_set`` are real (padding is ignored).
        config: the test's settings; ``n_folds``/``n_imputations`` must match the cache.
        n_states: static number of states of the widest discrete variable (categorical
            learner only).

    Returns:
        A :class:`PairCIResult`; ``pvalue`` is one-sided (a candidate that hurts gives p ≥ 0.5).
    """
    n_folds = cache.completed.shape[0]
    cond_set = jnp.asarray(cond_set, jnp.int32)

    def per_fold(completed_k, k, permutation, learner_key):
        def per_imputation(completed):
            return _fold_mean(
                completed, cache.observed, cache.fold, k, permutation, learner_key,
                x, y, cond_set, cond_mask, config, n_states,
            )  # fmt: skip

        return jax.vmap(per_imputation)(completed_k)

    # All K × m paired fits side by side; PC bounds memory through its batch size.
    fold_means = jax.vmap(per_fold, out_axes=1)(
        cache.completed, jnp.arange(n_folds), cache.permutation, cache.learner_keys
    )  # (m, K)
    per_imputation = jnp.mean(fold_means, axis=1)
    correction = 1.0 / n_folds + 1.0 / (n_folds - 1)  # 1/K + n_te/n_tr with n_te = n/K
    variances = correction * jnp.var(fold_means, axis=1, ddof=1)
    pooled = rubin_pool(per_imputation, variances, float(n_folds - 1))
    # T = 0 (no variation at all, e.g. a constant target) is no evidence: p = 1, not NaN.
    pvalue = jnp.where(pooled.total > 0, student_t_sf(pooled.statistic, pooled.df), 1.0)
    return PairCIResult(
        statistic=pooled.statistic,
        pvalue=pvalue,
        estimate=pooled.estimate,
        std_error=jnp.sqrt(pooled.total),
        df=pooled.df,
        within=pooled.within,
        between=pooled.between,
        fold_means=fold_means,
    )


def symmetric_pvalue(p_xy: Float[Array, ""], p_yx: Float[Array, ""]) -> Float[Array, ""]:
    """Both directions combined by Bonferroni: p = min(1, 2 min(p_xy, p_yx)) (spec §3 step 9)."""
    return jnp.minimum(1.0, 2.0 * jnp.minimum(p_xy, p_yx))


def pair_ci_pvalue(
    cache: ImputationCache,
    x: Int[Array, ""],
    y: Int[Array, ""],
    cond_set: Int[Array, " s"],
    cond_mask: Bool[Array, " s"],
    config: Config,
    n_states: int = 0,
) -> Float[Array, ""]:
    """The p-value PC uses: symmetrised when ``config.symmetric``, else X → Y only."""
    forward = pair_ci_from_cache(cache, x, y, cond_set, cond_mask, config, n_states).pvalue
    if not config.symmetric:
        return forward
    backward = pair_ci_from_cache(cache, y, x, cond_set, cond_mask, config, n_states).pvalue
    return symmetric_pvalue(forward, backward)
