"""Reproduction: equations of classical dynamical systems written by a symbolic network
(Boddupalli, Matchen & Moehlis, arXiv 2605.04337, 2026).

The paper's full text (its systems, noise levels and numbers) was not available (spec §0). What
is reproduced is its programme on the spec's benchmark suite (§6): from noisy simulated
trajectories, the network finds the *planted* right-hand sides (provenance ``planted``: the
support we simulated), with coefficient errors under the spec's thresholds (provenance
``derived``: the paper states none we could read) and against the yardstick of least squares on
the true terms with the same data.

    jaxpapers reproduce symbolic_regression --quick   # Lorenz and Van der Pol, 1 % noise
    jaxpapers reproduce symbolic_regression --full    # + 5 noise draws, η = 0, integral loss,
                                                      #   Michaelis–Menten, Kepler, gated, ...

Expected (quick, CPU): Lorenz η = 1 %: the 7 terms exactly, max relative coefficient error
about 0.5 %; Van der Pol η = 1 %: the 4 terms, error about 0.1 %, period within 1 %.
Michaelis–Menten (spec A9) is in the full run only: at 2 000–4 000 steps whether the network
finds 1/(K + x) or fits x^(−0.76)-type powers depends on the restarts (see the README).
"""

from __future__ import annotations

import dataclasses

import numpy as np

import jax

from jaxpapers._stages import Stage, StageResult
from jaxpapers.report import Claim
from jaxpapers.symbolic_regression import _figures
from jaxpapers.symbolic_regression._reproduce import discover, forecast, period
from jaxpapers.symbolic_regression._systems import SYSTEMS
from jaxpapers.symbolic_regression._types import Config

__all__ = ["PAPER", "STAGES", "TITLE", "Scale"]

TITLE = "Governing equations from noisy trajectories: exact terms and coefficient errors"
PAPER = (
    "Boddupalli, Matchen, Moehlis, 'Symbolic Regression via Neural Networks', "
    "arXiv 2605.04337 (2026)"
)


@dataclasses.dataclass(frozen=True)
class Scale:
    """Sizes of the reproduction (``quick()`` for CPU minutes, ``full()`` for the spec's)."""

    steps: int = 10_000
    """Training steps per fit (spec §3.3: 10 000 in CI-sized runs, 20 000 by default)."""
    restarts: int = 8
    """Random restarts per fit, trained at once (one vmap)."""
    noise_draws: int = 5
    """Independent noise draws per system (spec A7: median over 5)."""
    noise: float = 0.01
    """η, noise as a fraction of each component's standard deviation (spec A7, A9, A11)."""
    smallest_threshold: float = 0.01
    """Lower end of the τ sweep (spec §5 proposes 1e-4). At 1e-4, seed 0's Lorenz ż kept
    three terms of importance ~3e-3 (x1²x2, x2³, 1) that the criterion preferred on held-out
    rows: they fit the Savitzky–Golay derivatives' systematic bias, which random held-out rows
    share. At 1 % noise a term below 1 % of the largest cannot be told from that bias."""
    extra: tuple[tuple[str, float, str, float], ...] = (
        ("lorenz", 0.0, "derivative", 0.005),
        ("lorenz", 0.01, "integral", 0.01),
        ("michaelis_menten", 0.01, "derivative", 0.05),
        ("lotka_volterra", 0.01, "derivative", 0.03),
        ("duffing", 0.01, "derivative", 0.03),
        ("kepler", 0.005, "derivative", 0.02),
        ("logistic_growth", 0.01, "derivative", 0.03),
        ("gated", 0.005, "derivative", 0.05),
    )
    """Further (system, η, loss, coefficient-error bound) runs of the "more systems" stage
    (spec A8: 0.5 %, A7b: 1 %, A9: 5 %, A10: 2 %, A12: 5 %; 3 % as A7 for the other
    polynomial ones)."""

    @classmethod
    def quick(cls) -> Scale:
        """CPU minutes: one noise draw per system (the README reports the spread over seeds,
        i.e. over noise draws), 2 000 steps, 4 restarts, no extra systems."""
        return cls(steps=2000, restarts=4, noise_draws=1, extra=())

    @classmethod
    def full(cls) -> Scale:
        """The spec's suite: 5 noise draws, 10 000 steps, 8 restarts, every extra run."""
        return cls()


