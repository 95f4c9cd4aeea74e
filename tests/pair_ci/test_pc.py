"""PC: graph operations, planted-truth recovery, causal-learn agreement, sharding."""

import numpy as np
import pytest

import jax

import jaxpapers.pair_ci as pc
from jaxpapers import _mesh
from jaxpapers.pair_ci._pc import list_level_tests


def _dag(p, edges):
    w = np.zeros((p, p))
    for a, b in edges:
        w[a, b] = 1.0
    return w


def test_cpdag_of_a_collider_is_directed_and_of_a_chain_undirected():
    collider = pc.dag_to_cpdag(_dag(3, [(0, 2), (1, 2)]))
    np.testing.assert_array_equal(collider, [[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    chain = pc.dag_to_cpdag(_dag(3, [(0, 1), (1, 2)]))
    np.testing.assert_array_equal(chain, [[0, 1, 0], [1, 0, 1], [0, 1, 0]])


def test_meek_rule_1_propagates_below_a_collider():
    # 0 → 2 ← 1 and 2 — 3: R1 orients 2 → 3.
    cpdag = pc.dag_to_cpdag(_dag(4, [(0, 2), (1, 2), (2, 3)]))
    assert cpdag[2, 3] == 1 and cpdag[3, 2] == 0


def test_shd_counts_missing_extra_and_reversed():
    truth = pc.dag_to_cpdag(_dag(3, [(0, 2), (1, 2)]))
    assert pc.shd(truth, truth) == (0, 0, 0, 0)
    reversed_edge = truth.copy()
    reversed_edge[0, 2], reversed_edge[2, 0] = 0, 1
    assert pc.shd(reversed_edge, truth) == (1, 0, 0, 0)
    extra = truth.copy()
    extra[0, 1] = extra[1, 0] = 1
    assert pc.shd(extra, truth) == (1, 1, 1, 0)
    assert pc.shd(np.zeros((3, 3), int), truth) == (2, 2, 0, 2)


@pytest.fixture(scope="module")
def linear_graph():
    key_g, key_s = jax.random.split(jax.random.key(21))
    weights = pc.random_dag(key_g, 8)
    return np.asarray(weights), pc.simulate_sem(key_s, weights, 3000)


def test_pc_with_oracle_fisher_z_recovers_a_planted_skeleton(linear_graph):
    weights, data = linear_graph
    result = pc.pc(data, pc.fisher_z_tester(data), alpha=0.01, max_cond_set_size=3)
    truth = pc.dag_to_cpdag(weights)
    assert pc.shd(result.skeleton.astype(int), truth).skeleton_shd == 0
    assert result.n_tests == sum(result.tests_per_level)
    removed = np.argwhere(result.removed)
    assert all(result.max_pvalue[i, j] > 0.01 for i, j in removed)


def test_pc_skeleton_matches_causal_learn(linear_graph):
    cl_pc = pytest.importorskip("causallearn.search.ConstraintBased.PC")
    _, data = linear_graph
    ours = pc.pc(data, pc.fisher_z_tester(data), alpha=0.05, max_cond_set_size=3)
    theirs = cl_pc.pc(np.asarray(data, np.float64), 0.05, "fisherz", stable=True, depth=3,
                      show_progress=False, verbose=False)  # fmt: skip
    adjacency = theirs.G.graph != 0
    np.testing.assert_array_equal(ours.skeleton, adjacency | adjacency.T)


def test_batched_pc_is_the_same_on_one_and_on_eight_devices(linear_graph):
    _, data = linear_graph
    tester = pc.fisher_z_tester(data)
    one = _mesh.make_mesh(devices=jax.devices()[:1])
    eight = _mesh.make_mesh()
    assert eight.size == 8
    a = pc.pc(data, tester, max_cond_set_size=2, mesh=one)
    b = pc.pc(data, tester, max_cond_set_size=2, mesh=eight, batch_size=16)
    np.testing.assert_array_equal(a.cpdag, b.cpdag)
    np.testing.assert_array_equal(a.sepset, b.sepset)
    assert a.n_tests >= b.n_tests  # smaller batches skip more already-decided pairs


def test_level_listing_covers_both_neighbourhoods():
    adjacency = np.zeros((4, 4), bool)
    for a, b in [(0, 1), (0, 2), (1, 3)]:
        adjacency[a, b] = adjacency[b, a] = True
    pairs, cond, mask = list_level_tests(adjacency, 1, 2)
    listed = {(int(i), int(j), int(c[0])) for (i, j), c in zip(pairs, cond, strict=True)}
    assert listed == {(0, 1, 2), (0, 1, 3), (0, 2, 1), (1, 3, 0)}
    assert mask[:, 0].all() and not mask[:, 1].any()
