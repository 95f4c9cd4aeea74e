"""C8: HAILFINDER loads offline from the pgmpy wheel, samples its CPTs, and runs one test.

The tests that read the network need the optional ``pgmpy<1.3`` wheel (only its data file is
read) and are marked ``optional_data``; they skip without it.
"""

import gzip

import numpy as np
import pytest

import jax

import jaxpapers.pair_ci as pc


@pytest.fixture(scope="module")
def network():
    try:
        path = pc.hailfinder_path()
    except FileNotFoundError as error:
        pytest.skip(f"HAILFINDER not available: {error}")
    return pc.load_bif(path)


@pytest.mark.optional_data
def test_structure(network):
    assert len(network.names) == 56 and network.adjacency().sum() == 66
    assert sorted(set(network.cardinalities)) == [2, 3, 4, 5, 6, 7, 11]
    for child, parents in enumerate(network.parents):
        assert all(q < child for q in parents)  # topological order
        np.testing.assert_allclose(network.cpts[child].sum(axis=-1), 1.0, atol=1e-6)


@pytest.mark.optional_data
def test_ancestral_sampler_reproduces_root_marginals(network):
    data = np.asarray(pc.sample_bayes_net(jax.random.key(8), network, 20000)).astype(int)
    roots = [j for j, parents in enumerate(network.parents) if not parents][:3]
    for j in roots:
        freq = np.bincount(data[:, j], minlength=network.cardinalities[j]) / 20000
        np.testing.assert_allclose(freq, network.cpts[j], atol=0.02)  # se ≤ 0.0035: > 5 se


@pytest.mark.optional_data
def test_one_categorical_pair_ci_test_runs_end_to_end(network):
    # A child, its parents and one more node keep the compiled program small; the
    # reproduction runs the full 56-variable network.
    key_s, key_m, key_t = jax.random.split(jax.random.key(9), 3)
    child = next(j for j, parents in enumerate(network.parents) if len(parents) >= 2)
    columns = [*network.parents[child][:2], child, (child + 1) % 56]
    sample = pc.sample_bayes_net(key_s, network, 300)[:, np.asarray(columns)]
    data = pc.mnar_first_state(key_m, sample, n_nodes=2)
    cards = tuple(network.cardinalities[c] for c in columns)
    cfg = pc.Config(n_folds=3, n_imputations=2, learner="categorical", imputation_sweeps=1)
    res = pc.pair_ci_test(key_t, data, 0, 2, [1], config=cfg, cardinalities=cards)
    assert np.isfinite(float(res.pvalue)) and 0.0 <= float(res.pvalue) <= 1.0
    assert bool(res.valid) and int(res.num_steps) >= 1


@pytest.mark.optional_data
def test_parser_reads_a_plain_bif_file(tmp_path, network):
    text = gzip.decompress(pc.hailfinder_path().read_bytes())
    plain = tmp_path / "hailfinder.bif"
    plain.write_bytes(text)
    again = pc.load_bif(plain)
    assert again.names == network.names


def test_missing_pgmpy_gives_a_clear_message(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pgmpy<1.3"):
        pc.hailfinder_path()


def test_ancestral_subset_is_closed_under_parents_and_connected():
    from jaxpapers.pair_ci import ancestral_subset

    rng = np.random.default_rng(0)
    dag = np.triu(rng.random((30, 30)) < 0.15, k=1).astype(int)
    for count in (5, 12, 20):
        keep = ancestral_subset(dag, count)
        assert 0 < len(keep) <= count
        for node in keep:  # every parent of a kept node is kept
            assert set(np.flatnonzero(dag[:, node])) <= set(keep.tolist())
        assert dag[np.ix_(keep, keep)].sum() > 0
    np.testing.assert_array_equal(ancestral_subset(dag, None), np.arange(30))
