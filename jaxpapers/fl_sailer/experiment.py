"""Reproduction: FL-Sailer on synthetic scATAC-seq with three institutions.

Paper: Zhang, Dai, He & Liu, "FL-Sailer: Efficient and Privacy-Preserving Federated Learning for
Scalable Single-Cell Epigenetic Data Analysis via Adaptive Sampling", arXiv:2605.04519 (2026).
Only the abstract is public; its one number is the 80 % dimensionality reduction (keep 20 % of
the peaks), and its qualitative claims are that leverage sampling keeps (even improves)
clustering as an implicit regulariser and that the federated model matches centralised
training. Everything else is the spec's reconstruction, checked on the spec's synthetic data
(regime B: strong batch effect; cell types and batches planted):

    jaxpapers reproduce fl_sailer --quick     # 600 cells × 1000 peaks, 60 epochs; ~1 min, 2 cores
    jaxpapers reproduce fl_sailer --full      # 5000 × 20000, 200 epochs (GPU advised)

Stages: ``leverage`` (client-centred leverage, selection, LSI clustering, batch-peak shares),
``central`` (invariant VAE on all / top 20 % / uniform 20 % peaks, λ_MI 1 vs 0), ``federated``
(FedAvg with γ = 0 and γ = 10, communication).
"""

from __future__ import annotations

import dataclasses

from jaxpapers._stages import Stage
from jaxpapers.fl_sailer import _reproduce

__all__ = ["PAPER", "STAGES", "TITLE", "Scale"]

TITLE = "20 % leverage-selected peaks keep clustering; invariant FedAvg VAE mixes institutions"
PAPER = (
    "Zhang, Dai, He & Liu, 'FL-Sailer: Efficient and Privacy-Preserving Federated Learning for "
    "Scalable Single-Cell Epigenetic Data Analysis via Adaptive Sampling', arXiv:2605.04519 "
    "(2026)"
)


@dataclasses.dataclass(frozen=True)
class Scale:
    """Sizes of the reproduction (the method's settings are :class:`~.Config`).

    Attributes:
        n_cells: cells over all institutions.
        n_peaks: peaks before the global frequency filter.
        min_peak_fraction: the filter keeps peaks open in >= max(3, this · n) cells (spec
            §2.1.2 proposes 0.01); 0 keeps every peak open somewhere (the calibration).
        n_clients: institutions (= batches = FedAvg clients).
        n_types: planted cell types (k-means uses this many clusters).
        rank: k of the leverage scores.
        fraction: ρ, the share of peaks kept (the paper's 80 % reduction: 0.2).
        epochs: centralised epochs; FedAvg runs epochs / local_epochs rounds.
        local_epochs: E.
        central_batch: mini-batch size of centralised training (FedAvg uses 32).
    """

    n_cells: int = 900
    n_peaks: int = 2000
    min_peak_fraction: float = 0.0
    n_clients: int = 3
    n_types: int = 6
    rank: int = 10
    fraction: float = 0.2
    epochs: int = 60
    local_epochs: int = 5
    central_batch: int = 128

    @classmethod
    def quick(cls) -> Scale:
        return cls()

    @classmethod
    def full(cls) -> Scale:
        return cls(n_cells=5000, n_peaks=20000, epochs=200)


STAGES = (
    Stage("leverage", _reproduce.leverage_stage),
    Stage("central", _reproduce.central_stage),
    Stage("federated", _reproduce.federated_stage),
)
