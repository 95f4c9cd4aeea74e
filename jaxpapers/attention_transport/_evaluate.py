"""Length-controlled evaluation of a detector, with a bootstrap over items (spec §1.4-8, §1.5).

A detector's score is judged by its LC-AUROC: the AUROC over positive×negative pairs of equal
response length (:func:`jaxpapers.stats.matched_auroc`). Its standard error comes from a
bootstrap that resamples *items* (a HaluEval record with its right and hallucinated answer),
not answers, because the two answers of an item are dependent: a replicate draws G items with
replacement and every answer of an item drawn k times gets weight k
(:func:`jaxpapers.stats.block_bootstrap` with blocks of one item).
"""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import ArrayLike, Bool, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.attention_transport._features import feature_vector
from jaxpapers.attention_transport._probe import probe_scores
from jaxpapers.attention_transport._types import (
    Config,
    HeadFeatures,
    LengthControlled,
    ProbeEvaluation,
)
from jaxpapers.stats import auroc, block_bootstrap, matched_auroc

__all__ = ["evaluate_probe", "length_controlled_auroc"]


def _dense_groups(group) -> tuple[np.ndarray, int]:
    values = _validate.as_concrete("group", group)
    if values is None:
        raise TypeError("group must be a concrete integer array (item ids), not a tracer")
    _, dense = np.unique(values, return_inverse=True)
    return dense.reshape(-1), int(dense.max()) + 1


def length_controlled_auroc(
    key: PRNGKey,
    score: Float[ArrayLike, " m"],
    label: Bool[ArrayLike, " m"],
    length: Int[ArrayLike, " m"],
    group: Int[ArrayLike, " m"],
    *,
    tolerance: int = 0,
    n_bootstrap: int = 500,
) -> LengthControlled:
    """LC-AUROC of ``score`` with its bootstrap standard error over the items in ``group``.

    Replicates without any matched pair (possible on tiny samples) are left out of the standard
    error; with few matched pairs the error itself is unreliable, so callers should demand a
    minimum number of pairs before deciding anything (the reproduction does).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.attention_transport import length_controlled_auroc
        >>> label = jnp.arange(200) % 2 == 1
        >>> score = jax.random.normal(jax.random.key(1), (200,)) + label.astype(jnp.float32)
        >>> lc = length_controlled_auroc(jax.random.key(0), score, label,
        ...                              jnp.arange(200) // 20, jnp.arange(200) // 2)
        >>> bool(0.6 < lc.auroc < 0.9), bool(0.01 < lc.standard_error < 0.1)
        (True, True)
    """
    score = jnp.asarray(score)
    if not jnp.issubdtype(score.dtype, jnp.floating):
        score = score.astype(jnp.result_type(float))
    _validate.check_same_length(score=score, label=label, length=length, group=group)
    _validate.check_integer("n_bootstrap", n_bootstrap, minimum=2)
    dense, n_groups = _dense_groups(group)
    label, length = jnp.asarray(label), jnp.asarray(length)
    matched = matched_auroc(score, label, length, tolerance=tolerance)

    def statistic(data, weight):
        s, y, n = data
        return matched_auroc(s, y, n, tolerance=tolerance, sample_weight=weight).auroc

    boot = block_bootstrap(
        key,
        statistic,
        (score, label, length),
        block_length=1,
        time_index=jnp.asarray(dense),
        num_times=n_groups,
        num_replicates=n_bootstrap,
    )
    se = jnp.nanstd(boot.replicates, ddof=1)
    plain = auroc(score, label) if _validate.is_concrete(label) else jnp.full((), jnp.nan)
    return LengthControlled(matched.auroc, se, matched.n_pairs, matched.pairs_retained, plain)


def evaluate_probe(
    key: PRNGKey,
    features: HeadFeatures,
    label: Bool[ArrayLike, " m"],
    length: Int[ArrayLike, " m"],
    group: Int[ArrayLike, " m"],
    config: Config | None = None,
) -> ProbeEvaluation:
    """Cross-fitted probe on forced-scoring features, judged by LC-AUROC (spec §1.5).

    ``features`` are :func:`score_examples`'s ``[m, L, H]`` head features. Examples with an
    undefined head (spans of fewer than two tokens) are dropped and reported in ``kept``. The
    probe (class-balanced L2 logistic regression, ``config.probe_C``) is cross-fitted over
    ``config.n_folds`` folds dealt by item; its out-of-fold logits and the raw mean φ_min over
    heads (the unprobed feature whose sign is the polarity of §1.4-9) are scored by
    :func:`length_controlled_auroc` with ``config.length_tolerance`` and
    ``config.n_bootstrap`` replicates (``config`` defaults to ``Config()``). A host-side
    driver (it drops rows), not meant for ``jit``.
    """
    config = Config() if config is None else config
    kept = np.array(jnp.all(features.defined, axis=(-2, -1)))
    x = np.asarray(feature_vector(jax.tree.map(jnp.asarray, features)))
    kept &= np.all(np.isfinite(x), axis=-1)
    if kept.sum() < 2 * config.n_folds:
        raise ValueError(
            f"features must hold at least {2 * config.n_folds} defined examples for "
            f"{config.n_folds}-fold cross-fitting, got {int(kept.sum())}"
        )
    label, length, group = (np.asarray(a)[kept] for a in (label, length, group))
    key_folds, key_boot = jax.random.split(key)
    scores = probe_scores(
        key_folds,
        jnp.asarray(x[kept]),
        label,
        group,
        n_folds=config.n_folds,
        C=config.probe_C,
        max_steps=config.probe_max_steps,
    )

    def judged(score):
        return length_controlled_auroc(
            key_boot,
            score,
            label,
            length,
            group,
            tolerance=config.length_tolerance,
            n_bootstrap=config.n_bootstrap,
        )

    raw_phi = np.nanmean(np.asarray(features.phi_min)[kept], axis=(-2, -1))
    return ProbeEvaluation(scores, judged(scores.score), judged(jnp.asarray(raw_phi)), kept)
