"""Configuration and result types of the symbolic-regression network."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, NamedTuple

import numpy as np

import jax
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate

__all__ = ["OPERATORS", "Config", "SelectionRow", "TrainInfo", "TrainState"]

OPERATORS = ("exp", "sin", "cos", "tanh", "logistic")
"""The named unary operators g of the operator units (spec §2): exp(z), sin(z), cos(z),
tanh(z) and the logistic σ(z) = 1/(1 + e^{−z})."""

LOSSES = ("derivative", "integral")
CRITERIA = ("aicc", "bic")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of :func:`~jaxpapers.symbolic_regression.fit` (hashable: a static argument).

    Defaults follow spec §2–§5: the inherited SymANNTEx values (initial scale 5e-4, penalty
    weights 0.05 / 0.01 / 0.0375, Adam with a cyclic learning rate) and the spec's proposals
    elsewhere.

    Attributes:
        operators: names (from :data:`OPERATORS`) of the unary operators offered in every layer;
            ``()`` (the default) gives a purely signomial/affine network.
        depth: L, operational layers; 1 gives affine sums and signomials of the state, 2 lets
            them compose (x/(K + x) needs 2).
        sums: m_s, affine sum units per layer.
        products: m_p, signomial units Π_r h_r^{E_jr} per layer.
        operator_units: units per operator and layer (m_q = operator_units · len(operators)).
        restarts: S, independent random initialisations trained at once (one ``vmap``).
        steps: full-batch Adam steps in total (all three phases).
        phases: fractions of ``steps`` of P1 (data only), P2 (data + penalties) and P3 (support
            frozen, exponents snapped, penalties off); they must sum to 1.
        learning_rate: (low, high) of the triangular cyclic learning rate.
        half_period: steps from the low to the high learning rate.
        exponent_step: Adam's steps on exponents are scaled by this factor: an exponent is a
            far more sensitive parameter than a weight (x^e changes by e·log|x| per unit).
        init: ``"lattice"`` starts each signomial unit on a random monomial of total degree
            ≤ ``initial_degree`` (other weights N(0, init_scale²)); ``"normal"`` draws every
            weight, exponents included, from N(0, init_scale²) (the inherited SymANNTEx
            scheme, with init_scale = 5e-4).
        init_scale: standard deviation of the normal initial weights.
        initial_degree: largest total degree of the starting monomials (``"lattice"``).
        l_half: α₁, weight of the smoothed L_{1/2} penalty on every weight.
        poly: α₂, weight of L_poly = Σ sin²(π e) over the exponents.
        ops: α₃, weight of L_ops, the cost of using operator units.
        smoothing: a, the radius inside which |w| is smoothed in L_{1/2}.
        half_integers: allow half-integer exponents (on inputs that stay positive).
        max_exponent: exponents are clipped to [−max_exponent, max_exponent].
        snap_tolerance: δ_snap; an exponent within δ of the lattice is snapped at P3.
        prune_tolerance: at P3, weights below this fraction of their array's largest |w| are
            set to zero and frozen.
        loss: ``"derivative"`` fits the network to given derivatives (MAE);
            ``"integral"`` (spec §3.5) fits x(t_{j+r}) − x(t_j) by the trapezoid integral of
            the network over [t_j, t_{j+r}] and needs times instead of derivatives.
        window: r, samples per window of the integral loss.
        criterion: information criterion of model selection: ``"aicc"`` or ``"bic"``.
        thresholds: number of simplification thresholds τ, log-spaced in ``threshold_range``.
        threshold_range: (smallest, largest) τ.
        validation_fraction: rows held out (at random) to rank restarts and score models.
        train_rows: with the derivative loss, the networks are trained on at most this many
            rows drawn at random (cost is linear in rows); simplification and selection use
            every row.
        refit_rows: nonlinear refits of candidate models during simplification use at most
            this many training rows; the chosen model is refitted on all of them.
        candidates: restarts per equation (best validation error first) turned into SymPy and
            simplified.
        log_guard: ε of log(max(|h|, ε)) in the signomial units.
        chunk_size: training steps per jitted chunk (progress and NaN checks between chunks).
    """

    operators: tuple[str, ...] = ()
    depth: int = 2
    sums: int = 4
    products: int = 6
    operator_units: int = 2
    restarts: int = 8
    steps: int = 10_000
    phases: tuple[float, float, float] = (0.2, 0.6, 0.2)
    learning_rate: tuple[float, float] = (1e-4, 1e-2)
    half_period: int = 1000
    exponent_step: float = 0.1
    init: Literal["lattice", "normal"] = "lattice"
    init_scale: float = 0.1
    initial_degree: int = 3
    l_half: float = 0.005
    poly: float = 0.01
    ops: float = 0.00375
    smoothing: float = 0.01
    half_integers: bool = False
    max_exponent: float = 4.0
    snap_tolerance: float = 0.05
    prune_tolerance: float = 1e-3
    loss: Literal["derivative", "integral"] = "derivative"
    window: int = 10
    criterion: Literal["aicc", "bic"] = "aicc"
    thresholds: int = 50
    threshold_range: tuple[float, float] = (1e-4, 1.0)
    validation_fraction: float = 0.2
    train_rows: int = 1000
    refit_rows: int = 1000
    candidates: int = 3
    log_guard: float = 1e-8
    chunk_size: int = 500

    def __post_init__(self):
        if not isinstance(self.operators, tuple):
            raise TypeError(f"Config.operators must be a tuple of names, got {self.operators!r}")
        for name in self.operators:
            _validate.check_choice("Config.operators entry", name, OPERATORS)
        if len(set(self.operators)) != len(self.operators):
            raise ValueError(f"Config.operators must not repeat a name, got {self.operators}")
        _validate.check_choice("Config.init", self.init, ("lattice", "normal"))
        for name in (
            "depth",
            "restarts",
            "steps",
            "half_period",
            "window",
            "thresholds",
            "initial_degree",
        ):
            _validate.check_integer(f"Config.{name}", getattr(self, name), minimum=1)
        for name in ("sums", "products", "operator_units"):
            _validate.check_integer(f"Config.{name}", getattr(self, name), minimum=0)
        _validate.check_integer("Config.candidates", self.candidates, minimum=1)
        _validate.check_integer("Config.train_rows", self.train_rows, minimum=1)
        _validate.check_integer("Config.refit_rows", self.refit_rows, minimum=1)
        _validate.check_integer("Config.chunk_size", self.chunk_size, minimum=1)
        if self.sums + self.products + self.operator_units * len(self.operators) == 0:
            raise ValueError("Config needs at least one unit per layer (sums, products, operators)")
        if len(self.phases) != 3 or abs(sum(self.phases) - 1.0) > 1e-9:
            raise ValueError(f"Config.phases must be 3 fractions summing to 1, got {self.phases}")
        _validate.check_range("Config.phases", np.asarray(self.phases), low=0.0, high=1.0)
        low, high = self.learning_rate
        if not 0 < low <= high:
            raise ValueError(f"Config.learning_rate must be (low, high), 0 < low <= high, got "
                             f"{self.learning_rate}")  # fmt: skip
        for name in ("init_scale", "smoothing", "max_exponent", "log_guard", "exponent_step"):
            _validate.check_positive(f"Config.{name}", getattr(self, name))
        for name in ("l_half", "poly", "ops", "prune_tolerance"):
            _validate.check_range(f"Config.{name}", getattr(self, name), low=0.0)
        _validate.check_range("Config.snap_tolerance", self.snap_tolerance, low=0.0, high=0.5)
        _validate.check_range(
            "Config.validation_fraction", self.validation_fraction, low=0.0, high=0.9
        )
        _validate.check_choice("Config.loss", self.loss, LOSSES)
        _validate.check_choice("Config.criterion", self.criterion, CRITERIA)
        small, large = self.threshold_range
        if not 0 < small <= large:
            raise ValueError(f"Config.threshold_range must be (small, large), 0 < small <= large, "
                             f"got {self.threshold_range}")  # fmt: skip

    @property
    def phase_steps(self) -> tuple[int, int]:
        """Steps at which P2 and P3 start."""
        p2 = round(self.phases[0] * self.steps)
        return p2, p2 + round(self.phases[1] * self.steps)


