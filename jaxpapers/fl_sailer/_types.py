"""Configuration and data/result types of FL-Sailer."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, NamedTuple

from jaxtyping import Array, Bool, Float, Int, UInt8

from jaxpapers import _validate

__all__ = ["ClientData", "Config", "PeakStats", "ScATAC", "TrainResult"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the invariant VAE and of its (federated) training (hashable: ``jit``-static).

    The defaults follow SAILER (spec §2.4) with the jaxpapers deviations: LayerNorm instead of
    BatchNorm, hidden widths (min(1000, c/2), 100), and Adam with L2 weight decay.
    :meth:`prototype` is the configuration the spec's thresholds were calibrated with (§4.0).

    Attributes:
        latent_dim: d, the size of the latent z (SAILER: 10).
        hidden: encoder widths (the decoder mirrors them); None means (min(1000, c // 2), 100).
        layer_norm: LayerNorm after each hidden layer (False: no normalisation).
        lam_mi: λ_MI, the weight of the invariance term (SAILER: 1).
        recon_weight: multiplies the reconstruction term (SAILER's code uses 30, spec P7).
        gamma: γ, the weight of the cross-client latent-moment term (spec §2.5.3; 0 = off).
        kl_schedule: ``"cyclic"`` (SAILER: β = min(1, 2 (e mod T)/T) after the warm-up) or
            ``"constant"`` (β = 1 after the warm-up).
        warmup_epochs: epochs of reconstruction only (β = 0) at the start (SAILER: 10).
        cycle_epochs: T, the period of the cyclic schedule in epochs (SAILER: 100).
        learning_rate: Adam step size (SAILER: 1e-3).
        weight_decay: L2 penalty added to the gradient, as torch Adam does (SAILER: 5e-4).
        batch_size: B, the local mini-batch size (spec: 32 in FL).
        local_epochs: E, local epochs per FedAvg round.
        rounds: R, FedAvg rounds.
        secure_aggregation: aggregate client updates through the simulated pairwise-mask secure
            sum (:func:`secure_sum`); equal to the plain sum up to fixed-point rounding.
        dp_clip: clip each client's update to this L2 norm (None: no clipping).
        dp_noise: noise multiplier σ: the server adds N(0, (σ · dp_clip · max w)²) per
            coordinate to the aggregate (needs ``dp_clip``).
    """

    latent_dim: int = 10
    hidden: tuple[int, ...] | None = None
    layer_norm: bool = True
    lam_mi: float = 1.0
    recon_weight: float = 1.0
    gamma: float = 0.0
    kl_schedule: Literal["cyclic", "constant"] = "cyclic"
    warmup_epochs: int = 10
    cycle_epochs: int = 100
    learning_rate: float = 1e-3
    weight_decay: float = 5e-4
    batch_size: int = 32
    local_epochs: int = 5
    rounds: int = 12
    secure_aggregation: bool = False
    dp_clip: float | None = None
    dp_noise: float = 0.0

    def __post_init__(self):
        _validate.check_integer("Config.latent_dim", self.latent_dim, minimum=1)
        if self.hidden is not None:
            if not isinstance(self.hidden, tuple) or not self.hidden:
                raise TypeError(f"Config.hidden must be a non-empty tuple, got {self.hidden!r}")
            for width in self.hidden:
                _validate.check_integer("Config.hidden entries", width, minimum=1)
        for name in ("lam_mi", "gamma", "weight_decay", "dp_noise"):
            _validate.check_range(f"Config.{name}", getattr(self, name), low=0.0)
        _validate.check_positive("Config.recon_weight", self.recon_weight)
        _validate.check_positive("Config.learning_rate", self.learning_rate)
        _validate.check_choice("Config.kl_schedule", self.kl_schedule, ("cyclic", "constant"))
        _validate.check_integer("Config.warmup_epochs", self.warmup_epochs, minimum=0)
        for name in ("cycle_epochs", "batch_size", "local_epochs", "rounds"):
            _validate.check_integer(f"Config.{name}", getattr(self, name), minimum=1)
        if self.dp_clip is not None:
            _validate.check_positive("Config.dp_clip", self.dp_clip)
        elif self.dp_noise > 0:
            raise ValueError(f"Config.dp_noise must be 0 without dp_clip, got {self.dp_noise}")

    @classmethod
    def prototype(cls, **changes: Any) -> Config:
        """The spec §4.0 calibration setting: one hidden layer of 128, no normalisation, β ≡ 1,
        no warm-up, no weight decay (the thresholds of checks C4, C5, D4, D5 hold for it)."""
        base = dict(
            hidden=(128,), layer_norm=False, kl_schedule="constant", warmup_epochs=0,
            weight_decay=0.0,
        )  # fmt: skip
        return cls(**{**base, **changes})

    def widths(self, num_peaks: int) -> tuple[int, ...]:
        """The hidden widths for ``num_peaks`` input peaks."""
        if self.hidden is not None:
            return self.hidden
        return (max(1, min(1000, num_peaks // 2)), 100)


class PeakStats(NamedTuple):
    """Global statistics learnt by secure sums over clients (spec §2.1).

    Attributes:
        peak_count: f_j, the number of cells (all clients) in which peak j is open.
        num_cells: n, the number of cells over all clients.
        log_depth_mean: mean of log(1 + ℓ_i) over all cells.
        log_depth_sd: its standard deviation.
    """

    peak_count: Float[Array, " p"]
    num_cells: Float[Array, ""]
    log_depth_mean: Float[Array, ""]
    log_depth_sd: Float[Array, ""]


class ScATAC(NamedTuple):
    """A synthetic scATAC data set (spec §3.2).

    Attributes:
        x: binarised accessibility, cells × peaks (uint8).
        counts: Poisson insertion counts before binarisation.
        cell_type: planted cell type of each cell.
        batch: institution / batch (= client) of each cell.
        peak_class: 0 background, 1 marker, 2 common, 3 batch-specific.
        marker_owner: cell type owning a marker peak (-1 otherwise).
        batch_owner: batch owning a batch-specific peak (-1 otherwise).
        proportions: the Dirichlet cell-type proportions of each batch.
    """

    x: UInt8[Array, "n p"]
    counts: Int[Array, "n p"]
    cell_type: Int[Array, " n"]
    batch: Int[Array, " n"]
    peak_class: Int[Array, " p"]
    marker_owner: Int[Array, " p"]
    batch_owner: Int[Array, " p"]
    proportions: Float[Array, "b t"]


class ClientData(NamedTuple):
    """Clients stacked on a leading axis, padded to the largest client with a row mask.

    Attributes:
        x: binary accessibility of the selected peaks, clients × rows × peaks (float).
        covariates: the decoder covariates c = [depth, onehot(batch)], clients × rows × q.
        mask: True for real rows, False for padding.
    """

    x: Float[Array, "m r c"]
    covariates: Float[Array, "m r q"]
    mask: Bool[Array, "m r"]


class TrainResult(NamedTuple):
    """A trained model and its training record.

    Attributes:
        model: the trained :class:`InvariantVAE` (an nnx module, itself a pytree).
        loss: mean training loss per epoch (centralised) or per round (federated).
        converged: the final loss is finite (training has no stopping rule; it runs its
            epochs or rounds, so this flags a diverged run).
        num_steps: optimiser steps taken (per client, summed over rounds, for FedAvg).
    """

    model: Any
    loss: Float[Array, " t"]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]
