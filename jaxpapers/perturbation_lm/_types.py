"""The method's settings (``Config``), the synthetic language (``SCM``), the EDA rates, and what
training carries, reports and returns (``TrainState``, ``TrainInfo``, ``FitResult``)."""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers import _validate

__all__ = ["OBJECTIVES", "SCM", "Config", "EDARates", "FitResult", "TrainInfo", "TrainState"]

OBJECTIVES = ("aug", "marginal")
"""Training objectives: ``"aug"`` (O1, expected log-likelihood over perturbed prefixes) and
``"marginal"`` (O2, Monte Carlo marginal likelihood of the hierarchical model)."""


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of perturbation training and inference (validated; hashable, so static).

    The perturbation itself (its kind and rate rho) is the *kernel* passed next to the config, a
    function ``kernel(key, tokens) -> tokens``; the config says how it is used.

    Examples:
        >>> Config(objective="marginal", num_samples=4).num_evals
        60
        >>> Config(num_samples=0)
        Traceback (most recent call last):
        ...
        ValueError: num_samples must be an integer >= 1, got 0
    """

    objective: str = "aug"
    """``"aug"`` (O1: mean of -log p(y | x~) over the M draws) or ``"marginal"`` (O2:
    -log of the mean of p(y | x~) over the M draws)."""
    num_samples: int = 1
    """M, perturbed copies of each training example per step (folded into the batch)."""
    num_samples_inference: int = 16
    """M_inf, perturbed copies averaged by the marginal predictor at inference."""
    batch_size: int = 256
    """Training examples per step (before the M copies)."""
    num_steps: int = 3000
    """AdamW steps (the budget; the best step by validation NLL is kept)."""
    eval_every: int = 50
    """Steps between evaluations of the validation NLL (exact-prefix predictor)."""
    patience: int = 10
    """Evaluations without improvement after which a run counts as converged: the best step
    lies at least ``patience * eval_every`` steps before the end of the budget."""
    learning_rate: float = 3e-3
    """AdamW step size."""
    weight_decay: float = 1e-4
    """AdamW decoupled weight decay."""

    def __post_init__(self):
        _validate.check_choice("objective", self.objective, OBJECTIVES)
        for name in ("num_samples", "num_samples_inference", "batch_size", "num_steps"):
            _validate.check_integer(name, getattr(self, name), minimum=1)
        _validate.check_integer("eval_every", self.eval_every, minimum=1)
        _validate.check_integer("patience", self.patience, minimum=0)
        if self.num_steps % self.eval_every:
            raise ValueError(
                f"num_steps must be a multiple of eval_every ({self.eval_every}), "
                f"got {self.num_steps}"
            )
        _validate.check_positive("learning_rate", self.learning_rate)
        _validate.check_range("weight_decay", self.weight_decay, low=0.0)

    @property
    def num_evals(self) -> int:
        """Validation evaluations in a run, ``num_steps // eval_every``."""
        return self.num_steps // self.eval_every


class SCM(NamedTuple):
    """A synonym-class Markov language: K classes of m synonyms, order-k class dynamics.

    Token ``v`` has class ``v // m`` and synonym index ``v % m`` (so ``V = K m``). The next class
    follows ``(1 - beta) T[c_{t-k}, ..., c_{t-1}] + beta U[s_{t-1}]`` and its synonym follows the
    fixed emission ``pi_c``. With ``beta = 0`` (the default) the next token depends on the prefix
    only through its class sequence: the language is exactly invariant to synonym swaps.

    Attributes:
        transition: T, shape ``(K,) * k + (K,)``, rows on the simplex.
        emission: pi, shape ``(K, m)``, rows on the simplex.
        synonym_transition: U, shape ``(m, K)``: the class law when the last token's synonym
            index decides (the stress test of spec check 11).
        synonym_weight: beta in [0, 1], a scalar.
    """

    transition: Float[Array, " ..."]
    emission: Float[Array, "K m"]
    synonym_transition: Float[Array, "m K"]
    synonym_weight: Float[Array, ""]

    @property
    def num_classes(self) -> int:
        """K."""
        return self.emission.shape[-2]

    @property
    def class_size(self) -> int:
        """m, the synonyms per class."""
        return self.emission.shape[-1]

    @property
    def order(self) -> int:
        """k, the context length of the class dynamics."""
        return self.transition.ndim - 1 - (self.emission.ndim - 2)

    @property
    def vocab_size(self) -> int:
        """V = K m."""
        return self.num_classes * self.class_size


class EDARates(NamedTuple):
    """Per-token rates of the four EDA operations (Wei & Zou, 2019), each in [0, 1].

    Attributes:
        replace: SR, probability that a token is replaced by a random synonym.
        insert: RI, probability that a synonym of a random token is inserted after a token.
        swap: RS, probability that a token is swapped with another random token.
        delete: RD, probability that a token is deleted.
    """

    replace: Float[ArrayLike, ""] = 0.0
    insert: Float[ArrayLike, ""] = 0.0
    swap: Float[ArrayLike, ""] = 0.0
    delete: Float[ArrayLike, ""] = 0.0

    def check(self) -> None:
        """``ValueError`` naming the rate when one lies outside [0, 1] (concrete values)."""
        for name, value in self._asdict().items():
            _validate.check_range(f"rates.{name}", value, low=0.0, high=1.0)

    def as_array(self) -> Float[Array, " 4"]:
        """The four rates as one float32 vector ``[replace, insert, swap, delete]``."""
        return jnp.stack([jnp.asarray(r, jnp.float32) for r in self])


class TrainState(NamedTuple):
    """What one training run carries from step to step.

    Attributes:
        params: the model's parameters now.
        opt_state: the AdamW state.
        best_params: the parameters at the best validation NLL so far.
        best_val_nll: that NLL (``inf`` before the first evaluation).
        best_step: the step count at which it was reached (0 before the first evaluation).
        last_val_nll: the most recent validation NLL (``best_val_nll`` before any).
    """

    params: Any
    opt_state: Any
    best_params: Any
    best_val_nll: Float[Array, ""]
    best_step: Int[Array, ""]
    last_val_nll: Float[Array, ""]


class TrainInfo(NamedTuple):
    """What one training step reports.

    Attributes:
        loss: the training objective on this step's batch (before the update).
        val_nll: the most recent validation NLL of the exact-prefix predictor.
    """

    loss: Float[Array, ""]
    val_nll: Float[Array, ""]


class FitResult(NamedTuple):
    """What :func:`~jaxpapers.perturbation_lm.fit` returns (one run; vmap adds leading axes).

    Attributes:
        params: the parameters at the best validation NLL (model selection by early stopping:
            without it the exact-prefix baseline overfits, spec pitfall 5).
        best_step: the step count of those parameters.
        best_val_nll: their validation NLL (exact-prefix predictor).
        converged: True when the validation NLL stopped improving at least ``patience``
            evaluations before the end of the budget.
        num_steps: steps run.
        losses: the training objective at every step, shape ``(num_steps,)``.
        val_nll: the validation NLL at every evaluation, shape ``(num_steps // eval_every,)``.
    """

    params: Any
    best_step: Int[Array, ""]
    best_val_nll: Float[Array, ""]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]
    losses: Float[Array, " steps"]
    val_nll: Float[Array, " evals"]
