"""Hyperparameters, simulation results and the reproduction's configuration."""

import dataclasses
import itertools
from typing import NamedTuple

import numpy as np

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = ["Config", "Hyperparams", "SimulationResult", "hyperparameter_grid"]


class Hyperparams(NamedTuple):
    """Optimiser hyperparameters; leaves are scalars, or vectors over a grid of settings.

    Attributes:
        learning_rate: the step size alpha (>= 0).
        beta1: first-moment decay (Adam), momentum (heavy ball); in [0, 1).
        beta2: second-moment decay (Adam), decay (RMSprop); in [0, 1).
        eps: the denominator constant epsilon (>= 0).
    """

    learning_rate: Float[ArrayLike, "*grid"]
    beta1: Float[ArrayLike, "*grid"] = 0.9
    beta2: Float[ArrayLike, "*grid"] = 0.999
    eps: Float[ArrayLike, "*grid"] = 1e-8


def hyperparameter_grid(
    learning_rate, beta1=(0.9,), beta2=(0.999,), eps=(1e-8,), dtype=None
) -> tuple[Hyperparams, tuple[int, int, int, int]]:
    """The Cartesian product of the given values, flattened to one leading axis.

    Returns the flat :class:`Hyperparams` (each leaf of length ``prod(shape)``, the step size
    varying fastest) and ``shape = (len(beta1), len(beta2), len(eps), len(learning_rate))``:
    reshape a result with ``result.reshape(*shape, ...)``.
    """
    axes = [np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (beta1, beta2, eps)]
    lrs = np.atleast_1d(np.asarray(learning_rate, dtype=np.float64))
    rows = list(itertools.product(*[a.tolist() for a in axes], lrs.tolist()))
    b1, b2, ep, lr = (jnp.asarray(np.array(col), dtype=dtype) for col in zip(*rows, strict=True))
    shape = (len(axes[0]), len(axes[1]), len(axes[2]), len(lrs))
    return Hyperparams(lr, b1, b2, ep), shape


class SimulationResult(NamedTuple):
    """What :func:`~jaxpapers.adam_sgd_tracking.simulate` returns.

    The leading axes are ``(configs, seeds)``: one per hyperparameter setting, one per seed.

    Attributes:
        errors: squared tracking error ``||theta_t - theta*_t||^2`` averaged over consecutive
            blocks of ``record_every`` steps, shape ``(configs, seeds, num_steps //
            record_every)``; block ``k`` covers steps ``k * record_every + 1 ...``. The error at
            step ``t`` is measured after the update and after the target moved (spec §2.3).
        floor: mean squared error over the steps after ``discard``, shape ``(configs, seeds)``.
        params: the final iterate, shape ``(configs, seeds, d)``.
    """

    errors: Float[Array, "configs seeds blocks"]
    floor: Float[Array, "configs seeds"]
    params: Float[Array, "configs seeds d"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of the reproduction (``quick`` for CPU minutes, ``full`` for the spec's scale).

    Attributes:
        dim: problem dimension d of the quadratic benchmarks.
        deltas: total drift per step Delta of the hetero-RW crossover grid (spec §2.4).
        num_step_sizes: points of the log step-size grid in [1e-4, 10] used to tune each method.
        num_seeds: seeds per setting in the crossover grid.
        num_steps: steps per run in the crossover grid.
        discard: steps discarded before averaging the floor.
        pure_drift_steps: steps of the pure-drift (sigma = 0) runs.
        burn_in_distances: initial distances R for the Adam burn-in curves (scalar problem).
        burn_in_seeds: seeds per distance.
        bound_seeds: seeds of the bound-validity simulations.
        bound_steps: steps of the bound-validity simulations.
        sgd_floor_seeds: seeds of the SGD closed-form check (spec §4 check 2).
        sgd_floor_steps: steps of that check.
    """

    dim: int = 10
    deltas: tuple[float, ...] = (0.01, 0.1, 0.3, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
    num_step_sizes: int = 26
    num_seeds: int = 8
    num_steps: int = 8000
    discard: int = 3000
    pure_drift_steps: int = 4000
    burn_in_distances: tuple[float, ...] = (3.0, 10.0, 30.0, 100.0)
    burn_in_seeds: int = 32
    bound_seeds: int = 64
    bound_steps: int = 4000
    sgd_floor_seeds: int = 200
    sgd_floor_steps: int = 20000

    @classmethod
    def quick(cls) -> "Config":
        """CPU minutes: fewer Delta values and step sizes, shorter runs."""
        return cls(
            deltas=(0.1, 0.3, 1.0, 3.0, 5.0),
            num_step_sizes=14,
            num_seeds=4,
            num_steps=6000,
            discard=2000,
            pure_drift_steps=6000,
            burn_in_distances=(10.0, 100.0),
            burn_in_seeds=8,
            bound_seeds=32,
            bound_steps=2000,
            sgd_floor_seeds=64,
            sgd_floor_steps=8000,
        )

    @classmethod
    def full(cls) -> "Config":
        """The spec's sizes (§2.4, §4)."""
        return cls()
