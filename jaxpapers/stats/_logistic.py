"""L2-penalised logistic regression (binary and multinomial), for batched fits under ``vmap``.

The objective, with sample weights w_i ≥ 0, classes k = 1..K and the intercept b unpenalised:

    min_{B, b}  Σ_i w_i · (−log softmax(xᵢᵀB + b)_{y_i})  +  (λ/2) ‖B‖²_F .

With ``num_classes=2`` the model is the usual binary one, logit = xᵀβ + b (one column), and
λ = 1/C gives scikit-learn's ``LogisticRegression(C=C)`` (``class_weight`` enters through w).

Two solvers, both built on :mod:`jaxpapers.linalg` (no LAPACK calls, so many fits can run
batched on CPU without deadlock):

* ``"newton"`` (binary only): full Newton steps, quadratic convergence;
* ``"mm"``: minorise–maximise with Böhning's fixed curvature bound, Hessian ⪯ ½ XᵀWX ⊗ I_K
  (¼ for one binary column): one Cholesky factor serves every step, each step decreases the
  objective; linear convergence.

Iteration stops when the largest change of a coefficient falls below ``tol`` (relative to
1 + its size) or after ``max_steps``; ``converged`` and ``num_steps`` are returned as data.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers import _validate, linalg

__all__ = ["LogisticFit", "logistic_predict", "logistic_regression"]


class LogisticFit(NamedTuple):
    """A fitted logistic regression.

    Attributes:
        coef: (f,) for a binary fit, (f, K) for a multinomial one.
        intercept: () or (K,).
        converged: the step-size criterion was met within ``max_steps``.
        num_steps: iterations taken.
    """

    coef: Float[Array, "f ..."]
    intercept: Float[Array, " ..."]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


def _design(features: Array) -> Array:
    ones = jnp.ones((features.shape[0], 1), features.dtype)
    return jnp.concatenate([features, ones], axis=1)


def _gradient(design, theta, onehot, weight, penalty):
    """Gradient of the objective for (f+1, C) coefficients (C = 1 binary column, or K)."""
    logits = design @ theta
    if theta.shape[1] == 1:
        residual = jax.nn.sigmoid(logits) - onehot
    else:
        residual = jax.nn.softmax(logits, axis=1) - onehot
    return design.T @ (residual * weight[:, None]) + penalty[:, None] * theta, logits


def _step_newton(design, onehot, weight, penalty):
    def step(theta):
        gradient, logits = _gradient(design, theta, onehot, weight, penalty)
        p = jax.nn.sigmoid(logits[:, 0])
        curvature = weight * p * (1.0 - p)
        hessian = (design * curvature[:, None]).T @ design + jnp.diag(penalty + 1e-12)
        return theta - linalg.spd_solve(hessian, gradient)

    return step


def _step_mm(design, onehot, weight, penalty, bound):
    gram = bound * (design * weight[:, None]).T @ design + jnp.diag(penalty + 1e-12)
    factor = linalg.cholesky(gram)

    def step(theta):
        gradient, _ = _gradient(design, theta, onehot, weight, penalty)
        return theta - linalg.cho_solve(factor, gradient)

    return step


def _default_tol(dtype) -> float:
    """The default stopping tolerance: 1e-8, or 8 eps of ``dtype`` where that is larger."""
    return max(1e-8, 8 * float(jnp.finfo(dtype).eps))


def logistic_regression(
    features: Float[ArrayLike, "n f"],
    labels: Int[ArrayLike, " n"] | Bool[ArrayLike, " n"],
    *,
    num_classes: int = 2,
    sample_weight: Float[ArrayLike, " n"] | None = None,
    l2: float | Float[ArrayLike, ""] = 1.0,
    solver: str = "newton",
    max_steps: int = 100,
    tol: float | None = None,
) -> LogisticFit:
    """Fit L2 logistic regression (module docstring) to integer class labels 0..K−1.

    Args:
        features: X, (n, f); standardise columns first where their scales differ.
        labels: class of each row (bool or int in [0, num_classes)).
        num_classes: K (static); 2 fits one binary logit column.
        sample_weight: w, (n,); zero weights drop rows (cross-fitting masks). Ones by default.
        l2: λ ≥ 0, the penalty on the coefficients (not the intercept).
        solver: ``"newton"`` (binary only) or ``"mm"``.
        max_steps: iteration cap (static).
        tol: stopping tolerance on the coefficient change, max |Δθ| / (1 + |θ|). None uses 1e-8,
            raised to 8 eps where the dtype cannot resolve it (about 1e-6 in float32, where
            Newton's fixed point jitters by a few ulp and 1e-8 is met only by luck of rounding).

    Returns:
        :class:`LogisticFit`.

    >>> import jax, jax.numpy as jnp
    >>> x = jax.random.normal(jax.random.key(0), (200, 2))
    >>> y = (x[:, 0] - x[:, 1] > 0).astype(jnp.int32)
    >>> fit = logistic_regression(x, y, l2=1.0)
    >>> bool(fit.converged), bool(fit.coef[0] > 0), bool(fit.coef[1] < 0)
    (True, True, True)
    """
    x = jnp.asarray(features)
    _validate.check_ndim("features", x, 2)
    _validate.check_integer("num_classes", num_classes, minimum=2)
    _validate.check_choice("solver", solver, ("newton", "mm"))
    if solver == "newton" and num_classes != 2:
        raise ValueError(f"solver='newton' fits binary models only; use 'mm' for {num_classes}")
    labels = jnp.asarray(labels)
    if labels.shape != x.shape[:1]:
        raise ValueError(f"labels must have shape ({x.shape[0]},), got {labels.shape}")
    weight = jnp.ones(x.shape[0], x.dtype) if sample_weight is None else jnp.asarray(sample_weight)
    design = _design(x)
    columns = 1 if num_classes == 2 else num_classes
    if num_classes == 2:
        onehot = labels.astype(x.dtype)[:, None]
    else:
        onehot = jax.nn.one_hot(labels.astype(jnp.int32), num_classes, dtype=x.dtype)
    penalty = jnp.full(design.shape[1], l2, x.dtype).at[-1].set(0.0)
    if solver == "newton":
        step = _step_newton(design, onehot, weight, penalty)
    else:
        step = _step_mm(design, onehot, weight, penalty, 0.25 if columns == 1 else 0.5)

    def cond(carry):
        _, change, count = carry
        return (change > tol) & (count < max_steps)

    def body(carry):
        theta, _, count = carry
        new = step(theta)
        change = jnp.max(jnp.abs(new - theta) / (1.0 + jnp.abs(new)))
        return new, change, count + 1

    tol = _default_tol(x.dtype) if tol is None else tol
    theta0 = jnp.zeros((design.shape[1], columns), x.dtype)
    init = (theta0, jnp.asarray(jnp.inf, x.dtype), jnp.asarray(0, jnp.int32))
    theta, change, count = jax.lax.while_loop(cond, body, init)
    coef, intercept = theta[:-1], theta[-1]
    if columns == 1:
        coef, intercept = coef[:, 0], intercept[0]
    return LogisticFit(coef, intercept, change <= tol, count)


def logistic_predict(fit: LogisticFit, features: Float[ArrayLike, "n f"]) -> Float[Array, "n ..."]:
    """Logits: (n,) for a binary fit (log-odds of class 1), (n, K) for a multinomial one."""
    return jnp.asarray(features) @ fit.coef + jnp.expand_dims(fit.intercept, 0)
