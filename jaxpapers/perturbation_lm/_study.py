"""The synthetic study of spec §2.1: SCM data splits, in-/out-of-support KL, invariance gaps.

Pure functions of one seed, so a reproduction vmaps them over seeds (and over rates, since a
kernel built with ``jax.tree_util.Partial`` carries its rate as a traced leaf).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.perturbation_lm._metrics import js_divergence, kl_divergence
from jaxpapers.perturbation_lm._objectives import ApplyFn, Kernel, predict_marginal
from jaxpapers.perturbation_lm._scm import (
    context_windows,
    sample_scm,
    split_support,
    true_next_dist,
)
from jaxpapers.perturbation_lm._types import SCM

__all__ = ["Evaluation", "ScmData", "evaluate", "invariance_gap", "scm_data", "synonym_swap"]


class ScmData(NamedTuple):
    """Train / validation / test pairs of one SCM, the support split and the true conditionals.

    Attributes:
        train: ``(x, y)`` training pairs (contexts ``(n, k)``, next tokens ``(n,)``).
        valid: ``(x, y)`` validation pairs (model selection).
        test: ``(x, y)`` test pairs.
        in_support: per test pair, whether its context occurs among the training contexts.
        true_probs: p*(. | x) at every test context, ``(n_test, V)``.
    """

    train: tuple[Int[Array, "n k"], Int[Array, " n"]]
    valid: tuple[Int[Array, "n k"], Int[Array, " n"]]
    test: tuple[Int[Array, "n k"], Int[Array, " n"]]
    in_support: Bool[Array, " n"]
    true_probs: Float[Array, "n V"]


class Evaluation(NamedTuple):
    """Mean KL(p* || p^) and NLL of a predictor on in-support and out-of-support test pairs."""

    kl_in: Float[Array, ""]
    kl_oos: Float[Array, ""]
    nll_in: Float[Array, ""]
    nll_oos: Float[Array, ""]


def scm_data(key: PRNGKey, scm: SCM, n_train: int, n_valid: int, n_test: int) -> ScmData:
    """Three independent streams of the SCM (token counts) cut into (context, next token) pairs.

    Examples:
        >>> from jaxpapers.perturbation_lm import make_scm
        >>> scm = make_scm(jax.random.key(0), 6, 4, 3, 0.3)
        >>> data = scm_data(jax.random.key(1), scm, 300, 200, 500)
        >>> data.train[0].shape, data.true_probs.shape, data.in_support.dtype
        ((297, 3), (497, 24), dtype('bool'))
    """
    key_train, key_valid, key_test = jax.random.split(key, 3)
    streams = [
        sample_scm(k, scm, n)
        for k, n in ((key_train, n_train), (key_valid, n_valid), (key_test, n_test))
    ]
    train, valid, test = (context_windows(s, scm.order) for s in streams)
    in_support = split_support(train[0], test[0])
    return ScmData(train, valid, test, in_support, true_next_dist(scm, test[0]))


def _masked_mean(values: Array, mask: Array) -> Array:
    weight = mask.astype(values.dtype)
    return jnp.sum(values * weight) / jnp.maximum(jnp.sum(weight), 1.0)


def score(probs: Float[Array, "n V"], data: ScmData) -> Evaluation:
    """KL and NLL of predicted next-token laws ``probs`` at the test contexts, split by support."""
    kl = kl_divergence(data.true_probs, probs)
    picked = jnp.take_along_axis(probs, data.test[1][:, None], axis=-1)[:, 0]
    nll = -jnp.log(picked)
    inside, outside = data.in_support, ~data.in_support
    return Evaluation(
        _masked_mean(kl, inside),
        _masked_mean(kl, outside),
        _masked_mean(nll, inside),
        _masked_mean(nll, outside),
    )


def evaluate(
    params: Any,
    apply_fn: ApplyFn,
    key: PRNGKey,
    data: ScmData,
    kernel: Kernel,
    num_samples: int,
) -> Evaluation:
    """:func:`score` of the marginal predictor (``kernel`` at rate 0 gives the exact one)."""
    probs = predict_marginal(params, apply_fn, key, data.test[0], kernel, num_samples)
    return score(probs, data)


def synonym_swap(key: PRNGKey, contexts: Int[Array, "n k"], class_size: int) -> Int[Array, "n k"]:
    """Each context with one uniformly chosen position replaced by a *different* synonym.

    Examples:
        >>> x = jnp.array([[0, 5, 9]])
        >>> out = synonym_swap(jax.random.key(0), x, 4)
        >>> int(jnp.sum(out != x)), bool(jnp.all(out // 4 == x // 4))
        (1, True)
    """
    class_size = _validate.check_integer("class_size", class_size, minimum=2)
    key_pos, key_shift = jax.random.split(key)
    n, k = contexts.shape
    position = jax.random.randint(key_pos, (n,), 0, k)
    shift = jax.random.randint(key_shift, (n,), 1, class_size, contexts.dtype)
    hit = jnp.arange(k)[None, :] == position[:, None]
    moved = (contexts // class_size) * class_size + (contexts + shift[:, None]) % class_size
    return jnp.where(hit, moved, contexts)


def invariance_gap(
    params: Any,
    apply_fn: ApplyFn,
    key: PRNGKey,
    data: ScmData,
    kernel: Kernel,
    num_samples: int,
    class_size: int,
) -> Float[Array, ""]:
    """Mean JS(p^(. | x) || p^(. | x')) over out-of-support test contexts (spec check 9).

    ``x'`` is ``x`` with one position swapped for another synonym; both predictions use the same
    key (common random numbers), so a synonym-invariant predictor scores exactly 0.
    """
    key_swap, key_predict = jax.random.split(key)
    x = data.test[0]
    swapped = synonym_swap(key_swap, x, class_size)
    p = predict_marginal(params, apply_fn, key_predict, x, kernel, num_samples)
    q = predict_marginal(params, apply_fn, key_predict, swapped, kernel, num_samples)
    return _masked_mean(js_divergence(p, q), ~data.in_support)
