"""Weak-form building blocks: test-function derivatives and integration by parts."""

import numpy as np

import jax
import jax.numpy as jnp

import jaxpapers.video_pde as vp


def test_bump_derivatives_match_autodiff():
    m, p, spacing = 7, 6, 0.1
    table = vp.bump(m, p, spacing)
    h = m * spacing
    s = jnp.linspace(-1.0, 1.0, 2 * m + 1)

    def psi(z):
        return (1.0 - (z / h) ** 2) ** p

    z = s * h
    np.testing.assert_allclose(table[0], jax.vmap(psi)(z), atol=1e-14)
    np.testing.assert_allclose(table[1], jax.vmap(jax.grad(psi))(z), atol=1e-12)
    np.testing.assert_allclose(table[2], jax.vmap(jax.grad(jax.grad(psi)))(z), atol=1e-10)
    assert float(table[0, 0]) == 0.0 and float(table[0, -1]) == 0.0


def test_centres_keep_boxes_and_stencils_inside(key):
    centres = np.asarray(vp.sample_centres(key, (30, 50, 60), 2000, 5, 10))
    assert centres[:, 0].min() >= 5 and centres[:, 0].max() <= 30 - 1 - 5
    assert centres[:, 1].min() >= 12 and centres[:, 1].max() <= 50 - 1 - 12
    assert centres[:, 2].min() >= 12 and centres[:, 2].max() <= 60 - 1 - 12


def test_integration_by_parts_matches_strong_form_quadrature():
    """∫uΔφ = ∫φΔu and −∫u(φ_t + v·∇φ) = ∫φ(u_t + v·∇u) with exact derivatives of the plume."""
    video = vp.synthetic_plume(jax.random.key(0), noise_sigma=0.0, size=64, num_frames=31)
    a, D = video.a, video.D

    def u(x, y, t):
        return vp.plume_field(x, y, t, a=a, D=D)

    t, y, x = (g.ravel() for g in jnp.meshgrid(video.times, video.y, video.x, indexing="ij"))
    ux = jax.vmap(jax.grad(u, 0))(x, y, t)
    uy = jax.vmap(jax.grad(u, 1))(x, y, t)
    ut = jax.vmap(jax.grad(u, 2))(x, y, t)
    lap = jax.vmap(jax.grad(jax.grad(u, 0), 0))(x, y, t) + jax.vmap(jax.grad(jax.grad(u, 1), 1))(
        x, y, t
    )
    v = vp.plume_drift(t)
    shape = video.field.shape
    material = (ut + v[:, 0] * ux + v[:, 1] * uy).reshape(shape)
    centres = vp.sample_centres(jax.random.key(2), shape, 100, 6, 10)

    def column(field, library):
        return vp.assemble(
            field,
            video.drift,
            centres,
            dx=video.dx,
            dt=video.dt,
            library=library,
            half_width_x=10,
            half_width_t=6,
        )

    weak = column(video.field, ("lap", "grad2"))
    strong_lap = column(lap.reshape(shape), ("u",)).G[:, 0]
    strong_lhs = column(material, ("u",)).G[:, 0]
    scale = jnp.max(jnp.abs(strong_lap))
    # rectangle rule on smooth compactly supported integrands: errors far below 1e-3 of the scale
    assert float(jnp.max(jnp.abs(weak.G[:, 0] - strong_lap))) <= 1e-3 * float(scale)
    assert float(jnp.max(jnp.abs(weak.b - strong_lhs))) <= 1e-3 * float(jnp.max(jnp.abs(weak.b)))
