"""Seed-level runs of the synthetic study: one SCM, its data, models trained at several rates.

Each function works on one seed; the reproduction ``jit(vmap(...))`` s them over seeds. The
models at different rates of one seed share the language, the data, the initial parameters and
the training key (common random numbers), so their differences are the perturbation's.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers._typing import PRNGKey
from jaxpapers.perturbation_lm._kernels import perturb_synonym
from jaxpapers.perturbation_lm._models import (
    context_llama_config,
    init_context_llama,
    init_context_mlp,
)
from jaxpapers.perturbation_lm._scm import make_scm
from jaxpapers.perturbation_lm._study import ScmData, evaluate, invariance_gap, scm_data
from jaxpapers.perturbation_lm._train import fit
from jaxpapers.perturbation_lm._types import Config

__all__ = [
    "Language",
    "SeedRun",
    "evaluate_pairs",
    "gap_pairs",
    "synonym_kernel",
    "train_at_rates",
]


@dataclasses.dataclass(frozen=True)
class Language:
    """The SCM and data sizes of one study (spec §2.1 defaults)."""

    num_classes: int = 6
    class_size: int = 4
    order: int = 3
    alpha: float = 0.3
    synonym_weight: float = 0.0
    n_train: int = 10_000
    n_test: int = 20_000
    model: str = "mlp"

    @property
    def n_valid(self) -> int:
        """Validation tokens: half the training tokens, at least 1000 (spec §2.1)."""
        return max(1000, self.n_train // 2)


class SeedRun(NamedTuple):
    """One seed: the data and the parameters of one model per training rate (leading axis)."""

    data: ScmData
    params: Any
    best_step: Array
    converged: Array


def synonym_kernel(class_size: int, rho: Float[Array, ""] | float) -> jax.tree_util.Partial:
    """The synonym kernel at rate ``rho`` with the rate a traced leaf (one program for all)."""
    return jax.tree_util.Partial(
        perturb_synonym, class_size=jnp.int32(class_size), rho=jnp.asarray(rho, jnp.float32)
    )


def _model(key: PRNGKey, language: Language):
    vocab = language.num_classes * language.class_size
    if language.model == "mlp":
        return init_context_mlp(key, vocab, language.order)
    return init_context_llama(key, context_llama_config(vocab, language.order))


def apply_fn_of(language: Language):
    """The (static) ``apply_fn`` of the study's model."""
    return _model(jax.random.key(0), language)[1]


def train_at_rates(
    key: PRNGKey,
    language: Language,
    rates: Float[Array, " r"],
    config: Config,
    synonym_weight: Float[Array, ""] | float | None = None,
) -> SeedRun:
    """Draw an SCM and its data, and train one model per perturbation rate (vmapped).

    Rate 0 is exact-prefix training (the baseline). ``synonym_weight`` (beta, may be traced)
    overrides the language's.
    """
    key_scm, key_data, key_init, key_fit = jax.random.split(key, 4)
    beta = language.synonym_weight if synonym_weight is None else synonym_weight
    scm = make_scm(
        key_scm,
        language.num_classes,
        language.class_size,
        language.order,
        language.alpha,
        synonym_weight=beta,
    )
    data = scm_data(key_data, scm, language.n_train, language.n_valid, language.n_test)
    params, apply_fn = _model(key_init, language)

    def one(rate):
        kernel = synonym_kernel(language.class_size, rate)
        return fit(key_fit, params, apply_fn, kernel, data.train, data.valid, config)

    result = jax.vmap(one)(jnp.asarray(rates, jnp.float32))
    return SeedRun(data, result.params, result.best_step, result.converged)


def evaluate_pairs(
    key: PRNGKey,
    language: Language,
    data: ScmData,
    params: Any,
    pairs: tuple[tuple[int, float], ...],
    num_samples: int,
) -> Float[Array, "pairs 4"]:
    """KL/NLL (in, OOS) of model ``i`` of ``params`` (stacked) with inference rate ``rho``,
    for every ``(i, rho)`` of ``pairs`` (one program, a ``lax.map``; rate 0 gives the exact
    predictor, whose M copies coincide). Columns: ``kl_in, kl_oos, nll_in, nll_oos``."""
    apply_fn = apply_fn_of(language)

    def one(index, rho):
        model = jax.tree.map(lambda leaf: leaf[index], params)
        kernel = synonym_kernel(language.class_size, rho)
        return jnp.stack(evaluate(model, apply_fn, key, data, kernel, num_samples))

    index, rho = (jnp.asarray(column) for column in zip(*pairs, strict=True))
    # one pair at a time: M_inf copies of every test context are large (memory, not speed)
    return jax.lax.map(lambda args: one(*args), (index, rho.astype(jnp.float32)))


def gap_pairs(
    key: PRNGKey,
    language: Language,
    data: ScmData,
    params: Any,
    pairs: tuple[tuple[int, float], ...],
    num_samples: int,
) -> Float[Array, " pairs"]:
    """The invariance gap of model ``i`` with inference rate ``rho`` for every ``(i, rho)``."""
    apply_fn = apply_fn_of(language)

    def one(index, rho):
        model = jax.tree.map(lambda leaf: leaf[index], params)
        kernel = synonym_kernel(language.class_size, rho)
        return invariance_gap(model, apply_fn, key, data, kernel, num_samples, language.class_size)

    index, rho = (jnp.asarray(column) for column in zip(*pairs, strict=True))
    # one pair at a time: M_inf copies of every test context are large (memory, not speed)
    return jax.lax.map(lambda args: one(*args), (index, rho.astype(jnp.float32)))
