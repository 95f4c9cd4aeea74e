"""The chunked scan driver: same result as one scan, NaN detection, bit-exact resume."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from jaxpapers._loop import run_chunked
from tests.helpers import tree_equal

KEY = jax.random.key(7)


def _step(state, t):
    """A noisy AR(1) step keyed by the global step index (like any stochastic driver)."""
    noise = jax.random.normal(jax.random.fold_in(KEY, t), state["x"].shape)
    x = 0.9 * state["x"] + noise
    return {"x": x, "n": state["n"] + 1}, {"norm": jnp.linalg.norm(x), "t": t}


INIT = {"x": jnp.zeros(3), "n": jnp.int32(0)}


def _one_scan(num_steps):
    return jax.lax.scan(_step, INIT, jnp.arange(num_steps, dtype=jnp.int32))


@pytest.mark.parametrize("chunk_size", [1, 7, 25, 40])
def test_chunks_equal_one_scan(chunk_size):
    result = run_chunked(_step, INIT, 25, chunk_size=chunk_size, metric="norm", show_progress=False)
    state, infos = _one_scan(25)
    assert result.steps_done == 25
    np.testing.assert_allclose(result.state["x"], state["x"], rtol=1e-6)
    np.testing.assert_array_equal(result.infos["t"], np.arange(25))
    np.testing.assert_allclose(result.infos["norm"], infos["norm"], rtol=1e-6)


def test_resume_after_chunk_k_is_bit_identical(tmp_path):
    whole = run_chunked(
        _step, INIT, 50, chunk_size=10, checkpoint_dir=tmp_path / "a", show_progress=False
    )
    part = run_chunked(
        _step,
        INIT,
        50,
        chunk_size=10,
        checkpoint_dir=tmp_path / "b",
        max_chunks=3,
        show_progress=False,
    )
    assert part.steps_done == 30
    resumed = run_chunked(
        _step, INIT, 50, chunk_size=10, checkpoint_dir=tmp_path / "b", show_progress=False
    )
    assert resumed.steps_done == 50
    assert tree_equal(whole.state, resumed.state)
    assert tree_equal(whole.infos, resumed.infos)


def test_resume_of_a_finished_run_returns_it(tmp_path):
    first = run_chunked(
        _step, INIT, 20, chunk_size=10, checkpoint_dir=tmp_path, show_progress=False
    )
    again = run_chunked(
        _step, INIT, 20, chunk_size=10, checkpoint_dir=tmp_path, show_progress=False
    )
    assert tree_equal(first.state, again.state) and tree_equal(first.infos, again.infos)


def test_nan_raises_naming_the_step():
    def blows_up(state, t):
        value = jnp.where(t >= 13, jnp.nan, state + 1.0)
        return value, {"value": value}

    with pytest.raises(FloatingPointError, match="step 13"):
        run_chunked(blows_up, jnp.float32(0.0), 40, chunk_size=5, show_progress=False)


def test_inf_in_state_only_is_caught():
    def overflow(state, t):
        return state * jnp.float32(1e30), {"t": t}

    with pytest.raises(FloatingPointError, match="non-finite"):
        run_chunked(overflow, jnp.float32(1.0), 6, chunk_size=3, show_progress=False)


def test_bad_arguments():
    with pytest.raises(ValueError, match="chunk_size"):
        run_chunked(_step, INIT, 10, chunk_size=0)
