"""Spec §4 checks 8-10: Adam's step bound and burn-in, ASM, and the bound functions."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.adam_sgd_tracking as ast

C_SPEC = 7.27029


def test_adam_step_constant(enable_x64):
    assert float(ast.adam_step_bound(0.9, 0.999)) == pytest.approx(C_SPEC, abs=1e-5)
    # Kingma & Ba's sparse-gradient case: a single gradient after a long silence moves
    # (1 - beta1)/sqrt(1 - beta2) = 3.16 alpha at most.
    assert float(ast.adam_step_bound(0.9, 0.999)) > 0.1 / np.sqrt(0.001)
    with pytest.raises(ValueError, match="beta1\\^2 < beta2"):
        ast.adam_step_bound(0.9, 0.5)


def test_adversarial_stream_attains_the_constant(enable_x64):
    """Check 8: g_s = (beta2/beta1)^s, s = 1..2000 (float64, grows to ~e^209): the raw ratio
    |m_t|/sqrt(v_t) at t = 2000 equals C to 1e-6."""
    grads = ast.adversarial_stream(0.9, 0.999, 2000)
    assert float(jnp.log(grads[-1])) == pytest.approx(209, abs=1)
    _, raw = ast.adam_step_ratios(grads, 0.9, 0.999)
    assert abs(float(raw) - float(ast.adam_step_bound(0.9, 0.999))) <= 1e-6


@pytest.mark.parametrize("stream", ["normal", "student_t", "cauchy", "sparse", "adversarial"])
def test_adam_step_never_exceeds_the_bound(stream, key, enable_x64):
    """Check 8: |theta_{t+1,i} - theta_{t,i}| <= C alpha on any stream (eps = 0, bias
    correction on), for several (beta1, beta2) with beta1^2 < beta2."""
    shape = (3000,)
    grads = {
        "normal": lambda: jax.random.normal(key, shape, jnp.float64),
        "student_t": lambda: jax.random.t(key, 1.5, shape, jnp.float64),
        "cauchy": lambda: jax.random.cauchy(key, shape, jnp.float64),
        "sparse": lambda: jnp.where(jnp.arange(3000) % 997 == 0, 1.0, 1e-30),
        "adversarial": lambda: ast.adversarial_stream(0.9, 0.999, 2000),
    }[stream]()
    for beta1, beta2 in [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)]:
        moves, _ = ast.adam_step_ratios(grads, beta1, beta2)
        bound = float(ast.adam_step_bound(beta1, beta2))
        assert float(jnp.max(moves)) <= bound * (1 + 1e-12)


@pytest.mark.slow
def test_burn_in_linear_for_adam_logarithmic_for_sgd(key):
    """Check 8: Adam (alpha = 1e-3) burn-in(R = 100)/burn-in(R = 10) >= 5; SGD at alpha* for
    an e0^2 ratio of 100 gives <= 1.6 (scalar, h = 1, sigma = 1, random-walk q = 1e-3). Slow;
    the quick reproduction's adam_burn_in_* and sgd_burn_in_* claims check the same at 8 seeds.
    """
    problem = ast.quadratic_tracking(jnp.ones(1), 1.0, 1e-3)
    hyper = ast.Hyperparams(1e-3)
    common = dict(num_seeds=16, record_every=1000)
    tail = ast.measure_burn_in(
        key, problem, "adam", hyper, distance=0.0, level=0.0, num_steps=130_000, **common
    )
    floor = float(tail.errors[10:].mean())
    assert floor == pytest.approx(1.02e-3, rel=0.15)  # spec: Adam floor ~ 1.02e-3
    times = {
        r: ast.measure_burn_in(
            key, problem, "adam", hyper, distance=r, level=2 * floor, num_steps=130_000, **common
        ).burn_in
        for r in (10.0, 100.0)
    }
    assert times[100.0] / times[10.0] >= 5
    assert times[100.0] >= float(ast.adam_burn_in_lower_bound(100.0, floor, 1e-3, 0.9, 0.999))
    with jax.enable_x64(True):
        alpha = float(ast.sgd_optimal_step(1.0, 1.0, 1e-3).step_size)
        level = 2 * float(ast.sgd_floor(alpha, 1.0, 1.0, 1e-3))
        sgd = [
            int(
                ast.burn_in_time(
                    ast.sgd_error_recursion(jnp.full(20_000, alpha), 1.0, 1.0, 1e-3, e0_sq), level
                )
            )
            for e0_sq in (1e2, 1e4)
        ]
    assert sgd[1] / sgd[0] <= 1.6


def test_asm_holds_for_diagonal_curvature(key):
    """Check 9: <D(grad F(x) - grad F(y)), x - y> >= q_- min h ||x - y||^2 on 10^4 random pairs,
    diagonal H and D in [q_-, q_+]^d; asm_modulus returns exactly q_- min h."""
    key_h, key_d, key_x, key_y = jax.random.split(key, 4)
    dim, pairs, q_minus, q_plus = 6, 10_000, 0.05, 20.0
    curvature = jax.random.uniform(key_h, (dim,), minval=0.1, maxval=5.0)
    scales = jax.random.uniform(key_d, (pairs, dim), minval=q_minus, maxval=q_plus)
    x = jax.random.normal(key_x, (pairs, dim))
    y = jax.random.normal(key_y, (pairs, dim))
    inner = jnp.sum(scales * curvature[None, :] * (x - y) ** 2, axis=1)
    modulus = q_minus * float(jnp.min(curvature))
    assert bool(jnp.all(inner >= modulus * jnp.sum((x - y) ** 2, axis=1) * (1 - 1e-6)))
    computed = float(ast.asm_modulus(jnp.diag(curvature), q_minus, q_plus))
    assert computed == pytest.approx(modulus, rel=1e-5)


def test_asm_fails_for_the_counterexample(key):
    """Check 9: H = [[1, .9], [.9, 1]] is positive definite, yet D = diag(1, 100) makes
    sym(DH) indefinite: asm_modulus < 0. It agrees with a brute-force search over D."""
    curvature = jnp.array([[1.0, 0.9], [0.9, 1.0]])
    modulus = float(ast.asm_modulus(curvature, 1.0, 100.0))
    assert modulus < 0
    scaled = jnp.diag(jnp.array([1.0, 100.0])) @ curvature
    assert float(jnp.linalg.eigvalsh((scaled + scaled.T) / 2)[0]) == pytest.approx(modulus)
    diagonals = jax.random.uniform(key, (5000, 2), minval=1.0, maxval=100.0)
    smallest = jax.vmap(
        lambda d: jnp.linalg.eigvalsh((d[:, None] * curvature + (d[:, None] * curvature).T) / 2)[0]
    )(diagonals)
    assert float(jnp.min(smallest)) >= modulus - 1e-4  # the vertex is the minimiser
    with pytest.raises((ValueError, TypeError), match="square|curvature"):
        ast.asm_modulus(jnp.ones(3), 1.0, 2.0)


DRIFTS = ["random_walk", "constant_velocity"]


def _error_upper_band(key, drift, optimizer, hyper):
    """Simulated E||e_t||^2 + 3 SE over 64 seeds, 1500 steps, on the 10-d tracking problem."""
    curvature = jnp.linspace(0.5, 2.0, 10)
    sigma = ast.hetero_noise(10)
    problem = ast.quadratic_tracking(curvature, sigma, 0.3, drift_kind=drift)
    offset = jnp.full(10, 3.0)
    result = ast.simulate(
        key, problem, optimizer, hyper, num_steps=1500, num_seeds=64, initial_offset=offset
    )
    errors = np.asarray(result.errors[0], np.float64)
    upper = errors.mean(0) + 3 * errors.std(0, ddof=1) / np.sqrt(errors.shape[0])
    return sigma, offset, upper


@pytest.mark.parametrize("drift", DRIFTS)
def test_sgd_bound_holds_at_every_t(drift, key):
    """Check 10: sgd_tracking_bound >= mean + 3 SE of the simulated E||e_t||^2 at every step."""
    sigma, offset, upper = _error_upper_band(key, drift, "sgd", ast.Hyperparams(0.2))
    steps = np.arange(1, 1501)
    bound = ast.sgd_tracking_bound(
        0.2, 0.5, float(np.sqrt(np.sum(sigma**2))), 0.3, steps, float(jnp.linalg.norm(offset))
    )
    assert np.all(np.asarray(bound) >= upper)
    # ...and it is informative: within a small factor of the error at its closest point.
    assert np.min(np.asarray(bound) / upper) <= 5


@pytest.mark.parametrize("drift", DRIFTS)
def test_adam_bound_holds_at_every_t(drift, key):
    """Check 10: adam_tracking_bound (eps = 1, our default constants) >= the simulated error."""
    sigma, offset, upper = _error_upper_band(key, drift, "adam", ast.Hyperparams(0.1, eps=1.0))
    bound = ast.adam_tracking_bound(
        np.arange(1, 1501),
        alpha=0.1,
        h_min=0.5,
        sigma=float(np.sqrt(np.sum(sigma**2))),
        delta=0.3,
        e0=float(jnp.linalg.norm(offset)),
        beta1=0.9,
        beta2=0.999,
        eps=1.0,
        grad_bound=2.0 * 3.0 + 5 * float(sigma.max()),
    )
    assert np.all(np.asarray(bound) >= upper)


def test_adam_bound_constants_are_user_settable():
    kwargs = dict(
        alpha=0.1,
        h_min=1.0,
        sigma=1.0,
        delta=0.5,
        e0=2.0,
        beta1=0.9,
        beta2=0.99,
        eps=1.0,
        grad_bound=4.0,
    )
    zero = ast.AdamBoundConstants(0.0, 0.0, 0.0, 0.0, 0.0)
    assert float(ast.adam_tracking_bound(3, constants=zero, **kwargs)) == 0.0
    only_beta2 = zero._replace(preconditioner=1.0)
    q_minus, q_plus, mu = 1 / 5.0, 1.0, 1 / 5.0
    expected = 4.0**4 * q_plus**4 * 0.01 / (q_minus**2 * mu**2)  # the [S] term
    # float32 arithmetic (the arguments become float32 arrays): 1e-5 relative
    assert float(ast.adam_tracking_bound(3, constants=only_beta2, **kwargs)) == pytest.approx(
        expected, rel=1e-5
    )
    only_beta1 = zero._replace(first_moment=2.0)
    assert float(ast.adam_tracking_bound(3, constants=only_beta1, **kwargs)) == pytest.approx(
        2.0 * 9.0 * 0.25, rel=1e-5
    )
    # The beta2 term does not vanish without noise (spec §2.2 [S]).
    assert float(ast.adam_tracking_bound(3, **{**kwargs, "sigma": 0.0, "delta": 0.0})) > 0


def test_alpha_star_scaling(enable_x64):
    """Check 10: the minimiser of the constant-velocity SGD floor is (Delta^2/(mu sigma^2))^(1/3)
    times a constant (4^(1/3) when alpha* is small)."""
    ratios = []
    for delta, sigma, h in [(1e-4, 1.0, 1.0), (1e-3, 2.0, 1.0), (1e-3, 1.0, 0.5), (1e-5, 0.3, 2.0)]:
        best = ast.sgd_optimal_step(h, sigma, delta, "constant_velocity")
        assert bool(best.converged) and 0 < int(best.num_steps) < 200
        alpha = float(best.step_size)
        ratios.append(alpha / (delta**2 / (h * sigma**2)) ** (1 / 3))
    # Delta^2/(alpha^2 h^2) + alpha sigma^2/(h (2 - alpha h)) is minimised at
    # alpha^3 = 4 Delta^2/(h sigma^2) up to O(alpha h) corrections (< 1 % here).
    np.testing.assert_allclose(ratios, 4 ** (1 / 3), rtol=0.01)
    # Random-walk drift: the exact floor's minimiser is ~ q/sigma (spec §2.3-5: 9.995e-4).
    best = ast.sgd_optimal_step(1.0, 1.0, 1e-3)
    assert float(best.step_size) == pytest.approx(9.995e-4, rel=1e-3)
    assert float(best.floor) == pytest.approx(float(ast.sgd_floor(best.step_size, 1.0, 1.0, 1e-3)))
    # in float32 the search stops at sqrt(machine epsilon) and says it converged
    with jax.enable_x64(False):
        best32 = ast.sgd_optimal_step(jnp.float32(1.0), 1.0, 1e-3)
        assert bool(best32.converged) and float(best32.step_size) == pytest.approx(9.995e-4, 1e-3)


ADAM_BOUND_ARGS = dict(
    alpha=0.1, sigma=1.0, delta=0.5, e0=2.0, beta1=0.9, beta2=0.99, eps=1.0, grad_bound=4.0
)


def test_adam_bound_refuses_a_negative_curvature(own_validation):
    """h_min = -1 gave 883.8 (a plausible bound); now a clear error, eagerly and in jit."""
    with pytest.raises(ValueError, match="h_min must be > 0, got -1"):
        ast.adam_tracking_bound(3, h_min=-1.0, **ADAM_BOUND_ARGS)
    with pytest.raises(Exception, match="h_min must be > 0"):
        jax.jit(lambda h: ast.adam_tracking_bound(3, h_min=h, **ADAM_BOUND_ARGS))(
            jnp.asarray(-1.0)
        ).block_until_ready()
    with pytest.raises(ValueError, match="eps must be > 0"):
        ast.adam_tracking_bound(3, h_min=1.0, **{**ADAM_BOUND_ARGS, "eps": 0.0})
    with pytest.raises(ValueError, match="grad_bound"):
        ast.adam_tracking_bound(3, h_min=1.0, **{**ADAM_BOUND_ARGS, "grad_bound": -4.0})


def test_sgd_bound_refuses_bad_arguments(own_validation):
    with pytest.raises(ValueError, match="mu must be > 0"):
        ast.sgd_tracking_bound(0.1, -0.5, 1.0, 0.1, 10, 1.0)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        ast.sgd_tracking_bound(0.0, 0.5, 1.0, 0.1, 10, 1.0)


def test_noise_drift_crossover_interpolates():
    x = np.array([0.1, 0.2, 0.4, 0.8])
    ratio = np.array([0.5, 0.8, 1.25, 2.0])
    # between 0.2 (log ratio -0.223) and 0.4 (+0.223): the geometric midpoint
    assert float(ast.noise_drift_crossover(x, ratio)) == pytest.approx(np.sqrt(0.08))
    assert np.isnan(float(ast.noise_drift_crossover(x, np.full(4, 0.5))))
    best, step = ast.tune_step_size(jnp.array([3.0, jnp.nan, 1.0, jnp.inf]), jnp.arange(4.0))
    assert float(best) == 1.0 and float(step) == 2.0
