"""Reproduction stages on burn-in, the bound functions, Adam's step bound and ASM (spec §2.3-5,
§4 checks 3 and 8-10). Each is ``stage(key, scale, done) -> StageResult``.

The burn-in runs are the longest loops of the reproduction (about 1.2 R / alpha steps); they run
as one compiled ``simulate`` each, not through ``jaxpapers._loop.run_chunked``, for the reasons
given in :mod:`._tracking_stages` (seconds per call; divergence is data).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import jax
import jax.numpy as jnp

from jaxpapers._stages import StageResult
from jaxpapers._typing import PRNGKey
from jaxpapers.adam_sgd_tracking import _figures
from jaxpapers.adam_sgd_tracking._bounds import (
    adam_burn_in_lower_bound,
    adam_step_bound,
    adam_tracking_bound,
    asm_modulus,
    sgd_optimal_step,
    sgd_tracking_bound,
)
from jaxpapers.adam_sgd_tracking._floors import (
    burn_in_time,
    sgd_error_recursion,
    sgd_floor,
    step_decay_schedule,
)
from jaxpapers.adam_sgd_tracking._problems import quadratic_tracking
from jaxpapers.adam_sgd_tracking._simulate import simulate
from jaxpapers.adam_sgd_tracking._study import (
    HETERO_NOISE,
    adam_step_ratios,
    adversarial_stream,
    measure_burn_in,
)
from jaxpapers.adam_sgd_tracking._tracking_stages import run_mesh
from jaxpapers.adam_sgd_tracking._types import Hyperparams
from jaxpapers.report import Claim

__all__ = ["bound_stage", "burn_in_stage", "step_bound_stage"]


def _adam_burn_in(key: PRNGKey, scale: Any, alpha: float):
    """Adam's floor on the scalar problem and its burn-in times from each distance R.

    Every distance runs through one compiled program; the floor is the mean error over the
    last 40 % of the run from R = 10 (its burn-in ends near 15 % of the run).
    """
    problem = quadratic_tracking(jnp.ones(1), 1.0, 1e-3)
    num_steps = int(np.ceil((max(scale.burn_in_distances) / alpha * 1.2 + 10_000) / 1000) * 1000)
    runs = {
        distance: measure_burn_in(
            key,
            problem,
            "adam",
            Hyperparams(alpha),
            distance=distance,
            level=0.0,
            num_steps=num_steps,
            num_seeds=scale.burn_in_seeds,
            mesh=run_mesh(),
        )
        for distance in scale.burn_in_distances
    }
    tail = runs[10.0].errors
    floor = float(tail[int(0.6 * tail.size) :].mean())
    curves = {f"R = {r:g}": (run.steps, run.errors) for r, run in runs.items()}
    times = {}
    for distance, run in runs.items():
        index = int(burn_in_time(run.errors, 2 * floor))
        times[distance] = int(run.steps[index]) if index < run.steps.size else num_steps
    return floor, curves, times


def _sgd_burn_in():
    """SGD at alpha* from e0^2 in 1e2 ... 1e8: exact recursions, constant step and step decay."""
    alpha_star = float(sgd_optimal_step(1.0, 1.0, 1e-3).step_size)
    level = 2 * float(sgd_floor(alpha_star, 1.0, 1.0, 1e-3))
    schedule = jnp.asarray(step_decay_schedule(0.5, alpha_star, 20_000))
    constant, decay, t_const, t_decay = {}, {}, {}, {}
    for e0_sq in (1e2, 1e4, 1e6, 1e8):
        label = f"e0^2 = {e0_sq:.0e}"
        constant[label] = np.asarray(
            sgd_error_recursion(jnp.full(20_000, alpha_star), 1.0, 1.0, 1e-3, e0_sq)
        )
        decay[label] = np.asarray(sgd_error_recursion(schedule, 1.0, 1.0, 1e-3, e0_sq))
        t_const[e0_sq] = int(burn_in_time(constant[label], level))
        t_decay[e0_sq] = int(burn_in_time(decay[label], level))
    return level, constant, decay, t_const, t_decay


def burn_in_stage(key: PRNGKey, scale: Any, done: dict) -> StageResult:
    """Spec §2.3-5 / §4 check 8: Adam's burn-in is linear in R, SGD's logarithmic in e0^2."""
    if not {10.0, 100.0} <= set(scale.burn_in_distances):
        raise ValueError(
            f"burn_in_distances must include 10 and 100 (spec §4 check 8), "
            f"got {scale.burn_in_distances}"
        )
    alpha = 1e-3
    floor, curves, times = _adam_burn_in(key, scale, alpha)
    level, constant, decay, t_const, t_decay = _sgd_burn_in()
    lower = float(adam_burn_in_lower_bound(100.0, floor, alpha, 0.9, 0.999))
    claims = [
        Claim.at_least(
            "adam_burn_in_linear",
            "Adam (alpha = 1e-3) burn-in to 2x floor from R = 100 / from R = 10 (linear in R)",
            expected=">= 5 (spec's run: 7.0)",
            provenance="derived",
            measured=times[100.0] / times[10.0],
            bound=5.0,
            note=f"burn-ins {times}; Adam floor {floor:.3g} (spec: 1.02e-3)",
        ),
        Claim.at_least(
            "adam_burn_in_vs_step_bound",
            "Adam burn-in(R = 100) / its lower bound (R - sqrt(floor))/(C alpha), C = 7.27",
            expected=">= 1 (bounded step)",
            provenance="derived",
            measured=times[100.0] / lower,
            bound=1.0,
        ),
        Claim.at_most(
            "sgd_burn_in_log",
            "SGD at alpha*: burn-in(e0^2 = 1e4) / burn-in(e0^2 = 1e2) (logarithmic in e0, CDH21)",
            expected="<= 1.6 (exact: 8062/5758 = 1.40)",
            provenance="derived",
            measured=t_const[1e4] / t_const[1e2],
            bound=1.6,
            note=f"burn-ins {t_const}",
        ),
        Claim.at_most(
            "sgd_step_decay_burn_in",
            "SGD with step decay: spread of the burn-in over e0^2 in [1e2, 1e8] (in steps)",
            expected="0-2 steps (spec: 2044 for every e0^2)",
            provenance="derived",
            measured=max(t_decay.values()) - min(t_decay.values()),
            bound=2,
            note=f"first passage below 2x floor at {sorted(set(t_decay.values()))}; the spec's "
            "2044 is the length of the decay phase (4+8+...+1024), which we do not count",
        ),
    ]
    arrays = {
        "burn_in_distances": np.asarray(list(times)),
        "adam_burn_in_steps": np.asarray(list(times.values())),
        "sgd_burn_in_constant": np.asarray(list(t_const.values())),
        "sgd_burn_in_decay": np.asarray(list(t_decay.values())),
    }
    figure = _figures.burn_in_figure(curves, constant, decay, level)
    return StageResult(claims=claims, arrays=arrays, figures={"burn_in": figure})


def _error_band(key: PRNGKey, scale: Any, problem, optimizer: str, hyper: Hyperparams):
    """Simulated E||e_t||^2 + 3 standard errors at every t, from the offset 3 per coordinate."""
    result = simulate(
        key,
        problem,
        optimizer,
        hyper,
        num_steps=scale.bound_steps,
        num_seeds=scale.bound_seeds,
        initial_offset=jnp.full(scale.dim, 3.0),
        mesh=run_mesh(),
    )
    errors = np.asarray(result.errors[0], np.float64)
    return errors.mean(0) + 3 * errors.std(0, ddof=1) / np.sqrt(errors.shape[0])


def bound_stage(key: PRNGKey, scale: Any, done: dict) -> StageResult:
    """Spec §4 check 10: the SGD and Adam bounds against simulated E||e_t||^2 at every t."""
    curvature = jnp.linspace(0.5, 2.0, scale.dim)
    e0, sigma = 3.0 * np.sqrt(scale.dim), float(np.sqrt(np.sum(HETERO_NOISE**2)))
    steps = np.arange(1, scale.bound_steps + 1)
    adam_kwargs: dict[str, Any] = dict(
        alpha=0.1, h_min=0.5, sigma=sigma, delta=0.3, e0=e0, beta1=0.9
    )
    adam_kwargs |= dict(beta2=0.999, eps=1.0, grad_bound=2.0 * 3.0 + 5 * float(HETERO_NOISE.max()))
    claims, ratios = [], {}
    for index, drift in enumerate(("random_walk", "constant_velocity")):
        problem = quadratic_tracking(curvature, HETERO_NOISE, 0.3, drift_kind=drift)
        key_drift = jax.random.fold_in(key, index)
        upper = _error_band(key_drift, scale, problem, "sgd", Hyperparams(0.2))
        bound = np.asarray(sgd_tracking_bound(0.2, 0.5, sigma, 0.3, steps, e0))
        ratios["sgd", drift] = float(np.min(bound / upper))
        upper = _error_band(key_drift, scale, problem, "adam", Hyperparams(0.1, eps=1.0))
        bound = np.asarray(adam_tracking_bound(steps, **adam_kwargs))
        ratios["adam", drift] = float(np.min(bound / upper))
        claims.append(
            Claim.between(
                f"sgd_bound_{drift}",
                f"SGD bound (CDH21 form, our constants 2/1/2) / (mean + 3 SE) of simulated "
                f"E||e_t||^2, smallest over t ({drift.replace('_', ' ')} drift): valid and tight",
                expected="in [1, 5]",
                provenance="derived",
                measured=ratios["sgd", drift],
                low=1.0,
                high=5.0,
            )
        )
    adam_ratio = min(ratios["adam", d] for d in ("random_walk", "constant_velocity"))
    claims.append(
        Claim.undecided(
            "adam_bound_vacuous",
            "Adam bound with the paper's four-part structure, the summary's beta2 term "
            "G^4 q+^4 (1-beta2)/(q-^2 mu^2) and our constants / (mean + 3 SE) of simulated "
            "E||e_t||^2, smallest over t and both drifts: VACUOUS",
            expected="informative would be <= 100; the paper's constants are unknown",
            provenance="derived",
            measured=adam_ratio,
            rule="<= 100 would make it informative (validity, >= 1, is a test)",
            reason="reported, not counted: the bound is valid but lies ~1e9 above the error, "
            "dominated by the beta2 term (eps = 1, G = 56), so it is no evidence either way; "
            "see the module README",
        )
    )
    claims.append(_alpha_star_claim())
    arrays = {f"bound_ratio_{name}_{drift}": np.asarray(v) for (name, drift), v in ratios.items()}
    return StageResult(claims=claims, arrays=arrays)


def _alpha_star_claim() -> Claim:
    ratios = [
        float(sgd_optimal_step(1.0, 1.0, d, "constant_velocity").step_size) / d ** (2 / 3)
        for d in (1e-4, 1e-3, 1e-2)
    ]
    return Claim.at_most(
        "alpha_star_scaling",
        "alpha*/(Delta^2/(mu sigma^2))^(1/3) over Delta in {1e-4, 1e-3, 1e-2}: relative spread "
        "(CDH21's scaling of the optimal step)",
        expected="<= 0.1 (ratio -> 4^(1/3) = 1.587 for small alpha)",
        provenance="derived",
        measured=(max(ratios) - min(ratios)) / min(ratios),
        bound=0.1,
        note=f"ratios {[round(r, 3) for r in ratios]}",
    )


def step_bound_stage(key: PRNGKey, scale: Any, done: dict) -> StageResult:
    """Spec §4 checks 8 (Adam's step bound) and 9 (ASM), in float64."""
    with jax.enable_x64(True):
        bound = float(adam_step_bound(0.9, 0.999))
        _, raw = adam_step_ratios(adversarial_stream(0.9, 0.999, 2000), 0.9, 0.999)
        key_n, key_t = jax.random.split(key)
        streams = (
            jax.random.normal(key_n, (5000,), jnp.float64),
            jax.random.t(key_t, 1.5, (5000,), jnp.float64),
            adversarial_stream(0.9, 0.999, 2000),
        )
        largest = max(float(adam_step_ratios(g, 0.9, 0.999)[0].max()) for g in streams)
        counter = float(asm_modulus(jnp.array([[1.0, 0.9], [0.9, 1.0]]), 1.0, 100.0))
    claims = [
        Claim.within(
            "adam_step_constant",
            "raw |m_t|/sqrt(v_t) of optax.adam on the adversarial stream (beta2/beta1)^s, "
            "s = 1..2000, against the closed form C(0.9, 0.999)",
            expected=7.27029,
            provenance="derived",
            measured=float(raw),
            tol=1e-5,
            target=bound,
            note=f"C(0.9, 0.999) = {bound:.6f}",
        ),
        Claim.at_most(
            "adam_step_bound",
            "largest |theta_{t+1} - theta_t| / alpha of optax.adam (eps = 0) over Gaussian, "
            "Student-t(1.5) and adversarial streams",
            expected="<= C = 7.2703",
            provenance="derived",
            measured=largest,
            bound=bound,
        ),
        Claim.within(
            "asm_counterexample",
            "ASM modulus of H = [[1, .9], [.9, 1]] (positive definite) over D in [1, 100]^2: "
            "negative, so ASM is a genuine restriction",
            expected=-16.7,
            provenance="derived",
            measured=counter,
            tol=0.05,
            note="lambda_min of sym(diag(1, 100) H); spec §1.4",
        ),
    ]
    return StageResult(claims=claims, arrays={"adam_step_largest": np.asarray(largest)})
