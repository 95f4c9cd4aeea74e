"""The PC-stable algorithm with every CI test of a level run as one batched (vmapped, sharded) call.

Level ℓ = 0, 1, ..., ``max_cond_set_size``: with the adjacencies frozen at the start of the level
(PC-stable, Colombo & Maathuis 2014), list every test (i, j, S) with i — j adjacent and
S ⊆ adj(i) \\ {j} or S ⊆ adj(j) \\ {i}, |S| = ℓ; run them in batches of static shape (S padded to
``max_cond_set_size`` with a mask) through ``jit(vmap(test))`` sharded over the devices
(:func:`jaxpapers._mesh.sharded_vmap`); remove i — j if some p > α, keeping the first such S (in
listing order) as sepset. Then v-structures and Meek's rules give the CPDAG.

The host loop is over levels and batches only; tests of a batch never run in a Python loop.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np

import jax.numpy as jnp
from jax.sharding import Mesh
from jaxtyping import Array, Float

from jaxpapers import _mesh, _validate
from jaxpapers.pair_ci._api import CITest
from jaxpapers.pair_ci._checks import check_no_constant_column
from jaxpapers.pair_ci._graph import meek_rules, orient_v_structures
from jaxpapers.pair_ci._types import PCResult

__all__ = ["list_level_tests", "pc"]


@functools.lru_cache(maxsize=32)
def _batched(fn: Callable[..., Array], mesh: Mesh) -> Callable[..., Array]:
    return _mesh.sharded_vmap(fn, mesh, in_axes=(None, 0, 0, 0, 0))


def list_level_tests(adjacency: np.ndarray, level: int, width: int) -> tuple[np.ndarray, ...]:
    """All (i, j, S) tests of one level: pair indices ``(T, 2)``, ``S`` ``(T, width)``, mask."""
    pairs, sets = [], []
    p = adjacency.shape[0]
    for i in range(p):
        for j in range(i + 1, p):
            if not adjacency[i, j]:
                continue
            seen = set()
            for a, b in ((i, j), (j, i)):
                neighbours = [int(k) for k in np.flatnonzero(adjacency[a]) if k != b]
                for subset in itertools.combinations(neighbours, level):
                    if subset not in seen:
                        seen.add(subset)
                        pairs.append((i, j))
                        sets.append(subset)
    cond = np.zeros((len(sets), width), np.int32)
    mask = np.zeros((len(sets), width), bool)
    for row, subset in enumerate(sets):
        cond[row, : len(subset)] = subset
        mask[row, : len(subset)] = True
    return np.asarray(pairs, np.int32).reshape(-1, 2), cond, mask


def _bucket(count: int, batch_size: int) -> int:
    """Two static batch shapes (small levels and full batches): at most two compilations."""
    small = min(batch_size, 32)
    return small if count <= small else batch_size


def _run_level(batched, state, pairs, cond, mask, alpha, batch_size, removed, sepset, max_p):
    """Run one level's tests in batches; returns tests run, unconverged tests, pairs removed."""
    decided: set[tuple[int, int]] = set()
    n_run, n_unconverged, start = 0, 0, 0
    while start < len(pairs):
        todo = [
            r
            for r in range(start, min(start + batch_size, len(pairs)))
            if tuple(pairs[r]) not in decided
        ]
        start += batch_size
        if not todo:
            continue
        size = _bucket(len(todo), batch_size)
        rows = np.asarray(todo + [todo[-1]] * (size - len(todo)))
        pvalues, converged = batched(
            state,
            jnp.asarray(pairs[rows, 0]),
            jnp.asarray(pairs[rows, 1]),
            jnp.asarray(cond[rows]),
            jnp.asarray(mask[rows]),
        )
        pvalues, converged = np.asarray(pvalues)[: len(todo)], np.asarray(converged)[: len(todo)]
        _check_pvalues(pvalues, [pairs[r] for r in todo], [cond[r][mask[r]] for r in todo])
        n_run += len(todo)
        n_unconverged += int(np.sum(~converged))
        for row, pvalue in zip(todo, pvalues, strict=True):
            i, j = (int(v) for v in pairs[row])
            max_p[i, j] = max_p[j, i] = np.fmax(max_p[i, j], pvalue)
            if pvalue > alpha and (i, j) not in decided:
                decided.add((i, j))
                removed[i, j] = removed[j, i] = True
                sepset[i, j] = sepset[j, i] = np.where(mask[row], cond[row], -1)
    return n_run, n_unconverged, decided


