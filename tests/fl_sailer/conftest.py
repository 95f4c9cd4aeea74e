"""Shared data of the fl_sailer tests: small synthetic scATAC sets, generated once (jitted)."""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp

import jaxpapers.fl_sailer as fs

_make = jax.jit(fs.make_scatac, static_argnums=(1, 2), static_argnames=("regime",))


class Prepared(NamedTuple):
    """A filtered data set split by client, with TF-IDF matrices from global statistics."""

    x: np.ndarray  # cells × kept peaks (uint8)
    batch: np.ndarray
    cell_type: np.ndarray
    peak_class: np.ndarray  # of the kept peaks
    clients: list  # per-client blocks of x
    stats: fs.PeakStats
    tfidf: np.ndarray  # pooled A (global IDF)
    client_tfidf: list  # per-client A_m with the client's own IDF (L1)


@functools.cache
def prepared(seed: int, n_cells: int, n_peaks: int, regime: str = "B") -> Prepared:
    """The spec §4 calibration data: only peaks open nowhere are dropped (no frequency filter)."""
    data = _make(jax.random.key(seed), n_cells, n_peaks, regime=regime)
    x, batch = np.asarray(data.x), np.asarray(data.batch)
    clients = [x[batch == b] for b in range(3)]
    keep = fs.filter_peaks(fs.global_peak_stats(clients), min_count=1, min_fraction=0.0)
    x, clients = x[:, keep], [c[:, keep] for c in clients]
    stats = fs.global_peak_stats(clients)
    tfidf = np.asarray(fs.tfidf(x, stats))
    return Prepared(
        x, batch, np.asarray(data.cell_type), np.asarray(data.peak_class)[keep], clients, stats,
        tfidf, [np.asarray(fs.tfidf(c, fs.global_peak_stats([c]), allow_empty=True))
                for c in clients],
    )  # fmt: skip


def client_leverage(prep: Prepared, rank: int, key=None) -> jnp.ndarray:
    """L1 leverage: randomised leverage per client, averaged with weights n_m."""
    key = jax.random.key(0) if key is None else key
    scores = jnp.stack(
        [fs.randomized_leverage(jax.random.fold_in(key, m), jnp.asarray(a), rank)
         for m, a in enumerate(prep.client_tfidf)]
    )  # fmt: skip
    weights = jnp.array([a.shape[0] for a in prep.client_tfidf], jnp.float32)
    return fs.client_average(scores, weights)
