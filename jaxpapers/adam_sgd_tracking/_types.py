"""The method's settings (``Config``), optimiser hyperparameters, and what the simulator carries,
reports and returns (``TrackState``, ``TrackInfo``, ``SimulationResult``)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, NamedTuple

import numpy as np

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers import _validate

__all__ = [
    "BurnIn",
    "Config",
    "Hyperparams",
    "OptimalStep",
    "SimulationResult",
    "TrackInfo",
    "TrackState",
    "TunedFloor",
    "hyperparameter_grid",
]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of a tracking simulation (validated on construction; hashable, so static).

    Examples:
        >>> Config(num_steps=100, record_every=10, discard=50).num_blocks
        10
        >>> Config(num_steps=100, record_every=3)
        Traceback (most recent call last):
        ...
        ValueError: num_steps must be a positive multiple of record_every (3), got 100
    """

    num_steps: int
    """Steps per run (a positive multiple of ``record_every``)."""
    num_seeds: int = 1
    """Independent runs per hyperparameter setting (the same seeds for every setting)."""
    record_every: int = 1
    """Length of the blocks over which the squared error is averaged when recorded."""
    discard: int = 0
    """Burn-in steps excluded from the floor; a multiple of ``record_every`` below
    ``num_steps``."""

    def __post_init__(self):
        for name in ("num_steps", "num_seeds", "record_every", "discard"):
            minimum = 0 if name == "discard" else 1
            _validate.check_integer(name, getattr(self, name), minimum=minimum)
        if self.num_steps % self.record_every:
            raise ValueError(
                f"num_steps must be a positive multiple of record_every ({self.record_every}), "
                f"got {self.num_steps}"
            )
        if self.discard >= self.num_steps or self.discard % self.record_every:
            raise ValueError(
                f"discard must be a multiple of record_every ({self.record_every}) in "
                f"[0, num_steps={self.num_steps}), got {self.discard}"
            )

    @property
    def num_blocks(self) -> int:
        """Number of recorded blocks, ``num_steps // record_every``."""
        return self.num_steps // self.record_every


class Hyperparams(NamedTuple):
    """Optimiser hyperparameters; leaves are scalars, or vectors over a grid of settings.

    The leaves are traced inputs of the simulation, so a grid of settings is one compiled
    program (``vmap`` over the leaves).

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

    def check(self) -> None:
        """Raise ``ValueError`` for a negative or non-finite step or eps, betas outside [0, 1)."""
        _validate.check_range("learning_rate (the step size alpha)", self.learning_rate, low=0.0)
        _validate.check_range("beta1", self.beta1, low=0.0, high=1.0, high_open=True)
        _validate.check_range("beta2", self.beta2, low=0.0, high=1.0, high_open=True)
        _validate.check_range("eps", self.eps, low=0.0)


def hyperparameter_grid(
    learning_rate, beta1=(0.9,), beta2=(0.999,), eps=(1e-8,), dtype=None
) -> tuple[Hyperparams, tuple[int, int, int, int]]:
    """The Cartesian product of the given values, flattened to one leading axis.

    Returns the flat :class:`Hyperparams` (each leaf of length ``prod(shape)``, the step size
    varying fastest) and ``shape = (len(beta1), len(beta2), len(eps), len(learning_rate))``:
    reshape a result with ``result.reshape(*shape, ...)``.

    Examples:
        >>> grid, shape = hyperparameter_grid([0.01, 0.1], beta1=(0.0, 0.5))
        >>> shape, grid.beta1.tolist()
        ((2, 1, 1, 2), [0.0, 0.0, 0.5, 0.5])
    """
    axes = [np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (beta1, beta2, eps)]
    lrs = np.atleast_1d(np.asarray(learning_rate, dtype=np.float64))
    rows = list(itertools.product(*[a.tolist() for a in axes], lrs.tolist()))
    b1, b2, ep, lr = (jnp.asarray(np.array(col), dtype=dtype) for col in zip(*rows, strict=True))
    shape = (len(axes[0]), len(axes[1]), len(axes[2]), len(lrs))
    return Hyperparams(lr, b1, b2, ep), shape


class TrackState(NamedTuple):
    """What one tracking run carries from step to step.

    Attributes:
        params: the iterate theta_t, shape (d,).
        opt_state: the optax optimiser's state.
        problem_state: the problem's state (the drifting target).
    """

    params: Float[Array, " d"]
    opt_state: Any
    problem_state: Any


class TrackInfo(NamedTuple):
    """What one step reports.

    Attributes:
        error: ``||theta_{t+1} - theta*_{t+1}||^2``, after the update and after the target moved
            (spec §2.3, pitfall 2).
    """

    error: Float[Array, ""]


class SimulationResult(NamedTuple):
    """What :func:`~jaxpapers.adam_sgd_tracking.simulate` returns.

    The leading axes are ``(configs, seeds)``: one per hyperparameter setting, one per seed.

    Attributes:
        errors: squared tracking error ``||theta_t - theta*_t||^2`` averaged over consecutive
            blocks of ``record_every`` steps, shape ``(configs, seeds, num_steps //
            record_every)``; block ``k`` covers steps ``k * record_every + 1 ...``. The error at
            step ``t`` is measured after the update and after the target moved (spec §2.3).
        floor: mean squared error over the steps after ``discard``, shape ``(configs, seeds)``;
            NaN where the run diverged.
        params: the final iterate, shape ``(configs, seeds, d)``.
        diverged: True where the run's error overflowed to NaN or inf (a step size too large
            for the problem), shape ``(configs, seeds)``; such a run's ``floor`` is NaN.
    """

    errors: Float[Array, "configs seeds blocks"]
    floor: Float[Array, "configs seeds"]
    params: Float[Array, "configs seeds d"]
    diverged: Bool[Array, "configs seeds"]


class OptimalStep(NamedTuple):
    """What :func:`~jaxpapers.adam_sgd_tracking.sgd_optimal_step` returns.

    Attributes:
        step_size: the minimiser alpha* of the SGD floor.
        floor: the floor at alpha*.
        converged: True when the search bracket shrank below the tolerance.
        num_steps: golden-section iterations used.
    """

    step_size: Float[Array, ""]
    floor: Float[Array, ""]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


class TunedFloor(NamedTuple):
    """Floors over a step-size grid and the tuned (smallest) one.

    Attributes:
        floors: mean floor over seeds per step size (``inf`` where a run diverged).
        stderr: standard error over seeds per step size (``stats.mean_se``).
        best: the floor of the tuned step size; best_stderr: its standard error; best_step:
            the tuned step size. With ``eval_seeds`` these come from fresh seeds.
        per_seed: the floors of every seed behind ``best``.
    """

    floors: np.ndarray
    stderr: np.ndarray
    best: float
    best_stderr: float
    best_step: float
    per_seed: np.ndarray


class BurnIn(NamedTuple):
    """Mean error curve of a burn-in run and the first block end below the level."""

    steps: np.ndarray
    errors: np.ndarray
    burn_in: int
