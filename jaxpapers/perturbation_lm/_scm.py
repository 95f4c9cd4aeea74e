"""The synonym-class Markov language (SCM, spec §2.1): generator, exact conditionals, support.

K semantic classes of m synonyms each; token ``v = c m + s`` has class ``c = v // m`` and
synonym index ``s = v % m``. The class of the next token follows an order-k Markov chain on
classes and its synonym a fixed per-class emission, so

    p*(y | x) = T[c(x_{-k}), ..., c(x_{-1})]_{c(y)} * pi_{c(y)}(s(y)),

which depends on the prefix only through its class sequence: every prefix whose class sequence
occurs in the training data lies in the perturbation-enlarged support of the synonym kernel
(spec §1.6). The generator is ours (the paper's synthetic language is unknown, spec §2.1).
"""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.perturbation_lm._types import SCM

__all__ = ["context_windows", "make_scm", "sample_scm", "split_support", "true_next_dist"]


def make_scm(
    key: PRNGKey,
    num_classes: int,
    class_size: int,
    order: int,
    alpha: float,
    *,
    synonym_weight: float | jax.Array = 0.0,
) -> SCM:
    """Draw a synonym-class Markov language.

    ``T[c_1..c_k] ~ Dirichlet(alpha 1_K)`` for every class context, ``pi_c ~ Dirichlet(2 1_m)``
    for every class (spec §2.1), and, for the stress test of spec check 11, a synonym-driven
    class law ``U[s] ~ Dirichlet(alpha 1_K)`` mixed in with weight ``synonym_weight``.

    Args:
        key: a typed PRNG key.
        num_classes: K >= 1.
        class_size: m >= 1, synonyms per class (the vocabulary has V = K m tokens).
        order: k >= 1, the context length of the class dynamics.
        alpha: Dirichlet concentration of the class transitions (> 0; small is peaked).
        synonym_weight: beta in [0, 1]; 0 keeps the language exactly synonym-invariant.

    Examples:
        >>> scm = make_scm(jax.random.key(0), num_classes=6, class_size=4, order=3, alpha=0.3)
        >>> scm.transition.shape, scm.emission.shape, scm.vocab_size
        ((6, 6, 6, 6), (6, 4), 24)
    """
    num_classes = _validate.check_integer("num_classes", num_classes, minimum=1)
    class_size = _validate.check_integer("class_size", class_size, minimum=1)
    order = _validate.check_integer("order", order, minimum=1)
    _validate.check_positive("alpha", alpha)
    _validate.check_range("synonym_weight", synonym_weight, low=0.0, high=1.0)
    key_t, key_e, key_u = jax.random.split(key, 3)
    concentration = jnp.full((num_classes,), alpha, jnp.float32)
    transition = jax.random.dirichlet(key_t, concentration, (num_classes,) * order)
    emission = jax.random.dirichlet(
        key_e, jnp.full((class_size,), 2.0, jnp.float32), (num_classes,)
    )
    synonym_transition = jax.random.dirichlet(key_u, concentration, (class_size,))
    return SCM(transition, emission, synonym_transition, jnp.asarray(synonym_weight, jnp.float32))


def true_next_dist(scm: SCM, contexts: Int[ArrayLike, "*batch k"]) -> Float[Array, "*batch V"]:
    """The exact next-token law p*(. | x) of the SCM given the last k tokens.

    ``p*(c m + s | x) = [(1 - beta) T[c(x)]_c + beta U[s(x_{-1})]_c] pi_c(s)``.

    Args:
        scm: the language.
        contexts: token ids, last axis of length ``scm.order`` (oldest first).

    Returns:
        probabilities over the V tokens, shape ``contexts.shape[:-1] + (V,)``.

    Examples:
        >>> scm = make_scm(jax.random.key(0), 3, 2, 2, 0.5)
        >>> p = true_next_dist(scm, jnp.array([[0, 5], [1, 4]]))
        >>> p.shape, bool(jnp.allclose(p.sum(-1), 1.0))
        ((2, 6), True)
    """
    contexts = _check_contexts("contexts", contexts, scm)
    num_classes, class_size, order = scm.num_classes, scm.class_size, scm.order
    classes = contexts // class_size
    weights = num_classes ** jnp.arange(order - 1, -1, -1, dtype=jnp.int32)
    flat = jnp.sum(classes * jnp.broadcast_to(weights, classes.shape), axis=-1)
    table = scm.transition.reshape(num_classes**order, num_classes)
    synonym = contexts[..., -1] % class_size
    beta = scm.synonym_weight
    class_probs = (1.0 - beta) * table[flat] + beta * scm.synonym_transition[synonym]
    probs = class_probs[..., :, None] * jnp.broadcast_to(
        scm.emission, (*class_probs.shape, class_size)
    )
    return probs.reshape(*contexts.shape[:-1], num_classes * class_size)


