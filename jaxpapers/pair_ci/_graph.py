"""Graphs on the host: v-structures, Meek's rules, the CPDAG of a DAG, and structural distances.

A partially directed graph is a ``(p, p)`` 0/1 matrix of edge marks: ``g[i, j] = 1`` and
``g[j, i] = 0`` is i → j; ``g[i, j] = g[j, i] = 1`` is the undirected edge i — j. These are
small combinatorial loops over at most a few thousand edges, run once per PC run, so they are
NumPy rather than JAX (the CI tests, where the time goes, are JAX).

References: Meek, C. (1995). Causal inference and causal explanation with background knowledge.
UAI. Spirtes, Glymour & Scheines (2000). Causation, Prediction, and Search.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jaxtyping import Bool, Int

__all__ = [
    "StructureDistance",
    "ancestral_subset",
    "dag_to_cpdag",
    "meek_rules",
    "orient_v_structures",
    "shd",
]


def _adjacent(g: np.ndarray) -> np.ndarray:
    return (g + g.T) > 0


def _orient(g: np.ndarray, a: int, b: int) -> bool:
    """Make a — b into a → b if it is undirected; returns whether anything changed."""
    if g[a, b] and g[b, a]:
        g[b, a] = 0
        return True
    return False


def orient_v_structures(
    skeleton: Bool[np.ndarray, "p p"],
    sepset: Int[np.ndarray, "p p s"],
    removed: Bool[np.ndarray, "p p"],
) -> Int[np.ndarray, "p p"]:
    """Orient i → k ← j for every unshielded triple i — k — j with k outside sepset(i, j).

    An edge already oriented the other way keeps its first orientation (order: i < j, then k).
    """
    g = np.asarray(skeleton, dtype=np.int64).copy()
    np.fill_diagonal(g, 0)
    adj = g > 0
    p = g.shape[0]
    for i in range(p):
        for j in range(i + 1, p):
            if adj[i, j]:
                continue
            separating = set(int(s) for s in sepset[i, j] if s >= 0) if removed[i, j] else set()
            for k in np.flatnonzero(adj[i] & adj[j]):
                if int(k) not in separating:
                    _orient(g, i, int(k))
                    _orient(g, j, int(k))
    return g


def meek_rules(g: Int[np.ndarray, "p p"]) -> Int[np.ndarray, "p p"]:
    """Apply Meek's rules R1–R3 until nothing changes (enough without background knowledge)."""
    g = np.asarray(g, dtype=np.int64).copy()
    p = g.shape[0]
    changed = True
    while changed:
        changed = False
        adj = _adjacent(g)
        directed = (g == 1) & (g.T == 0)
        undirected = (g == 1) & (g.T == 1)
        for a in range(p):
            for b in range(p):
                if not undirected[a, b]:
                    continue
                # R1: c → a — b, c and b non-adjacent  ⇒  a → b.
                r1 = np.any(directed[:, a] & ~adj[:, b] & (np.arange(p) != b))
                # R2: a → c → b and a — b  ⇒  a → b.
                r2 = np.any(directed[a, :] & directed[:, b])
                # R3: a — c → b, a — d → b, c and d non-adjacent  ⇒  a → b.
                mids = np.flatnonzero(undirected[a, :] & directed[:, b])
                r3 = any(not adj[c, d] for c in mids for d in mids if c < d)
                if (r1 or r2 or r3) and _orient(g, a, b):
                    changed = True
                    directed[a, b], undirected[a, b], undirected[b, a] = True, False, False
    return g


def dag_to_cpdag(weights: np.ndarray) -> Int[np.ndarray, "p p"]:
    """The CPDAG (essential graph) of a DAG given by ``weights[i, j] ≠ 0`` for i → j."""
    dag = np.asarray(weights) != 0
    p = dag.shape[0]
    g = (dag | dag.T).astype(np.int64)
    for k in range(p):
        parents = np.flatnonzero(dag[:, k])
        for a_index, a in enumerate(parents):
            for b in parents[a_index + 1 :]:
                if not (dag[a, b] or dag[b, a]):
                    g[k, a] = g[k, b] = 0
    return meek_rules(g)


class StructureDistance(NamedTuple):
    """Distances between an estimated and a true graph (counts of unordered pairs).

    Attributes:
        shd: pairs whose edge differs (missing, extra, or oriented differently).
        skeleton_shd: pairs whose adjacency differs (= extra + missing).
        extra: adjacencies in the estimate that are not in the truth.
        missing: true adjacencies absent from the estimate.
    """

    shd: int
    skeleton_shd: int
    extra: int
    missing: int


def shd(estimate: Int[np.ndarray, "p p"], truth: Int[np.ndarray, "p p"]) -> StructureDistance:
    """Structural Hamming distance between two partially directed graphs (e.g. CPDAGs)."""
    est, tru = np.asarray(estimate) > 0, np.asarray(truth) > 0
    upper = np.triu(np.ones(est.shape, bool), k=1)
    adj_est, adj_tru = (est | est.T) & upper, (tru | tru.T) & upper
    differs = ((est != tru) | (est.T != tru.T)) & upper
    extra = int(np.sum(adj_est & ~adj_tru))
    missing = int(np.sum(adj_tru & ~adj_est))
    return StructureDistance(int(np.sum(differs)), extra + missing, extra, missing)


def ancestral_subset(adjacency: np.ndarray, count: int | None) -> np.ndarray:
    """At most ``count`` nodes closed under taking parents, as connected as possible.

    Greedily unions the ancestral sets (a node and all its ancestors) of the nodes with the
    largest such sets that still fit. Every parent of a kept node is kept, so the marginal of
    the kept variables is Markov and faithful to the induced subgraph of the DAG.
    """
    p = adjacency.shape[0]
    if count is None or count >= p:
        return np.arange(p)
    reach = adjacency.astype(bool) | np.eye(p, dtype=bool)
    for _ in range(p):  # transitive closure: reach[i, j] = i is an ancestor of j (or i == j)
        reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
    ancestral = [set(np.flatnonzero(reach[:, node]).tolist()) for node in range(p)]
    keep: set[int] = set()
    for node in sorted(range(p), key=lambda n: (-len(ancestral[n]), n)):
        if len(keep | ancestral[node]) <= count:
            keep |= ancestral[node]
    return np.asarray(sorted(keep))
