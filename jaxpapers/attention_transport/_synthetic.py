"""Synthetic bottleneck/diffuse benchmarks for the polarity prediction (spec §3-13, proposed).

*Bottleneck* benchmark: faithful answers have uniform causal heads (φ ≈ 0.36), hallucinated
answers have window heads with w = n/8 (φ ≈ 1/16). *Diffuse* benchmark: the roles swap. Each
head is mixed with a random causal softmax (weight ``noise``) and responses have random lengths,
so the score must survive length control. The paper predicts that a raw capacity feature has
opposite polarity on the two kinds; which real benchmark is which kind is unknown.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.attention_transport._features import restrict_to_tokens
from jaxpapers.stats import lc_auroc

__all__ = ["PolarityBenchmark", "polarity", "polarity_benchmark"]


class PolarityBenchmark(NamedTuple):
    """Attention ``[m, heads, n, n]`` with padding ``mask [m, n]``, labels and lengths."""

    attention: Float[Array, "m h n n"]
    mask: Bool[Array, "m n"]
    label: Bool[Array, " m"]
    length: Int[Array, " m"]


def _pattern(uniform: Array, length: Array, n_max: int, dtype) -> Array:
    i = jnp.arange(n_max)[:, None]
    j = jnp.arange(n_max)[None, :]
    w = jnp.maximum(length // 8, 2)
    band = (j <= i) & jnp.where(uniform, True, j > i - w)
    return band.astype(dtype)


def _example(key, bottleneck: bool, n_min: int, n_max: int, n_heads: int, noise: float, dtype):
    key_len, key_label, key_noise = jax.random.split(key, 3)
    length = jax.random.randint(key_len, (), n_min, n_max + 1)
    label = jax.random.bernoulli(key_label)
    uniform = jnp.logical_not(label) if bottleneck else label
    logits = jax.random.normal(key_noise, (n_heads, n_max, n_max), dtype)
    causal = jnp.tril(jnp.ones((n_max, n_max), bool))
    random_heads = jax.nn.softmax(jnp.where(causal, logits, -jnp.inf), axis=-1)
    valid = jnp.arange(n_max) < length
    keep = jnp.broadcast_to(valid, (n_heads, n_max))
    pattern = restrict_to_tokens(
        jnp.broadcast_to(_pattern(uniform, length, n_max, dtype), (n_heads, n_max, n_max)), keep
    )
    heads = restrict_to_tokens((1.0 - noise) * pattern + noise * random_heads, keep)
    return heads, valid, label, length


def polarity_benchmark(
    key: PRNGKey,
    kind: str,
    n_examples: int,
    *,
    n_min: int = 32,
    n_max: int = 64,
    n_heads: int = 4,
    noise: float = 0.2,
    dtype=jnp.float32,
) -> PolarityBenchmark:
    """Draw a ``"bottleneck"`` or ``"diffuse"`` benchmark (module docstring).

    Examples:
        >>> import jax
        >>> from jaxpapers.attention_transport import polarity_benchmark
        >>> bench = polarity_benchmark(jax.random.key(0), "bottleneck", 4, n_min=8, n_max=16)
        >>> bench.attention.shape, bench.mask.shape
        ((4, 4, 16, 16), (4, 16))
    """
    _validate.check_choice("kind", kind, ("bottleneck", "diffuse"))
    _validate.check_integer("n_examples", n_examples, minimum=1)
    _validate.check_integer("n_min", n_min, minimum=8)
    _validate.check_integer("n_max", n_max, minimum=n_min)
    _validate.check_range("noise", noise, low=0.0, high=1.0, high_open=True)
    keys = jax.random.split(key, n_examples)
    draw = jax.vmap(
        lambda k: _example(k, kind == "bottleneck", n_min, n_max, n_heads, noise, dtype)
    )
    return PolarityBenchmark(*draw(keys))


def polarity(
    score: Float[ArrayLike, " m"],
    label: Bool[ArrayLike, " m"],
    length: Int[ArrayLike, " m"],
    *,
    tolerance: int = 0,
) -> Int[Array, ""]:
    """sign(LC-AUROC − ½) of a raw, unprobed score (spec §1.4-9): +1, −1 or 0.

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxpapers.attention_transport import polarity
        >>> length = jnp.array([5, 5, 7, 7])
        >>> label = jnp.array([False, True, True, False])
        >>> int(polarity(jnp.array([0.1, 0.9, 0.8, 0.2]), label, length))
        1
    """
    return jnp.sign(lc_auroc(score, label, length, tolerance=tolerance) - 0.5).astype(jnp.int32)
