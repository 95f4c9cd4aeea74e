"""video_pde identifies coefficients in float64 (spec: float64 for identification)."""

import pytest

import jax

import jaxpapers.video_pde as vp


@pytest.fixture(scope="package", autouse=True)
def _float64():
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="package")
def clean(_float64):
    """The default synthetic plume without pixel noise (128² × 61)."""
    return vp.synthetic_plume(jax.random.key(0), noise_sigma=0.0)


@pytest.fixture(scope="package")
def noisy(_float64):
    """The default 8-bit video at σ = 2 grey levels."""
    return vp.synthetic_plume(jax.random.key(0), noise_sigma=2.0)
