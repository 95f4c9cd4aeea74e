"""Bad input: one test per case of issue 14 (clear errors or flags, never a silent number)."""

import warnings

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.transfer_regression as tr

pytestmark = pytest.mark.usefixtures("own_validation")


@pytest.fixture(scope="module")
def data():
    source, target = tr.simulate(jax.random.key(0), "S1", 120, 100)
    return tuple(np.asarray(a) for a in source), tuple(np.asarray(a) for a in target)


def test_target_x_with_other_columns_than_the_source(data):
    source, (y_t, x_t) = data
    wider = np.concatenate([x_t, x_t**2], axis=1)
    with pytest.raises(
        ValueError, match=r"target x must have 1 column\(s\) like the source x, got 2"
    ):
        tr.fit(source, (y_t, wider))


@pytest.mark.parametrize("which", ["source y", "source x", "source z", "target y", "target x"])
def test_nan_anywhere_is_an_error(data, which):
    source, target = [list(a) for a in data]
    arrays = {"source": source, "target": target}
    side, name = which.split()
    index = {"y": 0, "x": 1, "z": 2}[name]
    bad = np.array(arrays[side][index], copy=True)
    bad.flat[5] = np.nan
    arrays[side][index] = bad
    with pytest.raises(ValueError, match=rf"{which} must be finite, got 1 NaN/inf"):
        tr.fit(tuple(source), tuple(target))


def test_fewer_source_rows_than_parameters(data):
    (y, x, z), target = data
    with pytest.raises(ValueError, match="the source must have at least 4 rows .* got 3"):
        tr.fit((y[:3], x[:3], z[:3]), target)


def test_fewer_target_rows_than_tilt_features(data):
    source, (y_t, x_t) = data
    with pytest.raises(ValueError, match="the target must have at least 4 rows .* got 3"):
        tr.fit(source, (y_t[:3], x_t[:3]))


def test_non_overlapping_supports_warn_with_the_ess_and_flag_failure(data):
    # Every target outcome lies far above every source outcome: no tilt of the source can
    # reproduce the target's mean of y, so the weights collapse and Newton cannot converge.
    source, (y_t, x_t) = data
    shifted = (y_t - y_t.min() + source[0].max() + 5.0, x_t)
    with pytest.warns(tr.DegenerateWeightsWarning, match=r"effective sample size \d"):
        result = tr.fit(source, shifted, estimator="dr")
    assert not bool(result.converged)
    assert float(result.ess) < 5.0


def test_heavy_but_convergent_weights_warn_with_the_ess(data):
    source, target = data
    config = tr.Config(min_ess_fraction=0.99)  # S1 has ESS ≈ 25 % of n_S
    with pytest.warns(tr.DegenerateWeightsWarning, match=r"effective sample size .* below"):
        result = tr.fit(source, target, config=config)
    assert bool(result.converged)


def test_naive_and_imp_do_not_warn_about_weights_they_do_not_use(data):
    source, target = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr.fit(source, target, estimator="naive", config=tr.Config(min_ess_fraction=0.99))


@pytest.mark.parametrize(
    ("column", "message"),
    [("collinear z", "the source design must have full column rank"),
     ("constant x", "the source design must have full column rank")],
)  # fmt: skip
def test_singular_source_design_is_an_error(data, column, message):
    (y, x, z), (y_t, x_t) = data
    if column == "collinear z":
        z = 2.0 * x - 1.0
    else:
        x, x_t = np.ones_like(x), np.ones_like(x_t)
    with pytest.raises(ValueError, match=message):
        tr.fit((y, x, z), (y_t, x_t))


def test_singular_features_are_an_error(data):
    source, target = data

    config = tr.Config(imputation_features=_duplicated)
    with pytest.raises(ValueError, match="the imputation features must have full column rank"):
        tr.fit(source, target, config=config)
    config = tr.Config(ratio_features=_duplicated)
    with pytest.raises(ValueError, match="the density-ratio features must have full column"):
        tr.fit(source, target, config=config)


def _duplicated(y, x):
    return jnp.concatenate([y[None], x, 2.0 * x])


def test_singular_design_under_jit_is_flagged_not_raised(data):
    # Inside a user's jit the values cannot be inspected: a singular design gives
    # converged = False (and NaN), never a plausible number.
    (y, x, z), target = data
    result = jax.jit(lambda s, t: tr.fit(s, t))((y, x, 2.0 * x - 1.0), target)
    assert not bool(result.converged)


def test_shapes_and_types(data):
    (y, x, z), (y_t, x_t) = data
    with pytest.raises(TypeError, match=r"source must be a tuple \(y, x, z\), got a tuple of "
                                        "length 2"):  # fmt: skip
        tr.fit((y, x), (y_t, x_t))
    with pytest.raises(TypeError, match="target must be a tuple"):
        tr.fit((y, x, z), {"y": y_t})
    with pytest.raises(ValueError, match=r"source x must be 2-D \(n, columns\), got shape"):
        tr.fit((y, x[:, 0], z), (y_t, x_t))
    with pytest.raises(ValueError, match="must have the same number of rows"):
        tr.fit((y, x[:-1], z), (y_t, x_t))
    with pytest.raises(ValueError, match="estimator must be one of"):
        tr.fit((y, x, z), (y_t, x_t), estimator="aipw")
    with pytest.raises(TypeError, match="must be numeric"):
        tr.fit((y.astype(str), x, z), (y_t, x_t))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"level": 1.5}, ValueError, r"Config.level must lie in \(0, 1\)"),
        ({"variance": "hc3"}, ValueError, "Config.variance must be one of"),
        ({"max_steps": 0}, ValueError, "Config.max_steps must be an integer >= 1"),
        ({"tol": -1.0}, ValueError, "Config.tol must be > 0"),
        ({"ratio_features": 3}, TypeError, "Config.ratio_features must be a function"),
    ],
)
def test_bad_configs(kwargs, error, message):
    with pytest.raises(error, match=message):
        tr.Config(**kwargs)


def test_bad_driver_arguments(data):
    source, target = data
    with pytest.raises(ValueError, match="scenario must be one of 'S1', 'S2', 'S3', 'S4'"):
        tr.simulate(jax.random.key(0), "S5", 10, 10)
    with pytest.raises(ValueError, match="num_replications must be an integer >= 2"):
        tr.study(jax.random.key(0), "S1", 100, 100, num_replications=1)
    with pytest.raises(ValueError, match="num_resamples must be an integer >= 2"):
        tr.bootstrap(jax.random.key(0), source, target, num_resamples=1)
    with pytest.raises(ValueError, match="estimator 'dr' needs weights"):
        tr.dr_moments(target, source, estimator="dr")
