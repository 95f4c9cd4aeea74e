"""Training objectives O1 and O2 and the Monte Carlo marginal predictor (spec §1.3-1.4).

Conventions shared by every function here:

* a *kernel* is ``kernel(key, tokens) -> tokens`` on one context (``_kernels``);
* ``apply_fn(params, contexts)`` returns next-token logits, shape ``(batch, V)`` for contexts of
  shape ``(batch, k)``. Teacher forcing fits the same mould: contexts ``(batch, T)`` and logits
  ``(batch, T, V)`` with targets ``(batch, T)`` (each row is perturbed as a whole by the
  kernel, so the kernel must keep positions: :func:`~jaxpapers.perturbation_lm.eda_kernel`);
* the M perturbed copies of every row are drawn with their own key
  (``split(key, (batch, M))``: one per example and draw, spec pitfall 7) and folded into the
  batch axis example-major, ``(batch * M, ...)``, so that a batch sharded over the ``data``
  axis of a mesh stays sharded, and one ``apply_fn`` call serves all copies.

The signatures put ``params`` first (``jax.grad`` differentiates argument 0, as in optax/flax
losses); the key follows ``apply_fn``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey

__all__ = [
    "aug_nll",
    "marginal_log_prob",
    "marginal_nll",
    "perturbed_copies",
    "predict_exact",
    "predict_marginal",
]

Kernel = Callable[[PRNGKey, Array], Array]
ApplyFn = Callable[[Any, Array], Array]


def perturbed_copies(
    key: PRNGKey, x: Int[ArrayLike, " batch *k"], kernel: Kernel, num_samples: int
) -> Int[Array, " batch M *k"]:
    """``M`` independent draws ``x~_{b,m} ~ Q(. | x_b)`` for every row, shape ``(batch, M, ...)``.

    Row b, draw m uses key ``split(key, (batch, M))[b, m]``: the same key gives the same draws,
    and two inputs of the same shape see the same keys row by row (common random numbers).

    Examples:
        >>> import functools
        >>> from jaxpapers.perturbation_lm import perturb_synonym
        >>> kernel = functools.partial(perturb_synonym, class_size=4, rho=0.5)
        >>> perturbed_copies(jax.random.key(0), jnp.zeros((2, 3), jnp.int32), kernel, 5).shape
        (2, 5, 3)
    """
    num_samples = _validate.check_integer("num_samples", num_samples, minimum=1)
    x = jnp.asarray(x)
    _validate.check_ndim("x", x, tuple(range(1, 8)), "a batch of contexts")
    keys = jax.random.split(key, (x.shape[0], num_samples))
    per_row = jax.vmap(kernel, in_axes=(0, None))
    return jax.vmap(per_row)(keys, x)


def _copy_logits(params, apply_fn, key, x, kernel, num_samples):
    """Logits of every perturbed copy, ``(batch, M, ..., V)``, from one folded ``apply_fn`` call."""
    copies = perturbed_copies(key, x, kernel, num_samples)
    batch = copies.shape[0]
    folded = copies.reshape(batch * num_samples, *copies.shape[2:])
    logits = apply_fn(params, folded)
    return logits.reshape(batch, num_samples, *logits.shape[1:]).astype(jnp.float32)


def _target_log_probs(logits, y):
    """``log softmax(logits)[y]`` with out-of-vocabulary targets giving NaN (never a value)."""
    y = jnp.asarray(y)
    if not jnp.issubdtype(y.dtype, jnp.integer):
        raise TypeError(f"y must hold integer token ids, got dtype {y.dtype}")
    vocab = logits.shape[-1]
    values = _validate.as_concrete("y", y)
    if values is not None and values.size and (values.min() < 0 or values.max() >= vocab):
        raise ValueError(
            f"y must hold token ids in [0, {vocab}), got values in [{values.min()}, {values.max()}]"
        )
    expected = (logits.shape[0], *logits.shape[2:-1])
    if y.shape != expected:
        raise ValueError(f"y must have shape {expected} to match the logits, got {y.shape}")
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    index = jnp.broadcast_to(y[:, None, ..., None], (*log_probs.shape[:-1], 1))
    picked = jnp.take_along_axis(log_probs, index, axis=-1, mode="fill", fill_value=jnp.nan)
    return picked[..., 0]


def aug_nll(
    params: Any,
    apply_fn: ApplyFn,
    key: PRNGKey,
    x: Int[ArrayLike, " batch *k"],
    y: Int[ArrayLike, " batch *t"],
    kernel: Kernel,
    num_samples: int = 1,
) -> Float[Array, ""]:
    """O1, the augmentation objective: ``L_aug = -mean_{i,m} log p_theta(y_i | x~_{i,m})``.

    ``x~_{i,m} ~ Q(. | x_i)`` (spec §1.3); one draw per example (``num_samples = 1``) estimates
    ``E_{x~ ~ Q} [-log p(y | x~)]`` without bias. With the same key and ``num_samples`` it uses
    the same draws as :func:`marginal_nll`, and then ``marginal_nll <= aug_nll`` (Jensen).

    Examples:
        >>> import functools
        >>> from jaxpapers.perturbation_lm import perturb_synonym
        >>> apply_fn = lambda w, x: w[x[:, -1]]  # logits from the last token
        >>> kernel = functools.partial(perturb_synonym, class_size=2, rho=0.0)
        >>> w = jnp.zeros((4, 4))
        >>> bool(jnp.isclose(aug_nll(w, apply_fn, jax.random.key(0), jnp.zeros((3, 2), jnp.int32),
        ...                          jnp.ones(3, jnp.int32), kernel), jnp.log(4.0)))
        True
    """
    logits = _copy_logits(params, apply_fn, key, x, kernel, num_samples)
    return -jnp.mean(_target_log_probs(logits, y))


def marginal_log_prob(
    params: Any,
    apply_fn: ApplyFn,
    key: PRNGKey,
    x: Int[ArrayLike, " batch *k"],
    y: Int[ArrayLike, " batch *t"],
    kernel: Kernel,
    num_samples: int,
) -> Float[Array, " batch *t"]:
    """``log p^(y | x) = logsumexp_m log p_theta(y | x~_m) - log M``, per target.

    The log of the Monte Carlo marginal (hierarchical) predictor of spec §1.4 at the observed
    targets: the log of the *mean* probability, never the mean log probability (pitfall 3).
    """
    logits = _copy_logits(params, apply_fn, key, x, kernel, num_samples)
    log_probs = _target_log_probs(logits, y)
    return jax.nn.logsumexp(log_probs, axis=1) - jnp.log(jnp.float32(num_samples))


def marginal_nll(
    params: Any,
    apply_fn: ApplyFn,
    key: PRNGKey,
    x: Int[ArrayLike, " batch *k"],
    y: Int[ArrayLike, " batch *t"],
    kernel: Kernel,
    num_samples: int,
) -> Float[Array, ""]:
    """O2, the Monte Carlo marginal likelihood: ``-mean_i log((1/M) sum_m p(y_i | x~_{i,m}))``.

    Computed as ``logsumexp`` over the M copies (vmapped over the M keys and folded into the
    batch) minus ``log M`` (spec §1.3). Biased for finite M, consistent as M grows, and never
    above :func:`aug_nll` on the same draws; equal to the plain cross-entropy when M = 1 and
    the kernel is the identity.
    """
    return -jnp.mean(marginal_log_prob(params, apply_fn, key, x, y, kernel, num_samples))


def predict_marginal(
    params: Any,
    apply_fn: ApplyFn,
    key: PRNGKey,
    x: Int[ArrayLike, " batch *k"],
    kernel: Kernel,
    num_samples: int,
) -> Float[Array, " batch *t V"]:
    """The marginal predictor ``p^(. | x) = (1/M_inf) sum_m softmax(f_theta(x~_m))``.

    Averages next-token probabilities over ``num_samples`` (M_inf) independent perturbations of
    every context (spec §1.4). Rows sum to 1.

    Examples:
        >>> import functools
        >>> from jaxpapers.perturbation_lm import perturb_synonym
        >>> apply_fn = lambda w, x: w[x[:, -1]]
        >>> kernel = functools.partial(perturb_synonym, class_size=2, rho=1.0)
        >>> w = jnp.eye(4) * 10.0
        >>> p = predict_marginal(w, apply_fn, jax.random.key(0), jnp.array([[0, 2]]), kernel, 64)
        >>> p.shape, bool(jnp.isclose(p.sum(), 1.0)), bool(p[0, 2] + p[0, 3] > 0.99)
        ((1, 4), True, True)
    """
    logits = _copy_logits(params, apply_fn, key, x, kernel, num_samples)
    return jnp.mean(jax.nn.softmax(logits, axis=-1), axis=1)


def predict_exact(
    params: Any, apply_fn: ApplyFn, x: Int[ArrayLike, " batch *k"]
) -> Float[Array, " batch *t V"]:
    """The exact-prefix predictor ``softmax(f_theta(x))`` (no perturbation; the baseline)."""
    return jax.nn.softmax(apply_fn(params, jnp.asarray(x)).astype(jnp.float32), axis=-1)
