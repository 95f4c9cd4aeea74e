"""Figures of the reproduction: 2-D PCA of the latent by cell type and by batch; metric bars."""

from __future__ import annotations

import numpy as np


def latent_pca(embedding, cell_type, batch, title):
    """Two panels: the first two principal components of the latent, coloured by planted cell
    type and by batch (institution)."""
    import matplotlib.pyplot as plt

    centred = embedding - embedding.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    pcs = centred @ vt[:2].T
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, labels, name in ((axes[0], cell_type, "cell type"), (axes[1], batch, "batch")):
        ax.scatter(pcs[:, 0], pcs[:, 1], c=labels, cmap="tab10", s=4)
        ax.set_title(f"{title}: by {name}", fontsize=9)
        ax.set_xlabel("PC 1")
    axes[0].set_ylabel("PC 2")
    fig.tight_layout()
    return fig


def metric_bars(scores):
    """ARI (planted cell types) and iLISI (batch mixing, 1..3) per setting."""
    import matplotlib.pyplot as plt

    names = list(scores)
    values = np.array([scores[n] for n in names])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, column, label in ((axes[0], 0, "ARI (cell types)"), (axes[1], 1, "iLISI (batches)")):
        ax.bar(np.arange(len(names)), values[:, column], color="tab:blue")
        ax.set_xticks(np.arange(len(names)), names, rotation=30, fontsize=8)
        ax.set_title(label, fontsize=9)
    fig.tight_layout()
    return fig
