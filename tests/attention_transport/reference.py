"""Slow numpy transcriptions used as references (spec §1 and §4); never imported by the library."""

import numpy as np


def random_causal_softmax(n, rng, temp=1.0):
    """Causal softmax of Gaussian logits (the spec's random head)."""
    logits = rng.normal(size=(n, n)) / temp
    logits = np.where(np.tril(np.ones((n, n))) > 0, logits, -np.inf)
    logits = logits - logits.max(1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(1, keepdims=True)


def degree_normalized(A):
    d = 0.5 * (A.sum(1) + A.sum(0))
    scale = 1 / np.sqrt(d)
    return scale[:, None] * A * scale[None, :]


def landscape(A):
    """φ(t), t = 1..n−1, by the direct definition (explicit double sums per cut)."""
    W = 0.5 * (A + A.T)
    d = W.sum(1)
    total = d.sum()
    out = []
    for t in range(1, len(A)):
        cut = W[:t, t:].sum()
        vol = d[:t].sum()
        out.append(cut / min(vol, total - vol))
    return np.array(out)


def exact_cheeger(A):
    """min over all 2^n − 2 subsets of cut/min(vol) on W (vectorised over subsets)."""
    W = 0.5 * (A + A.T)
    n = len(W)
    d = W.sum(1)
    codes = np.arange(1, 2**n - 1)
    members = ((codes[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)
    vol = members @ d
    inside = members.astype(float)
    cut = np.einsum("si,ij,sj->s", inside, W, 1.0 - inside)
    return float(np.min(cut / np.minimum(vol, d.sum() - vol)))


def lapeigvals(A, k):
    """LapEigvals (graphml-lab-pwr/lapeigvals): D_jj = colsum_j / (n − j), eig = diag(D − A)."""
    n = A.shape[-1]
    degree = A.sum(axis=-2) / (n - np.arange(n))
    eig = degree - np.diagonal(A, axis1=-2, axis2=-1)
    eig = -np.sort(-eig, axis=-1)
    return eig[..., :k]


def lambda2(A):
    """1 − (second largest eigenvalue of D^{-1/2} W D^{-1/2})."""
    W = 0.5 * (A + A.T)
    scale = 1 / np.sqrt(W.sum(1))
    return 1.0 - np.linalg.eigvalsh(scale[:, None] * W * scale[None, :])[-2]