def sample_scm(key: PRNGKey, scm: SCM, n_tokens: int) -> Int[Array, " n"]:
    """A token stream of length ``n_tokens``: k uniform start tokens, then the SCM chain.

    Args:
        key: a typed PRNG key.
        scm: the language.
        n_tokens: total length (> ``scm.order``); the stream yields ``n_tokens - order``
            (context, next token) pairs (:func:`context_windows`).

    Examples:
        >>> scm = make_scm(jax.random.key(0), 6, 4, 3, 0.3)
        >>> tokens = sample_scm(jax.random.key(1), scm, 100)
        >>> tokens.shape, tokens.dtype, bool(tokens.max() < 24)
        ((100,), dtype('int32'), True)
    """
    order = scm.order
    n_tokens = _validate.check_integer("n_tokens", n_tokens, minimum=order + 1)
    key_start, key_chain = jax.random.split(key)
    start = jax.random.randint(key_start, (order,), 0, scm.vocab_size, jnp.int32)

    def body(context, key_t):
        logits = jnp.log(true_next_dist(scm, context))
        token = jax.random.categorical(key_t, logits).astype(jnp.int32)
        return jnp.concatenate([context[1:], token[None]]), token

    keys = jax.random.split(key_chain, n_tokens - order)
    _, tokens = jax.lax.scan(body, start, keys)
    return jnp.concatenate([start, tokens])


def context_windows(
    tokens: Int[ArrayLike, " n"], order: int
) -> tuple[Int[Array, "pairs k"], Int[Array, " pairs"]]:
    """The (context, next token) pairs of a stream: ``x_i = tokens[i:i+k]``, ``y_i = tokens[i+k]``.

    Examples:
        >>> x, y = context_windows(jnp.arange(5), 2)
        >>> x.tolist(), y.tolist()
        ([[0, 1], [1, 2], [2, 3]], [2, 3, 4])
    """
    tokens = jnp.asarray(tokens)
    _validate.check_ndim("tokens", tokens, 1)
    order = _validate.check_integer("order", order, minimum=1)
    if tokens.shape[0] <= order:
        raise ValueError(f"tokens must hold more than order={order} tokens, got {tokens.shape[0]}")
    pairs = tokens.shape[0] - order
    index = jnp.arange(pairs)[:, None] + jnp.arange(order)[None, :]
    return tokens[index], tokens[order:]


def split_support(
    train_contexts: Int[ArrayLike, "n k"], test_contexts: Int[ArrayLike, "m k"]
) -> Bool[Array, " m"]:
    """Which test contexts occur exactly among the training contexts (the empirical support).

    A test position is *in support* when its length-k context was seen in training, and *out of
    support* (OOS) otherwise (spec §2.1; the split is defined from the training corpus only,
    pitfall 4). Exact for any integer ids: the training rows are sorted lexicographically and
    every test row is located by binary search (``O((n + m) k log n)``; jit- and vmap-able).

    Examples:
        >>> train = jnp.array([[0, 1], [2, 3], [0, 1]])
        >>> split_support(train, jnp.array([[2, 3], [1, 0], [0, 1]])).tolist()
        [True, False, True]
    """
    train = jnp.asarray(train_contexts)
    test = jnp.asarray(test_contexts)
    _validate.check_ndim("train_contexts", train, 2)
    _validate.check_ndim("test_contexts", test, 2)
    if train.shape[1] != test.shape[1]:
        raise ValueError(
            "train_contexts and test_contexts must have the same context length, got "
            f"{train.shape[1]} and {test.shape[1]}"
        )
    for name, array in (("train_contexts", train), ("test_contexts", test)):
        if not jnp.issubdtype(array.dtype, jnp.integer):
            raise TypeError(f"{name} must hold integer token ids, got dtype {array.dtype}")
    if train.shape[0] == 0:
        return jnp.zeros(test.shape[:1], bool)
    order = jnp.lexsort(train.T[::-1])  # first column is the primary key
    table = train[order]
    steps = int(np.ceil(np.log2(table.shape[0] + 1)))

    def locate(row):
        def less(a, b):  # lexicographic a < b
            differ = a != b
            first = jnp.argmax(differ)
            return differ.any() & (a[first] < b[first])

        def body(_, bounds):  # lower bound: the first sorted row that is not < row
            low, high = bounds
            mid = (low + high) // 2
            active = low < high
            go_right = less(table[jnp.minimum(mid, table.shape[0] - 1)], row)
            low = jnp.where(active & go_right, mid + 1, low)
            high = jnp.where(active & ~go_right, mid, high)
            return low, high

        low, _ = jax.lax.fori_loop(0, steps, body, (jnp.int32(0), jnp.int32(table.shape[0])))
        found = table[jnp.minimum(low, table.shape[0] - 1)]
        return (low < table.shape[0]) & jnp.all(found == row)

    return jax.vmap(locate)(test.astype(train.dtype))


def _check_contexts(name: str, contexts, scm: SCM) -> Int[Array, "*batch k"]:
    contexts = jnp.asarray(contexts)
    if not jnp.issubdtype(contexts.dtype, jnp.integer):
        raise TypeError(f"{name} must hold integer token ids, got dtype {contexts.dtype}")
    if contexts.ndim < 1 or contexts.shape[-1] != scm.order:
        raise ValueError(
            f"{name} must have a last axis of length order={scm.order}, got shape {contexts.shape}"
        )
    values = _validate.as_concrete(name, contexts)
    if values is not None and values.size and (values.min() < 0 or values.max() >= scm.vocab_size):
        raise ValueError(
            f"{name} must hold token ids in [0, {scm.vocab_size}), got values in "
            f"[{values.min()}, {values.max()}]"
        )
    return contexts.astype(jnp.int32)
