"""B1 Cole–Hopf identity, B2 generator exactness, B17 frame I/O, renderer."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.video_pde as vp


def test_b1_cole_hopf_identity_on_a_non_solution():
    """R_w = κ w R_u pointwise for an arbitrary smooth u (not a solution)."""

    def u(x, y, t):
        return 0.3 * jnp.sin(x) * jnp.cos(2 * y) * jnp.exp(-t) + 0.1 * x * y

    def v(t):
        return jnp.cos(t), jnp.asarray(0.5)

    a, D = 9.005, 0.666
    r_u, r_w = vp.pde_residual(u, v, a, D), vp.w_residual(u, v, a, D)
    pts = jax.random.uniform(jax.random.key(1), (200, 3), jnp.float64, -2.0, 2.0)
    ru = jax.vmap(r_u)(pts[:, 0], pts[:, 1], pts[:, 2])
    rw = jax.vmap(r_w)(pts[:, 0], pts[:, 1], pts[:, 2])
    w = jnp.exp(a / D * jax.vmap(u)(pts[:, 0], pts[:, 1], pts[:, 2]))
    rel = jnp.abs(rw - a / D * w * ru) / jnp.abs(rw)
    assert float(jnp.max(rel)) <= 1e-10
    assert float(jnp.min(jnp.abs(ru))) > 1e-3  # really a non-solution


def test_b2_generator_is_an_exact_solution():
    """Autodiff PDE residual of the analytic u ≤ 1e-9·max|u_t| on a 64²×20 grid."""
    a, D = vp.PAPER_A, vp.PAPER_D

    def u(x, y, t):
        return vp.plume_field(x, y, t, a=a, D=D)

    def v(t):
        drift = vp.plume_drift(t)
        return drift[0], drift[1]

    grid = jnp.linspace(-4.0, 4.0, 64)
    times = jnp.linspace(0.0, 0.3, 20)
    t, y, x = (g.ravel() for g in jnp.meshgrid(times, grid, grid, indexing="ij"))
    residual = jax.vmap(vp.pde_residual(u, v, a, D))(x, y, t)
    u_t = jax.vmap(jax.grad(u, 2))(x, y, t)
    assert float(jnp.max(jnp.abs(residual))) <= 1e-9 * float(jnp.max(jnp.abs(u_t)))


def test_synthetic_plume_defaults(clean, noisy):
    assert noisy.frames.shape == (61, 128, 128) and noisy.frames.dtype == jnp.uint8
    assert noisy.dx == pytest.approx(10 / 128) and noisy.dt == pytest.approx(0.005)
    assert float(jnp.max(clean.field[0])) == pytest.approx(1.0, abs=1e-3)
    # spec §3.1: ∫u grows from 1.73 to 12.97 over the clip (a > 0 makes it grow)
    mass = jnp.sum(clean.field, axis=(1, 2)) * clean.dx**2
    assert float(mass[0]) == pytest.approx(1.73, abs=0.01)
    assert float(mass[-1]) == pytest.approx(12.97, abs=0.05)
    # the renderer: I = round(230 − 180 u) without noise, no saturation
    expected = np.clip(np.round(230 - 180 * np.asarray(clean.field)), 0, 255)
    np.testing.assert_array_equal(np.asarray(clean.frames), expected)
    np.testing.assert_allclose(
        jnp.gradient(clean.centre, clean.dt, axis=0)[1:-1], clean.drift[1:-1], atol=0.02
    )


def test_renderer_options_and_noise_level(key):
    field = jnp.zeros((4, 32, 32))
    frames = vp.render_frames(key, field, noise_sigma=2.0)
    # sd of 4096 rounded N(230, 2²) pixels: 2.02 (rounding adds 1/12); ±0.1 is ~4 SE
    assert float(jnp.std(frames.astype(float))) == pytest.approx(2.02, abs=0.1)
    gamma = vp.render_frames(key, jnp.full((1, 4, 4), 0.5), noise_sigma=0.0, gamma=2.0)
    assert int(gamma[0, 0, 0]) == round(230 - 180 * 0.25)
    vign = vp.render_frames(key, field, noise_sigma=0.0, vignette=5.0)
    assert int(vign[0, 0, 0]) == 225 and int(vign[0, 16, 16]) == 230


@pytest.mark.parametrize("suffix", [".npz", ""])
def test_b17_frames_survive_npz_and_png_round_trip(noisy, tmp_path, suffix):
    path = vp.save_frames(tmp_path / f"video{suffix}", noisy.frames)
    back = vp.load_frames(path)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, np.asarray(noisy.frames))


def test_save_frames_rejects_float(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        vp.save_frames(tmp_path / "x.npz", np.zeros((2, 3, 3)))
