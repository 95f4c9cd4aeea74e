"""Gaussian mixtures with full covariances fitted by EM, restarts vmapped over keys.

E-step: responsibilities r_ik ∝ π_k N(x_i; μ_k, Σ_k); M-step:

    N_k = Σ_i r_ik,   π_k = N_k / n,   μ_k = Σ_i r_ik x_i / N_k,
    Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k + λ I        (λ = ``reg``, as scikit-learn)

until the mean log-likelihood per point changes by less than ``tol`` (converged) or
``max_steps`` iterations. Each restart starts from the responsibilities of one K-means run
(scikit-learn's ``init_params="kmeans"``); the restart with the highest log-likelihood wins.

The Gaussian log-density is numpyro's: the log-density of ``numpyro.distributions.Normal(0, 1)``
summed over the whitened residual z = L⁻¹(x − μ), minus log |det L| (Σ = L Lᵀ), which is how
``MultivariateNormal.log_prob`` evaluates it. L and z come from :mod:`jaxpapers.linalg`
because ``MultivariateNormal`` would call LAPACK's triangular solve, and batched LAPACK calls
can deadlock XLA:CPU on two cores (a test checks that the compiled programs hold none).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from jax import lax
from jax.scipy.special import logsumexp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import linalg
from jaxpapers._typing import PRNGKey
from jaxpapers.stats import kmeans

__all__ = ["Mixture", "GMMFit", "gaussian_log_density", "gmm", "mixture_log_prob", "sample_mixture"]


class Mixture(NamedTuple):
    """Parameters of a Gaussian mixture: weights π (K,), means μ (K, d), Cholesky factors L."""

    weights: Float[Array, " K"]
    means: Float[Array, "K d"]
    factors: Float[Array, "K d d"]


class GMMFit(NamedTuple):
    """One EM fit: the mixture, hard labels, mean log-likelihood, convergence, iterations."""

    mixture: Mixture
    labels: Int[Array, " n"]
    log_likelihood: Float[Array, ""]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


def gaussian_log_density(
    X: Float[Array, "n d"], mean: Float[Array, " d"], factor: Float[Array, "d d"]
) -> Float[Array, " n"]:
    """log N(x_i; μ, L Lᵀ) for every row, through numpyro's standard normal (module docstring)."""
    z = linalg.solve_lower(factor, (X - mean[None, :]).T)  # (d, n)
    standard = dist.Normal(jnp.zeros((), X.dtype), jnp.ones((), X.dtype))
    return jnp.sum(standard.log_prob(z), axis=0) - jnp.sum(jnp.log(jnp.diag(factor)))


def mixture_log_prob(X: Float[Array, "n d"], mixture: Mixture) -> Float[Array, "n K"]:
    """log π_k + log N(x_i; μ_k, Σ_k) for every point and component."""
    densities = jax.vmap(gaussian_log_density, in_axes=(None, 0, 0))(
        X, mixture.means, mixture.factors
    )
    return jnp.log(mixture.weights)[None, :] + densities.T


def _m_step(X, resp, reg):
    counts = jnp.sum(resp, axis=0) + 10 * jnp.finfo(X.dtype).eps
    means = (resp.T @ X) / counts[:, None]
    centred = X[None, :, :] - means[:, None, :]  # (K, n, d)
    weighted = centred * resp.T[:, :, None]
    covariances = jnp.einsum("kni,knj->kij", weighted, centred) / counts[:, None, None]
    covariances = covariances + reg * jnp.eye(X.shape[1], dtype=X.dtype)[None, :, :]
    factors = jax.vmap(linalg.cholesky)(covariances)
    return Mixture(counts / X.shape[0], means, factors)


def _em(X, resp, max_steps: int, tol: float, reg: float) -> GMMFit:
    """EM from initial responsibilities until the mean log-likelihood settles."""

    def keep_going(state):
        _, _, step, change = state
        return (change >= tol) & (step < max_steps)  # a NaN change stops (not converged)

    def step(state):
        mixture, log_lik, count, _ = state
        log_prob = mixture_log_prob(X, mixture)
        norm = logsumexp(log_prob, axis=1, keepdims=True)
        new_lik = jnp.mean(norm)
        mixture = _m_step(X, jnp.exp(log_prob - norm), reg)
        return mixture, new_lik, count + 1, jnp.abs(new_lik - log_lik)

    inf = jnp.asarray(jnp.inf, X.dtype)
    start = (_m_step(X, resp, reg), -inf, jnp.zeros((), jnp.int32), inf)
    mixture, _, count, change = lax.while_loop(keep_going, step, start)
    log_prob = mixture_log_prob(X, mixture)
    log_lik = jnp.mean(logsumexp(log_prob, axis=1))
    labels = jnp.argmax(log_prob, axis=1).astype(jnp.int32)
    return GMMFit(mixture, labels, log_lik, change < tol, count)


def gmm(
    key: PRNGKey,
    X: Float[Array, "n d"],
    K: int,
    *,
    restarts: int,
    max_steps: int,
    tol: float,
    reg: float,
    kmeans_steps: int,
) -> GMMFit:
    """Best of ``restarts`` EM runs (highest log-likelihood; NaN fits lose), vmapped over keys."""

    def one(k):
        start = kmeans(k, X, K, 1, kmeans_steps).labels
        resp = (start[:, None] == jnp.arange(K, dtype=start.dtype)[None, :]).astype(X.dtype)
        return _em(X, resp, max_steps, tol, reg)

    fits = jax.vmap(one)(jax.random.split(key, restarts))
    score = jnp.where(jnp.isnan(fits.log_likelihood), -jnp.inf, fits.log_likelihood)
    return jax.tree.map(lambda leaf: leaf[jnp.argmax(score)], fits)


def sample_mixture(key: PRNGKey, mixture: Mixture, n: int) -> Float[Array, "n d"]:
    """n draws x = μ_c + L_c z from the mixture (c ~ π, z ~ N(0, I))."""
    key_c, key_z = jax.random.split(key)
    component = jax.random.categorical(key_c, jnp.log(mixture.weights), shape=(n,))
    z = jax.random.normal(key_z, (n, mixture.means.shape[1]), mixture.means.dtype)
    return mixture.means[component] + jnp.einsum("nij,nj->ni", mixture.factors[component], z)
