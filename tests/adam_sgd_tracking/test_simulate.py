"""The simulator: sharding, conformance, problems, and clear errors for bad input."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.adam_sgd_tracking as ast
from jaxpapers import _mesh
from tests.conformance import check_conformance, count_compilations
from tests.helpers import tree_allclose


def _problem():
    return ast.quadratic_tracking(jnp.ones(4), jnp.array([0.1, 1.0, 2.0, 5.0]), 0.3)


def test_sharded_equals_unsharded(key):
    """(configs x seeds) = 3 x 5 runs split over the 8 fake CPU devices (15 is padded to 16)."""
    assert jax.device_count() == 8
    hyper, _ = ast.hyperparameter_grid([0.01, 0.05, 0.2])
    kwargs = dict(num_steps=200, num_seeds=5, record_every=20, discard=100)
    plain = ast.simulate(key, _problem(), "adam", hyper, **kwargs)
    mesh = _mesh.make_mesh()
    sharded = ast.simulate(key, _problem(), "adam", hyper, mesh=mesh, **kwargs)
    assert tree_allclose(plain, sharded, rtol=1e-6, atol=1e-7)
    assert sharded.errors.shape == (3, 5, 10)
    assert len(sharded.errors.sharding.device_set) == 8
    other = ast.quadratic_tracking(jnp.full(4, 2.0), 0.5, 1.0)
    with count_compilations() as compiled:  # the sharded program is cached too
        jax.block_until_ready(ast.simulate(key, other, "adam", hyper, mesh=mesh, **kwargs))
    assert compiled[0] == 0


def test_conformance(key):
    """jit == eager, no recompilation, same key same answer, vmap over keys == loop."""
    problem = _problem()
    hyper = ast.Hyperparams(jnp.array([0.01, 0.1]))

    def run(k):
        return ast.simulate(k, problem, "adam", hyper, num_steps=30, num_seeds=2, record_every=6)

    check_conformance(run, key=key)


def test_second_call_with_new_problem_values_does_not_recompile(key):
    kwargs = dict(num_steps=50, num_seeds=2, record_every=5)
    ast.simulate(key, _problem(), "sgd", ast.Hyperparams(0.1), **kwargs)
    other = ast.quadratic_tracking(jnp.full(4, 2.0), 0.5, 1.0)
    with count_compilations() as compiled:
        jax.block_until_ready(ast.simulate(key, other, "sgd", ast.Hyperparams(0.3), **kwargs))
    assert compiled[0] == 0


def test_grid_layout(key):
    hyper, shape = ast.hyperparameter_grid([0.01, 0.1, 1.0], beta1=(0.0, 0.9))
    assert shape == (2, 1, 1, 3)
    np.testing.assert_allclose(
        np.asarray(hyper.learning_rate).reshape(shape)[1, 0, 0], [0.01, 0.1, 1.0], rtol=1e-6
    )
    np.testing.assert_allclose(
        np.asarray(hyper.beta1).reshape(shape)[:, 0, 0, 0], [0.0, 0.9], rtol=1e-6
    )
    result = ast.simulate(key, _problem(), "adam", hyper, num_steps=40, num_seeds=3, record_every=4)
    assert result.errors.shape == (6, 3, 10) and result.floor.shape == (6, 3)
    assert result.params.shape == (6, 3, 4)
    # each setting equals its own single run (same seeds)
    single = ast.simulate(
        key,
        _problem(),
        "adam",
        ast.Hyperparams(0.1, beta1=0.9),
        num_steps=40,
        num_seeds=3,
        record_every=4,
    )
    np.testing.assert_allclose(result.errors[4], single.errors[0], rtol=1e-6)


def test_projected_problem_stays_in_the_box(key):
    problem = ast.quadratic_tracking(jnp.ones(3), 1.0, 0.5, box=(-1.0, 2.0))
    result = ast.simulate(
        key, problem, "sgd", ast.Hyperparams(0.5), num_steps=400, num_seeds=8, record_every=1
    )
    params = np.asarray(result.params)
    assert params.min() >= -1.0 and params.max() <= 2.0
    # The target random-walks far outside the box; the error is against the clipped target,
    # so it stays of the order of the floor instead of growing like t Delta^2.
    assert float(jnp.mean(result.errors[..., -100:])) < 5.0


def test_heavy_tailed_noise_is_a_unit_variance_student_t(key):
    """Student-t noise (2.5 dof) rescaled by sqrt((dof - 2)/dof) to unit variance: the
    gradient noise g - H(theta - theta*) / sigma follows scipy's t(2.5, scale=sqrt(0.2)).
    (Its fourth moment is infinite, so a floor-versus-formula check would need far more seeds;
    the distribution itself is checked instead, by a Kolmogorov-Smirnov test.)"""
    scipy_stats = pytest.importorskip("scipy.stats")
    problem = ast.quadratic_tracking(jnp.ones(2), 3.0, 0.0, noise_kind="student_t", dof=2.5)
    target = jnp.array([1.0, -1.0])
    keys = jax.random.split(key, 10_000)
    grads = jax.vmap(problem.gradient, in_axes=(0, None, None))(keys, target, target)
    noise = np.asarray(grads, np.float64).ravel() / 3.0
    result = scipy_stats.kstest(noise, scipy_stats.t(df=2.5, scale=np.sqrt(0.5 / 2.5)).cdf)
    assert result.pvalue > 1e-3  # fixed key; a wrong scale (e.g. unscaled t) gives p ~ 0


@pytest.mark.slow
def test_gaussian_noise_gives_the_exact_sgd_floor(key):
    """Tolerance: 5 standard errors over 64 seeds. Slow: the quick reproduction's claim
    sgd_floor_random_walk checks the same floor at 64 seeds x 8000 steps."""
    problem = ast.quadratic_tracking(jnp.ones(5), 1.0, 0.0)
    exact = float(ast.sgd_floor(0.1, jnp.ones(5), 1.0, 0.0))
    result = ast.simulate(
        key,
        problem,
        "sgd",
        ast.Hyperparams(0.1),
        num_steps=2000,
        num_seeds=64,
        record_every=100,
        discard=500,
    )
    per_seed = np.asarray(result.floor[0], np.float64)
    assert abs(per_seed.mean() - exact) <= 5 * per_seed.std(ddof=1) / np.sqrt(per_seed.size)


def test_rotating_logistic_tracks_and_its_target_is_stationary(key):
    problem = ast.rotating_logistic(dim=5, radius=2.0, angular_speed=2e-3, batch_size=8)
    state = jnp.asarray(0.7)
    target = problem.minimizer(state)
    assert float(jnp.linalg.norm(target)) == pytest.approx(2.0, rel=1e-6)
    key_a, key_b, key_c = jax.random.split(key, 3)
    # The model is well specified: the population gradient vanishes at w*_t.
    gap_at_target = float(ast.stationarity_gap(key_a, problem, target, state, 0.5, 20_000))
    gap_at_zero = float(ast.stationarity_gap(key_b, problem, jnp.zeros(5), state, 0.5, 20_000))
    # 20 000 samples: the estimated gap at w* is ~ d/n = 2.5e-4 (sampling noise only)
    assert gap_at_target < 1e-3 and gap_at_zero > 0.05
    result = ast.simulate(
        key_c,
        problem,
        "adam",
        ast.Hyperparams(0.02),
        num_steps=2000,
        num_seeds=4,
        record_every=100,
        initial_offset=-target,  # start at the origin, 2 away from w*_0
    )
    errors = np.asarray(result.errors).mean(axis=(0, 1))
    assert errors[-1] < 0.25 * errors[0]  # it catches up with the rotating target
    assert np.all(np.linalg.norm(np.asarray(result.params), axis=-1) <= 10.0 + 1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(drift=float("nan")), "drift"),
        (dict(drift=float("inf")), "drift"),
        (dict(drift=-0.1), "drift"),
        (dict(noise_scale=jnp.array([1.0, jnp.inf])), "noise_scale"),
        (dict(noise_scale=float("nan")), "noise_scale"),
        (dict(drift_kind="sideways"), "drift_kind"),
        (dict(noise_kind="laplace"), "noise_kind"),
        (dict(curvature=jnp.array([1.0, -1.0])), "curvature"),
        (dict(noise_kind="student_t", dof=2.0), "dof"),
        (dict(box=(1.0, 2.0)), "box"),
    ],
)
def test_bad_problems_are_clear_errors(kwargs, message, own_validation):
    args = dict(curvature=jnp.ones(2), noise_scale=1.0, drift=0.1) | kwargs
    with pytest.raises(ValueError, match=message):
        ast.quadratic_tracking(**args)


def test_bad_simulation_sizes_are_clear_errors(key, own_validation):
    problem = _problem()
    with pytest.raises(ValueError, match="record_every"):
        ast.simulate(key, problem, "sgd", num_steps=10, record_every=3)
    with pytest.raises(ValueError, match="discard"):
        ast.simulate(key, problem, "sgd", num_steps=10, discard=10)
    with pytest.raises(ValueError, match="num_seeds"):
        ast.simulate(key, problem, "sgd", num_steps=10, num_seeds=0)
    with pytest.raises(TypeError, match="num_steps must be an integer"):
        ast.simulate(key, problem, "sgd", num_steps=10.5)
    with pytest.raises(ValueError, match="initial_offset"):
        ast.simulate(key, problem, "sgd", num_steps=10, initial_offset=jnp.full(4, jnp.nan))
    with pytest.raises(ValueError, match="common length"):
        ast.simulate(
            key,
            problem,
            "sgd",
            ast.Hyperparams(jnp.ones(3), beta1=jnp.zeros(2) + 0.5),
            num_steps=10,
        )


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_wrong_shape_initial_offset_is_a_clear_error(jit, key, own_validation):
    """A (3,) offset on a 4-d problem: a ValueError naming the argument and both shapes, not a
    broadcasting error from inside JAX; shapes are static, so also under jit."""

    problem = _problem()

    def run(k, offset):
        return ast.simulate(k, problem, "sgd", num_steps=10, initial_offset=offset)

    with pytest.raises(ValueError, match=r"initial_offset must be a scalar or have shape \(4,\)"):
        (jax.jit(run) if jit else run)(key, jnp.ones(3))
    assert run(key, 1.0).floor.shape == (1, 1)  # a scalar offset is broadcast


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_divergent_step_size_is_flagged_as_data(jit, key):
    """SGD with alpha h >= 2 diverges: the run is flagged and its floor is NaN, eagerly and
    under jit, while the stable settings of the same grid are unaffected."""
    problem = ast.quadratic_tracking(jnp.ones(3), 1.0, 0.1)
    grid = ast.Hyperparams(jnp.array([0.1, 2.5]))

    def run(k):
        return ast.simulate(k, problem, "sgd", grid, num_steps=2000, num_seeds=3, record_every=10)

    result = (jax.jit(run) if jit else run)(key)
    assert result.diverged.tolist() == [[False] * 3, [True] * 3]
    assert bool(jnp.all(jnp.isnan(result.floor[1])))
    assert bool(jnp.all(jnp.isfinite(result.floor[0])))
    exact = float(ast.sgd_floor(0.1, jnp.ones(3), 1.0, 0.1))
    assert float(jnp.mean(result.floor[0])) == pytest.approx(exact, rel=0.3)


def test_init_and_step_are_the_simulator(key):
    """track is a scan of step from init; one step by hand: the gradient at theta_0, optax's
    update, the target's random-walk move and the error after it."""
    problem = _problem()
    opt = ast.optimizer("adam", ast.Hyperparams(0.05))
    state = ast.init(key, problem, opt, initial_offset=jnp.ones(4))
    np.testing.assert_array_equal(state.params, jnp.ones(4))
    key_step = jax.random.key(3)
    new, info = ast.step(key_step, state, problem, opt)
    key_grad, key_drift = jax.random.split(key_step)
    grads = problem.gradient(key_grad, state.params, state.problem_state)
    with jax.numpy_dtype_promotion("standard"):
        updates, _ = opt.update(grads, state.opt_state, state.params)
    np.testing.assert_allclose(new.params, state.params + updates, rtol=1e-6)
    target = problem.advance(key_drift, state.problem_state)
    np.testing.assert_allclose(info.error, jnp.sum((new.params - target) ** 2), rtol=1e-6)
    errors, final = ast.track(key, problem, opt, num_steps=20, record_every=20)
    assert errors.shape == (1,) and final.shape == (4,)


def test_citation_names_the_paper():
    assert "2605.04269" in ast.citation() and "Adapt or Forget" in ast.citation()