class TrainState(NamedTuple):
    """What one training step carries (for one restart and one equation).

    Attributes:
        network: the parameters (an equinox module).
        opt_state: optax Adam state.
        trainable: 1 where a parameter is still trained, 0 where it was pruned or snapped.
        failed: a step produced a non-finite loss or parameter; the restart stops updating.
    """

    network: Any
    opt_state: Any
    trainable: Any
    failed: Bool[Array, ""]


class TrainInfo(NamedTuple):
    """Per-step diagnostics (stacked over the steps by the scan).

    Attributes:
        loss: the total loss (data + active penalties).
        data_loss: the data term (MAE of the scaled targets).
        penalty: the penalty term (0 in P1 and P3).
        validation_loss: MAE on the held-out rows (before this step's update).
        failed: the restart has stopped on a non-finite value (its numbers then read 0).
    """

    loss: Float[Array, ""]
    data_loss: Float[Array, ""]
    penalty: Float[Array, ""]
    validation_loss: Float[Array, ""]
    failed: Bool[Array, ""]


class SelectionRow(NamedTuple):
    """One candidate model scored during simplification (spec §5 table).

    Attributes:
        threshold: the τ at which the support was first selected.
        num_terms: terms in the expression.
        num_constants: k, free numeric constants (outer coefficients + inner constants).
        rss: residual sum of squares on the validation rows.
        criterion: the information criterion on the validation rows.
        expression: the refitted expression as a string.
    """

    threshold: float
    num_terms: int
    num_constants: int
    rss: float
    criterion: float
    expression: str


Counts = Int[Array, ""]
Mask = Float[Array, "..."]
Key = jax.Array
