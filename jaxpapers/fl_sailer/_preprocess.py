"""Preprocessing (spec §2.1): binarise, global peak statistics by secure sum, TF-IDF / LSI,
the global depth covariate.

Every statistic that crosses institutions is a sum over clients: the peak frequencies
f_j = Σ_m Σ_i x_ij, the number of cells n, and the sums of log(1 + ℓ_i) and of its square
(ℓ_i = Σ_j x_ij is the library size). The server learns only these sums (optionally through
:func:`secure_sum`), never cell rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int, UInt8

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.fl_sailer._secure import secure_sum
from jaxpapers.fl_sailer._types import PeakStats

__all__ = [
    "binarize",
    "covariates",
    "depth_covariate",
    "filter_peaks",
    "global_peak_stats",
    "lsi",
    "tfidf",
]


def check_binary(name: str, x: ArrayLike, *, allow_empty: bool = False) -> None:
    """ValueError unless concrete ``x`` is 2-D, holds only 0/1 and no empty cell (row)."""
    _validate.check_ndim(name, x, 2, "a 2-D cells × peaks matrix")
    array = _validate.as_concrete(name, x)
    if array is None:
        return
    bad = (array != 0) & (array != 1)
    if bad.any():
        raise ValueError(
            f"{name} must be binary (0/1; use binarize on counts), got "
            f"{int(bad.sum())} other value(s), e.g. {array[bad].ravel()[0]}"
        )
    if not allow_empty:
        empty = np.flatnonzero(array.sum(axis=1) == 0)
        if empty.size:
            raise ValueError(
                f"{name} must have no empty cells (rows without an open peak), got "
                f"{empty.size} empty row(s), first at index {empty[0]}"
            )


def binarize(counts: ArrayLike) -> UInt8[Array, "n p"]:
    """x_ij = 1[count_ij > 0] as uint8 (spec §2.1.1); negative counts are an error.

    Args:
        counts: non-negative cells × peaks counts.

    Returns:
        the binary matrix (uint8).

    Examples:
        >>> import jax.numpy as jnp
        >>> binarize(jnp.array([[0, 3], [1, 0]]))
        Array([[0, 1],
               [1, 0]], dtype=uint8)
    """
    _validate.check_ndim("counts", counts, 2, "a 2-D cells × peaks matrix")
    _validate.check_finite("counts", counts)
    array = _validate.as_concrete("counts", counts)
    if array is not None and (array < 0).any():
        raise ValueError(
            f"counts must be non-negative, got {int((array < 0).sum())} negative value(s), "
            f"e.g. {array[array < 0].ravel()[0]}"
        )
    return (jnp.asarray(counts) > 0).astype(jnp.uint8)


def _client_sums(x: Array) -> Float[Array, " k"]:
    depth = jnp.sum(x, axis=1, dtype=jnp.float32)
    log_depth = jnp.log1p(depth)
    peak_count = jnp.sum(x, axis=0, dtype=jnp.float32)
    extra = jnp.stack([jnp.float32(x.shape[0]), jnp.sum(log_depth), jnp.sum(log_depth**2)])
    return jnp.concatenate([peak_count, extra])


def global_peak_stats(
    client_matrices: Sequence[ArrayLike], *, key: PRNGKey | None = None
) -> PeakStats:
    """Global peak frequencies, cell count and log-depth moments from per-client sums.

    Each client sends (f_j^(m))_j, n_m, Σ_i log(1+ℓ_i), Σ_i log(1+ℓ_i)²; the server adds them.
    With ``key`` the addition is the simulated secure sum (masked shares, spec §2.5.4).

    Args:
        client_matrices: each client's binary cells × peaks matrix (same peaks).
        key: mask key of the secure sum (None: plain sum).

    Returns:
        the :class:`PeakStats`.

    Examples:
        >>> import jax.numpy as jnp
        >>> stats = global_peak_stats([jnp.array([[1, 0], [1, 1]]), jnp.array([[0, 1]])])
        >>> stats.peak_count, stats.num_cells
        (Array([2., 2.], dtype=float32), Array(3., dtype=float32))
    """
    if not client_matrices:
        raise ValueError("client_matrices must hold at least one client, got none")
    widths = {np.shape(x)[-1] for x in client_matrices}
    for i, x in enumerate(client_matrices):
        check_binary(f"client_matrices[{i}]", x)
    if len(widths) != 1:
        raise ValueError(f"client_matrices must share their peaks, got widths {sorted(widths)}")
    sums = jnp.stack([_client_sums(jnp.asarray(x)) for x in client_matrices])
    total = jnp.sum(sums, axis=0) if key is None else secure_sum(key, sums, frac_bits=8)
    num_peaks = widths.pop()
    n = total[num_peaks]
    mean = total[num_peaks + 1] / n
    var = jnp.maximum(total[num_peaks + 2] / n - mean**2, 0.0)
    return PeakStats(total[:num_peaks], n, mean, jnp.sqrt(var))


def filter_peaks(
    stats: PeakStats, *, min_count: float | int = 3, min_fraction: float = 0.01
) -> np.ndarray:
    """Indices of the peaks kept by the global filter f_j ≥ max(min_count, min_fraction · n).

    Spec §2.1.2 (proposed). Host-side: the number kept fixes the model's input size.

    Args:
        stats: the global :class:`PeakStats`.
        min_count: the absolute floor on f_j.
        min_fraction: the floor on f_j as a fraction of n.

    Returns:
        the kept peak indices (numpy).

    Examples:
        >>> import jax.numpy as jnp
        >>> stats = global_peak_stats([jnp.eye(4, dtype=jnp.uint8).at[:, 0].set(1)])
        >>> filter_peaks(stats, min_count=2)
        array([0])
    """
    counts = np.asarray(stats.peak_count)
    threshold = max(min_count, min_fraction * float(stats.num_cells))
    return np.flatnonzero(counts >= threshold)


def tfidf(x: ArrayLike, stats: PeakStats, *, allow_empty: bool = False) -> Float[Array, "n p"]:
    """LSI-style TF-IDF with global IDF (spec §2.1.3).

    tf_ij = x_ij / ℓ_i,  idf_j = log(1 + n / f_j),  A_ij = log(1 + 10⁴ tf_ij) · idf_j.

    Args:
        x: one client's (or the pooled) binary cells × peaks matrix.
        stats: the statistics (f_j, n) of the IDF: the global ones (spec §2.1.3), or a client's
            own (``global_peak_stats([x])``) for local-then-average leverage (L1).
        allow_empty: accept empty peaks (f_j = 0) and empty cells (ℓ_i = 0), whose columns
            and rows are 0: a client's own statistics lack other institutions' peaks, and a
            subset of peaks can leave a cell empty. By default both are errors.

    Returns:
        A, float32 cells × peaks.

    Examples:
        >>> import jax.numpy as jnp
        >>> x = jnp.array([[1, 0], [1, 1]], jnp.uint8)
        >>> tfidf(x, global_peak_stats([x])).shape
        (2, 2)
    """
    check_binary("x", x, allow_empty=allow_empty)
    counts = _validate.as_concrete("stats.peak_count", stats.peak_count)
    if counts is not None and not allow_empty and (counts <= 0).any():
        raise ValueError(
            "stats.peak_count must be > 0 for every peak (drop empty peaks with filter_peaks), "
            f"got {int((counts <= 0).sum())} empty peak(s), first at index "
            f"{int(np.flatnonzero(counts <= 0)[0])}"
        )
    x = jnp.asarray(x, jnp.float32)
    depth = jnp.maximum(jnp.sum(x, axis=1, keepdims=True), 1.0)
    idf = jnp.log1p(stats.num_cells / jnp.maximum(stats.peak_count, 1.0))
    return jnp.log1p(1e4 * x / depth) * idf[None, :]


def lsi(a: Float[Array, "n p"], dim: int) -> Float[Array, "n d"]:
    """Latent semantic indexing: the top-``dim`` scores U_d Σ_d of the column-centred A.

    Args:
        a: cells × peaks (e.g. :func:`tfidf`).
        dim: d, with 1 ≤ d < min(n, p).

    Returns:
        the cells × d embedding.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> lsi(jax.random.normal(jax.random.key(0), (20, 8)), 3).shape
        (20, 3)
    """
    _validate.check_ndim("a", a, 2)
    _validate.check_integer("dim", dim, minimum=1)
    if dim >= min(a.shape):
        raise ValueError(f"dim must be < min(a.shape) = {min(a.shape)}, got {dim}")
    centred = a - jnp.mean(a, axis=0, keepdims=True)
    u, s, _ = jnp.linalg.svd(centred, full_matrices=False)
    return u[:, :dim] * s[None, :dim]


def depth_covariate(x: ArrayLike, stats: PeakStats) -> Float[Array, " n"]:
    """ℓ̃_i = (log(1 + ℓ_i) − m̄) / s̄ with the global mean and sd (spec §2.1.4, pitfall P10).

    Args:
        x: binary cells × peaks of one client (or pooled).
        stats: the global statistics (their log-depth mean and sd).

    Returns:
        ℓ̃, one value per cell.

    Examples:
        >>> import jax.numpy as jnp
        >>> x = jnp.array([[1, 0], [1, 1]], jnp.uint8)
        >>> depth_covariate(x, global_peak_stats([x])).round(4)
        Array([-1.,  1.], dtype=float32)
    """
    check_binary("x", x)
    log_depth = jnp.log1p(jnp.sum(jnp.asarray(x), axis=1, dtype=jnp.float32))
    return (log_depth - stats.log_depth_mean) / jnp.maximum(stats.log_depth_sd, 1e-6)


def covariates(
    depth: Float[Array, " n"], batch: Int[Array, " n"], num_batches: int
) -> Float[Array, "n q"]:
    """The decoder covariates c_i = [ℓ̃_i, onehot(s_i)] (spec §1).

    Args:
        depth: ℓ̃ from :func:`depth_covariate`.
        batch: batch / institution index of each cell.
        num_batches: the number of batches.

    Returns:
        cells × (1 + num_batches).

    Examples:
        >>> import jax.numpy as jnp
        >>> covariates(jnp.array([0.5, -0.5]), jnp.array([1, 0]), 2)
        Array([[ 0.5,  0. ,  1. ],
               [-0.5,  1. ,  0. ]], dtype=float32)
    """
    onehot = jax.nn.one_hot(batch, num_batches, dtype=jnp.float32)
    return jnp.concatenate([jnp.asarray(depth, jnp.float32)[:, None], onehot], axis=1)