def _check_pvalues(pvalues, pairs, sets):
    bad = np.flatnonzero(~np.isfinite(pvalues))
    if bad.size:
        (i, j), subset = pairs[bad[0]], sets[bad[0]].tolist()
        raise FloatingPointError(
            f"the CI test must return finite p-values, got NaN for {int(i)} ⊥ {int(j)} | "
            f"{subset} ({bad.size} NaN p-value(s) in this batch); check the data and the tester"
        )


def pc(
    data: Float[Array, "n p"],
    ci_test: CITest,
    *,
    alpha: float = 0.05,
    max_cond_set_size: int = 3,
    batch_size: int = 64,
    mesh: Mesh | None = None,
) -> PCResult:
    """PC-stable causal discovery with batched CI tests (module docstring).

    Args:
        data: the ``(n, p)`` data the tester was built from (used for its shape).
        ci_test: a :class:`CITest`, e.g. :func:`pair_ci_tester`, :func:`fisher_z_tester`,
            :func:`impute_then_tester`.
        alpha: significance level; an edge is removed when a test's p-value exceeds it.
        max_cond_set_size: the largest conditioning set (static width of the batched tests).
        batch_size: tests per compiled call; batches are padded to 32 or to ``batch_size``.
        mesh: devices to shard the batch over (default: all devices).

    Returns:
        :class:`PCResult` (skeleton, CPDAG, separating sets, test counts).

    Raises:
        ValueError: a constant column (no CI test can use it), or bad arguments.
        FloatingPointError: the CI test returned a NaN p-value (named in the message).

    Examples:
        >>> import jax, numpy as np
        >>> from jaxpapers.pair_ci import dag_to_cpdag, fisher_z_tester, pc, shd
        >>> from jaxpapers.pair_ci import random_dag, simulate_sem
        >>> weights = random_dag(jax.random.key(1), 6)
        >>> data = simulate_sem(jax.random.key(11), weights, 2000)
        >>> graph = pc(data, fisher_z_tester(data), alpha=0.01)
        >>> shd(graph.cpdag, dag_to_cpdag(np.asarray(weights))).skeleton_shd
        0
    """
    _validate.check_ndim("data", data, 2, "a 2-D (n, p) array")
    p = data.shape[1]
    if ci_test.n_vars != p:
        raise ValueError(f"ci_test must be built for data's {p} variables, got {ci_test.n_vars}")
    _validate.check_range("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    max_cond_set_size = _validate.check_integer("max_cond_set_size", max_cond_set_size, minimum=0)
    batch_size = _validate.check_integer("batch_size", batch_size, minimum=1)
    check_no_constant_column(data)
    batched = _batched(ci_test.fn, _mesh.make_mesh() if mesh is None else mesh)
    width = max(max_cond_set_size, 1)
    adjacency = ~np.eye(p, dtype=bool)
    removed = np.zeros((p, p), bool)
    sepset = -np.ones((p, p, width), np.int32)
    max_p = np.full((p, p), np.nan)
    per_level, unconverged = [], 0
    for level in range(max_cond_set_size + 1):
        pairs, cond, mask = list_level_tests(adjacency, level, width)
        if not len(pairs):
            break
        n_run, n_unconverged, decided = _run_level(
            batched, ci_test.state, pairs, cond, mask, alpha, batch_size, removed, sepset, max_p
        )
        per_level.append(n_run)
        unconverged += n_unconverged
        for i, j in decided:
            adjacency[i, j] = adjacency[j, i] = False
    cpdag = meek_rules(orient_v_structures(adjacency, sepset, removed))
    return PCResult(
        adjacency, cpdag, sepset, removed, max_p, sum(per_level), tuple(per_level), unconverged
    )
