# %% [markdown]
# # From video to PDE: weak-form sparse regression for a dye plume
#
# Acosta-Minoli & Sarkar (2026, arXiv:2605.04535) recover
# $u_t + v(t)\cdot\nabla u = 9.005\,|\nabla u|^2 + 0.666\,\Delta u$ from grayscale video of an ink
# plume. The real video is not public, so we use the spec's exact synthetic plume: an analytic
# solution of that law, rendered to 8-bit frames with pixel noise. Every stage is a pure JAX
# function of `jaxpapers.video_pde`; this notebook calls them one by one.
# Quick by default; `JAXPAPERS_FULL=1` uses the 256² × 121 video.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import jax
import jax.numpy as jnp

import jaxpapers.video_pde as vp
from jaxpapers import sparse

jax.config.update("jax_enable_x64", True)  # identification runs in float64
full = os.environ.get("JAXPAPERS_FULL") == "1"
size, num_frames, mx, mt = (256, 121, 28, 16) if full else (128, 61, 14, 8)

# %% [markdown]
# ## The video
# Dark dye on a light background (I_bg = 230, contrast 180), σ = 2 grey levels of noise.

# %%
video = vp.synthetic_plume(jax.random.key(0), noise_sigma=2.0, size=size, num_frames=num_frames)
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, k in zip(axes, [0, num_frames // 2, num_frames - 1], strict=True):
    ax.imshow(np.asarray(video.frames[k]), cmap="gray", vmin=0, vmax=255)
    ax.set_title(f"frame {k}")
    ax.axis("off")

# %% [markdown]
# ## S1 normalise, S2 drift from the intensity-weighted centroid

# %%
u = vp.normalise_frames(video.frames)
positions = vp.centroid_track(u, video.dx, threshold=max(0.03, 3 * float(vp.noise_level(u))))
velocity = vp.drift_velocity(positions, video.dt)
plt.figure(figsize=(5, 3))
plt.plot(video.times, video.drift, "k-", lw=1)
plt.plot(video.times, velocity, ".")
plt.xlabel("t")
plt.ylabel("v(t)")

# %% [markdown]
# ## S3 weak form: compact vs over-complete library
# The split-stencil product keeps pixel noise from biasing |∇u|²; naive central differences
# square the noise and pull â down.

# %%
centres = vp.sample_centres(jax.random.key(1), u.shape, 600, mt, mx)
for estimator in ("central", "split"):
    system = vp.assemble(
        u,
        velocity,
        centres,
        dx=video.dx,
        dt=video.dt,
        library=vp.COMPACT,
        half_width_x=mx,
        half_width_t=mt,
        grad_estimator=estimator,
    )
    fit = sparse.stlsq(system.G, system.b, 0.05, row_weights=system.row_mask.astype(u.dtype))
    print(estimator, "a, D =", np.round(np.asarray(fit.coefficients), 3))

over = vp.assemble(
    u,
    velocity,
    centres,
    dx=video.dx,
    dt=video.dt,
    library=vp.OVERCOMPLETE,
    half_width_x=mx,
    half_width_t=mt,
)
lams = jnp.logspace(-3, 0, 30)
sweep = sparse.threshold_sweep(over.G, over.b, lams, row_weights=over.row_mask.astype(u.dtype))
print("κ₂ over-complete:", float(sparse.collinearity(over.G).condition_number))
for terms, low, high in sparse.distinct_supports(sweep, vp.OVERCOMPLETE):
    print(f"λ ∈ [{low:.3g}, {high:.3g}]: {' + '.join(terms)}")

# %% [markdown]
# ## End to end: `discover` (S1–S4 + chronological block bootstrap, S7)

# %%
found = vp.discover(
    video.frames,
    dx=video.dx,
    dt=video.dt,
    config=vp.Config(
        half_width_x=mx, half_width_t=mt, random_centre_draws=4, bootstrap_replicates=200
    ),
)
for name in found.support:
    low, high = found.intervals[name]
    print(f"{name}: {found.coefficients[name]:.3f}  95% CI [{low:.3f}, {high:.3f}]")
print(
    "P(D > 0) =",
    found.diagnostics["prob_D_positive"],
    " κ₂ =",
    round(found.diagnostics["condition_number"], 2),
)

# %% [markdown]
# ## S6 forward rollout and S8 Cole–Hopf
# The spectral Cole–Hopf solver rolls the discovered law forward exactly; the
# advection–diffusion baseline (a = 0) cannot reproduce the growing plume.

# %%
shifts = vp.frame_displacements(velocity, video.dt)
start = vp.pad_frames(vp.gaussian_smooth(u[0], 1.0), 16)
a_hat, d_hat = found.coefficients["grad2"], found.coefficients["lap"]
crop = (slice(None), slice(16, -16), slice(16, -16))
law = vp.spectral_rollout(start, shifts, a=a_hat, D=d_hat, dt=video.dt, dx=video.dx)[crop]
ad = vp.spectral_rollout(start, shifts, a=0.0, D=d_hat, dt=video.dt, dx=video.dx, nonlinear=False)[
    crop
]
plt.figure(figsize=(5, 3))
plt.plot(jax.vmap(vp.relative_error)(law, video.field), label="a|∇u|² + DΔu")
plt.plot(jax.vmap(vp.relative_error)(ad, video.field), label="advection–diffusion")
plt.xlabel("frame")
plt.ylabel("relative L2 error")
plt.legend()

scan = vp.kappa_scan(
    u,
    velocity,
    centres[:300],
    jnp.linspace(10.0, 17.0, 15),
    dx=video.dx,
    dt=video.dt,
    half_width_x=mx,
    half_width_t=mt,
)
print(f"κ-scan: κ̂ = {float(scan.kappa):.2f}, â = {float(scan.a):.3f}, D̂ = {float(scan.D):.3f}")
