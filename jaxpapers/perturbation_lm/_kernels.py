"""Perturbation kernels Q(x~ | x): pure functions of (key, tokens), jit- and vmap-able.

A *kernel* in this module's sense is any function ``kernel(key, tokens) -> tokens`` on one
sequence (or context) that keeps its shape. Bind the settings with ``functools.partial``, or with
``jax.tree_util.Partial`` to make the rate a traced input (one compiled program for every rho)::

    kernel = jax.tree_util.Partial(perturb_synonym, class_size=4, rho=jnp.float32(0.3))

:func:`perturb_synonym` is the exact semantic kernel of the synthetic language (spec §1.5).
:func:`perturb_eda` is the word-level kernel of the real-text experiments: synonym replacement,
random insertion, random swap and random deletion (Wei & Zou, "EDA", EMNLP 2019) at a static
shape with a validity mask; :func:`eda_kernel` wraps its length-preserving part as a kernel.
"""

from __future__ import annotations

import numpy as np

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.perturbation_lm._types import EDARates

__all__ = ["class_synonyms", "eda_kernel", "perturb_eda", "perturb_synonym"]


def perturb_synonym(
    key: PRNGKey,
    tokens: Int[ArrayLike, "*shape"],
    class_size: int | Int[ArrayLike, ""],
    rho: float | ArrayLike,
    *,
    vocab_size: int | None = None,
) -> Int[Array, "*shape"]:
    """Replace each token, with probability rho, by a uniform member of its synonym class.

    ``x~_i = m floor(x_i / m) + u_i`` with ``u_i ~ U{0..m-1}`` if ``b_i ~ Bernoulli(rho)`` else
    ``x_i`` (spec §1.5; the token itself is among the draws, so a token changes with probability
    ``rho (1 - 1/m)``). Length-preserving, and ``tokens // class_size`` is kept exactly.

    Args:
        key: a typed PRNG key.
        tokens: non-negative integer token ids, any shape.
        class_size: m, the synonyms per class (an int, or an integer array under ``jit``).
        rho: the per-token perturbation rate in [0, 1] (a float or a traced scalar).
        vocab_size: if given, ids must lie in ``[0, vocab_size)`` and m must divide it.

    Returns:
        the perturbed tokens, same shape and dtype.

    Examples:
        >>> tokens = jnp.arange(12)
        >>> out = perturb_synonym(jax.random.key(0), tokens, class_size=4, rho=1.0)
        >>> bool(jnp.all(out // 4 == tokens // 4))
        True
    """
    tokens = _check_tokens("tokens", tokens, vocab_size)
    _check_class_size(class_size, vocab_size)
    rho = _check_rate("rho", rho)
    key_flip, key_synonym = jax.random.split(key)
    flip = jax.random.bernoulli(key_flip, rho, tokens.shape)
    synonym = jax.random.randint(key_synonym, tokens.shape, 0, class_size, tokens.dtype)
    out = jnp.where(flip, (tokens // class_size) * class_size + synonym, tokens)
    return _error_if_bad_rate(out, rho, "rho")


def class_synonyms(vocab_size: int, class_size: int) -> Int[Array, "V m"]:
    """The synonym table of a class-structured vocabulary: row v lists the m members of v's class.

    With this table, :func:`perturb_eda` with ``EDARates(replace=rho)`` has the same law as
    :func:`perturb_synonym` with rate rho.

    Examples:
        >>> class_synonyms(6, 3).tolist()
        [[0, 1, 2], [0, 1, 2], [0, 1, 2], [3, 4, 5], [3, 4, 5], [3, 4, 5]]
    """
    vocab_size = _validate.check_integer("vocab_size", vocab_size, minimum=1)
    _check_class_size(class_size, vocab_size)
    first = (jnp.arange(vocab_size, dtype=jnp.int32) // class_size) * class_size
    return first[:, None] + jnp.arange(class_size, dtype=jnp.int32)[None, :]


def perturb_eda(
    key: PRNGKey,
    tokens: Int[ArrayLike, " L"],
    mask: Bool[ArrayLike, " L"],
    synonyms: Int[ArrayLike, "V S"],
    rates: EDARates,
) -> tuple[Int[Array, " L"], Bool[Array, " L"]]:
    """EDA on one token sequence at a static length: SR, then RI, then RS, then RD.

    Per valid token (``mask``), independently:

    * SR, with probability ``rates.replace``: replace it by a uniform entry of its synonym row
      ``synonyms[token]`` (a row may repeat the token itself: tokens without synonyms keep
      their own id in every column);
    * RI, with probability ``rates.insert``: insert after it a synonym of a uniformly drawn
      valid token;
    * RS, with probability ``rates.swap``: swap it with a uniformly drawn valid position (the
      swaps are applied one after another, left to right);
    * RD, with probability ``rates.delete``: delete it (if every token would go, the last one
      stays, as EDA keeps one word).

    The valid tokens of the result keep their order and are packed at the *end* of the array
    (left padding), so the last position holds the newest token, as next-token contexts need;
    insertions beyond the length ``L`` drop the oldest tokens; padding holds 0. When ``mask``
    is all True and ``insert = delete = 0`` the operation is length-preserving and positions are
    unchanged. All rates 0 give back the tokens, packed.

    Deviation from EDA (Wei & Zou 2019, which makes each augmented sentence with one operation
    applied ``max(1, alpha L)`` times): the four operations are composed, and each acts per
    token with its own probability, so every rate can be 0 and the count is binomial.

    Args:
        key: a typed PRNG key.
        tokens: integer ids in ``[0, V)``, shape ``(L,)``.
        mask: True at valid tokens, shape ``(L,)``.
        synonyms: ``(V, S)`` table of replacement candidates, ids in ``[0, V)``.
        rates: the four rates, each in [0, 1] (:class:`EDARates`).

    Returns:
        ``(tokens, mask)`` of the edited sequence, shapes ``(L,)``.

    Examples:
        >>> table = class_synonyms(8, 2)
        >>> out, valid = perturb_eda(jax.random.key(0), jnp.arange(6), jnp.ones(6, bool),
        ...                          table, EDARates(delete=1.0))
        >>> out.tolist(), valid.tolist()
        ([0, 0, 0, 0, 0, 5], [False, False, False, False, False, True])
    """
    out, valid, table = _check_eda_inputs(tokens, mask, synonyms)
    rate = _check_rates(rates)
    key_sr, key_ri, key_rs, key_rd = jax.random.split(key, 4)
    out = _replace(key_sr, out, valid, table, rate[0])
    out, valid = _insert(key_ri, out, valid, table, rate[1])
    out = _swap(key_rs, out, valid, rate[2])
    out, valid = _delete(key_rd, out, valid, rate[3])
    for index, name in enumerate(EDARates._fields):
        out = _error_if_bad_rate(out, rate[index], f"rates.{name}")
    return out, valid


def eda_kernel(synonyms: Int[ArrayLike, "V S"], rates: EDARates) -> jax.tree_util.Partial:
    """The length-preserving part of :func:`perturb_eda` (SR and RS) as a kernel on full rows.

    Returns ``kernel(key, tokens) -> tokens`` (a ``jax.tree_util.Partial``: the table and the
    rates are traced inputs when it is passed into ``jit``). Under teacher forcing the inputs
    are perturbed and the targets stay clean, which keeps them aligned only when no token is
    inserted or deleted (spec §1.5, alignment rule), so ``rates.insert`` and ``rates.delete``
    must be 0.

    Examples:
        >>> kernel = eda_kernel(class_synonyms(8, 2), EDARates(replace=1.0))
        >>> (kernel(jax.random.key(0), jnp.arange(8)) // 2).tolist()
        [0, 0, 1, 1, 2, 2, 3, 3]
    """
    _check_rates(rates)
    for name in ("insert", "delete"):
        value = _validate.as_concrete(f"rates.{name}", getattr(rates, name))
        if value is not None and float(value) != 0.0:
            raise ValueError(
                f"rates.{name} must be 0 in a length-preserving kernel (the targets of teacher "
                f"forcing would shift), got {float(value):g}; call perturb_eda directly"
            )
    synonyms = jnp.asarray(synonyms)
    return jax.tree_util.Partial(_eda_tokens, synonyms=synonyms, rates=rates)


def _eda_tokens(key, tokens, *, synonyms, rates):
    tokens = jnp.asarray(tokens)
    out, _ = perturb_eda(key, tokens, jnp.ones(tokens.shape, bool), synonyms, rates)
    return out


# ----- the four operations (one sequence, static length) ---------------------------------------


def _replace(key, tokens, mask, synonyms, rate):
    key_flip, key_pick = jax.random.split(key)
    flip = jax.random.bernoulli(key_flip, rate, tokens.shape) & mask
    pick = jax.random.randint(key_pick, tokens.shape, 0, synonyms.shape[1])
    return jnp.where(flip, synonyms[tokens, pick], tokens)


def _uniform_valid(key, mask, shape):
    """Uniform draws among the valid positions (position 0 when none is valid).

    One uniform per draw, mapped to the k-th valid position, k = ⌊u · #valid⌋ (O(L) random
    numbers; a categorical over the L positions would draw L Gumbels per draw).
    """
    count = jnp.sum(mask, dtype=jnp.int32)
    k = jnp.floor(jax.random.uniform(key, shape) * count.astype(jnp.float32)).astype(jnp.int32)
    k = jnp.clip(k, 0, jnp.maximum(count - 1, 0))  # u < 1, but u · count can round up to count
    seen = jnp.cumsum(mask, dtype=jnp.int32)
    position = jnp.searchsorted(seen, k + 1).astype(jnp.int32)  # first index with k + 1 valid
    return jnp.where(count > 0, position, 0)


def _pack_end(tokens, valid, length):
    """The valid entries in order, packed at the end of a length-``length`` array."""
    rank = jnp.cumsum(valid) - 1
    target = length - jnp.sum(valid) + rank
    target = jnp.where(valid & (target >= 0), target, length)  # dropped: out of range
    out = jnp.zeros(length, tokens.dtype).at[target].set(tokens, mode="drop")
    new_valid = jnp.arange(length) >= length - jnp.minimum(jnp.sum(valid), length)
    return out, new_valid


def _insert(key, tokens, mask, synonyms, rate):
    key_flip, key_source, key_pick = jax.random.split(key, 3)
    length = tokens.shape[0]
    flip = jax.random.bernoulli(key_flip, rate, tokens.shape) & mask
    source = tokens[_uniform_valid(key_source, mask, tokens.shape)]
    pick = jax.random.randint(key_pick, tokens.shape, 0, synonyms.shape[1])
    inserted = synonyms[source, pick]
    interleaved = jnp.stack([tokens, inserted], axis=1).reshape(-1)
    valid = jnp.stack([mask, flip], axis=1).reshape(-1)
    return _pack_end(interleaved, valid, length)


def _swap(key, tokens, mask, rate):
    key_flip, key_partner = jax.random.split(key)
    flip = jax.random.bernoulli(key_flip, rate, tokens.shape) & mask
    partner = _uniform_valid(key_partner, mask, tokens.shape)

    def body(i, current):  # an unflipped position swaps with itself: O(1) work per step
        j = jnp.where(flip[i], partner[i], i)
        a, b = current[i], current[j]
        return current.at[i].set(b).at[j].set(a)

    return jax.lax.fori_loop(0, tokens.shape[0], body, tokens)


def _delete(key, tokens, mask, rate):
    drop = jax.random.bernoulli(key, rate, tokens.shape) & mask
    keep = mask & ~drop
    last = jnp.arange(tokens.shape[0]) == jnp.max(jnp.where(mask, jnp.arange(mask.size), -1))
    keep = jnp.where(keep.any() | ~mask.any(), keep, last)
    return _pack_end(tokens, keep, tokens.shape[0])


# ----- validation ----------------------------------------------------------------------------


def _check_tokens(name: str, tokens, vocab_size: int | None) -> Int[Array, " ..."]:
    tokens = jnp.asarray(tokens)
    if not jnp.issubdtype(tokens.dtype, jnp.integer):
        raise TypeError(f"{name} must hold integer token ids, got dtype {tokens.dtype}")
    values = _validate.as_concrete(name, tokens)
    if values is not None and values.size:
        high = np.inf if vocab_size is None else vocab_size
        if values.min() < 0 or values.max() >= high:
            interval = "[0, inf)" if vocab_size is None else f"[0, {vocab_size})"
            raise ValueError(
                f"{name} must hold token ids in {interval}, got values in "
                f"[{values.min()}, {values.max()}]"
            )
    return tokens


def _check_class_size(class_size, vocab_size: int | None) -> None:
    value = _validate.as_concrete("class_size", class_size)
    if value is None:
        return
    if value.ndim or not np.issubdtype(value.dtype, np.integer) or int(value) < 1:
        raise ValueError(f"class_size must be an integer >= 1, got {_validate.describe(value)}")
    if vocab_size is not None and vocab_size % int(value):
        raise ValueError(
            f"class_size must divide the vocabulary size {vocab_size}, got {int(value)}"
        )


def _check_rate(name: str, rate):
    _validate.check_range(name, rate, low=0.0, high=1.0)
    rate = jnp.asarray(rate)
    if rate.ndim:
        raise ValueError(f"{name} must be a scalar, got shape {rate.shape}")
    return rate.astype(jnp.float32)


def _check_rates(rates) -> jax.Array:
    if not isinstance(rates, EDARates):
        raise TypeError(f"rates must be an EDARates, got {type(rates).__name__}")
    for name, value in rates._asdict().items():
        _check_rate(f"rates.{name}", value)
    return rates.as_array()


def _error_if_bad_rate(out, rate, name: str):
    """Under ``jit`` a traced rate cannot be checked eagerly: fail at run time instead."""
    if _validate.is_concrete(rate):
        return out
    return eqx.error_if(out, (rate < 0) | (rate > 1), f"{name} must lie in [0, 1]")


def _check_eda_inputs(tokens, mask, synonyms) -> tuple[Array, Array, Array]:
    synonyms = jnp.asarray(synonyms)
    _validate.check_ndim("synonyms", synonyms, 2, "a (V, S) table")
    if not jnp.issubdtype(synonyms.dtype, jnp.integer) or synonyms.shape[1] < 1:
        raise TypeError(
            f"synonyms must be an integer (V, S) table with S >= 1, got {synonyms.dtype} "
            f"{synonyms.shape}"
        )
    vocab_size = synonyms.shape[0]
    _check_tokens("synonyms", synonyms, vocab_size)
    tokens = _check_tokens("tokens", tokens, vocab_size)
    _validate.check_ndim("tokens", tokens, 1, "one sequence of shape (L,)")
    mask = jnp.asarray(mask)
    if mask.shape != tokens.shape or mask.dtype != jnp.bool_:
        raise ValueError(
            f"mask must be bool with the tokens' shape {tokens.shape}, got {mask.dtype} "
            f"{mask.shape}"
        )
    return tokens, mask, synonyms.astype(tokens.dtype)
