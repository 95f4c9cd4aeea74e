"""discover end to end: (a, D) across the plausible range, bad input, conformance of identify."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.video_pde as vp
from jaxpapers.video_pde._checks import check_background, check_frames, check_spacing
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


def test_numpy_and_jax_scalar_spacings_are_accepted():
    # issue 12: dx=np.float32(0.104) was rejected; any real scalar type is a spacing
    for value in (np.float32(0.104), np.float64(0.104), jnp.float32(0.104), 0.104, 1):
        dx, dt = check_spacing(value, np.float32(0.005))
        assert isinstance(dx, float) and dx == pytest.approx(float(value))
        assert dt == pytest.approx(0.005)
    with pytest.raises(TypeError, match="dx"):
        check_spacing(np.array([0.1, 0.2]), 0.01)
    with pytest.raises(TypeError, match="dt"):
        check_spacing(0.1, True)


def test_video_starting_with_pre_injection_frames_is_a_clear_error():
    # issue 12: without background_frames the first frame is taken as dye; a video that starts
    # dye-free used to give a = 0.43 silently. It must say so (spec S1: use those frames).
    video = vp.synthetic_plume(jax.random.key(0), size=64, num_frames=21, pre_injection=5)
    with pytest.raises(ValueError, match="background_frames"):
        vp.discover(video.frames, dx=video.dx, dt=video.dt)
    # with Config(background_frames=5) the per-pixel median of those frames is the background
    config = vp.Config(background_frames=5, half_width_x=6, half_width_t=3)
    frames = check_frames(video.frames, config)
    background = check_background(frames, config)
    np.testing.assert_allclose(background, np.median(frames[:5], axis=0))


def test_pre_injection_frames_holding_dye_are_a_clear_error():
    video = vp.synthetic_plume(jax.random.key(0), size=64, num_frames=21)
    config = vp.Config(background_frames=5, half_width_x=6, half_width_t=3)
    with pytest.raises(ValueError, match="dye-free"):
        vp.discover(video.frames, dx=video.dx, dt=video.dt, config=config)


def test_dye_in_the_background_corner_is_a_clear_error():
    frames = np.array(_frames())
    frames[:, :8, :8] = 120  # dye over the top-left corner patch the background comes from
    with pytest.raises(ValueError, match="corner"):
        vp.discover(frames, dx=0.1, dt=0.01)


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
