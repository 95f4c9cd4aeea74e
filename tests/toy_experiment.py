"""A tiny reproduction in the shape every experiment.py has (used by the CLI and runner tests)."""

from __future__ import annotations

import dataclasses

import numpy as np

import jax

from jaxpapers._stages import Stage, StageResult
from jaxpapers.report import Claim

TITLE = "toy title"
PAPER = "Doe 2026"


@dataclasses.dataclass(frozen=True)
class Scale:
    """``n`` draws; ``bound`` decides the claim (99 makes it fail)."""

    n: int = 8
    bound: float = 1.0

    @classmethod
    def quick(cls) -> Scale:
        return cls(8)

    @classmethod
    def full(cls) -> Scale:
        return cls(64)


def draw(key, scale, done):
    x = np.asarray(jax.random.normal(key, (scale.n,)))
    claim = Claim.at_least(
        "n", "sample size", expected=scale.n, provenance="derived", measured=x.size,
        bound=scale.bound,
    )  # fmt: skip
    return StageResult(claims=[claim], arrays={"x": x})


def shift(key, scale, done):
    y = done["x"] + 1.0
    claim = Claim.within(
        "shift", "shift by the planted 1", expected=1.0, provenance="planted",
        measured=float(np.mean(y - done["x"])), tol=1e-6,
    )  # fmt: skip
    return StageResult(claims=[claim], arrays={"y": y, "noise": np.asarray(jax.random.normal(key))})


STAGES = (Stage("draw", draw), Stage("shift", shift))
