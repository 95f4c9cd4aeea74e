"""SAILER's per-batch loss with the pairwise-KL invariance bound, and the cross-client moment
term (spec §2.4, §2.5.3).

    L = β KL(q(z|x) ‖ N(0, I)) + (1 + λ) w_rec BCE(x; η) + λ β Î
        + γ · mean_{b≠m} KL(N(m̂, v̂) ‖ N(m_b, v_b))

with Î = Σ_ij w_i w_j KL(q_i ‖ q_j) (w: normalised row mask), the Moyer et al. (2018) upper bound
on I(z; x) that, with the conditional decoder, bounds I(z; c). Means are over the masked rows
of the mini-batch, sums over peaks and latent dimensions. Every log-density and KL comes from
``numpyro.distributions``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from jaxtyping import Array, Bool, Float

__all__ = [
    "LossTerms",
    "kl_weight",
    "moment_kl",
    "pairwise_gaussian_kl_mean",
    "posterior_moments",
    "vae_loss",
]


class LossTerms(NamedTuple):
    """The terms of one mini-batch loss (masked means)."""

    recon: Float[Array, ""]
    kl: Float[Array, ""]
    mi: Float[Array, ""]
    moment: Float[Array, ""]


def _normal(mu: Array, logvar: Array) -> dist.Normal:
    return dist.Normal(mu, jnp.exp(0.5 * logvar))


def _weights(mask: Bool[Array, " b"], dtype) -> Array:
    w = mask.astype(dtype)
    return w / jnp.maximum(jnp.sum(w), 1.0)


def pairwise_gaussian_kl_mean(
    mu: Float[Array, "b d"], logvar: Float[Array, "b d"], mask: Bool[Array, " b"] | None = None
) -> Float[Array, ""]:
    """Î = Σ_{i,j} w_i w_j KL(N(μ_i, σ_i²) ‖ N(μ_j, σ_j²)), w the normalised mask (1/B if None).

    The mini-batch estimate of E_{x,x'} KL(q(z|x) ‖ q(z|x')) ≥ I(z; x) (spec §2.4). Padded rows
    (mask False) get weight zero in both positions.

    Args:
        mu: posterior means, B × d.
        logvar: posterior log-variances, B × d.
        mask: True for real rows (None: all rows).

    Returns:
        Î, a scalar.

    Examples:
        >>> import jax.numpy as jnp
        >>> pairwise_gaussian_kl_mean(jnp.zeros((3, 2)), jnp.zeros((3, 2)))
        Array(0., dtype=float32)
    """
    mask = jnp.ones(mu.shape[0], bool) if mask is None else mask
    w = _weights(mask, mu.dtype)
    q_i = _normal(mu[:, None, :], logvar[:, None, :])
    q_j = _normal(mu[None, :, :], logvar[None, :, :])
    kl = jnp.sum(dist.kl_divergence(q_i, q_j), axis=-1)  # B × B
    return w @ kl @ w


def posterior_moments(
    mu: Float[Array, "b d"], logvar: Float[Array, "b d"], mask: Bool[Array, " b"]
) -> tuple[Float[Array, " d"], Float[Array, " d"]]:
    """Moments of the aggregated posterior over masked rows: m = mean μ, v = Var μ + mean σ².

    Args:
        mu: posterior means, B × d.
        logvar: posterior log-variances, B × d.
        mask: True for real rows.

    Returns:
        (m, v), each of size d.

    Examples:
        >>> import jax.numpy as jnp
        >>> posterior_moments(jnp.array([[1.0], [3.0]]), jnp.zeros((2, 1)), jnp.array([True, True]))
        (Array([2.], dtype=float32), Array([2.], dtype=float32))
    """
    w = _weights(mask, mu.dtype)
    mean = w @ mu
    var = w @ (mu - mean[None, :]) ** 2 + w @ jnp.exp(logvar)
    return mean, var


def moment_kl(
    mean: Float[Array, " d"],
    var: Float[Array, " d"],
    peer_mean: Float[Array, "m d"],
    peer_var: Float[Array, "m d"],
    peer_mask: Bool[Array, " m"],
) -> Float[Array, ""]:
    """mean over peers b (peer_mask) of KL(N(m̂, v̂) ‖ N(m_b, v_b)) summed over dimensions.

    Args:
        mean: m̂, this mini-batch's aggregated-posterior mean.
        var: v̂, its variance.
        peer_mean: m_b of every client.
        peer_var: v_b of every client.
        peer_mask: which clients count as peers (not this one, not padding).

    Returns:
        the moment penalty (scalar).

    Examples:
        >>> import jax.numpy as jnp
        >>> moment_kl(jnp.zeros(2), jnp.ones(2), jnp.zeros((1, 2)), jnp.ones((1, 2)),
        ...           jnp.array([True]))
        Array(0., dtype=float32)
    """
    own = dist.Normal(mean[None, :], jnp.sqrt(var)[None, :])
    peers = dist.Normal(peer_mean, jnp.sqrt(peer_var))
    kl = jnp.sum(dist.kl_divergence(own, peers), axis=-1)
    w = _weights(peer_mask, mean.dtype)
    return w @ kl


def kl_weight(epoch: Array, schedule: str, warmup: int, cycle: int) -> Array:
    """β for a (global) epoch: 0 during warm-up, then 1 (constant) or min(1, 2 (e mod T)/T).

    Args:
        epoch: the global epoch index e.
        schedule: ``"cyclic"`` or ``"constant"``.
        warmup: warm-up epochs (β = 0).
        cycle: T, the cycle length in epochs.

    Returns:
        β (float32 scalar).

    Examples:
        >>> import jax.numpy as jnp
        >>> [float(kl_weight(jnp.int32(e), "cyclic", 2, 4)) for e in range(7)]
        [0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 0.0]
    """
    after = epoch - warmup
    if schedule == "constant":
        beta = jnp.ones((), jnp.float32)
    else:
        beta = jnp.minimum(1.0, 2.0 * jnp.mod(after, cycle).astype(jnp.float32) / cycle)
    return jnp.where(after >= 0, beta, 0.0)


def vae_loss(
    model,
    key: jax.Array,
    x: Float[Array, "b c"],
    cov: Float[Array, "b q"],
    mask: Bool[Array, " b"],
    beta: Float[Array, ""],
    *,
    lam_mi: float,
    recon_weight: float,
    gamma: float = 0.0,
    peers: tuple[Array, Array, Array] | None = None,
) -> tuple[Float[Array, ""], LossTerms]:
    """The SAILER loss of one masked mini-batch (module docstring), and its terms.

    Args:
        model: an :class:`InvariantVAE` (``encode``/``decode``).
        key: draws the reparameterised z = μ + σ ε.
        x: binary peaks of the batch (float).
        cov: decoder covariates.
        mask: True for real rows.
        beta: the KL weight β_t.
        lam_mi: λ_MI.
        recon_weight: w_rec (SAILER's code: 30).
        gamma: γ of the moment term (needs ``peers``).
        peers: (m_b, v_b, include_b) of the other clients for the moment term.

    Returns:
        the loss and its :class:`LossTerms`.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from flax import nnx
        >>> from jaxpapers.fl_sailer import InvariantVAE
        >>> model = InvariantVAE(6, 2, latent_dim=2, hidden=(4,), rngs=nnx.Rngs(0))
        >>> x, cov, mask = jnp.ones((3, 6)), jnp.zeros((3, 2)), jnp.ones(3, bool)
        >>> loss, terms = vae_loss(model, jax.random.key(0), x, cov, mask, jnp.float32(1.0),
        ...                        lam_mi=1.0, recon_weight=1.0)
        >>> bool(jnp.isfinite(loss))
        True
    """
    mu, logvar = model.encode(x)
    z = mu + jnp.exp(0.5 * logvar) * jax.random.normal(key, mu.shape, mu.dtype)
    logits = model.decode(z, cov)
    w = _weights(mask, mu.dtype)
    with jax.numpy_dtype_promotion("standard"):  # numpyro's Bernoulli mixes bool and float
        log_lik = dist.Bernoulli(logits=logits).log_prob(x)
    recon = w @ -jnp.sum(log_lik, axis=-1)
    prior = dist.Normal(jnp.zeros_like(mu), jnp.ones_like(mu))
    kl = w @ jnp.sum(dist.kl_divergence(_normal(mu, logvar), prior), axis=-1)
    mi = pairwise_gaussian_kl_mean(mu, logvar, mask)
    moment = jnp.zeros((), mu.dtype)
    if peers is not None and gamma > 0:
        moment = moment_kl(*posterior_moments(mu, logvar, mask), *peers)
    loss = beta * kl + (1.0 + lam_mi) * recon_weight * recon + lam_mi * beta * mi + gamma * moment
    return loss, LossTerms(recon, kl, mi, moment)
