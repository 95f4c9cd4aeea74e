"""discover end to end: (a, D) across the plausible range, bad input, conformance of identify."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.video_pde as vp
from tests.conformance import check_conformance

QUICK = vp.Config(random_centre_draws=4, bootstrap_replicates=200)


@pytest.mark.parametrize(
    ("a", "D"),
    [(9.005, 0.666), (4.0, 0.4), (15.0, 1.0), (6.0, 1.0)],
    ids=["paper", "low", "high", "kappa6"],
)
def test_discover_recovers_a_and_D_from_8bit_video(a, D):
    video = vp.synthetic_plume(jax.random.key(3), a=a, D=D, noise_sigma=2.0)
    found = vp.discover(video.frames, dx=video.dx, dt=video.dt, config=QUICK)
    # spec B7 bands (|â/a − 1| ≤ 5%, |D̂/D − 1| ≤ 6%) at σ = 2 grey levels
    assert abs(found.coefficients["grad2"] / a - 1) <= 0.05
    assert abs(found.coefficients["lap"] / D - 1) <= 0.06
    assert found.support == ("grad2", "lap")
    low, high = found.intervals["lap"]
    assert 0 < low < found.coefficients["lap"] < high and found.diagnostics["prob_D_positive"] == 1
    assert found.diagnostics["condition_number"] < 10
    np.testing.assert_allclose(found.drift[5:-5], video.drift[5:-5], atol=0.35)


def _frames():
    return np.asarray(vp.synthetic_plume(jax.random.key(0), size=64, num_frames=21).frames)


@pytest.mark.parametrize(
    ("frames", "kwargs", "error", "match"),
    [
        (_frames().astype(bool), {}, TypeError, "real numeric"),
        (_frames()[0], {}, ValueError, "shape"),
        (np.full((21, 64, 64), 200, np.uint8), {}, ValueError, "constant"),
        (_frames()[:10], {}, ValueError, "frames"),
        (_frames()[:, :30, :30], {}, ValueError, "pixels"),
        (_frames(), {"dx": 0.0}, ValueError, "dx"),
        (_frames(), {"dt": -1.0}, ValueError, "dt"),
        (_frames().astype(float) * np.nan, {}, ValueError, "NaN"),
    ],
    ids=["bool", "rank", "constant", "few-frames", "few-pixels", "dx", "dt", "nan"],
)
def test_bad_input_is_a_clear_error(frames, kwargs, error, match):
    args = {"dx": 0.1, "dt": 0.01, **kwargs}
    with pytest.raises(error, match=match):
        vp.discover(frames, **args)


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="library"):
        vp.Config(library=("nonsense",))
    with pytest.raises(ValueError, match="grad_estimator"):
        vp.Config(grad_estimator="magic")


def test_identify_conformance(key):
    video = vp.synthetic_plume(jax.random.key(0), size=32, num_frames=11, noise_sigma=2.0)
    u = vp.normalise_frames(video.frames)
    velocity = jnp.asarray(video.drift)
    config = vp.Config(num_test_functions=16, half_width_x=5, half_width_t=3)

    def run(k, uu, vv):
        return vp.identify(k, uu, vv, dx=video.dx, dt=video.dt, config=config).fit

    check_conformance(run, u, velocity, key=key, rtol=1e-6, atol=1e-9)
