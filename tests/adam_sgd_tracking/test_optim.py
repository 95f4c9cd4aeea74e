"""Spec §4 check 1: the optimisers simulate runs (optax's, with traced hyperparameters) follow
optax with Python-number hyperparameters and torch.optim step for step."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
import optax

import jaxpapers.adam_sgd_tracking as ast
from tests.conformance import check_abstract_init, check_state_stability

STEPS = 1000
# (steps compared, relative tolerance). float64: only rounding differences may remain. float32:
# optax with Python-number hyperparameters computes 1 - beta in double precision, the traced
# path in float32; Adam's paths then drift apart like a random walk of rounding errors, 1e-6
# (the spec's tolerance) after 100 steps and 4e-6 to 6e-6 after 1000 (measured on 3 keys).
TOLERANCE = {jnp.float64: [(STEPS, 1e-12)], jnp.float32: [(100, 1e-6), (STEPS, 1e-5)]}

HYPER = {
    "sgd": (dict(learning_rate=0.05), lambda: optax.sgd(0.05)),
    "momentum": (dict(learning_rate=0.05, beta1=0.9), lambda: optax.sgd(0.05, momentum=0.9)),
    "rmsprop": (
        dict(learning_rate=0.01, beta2=0.95, eps=1e-6),
        lambda: optax.rmsprop(0.01, decay=0.95, eps=1e-6),
    ),
    "adam": (
        dict(learning_rate=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
        lambda: optax.adam(0.01, b1=0.9, b2=0.999, eps=1e-8),
    ),
}


def _gradients(key, dtype, dim=7):
    # Heterogeneous scales so that eps and the preconditioner matter.
    scales = jnp.logspace(-3, 2, dim, dtype=dtype)
    return jax.random.normal(key, (STEPS, dim), dtype) * scales[None, :]


def _path(transform, grads, params):
    def step(carry, grad):
        params, state = carry
        with jax.numpy_dtype_promotion("standard"):  # optax's beta ** int32 count
            updates, state = transform.update(grad, state, params)
        params = optax.apply_updates(params, updates)
        return (params, state), params

    return jax.lax.scan(step, (params, transform.init(params)), grads)[1]


def _traced_hyper(name, dtype):
    """The hyperparameters as arrays, as simulate passes them (one point of a grid)."""
    values = {k: jnp.asarray(v, dtype) for k, v in HYPER[name][0].items()}
    return ast.Hyperparams(**values)


@pytest.mark.parametrize("name", sorted(HYPER))
@pytest.mark.parametrize("x64", [True, False], ids=["f64", "f32"])
def test_named_optimizers_follow_optax(name, x64, key):
    """1000 random gradient steps: array hyperparameters (inside jit, as in a grid) against
    optax built from Python numbers."""
    with jax.enable_x64(x64):
        dtype = jnp.float64 if x64 else jnp.float32
        grads = _gradients(key, dtype)
        params = jnp.linspace(-1, 1, grads.shape[1], dtype=dtype)
        expected = _path(HYPER[name][1](), grads, params)
        ours = jax.jit(lambda h: _path(ast.optimizer(name, h), grads, params))(
            _traced_hyper(name, dtype)
        )
        assert ours.dtype == dtype
        scale = max(float(jnp.max(jnp.abs(expected))), 1.0)
        for steps, tolerance in TOLERANCE[dtype]:
            error = float(jnp.max(jnp.abs(ours[:steps] - expected[:steps])))
            assert error <= tolerance * scale, (name, steps, error)


def test_a_grid_of_settings_is_one_program(key):
    """vmap over a grid of step sizes and betas runs the optax optimiser once per setting."""
    grads = _gradients(key, jnp.float32)[:50]
    params = jnp.zeros(grads.shape[1])
    grid, _ = ast.hyperparameter_grid([0.01, 0.1], beta1=(0.5, 0.9))
    paths = jax.jit(jax.vmap(lambda h: _path(ast.optimizer("adam", h), grads, params)))(grid)
    for i in range(4):
        alone = _path(
            optax.adam(float(grid.learning_rate[i]), b1=float(grid.beta1[i])), grads, params
        )
        np.testing.assert_allclose(paths[i], alone, rtol=2e-5, atol=1e-6)


def test_simulate_with_optax_equals_simulate_by_name(key, enable_x64):
    """simulate accepts any optax transformation; optax.adam reproduces the 'adam' runs."""
    problem = ast.quadratic_tracking(jnp.ones(4), jnp.array([0.1, 1.0, 3.0, 10.0]), 0.3)
    kwargs = dict(num_steps=300, num_seeds=3, record_every=10)
    ours = ast.simulate(key, problem, "adam", ast.Hyperparams(0.05), **kwargs)
    theirs = ast.simulate(key, problem, optax.adam(0.05), **kwargs)
    np.testing.assert_allclose(ours.errors, theirs.errors, rtol=1e-10)
    # A factory of hyperparameters vmaps the grid through any optax optimiser.
    grid = ast.Hyperparams(jnp.array([0.01, 0.1]), beta1=jnp.array([0.5, 0.9]))
    factory = ast.simulate(
        key, problem, lambda h: optax.adam(h.learning_rate, b1=h.beta1), grid, **kwargs
    )
    ours_grid = ast.simulate(key, problem, "adam", grid, **kwargs)
    np.testing.assert_allclose(factory.errors, ours_grid.errors, rtol=1e-10)


def test_not_an_optimizer_is_a_clear_error(key, own_validation):
    problem = ast.quadratic_tracking(jnp.ones(2), 1.0, 0.1)
    with pytest.raises(TypeError, match="optimizer must be a name"):
        ast.simulate(key, problem, 3, num_steps=10)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        ast.simulate(key, problem, "lion", num_steps=10)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        ast.optimizer("lion", ast.Hyperparams(0.1))


TORCH = {
    "sgd": (dict(learning_rate=0.05), lambda t, p: t.optim.SGD(p, lr=0.05)),
    "momentum": (
        dict(learning_rate=0.05, beta1=0.9),
        lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9),
    ),
    # torch adds eps outside the square root, optax inside: equal for eps = 0
    "rmsprop": (
        dict(learning_rate=0.01, beta2=0.95, eps=0.0),
        lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.95, eps=0.0),
    ),
    "adam": (
        dict(learning_rate=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
        lambda t, p: t.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH))
@pytest.mark.parametrize(("x64", "steps", "tol"), [(True, 1000, 1e-12), (False, 10, 1e-6)])
def test_optimizers_equal_torch(name, x64, steps, tol, key):
    """torch.optim on the same gradients (spec §5). torch orders Adam's arithmetic differently
    (step size lr/(1-beta1^t), denominator sqrt(v)/sqrt(1-beta2^t) + eps): in float64 the paths
    agree to 1e-12 over 1000 steps; in float32 the rounding differences add up (~5e-7 after 10
    steps, 1e-6 to 3e-6 after 100 to 1000), so float32 is compared after 10 steps at the spec's
    1e-6; the float64 case is the parity check."""
    torch = pytest.importorskip("torch")
    values, make_torch = TORCH[name]
    with jax.enable_x64(x64):
        dtype = jnp.float64 if x64 else jnp.float32
        grads = np.asarray(_gradients(key, dtype))[:steps]
        theta = torch.zeros(grads.shape[1], dtype=torch.float64 if x64 else torch.float32)
        theta.requires_grad_(True)
        torch_optimizer = make_torch(torch, [theta])
        for grad in grads:
            theta.grad = torch.from_numpy(grad.copy())
            torch_optimizer.step()
        ours = _path(ast.optimizer(name, ast.Hyperparams(**values)), jnp.asarray(grads),
                     jnp.zeros(grads.shape[1], dtype))  # fmt: skip
        np.testing.assert_allclose(ours[-1], theta.detach().numpy(), rtol=0, atol=tol)


@pytest.mark.parametrize(
    ("hyper", "message"),
    [
        (ast.Hyperparams(-0.1), "learning_rate"),
        (ast.Hyperparams(0.1, beta1=1.0), "beta1"),
        (ast.Hyperparams(0.1, beta2=-0.5), "beta2"),
        (ast.Hyperparams(float("nan")), "learning_rate"),
        (ast.Hyperparams(0.1, eps=-1.0), "eps"),
    ],
)
def test_bad_hyperparameters_are_clear_errors(hyper, message, key, own_validation):
    problem = ast.quadratic_tracking(jnp.ones(2), 1.0, 0.1)
    with pytest.raises(ValueError, match=message):
        ast.simulate(key, problem, "adam", hyper, num_steps=10)


@pytest.mark.parametrize("name", ast.OPTIMIZERS)
def test_optimizer_states_are_abstract_and_stable(name):
    """init accepts ShapeDtypeStructs; an update keeps the state's structure, shapes, dtypes."""
    transform = ast.optimizer(name, ast.Hyperparams(0.1))
    params = jnp.zeros(5)
    abstract = check_abstract_init(transform.init, params)
    state = transform.init(params)
    assert jax.tree.structure(abstract) == jax.tree.structure(state)

    def update(state, grads):
        with jax.numpy_dtype_promotion("standard"):
            return transform.update(grads, state, params)[::-1]

    check_state_stability(update, state, jnp.ones(5))
