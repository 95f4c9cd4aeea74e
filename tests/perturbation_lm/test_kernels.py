"""Spec §3 check 1 (kernel contract) and the EDA kernel's operations."""

import functools

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.perturbation_lm as pl
from tests.conformance import check_conformance

M = 4


def test_rate_zero_is_the_identity():
    tokens = jnp.arange(24, dtype=jnp.int32)
    out = pl.perturb_synonym(jax.random.key(0), tokens, class_size=M, rho=0.0)
    np.testing.assert_array_equal(out, tokens)


def test_classes_are_kept_and_the_edit_rate_is_rho_times_one_minus_one_over_m():
    """1e5 tokens: the rate's binomial standard error is ~1.4e-3, so ±0.01 is ~7 SE."""
    tokens = jax.random.randint(jax.random.key(1), (100_000,), 0, 24, jnp.int32)
    for rho in (0.1, 0.3, 0.6, 1.0):
        out = pl.perturb_synonym(jax.random.key(2), tokens, class_size=M, rho=rho)
        np.testing.assert_array_equal(out // M, tokens // M)
        rate = float(jnp.mean(out != tokens))
        assert abs(rate - rho * (1 - 1 / M)) <= 0.01, (rho, rate)


def test_replacements_are_uniform_over_the_class():
    tokens = jnp.zeros(40_000, jnp.int32)
    out = pl.perturb_synonym(jax.random.key(3), tokens, class_size=M, rho=1.0)
    counts = np.bincount(np.asarray(out), minlength=M) / out.size
    np.testing.assert_allclose(counts, 0.25, atol=0.01)  # SE 2.2e-3: ~4.5 SE


def test_deterministic_per_key_different_across_keys_jit_and_vmap():
    tokens = jnp.arange(24, dtype=jnp.int32)
    kernel = functools.partial(pl.perturb_synonym, class_size=M, rho=0.5)
    a = kernel(jax.random.key(0), tokens)
    np.testing.assert_array_equal(a, kernel(jax.random.key(0), tokens))
    assert bool(jnp.any(a != kernel(jax.random.key(1), tokens)))
    np.testing.assert_array_equal(a, jax.jit(kernel)(jax.random.key(0), tokens))
    keys = jax.random.split(jax.random.key(4), 3)
    batched = jax.vmap(kernel, in_axes=(0, None))(keys, tokens)
    np.testing.assert_array_equal(batched[1], kernel(keys[1], tokens))


def test_traced_rate_in_a_partial_gives_one_program():
    tokens = jnp.arange(24, dtype=jnp.int32)
    f = jax.jit(lambda kernel, key: kernel(key, tokens))
    for rho in (0.0, 0.5):
        kernel = jax.tree_util.Partial(pl.perturb_synonym, class_size=M, rho=jnp.float32(rho))
        out = f(kernel, jax.random.key(0))
        np.testing.assert_array_equal(out, pl.perturb_synonym(jax.random.key(0), tokens, M, rho))
    assert f._cache_size() == 1


def test_conformance_of_perturb_synonym():
    tokens = jnp.arange(24, dtype=jnp.int32)
    check_conformance(lambda k, x: pl.perturb_synonym(k, x, class_size=M, rho=0.5), tokens,
                      key=jax.random.key(5))  # fmt: skip


# ----- EDA -------------------------------------------------------------------------------------

TABLE = pl.class_synonyms(24, M)
FULL = jnp.ones(12, bool)
TOKENS = jnp.arange(12, dtype=jnp.int32) * 2


def test_class_synonyms_lists_the_class():
    np.testing.assert_array_equal(TABLE[5], [4, 5, 6, 7])


def test_eda_with_zero_rates_is_the_identity():
    out, mask = pl.perturb_eda(jax.random.key(0), TOKENS, FULL, TABLE, pl.EDARates())
    np.testing.assert_array_equal(out, TOKENS)
    assert bool(mask.all())


def test_eda_replacement_has_the_synonym_kernel_law():
    """SR with the class table = the synonym kernel: same class, edit rate rho (1 - 1/m)."""
    tokens = jax.random.randint(jax.random.key(1), (200,), 0, 24, jnp.int32)
    keys = jax.random.split(jax.random.key(2), 500)
    sr = jax.vmap(lambda k: pl.perturb_eda(k, tokens, jnp.ones(200, bool), TABLE,
                                           pl.EDARates(replace=0.4))[0])(keys)  # fmt: skip
    np.testing.assert_array_equal(sr // M, jnp.broadcast_to(tokens // M, sr.shape))
    assert abs(float(jnp.mean(sr != tokens[None, :])) - 0.4 * 0.75) <= 0.01  # SE 1.4e-3


def test_eda_swap_keeps_the_multiset_and_moves_tokens():
    out, mask = pl.perturb_eda(jax.random.key(3), TOKENS, FULL, TABLE, pl.EDARates(swap=0.5))
    assert sorted(out.tolist()) == sorted(TOKENS.tolist()) and bool(mask.all())
    assert bool(jnp.any(out != TOKENS))


def test_eda_delete_keeps_order_and_at_least_one_token():
    out, mask = pl.perturb_eda(jax.random.key(4), TOKENS, FULL, TABLE, pl.EDARates(delete=0.5))
    kept = out[mask].tolist()
    assert 0 < len(kept) < 12 and kept == sorted(kept)
    assert set(kept) <= set(TOKENS.tolist())
    assert not bool(jnp.any(mask[:-1] & ~mask[1:]))  # valid tokens packed at the end
    out, mask = pl.perturb_eda(jax.random.key(4), TOKENS, FULL, TABLE, pl.EDARates(delete=1.0))
    assert out[mask].tolist() == [TOKENS[-1]]


def test_eda_insert_adds_synonyms_of_present_tokens_and_respects_the_mask():
    mask = jnp.arange(12) >= 6  # six valid tokens, left-padded
    out, new_mask = pl.perturb_eda(jax.random.key(5), TOKENS, mask, TABLE, pl.EDARates(insert=1.0))
    assert int(new_mask.sum()) == 12  # every valid token gets one insertion
    classes = set((TOKENS[6:] // M).tolist())
    assert set((out // M).tolist()) <= classes
    rest = iter(out.tolist())
    assert all(t in rest for t in TOKENS[6:].tolist())  # the originals are a subsequence


def test_eda_insertion_rate_matches_its_expectation():
    """RI at rate r on L valid tokens adds Binomial(L, r) tokens (capped by the length)."""
    mask = jnp.arange(64) >= 32
    tokens = jnp.arange(64, dtype=jnp.int32) % 24
    keys = jax.random.split(jax.random.key(6), 400)
    grow = jax.vmap(lambda k: pl.perturb_eda(k, tokens, mask, TABLE,
                                             pl.EDARates(insert=0.25))[1].sum())(keys)  # fmt: skip
    # mean 8, sd sqrt(32 * .25 * .75) = 2.45; SE of the mean over 400 draws 0.12: 4 SE
    assert abs(float(jnp.mean(grow)) - 32 - 8) <= 0.5


def test_eda_kernel_is_length_preserving_only():
    kernel = pl.eda_kernel(TABLE, pl.EDARates(replace=1.0, swap=0.2))
    out = jax.jit(kernel)(jax.random.key(0), TOKENS)
    assert out.shape == TOKENS.shape
    assert sorted((out // M).tolist()) == sorted((TOKENS // M).tolist())
    with pytest.raises(ValueError, match="rates.delete must be 0"):
        pl.eda_kernel(TABLE, pl.EDARates(delete=0.1))


def test_uniform_valid_draws_only_valid_positions_uniformly():
    """RI's source token and RS's partner are uniform over the valid positions."""
    from jaxpapers.perturbation_lm._kernels import _uniform_valid

    mask = jnp.zeros(16, bool).at[jnp.array([2, 3, 7, 11, 15])].set(True)
    draws = np.asarray(_uniform_valid(jax.random.key(7), mask, (20_000,)))
    assert set(draws.tolist()) == {2, 3, 7, 11, 15}
    counts = np.bincount(draws, minlength=16)[[2, 3, 7, 11, 15]]
    # each count ~ Binomial(20000, 0.2): sd 57; 5 sd
    assert np.all(np.abs(counts - 4000) <= 285), counts
    assert (
        np.asarray(_uniform_valid(jax.random.key(0), jnp.zeros(8, bool), (5,))).tolist() == [0] * 5
    )
    one = _uniform_valid(jax.random.key(1), jnp.zeros(8, bool).at[7].set(True), (50,))
    assert set(np.asarray(one).tolist()) == {7}