def _config(name: str, scale: Scale, loss: str = "derivative") -> Config:
    system = SYSTEMS[name]
    return Config(
        depth=system.depth, operators=system.operators, restarts=scale.restarts,
        steps=scale.steps, half_period=max(100, scale.steps // 10), chunk_size=scale.steps,
        loss=loss,  # type: ignore[arg-type]
        threshold_range=(scale.smallest_threshold, 1.0),
    )  # fmt: skip


def _draws(key, name, noise, scale, loss="derivative"):
    config = _config(name, scale, loss)
    keys = jax.random.split(key, scale.noise_draws)
    with jax.enable_x64(True):
        return [discover(k, name, noise, config) for k in keys]


def _summary(runs) -> dict[str, np.ndarray]:
    return {
        "recovered": np.array([all(r.comparison.recovered) for r in runs]),
        "error": np.array([r.comparison.error for r in runs]),
        "oracle": np.array([r.oracle_error for r in runs]),
        "terms": np.array([r.comparison.num_terms for r in runs]),
        "seconds": np.array([r.seconds for r in runs]),
    }


def _support_claim(id, name, summary, what):
    count, total = int(summary["recovered"].sum()), summary["recovered"].size
    return Claim.holds(
        id, f"{name}: finds exactly the planted terms ({what}) in every noise draw",
        expected=f"{total}/{total}", provenance="planted", measured=f"{count}/{total}",
        rule="exact term set in every equation, every draw", passed=count == total,
    )  # fmt: skip


def lorenz_stage(key, scale: Scale, done) -> StageResult:
    """Spec A7: Lorenz (S1), η = 1 %: the 7 terms exactly, coefficient error ≤ 3 % (median
    over draws), and each draw within 1.5× the error of least squares on the true terms."""
    runs = _draws(key, "lorenz", scale.noise, scale)
    summary = _summary(runs)
    median = float(np.median(summary["error"]))
    ratio = float(np.max(summary["error"] / np.maximum(summary["oracle"], 1e-3)))
    eta = f"η = {scale.noise:g}"
    claims = [
        _support_claim("lorenz_support", f"Lorenz, {eta}", summary,
                       "σ(y − x), x(ρ − z) − y, xy − βz with σ = 10, ρ = 28, β = 8/3"),
        Claim.at_most(
            "lorenz_coefficients", f"Lorenz, {eta}: median over draws of the largest relative "
            "coefficient error", expected="≤ 3 %", provenance="derived", measured=median,
            bound=0.03, note=f"{len(runs)} draw(s); spec A7",
        ),
        Claim.at_most(
            "lorenz_vs_true_terms", f"Lorenz, {eta}: coefficient error over that of least "
            "squares on the true terms (same data; floor 0.1 %), worst draw",
            expected="≤ 1.5", provenance="derived", measured=ratio, bound=1.5,
            note="spec A7 correction: even the true-term fit exceeds 3 % on some draws",
        ),
    ]  # fmt: skip
    model = runs[0].model
    initial = runs[0].rows[-1]  # a state on the attractor, after the training data
    times, truth, found = forecast("lorenz", model, initial, horizon=2.0)
    figures = {
        "lorenz_trajectories": _figures.trajectories("Lorenz", times, truth, found),
        "lorenz_equations": _figures.equations("Lorenz", model.expressions, SYSTEMS["lorenz"]),
    }
    arrays = {f"lorenz_{k}": v for k, v in summary.items()}
    meta = {"lorenz_expressions": [str(e) for e in model.expressions]}
    return StageResult(claims=claims, arrays=arrays, figures=figures, meta=meta)


def van_der_pol_stage(key, scale: Scale, done) -> StageResult:
    """Spec A11: Van der Pol (S2, μ = 1), η = 1 %: the 4 terms exactly; the found model,
    integrated from a held-out state, has the limit-cycle period within 1 % and a relative L2
    error ≤ 5 % over one period."""
    runs = _draws(key, "van_der_pol", scale.noise, scale)
    summary = _summary(runs)
    eta = f"η = {scale.noise:g}"
    periods, errors, last = [], [], ()
    with jax.enable_x64(True):
        for run in runs:
            times, truth, found = forecast("van_der_pol", run.model, np.array([2.0, 0.0]), 40.0)
            settled = times >= 20.0  # past the transient onto the limit cycle
            true_period = period(times[settled], truth[settled, 0])
            periods.append(abs(period(times[settled], found[settled, 0]) / true_period - 1))
            start = np.asarray(truth[np.argmax(settled)])
            t1, truth1, found1 = forecast("van_der_pol", run.model, start, true_period)
            errors.append(float(np.linalg.norm(found1 - truth1) / np.linalg.norm(truth1)))
            last = (times, truth, found)
    claims = [
        _support_claim("vdp_support", f"Van der Pol, {eta}", summary,
                       "y and μ(1 − x²)y − x with μ = 1"),
        Claim.at_most(
            "vdp_coefficients", f"Van der Pol, {eta}: median largest relative coefficient error",
            expected="≤ 3 %", provenance="derived", measured=float(np.median(summary["error"])),
            bound=0.03, note="the A7 bound, applied to S2",
        ),
        Claim.at_most(
            "vdp_period", f"Van der Pol, {eta}: relative error of the limit-cycle period of the "
            "found model from the held-out state (2, 0) (worst draw)", expected="≤ 1 %",
            provenance="derived", measured=max(periods), bound=0.01, note="spec A11",
        ),
        Claim.at_most(
            "vdp_cycle_error", f"Van der Pol, {eta}: relative L2 error over one period on the "
            "limit cycle (worst draw)", expected="≤ 5 %", provenance="derived",
            measured=max(errors), bound=0.05, note="spec A11",
        ),
    ]  # fmt: skip
    figures = {
        "vdp_trajectories": _figures.trajectories("Van der Pol", *last),
        "vdp_equations": _figures.equations(
            "Van der Pol", runs[0].model.expressions, SYSTEMS["van_der_pol"]
        ),
    }
    arrays = {f"vdp_{k}": v for k, v in summary.items()}
    arrays.update(vdp_period_error=np.array(periods), vdp_cycle_error=np.array(errors))
    meta = {"vdp_expressions": [str(e) for e in runs[0].model.expressions]}
    return StageResult(claims=claims, arrays=arrays, figures=figures, meta=meta)


def more_systems_stage(key, scale: Scale, done) -> StageResult:
    """Spec A7b, A8, A10–A12 (full scale only): support recovery on each further run and the
    coefficient-error bound given with it in ``scale.extra``."""
    claims, arrays = [], {}
    for index, (name, noise, loss, bound) in enumerate(scale.extra):
        runs = _draws(jax.random.fold_in(key, index), name, noise, scale, loss)
        summary = _summary(runs)
        tag = f"{name}_{noise:g}_{loss}"
        claims.append(_support_claim(f"{tag}_support", f"{name}, η = {noise:g}, {loss} loss",
                                     summary, "the system's terms (spec §6.1)"))  # fmt: skip
        claims.append(Claim.at_most(
            f"{tag}_coefficients", f"{name}, η = {noise:g}, {loss} loss: median largest "
            "relative coefficient error", expected=f"≤ {bound:.1%}", provenance="derived",
            measured=float(np.median(summary["error"])), bound=bound,
        ))  # fmt: skip
        arrays.update({f"{tag}_{k}": v for k, v in summary.items()})
    return StageResult(claims=claims, arrays=arrays)


STAGES = (
    Stage("lorenz", lorenz_stage),
    Stage("van der pol", van_der_pol_stage),
    Stage("more systems", more_systems_stage),
)
