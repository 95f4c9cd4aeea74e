"""Transport features of a whole model's attention, ours (jit + vmap) vs a numpy/scipy loop.

Problem (issue 4): every head of a batch of attention maps ``[B=8, L=30, H=9, n=256]``
(SmolLM2-135M's 30 layers × 9 heads, 8 sequences of 256 tokens), float32. Features per head:
φ_min and t*/n of the prefix landscape, G, the floor indicator, and λ₂ of L_sym.

* ``all features``: ours = ``jax.jit(head_features)`` on the batch (λ₂ by LAPACK ``eigvalsh``
  inside XLA); peer = a Python loop over the 2160 heads with numpy for φ/G and
  ``scipy.linalg.eigh(subset_by_index=...)`` for the two top eigenvalues (the fastest exact
  scipy route).
* ``λ₂ by Lanczos``: ours with :func:`lambda2_lanczos` (32 steps, O(steps·n²) per head), same
  peer; the case records its largest λ₂ deviation from ``eigvalsh`` over all heads.
* ``without λ₂``: the same without the eigensolver (landscape, G, floor), which isolates what
  vectorisation buys: the eigensolver is the same LAPACK routine on both sides.

The peer loop is timed on one of the eight sequences (270 heads) and multiplied by 8: its cost
is linear in the number of heads, and a full run takes many minutes on a shared 2-core CPU. The
"ours: ... speed-up" lines printed by ``compare`` are before that scaling; the written results
and the final summary lines are after it.

Run: ``python -m benchmarks.attention_transport`` (writes ``benchmarks/results/``).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

import jax
import jax.numpy as jnp

from benchmarks.runner import compare, compile_seconds, write_results
from jaxpapers.attention_transport import asymmetry_coeff, head_features, prefix_landscape

SHAPE = (8, 30, 9)
N = 256
LANCZOS_STEPS = 32


def _maps(key) -> jax.Array:
    logits = jax.random.normal(key, (*SHAPE, N, N), jnp.float32)
    causal = jnp.tril(jnp.ones((N, N), bool))
    return jax.nn.softmax(jnp.where(causal, logits, -jnp.inf), axis=-1)


def _numpy_head(A: np.ndarray, with_lambda2: bool) -> tuple[float, ...]:
    W = 0.5 * (A + A.T)
    d = W.sum(1)
    P = W.cumsum(0).cumsum(1)
    t = np.arange(1, N)
    cut = P[t - 1, N - 1] - P[t - 1, t - 1]
    volume = np.cumsum(d)[:-1]
    phi = cut / np.minimum(volume, d.sum() - volume)
    k = int(np.argmin(phi))
    scale = 1.0 / np.sqrt(d)
    Nrm = scale[:, None] * A * scale[None, :]
    g = np.linalg.norm(0.5 * (Nrm - Nrm.T)) / np.linalg.norm(Nrm)
    lambda2 = np.nan
    if with_lambda2:
        S = scale[:, None] * W * scale[None, :]
        top = scipy.linalg.eigh(S, eigvals_only=True, subset_by_index=[N - 2, N - 1])
        lambda2 = 1.0 - top[0]
    return phi[k], (k + 1) / N, lambda2, g, phi[k] < 0.2


def _numpy_loop(maps: np.ndarray, with_lambda2: bool) -> np.ndarray:
    flat = maps.reshape(-1, N, N)
    return np.array([_numpy_head(A, with_lambda2) for A in flat])


def _without_lambda2(A):
    land = prefix_landscape(A)
    return land.phi_min, land.t_star_frac, asymmetry_coeff(A), land.phi_min < 0.2


def _scaled(case, factor: int):
    """The peer ran on 1 of the 8 sequences; its per-head loop is linear in the heads."""
    case.peers_s = {peer: seconds * factor for peer, seconds in case.peers_s.items()}
    case.extra["peer_timed_on"] = f"B=1 (270 heads), time × {factor}"
    return case


def main() -> None:
    maps = _maps(jax.random.key(0))
    host = np.asarray(maps)
    ours_all = jax.jit(head_features)
    ours_lanczos = jax.jit(lambda a: head_features(a, lanczos_steps=LANCZOS_STEPS))
    ours_cheap = jax.jit(_without_lambda2)
    want = _numpy_loop(host[:1, :2], True)  # accuracy spot check on the first 18 heads
    exact_small, lanczos_small = ours_all(maps[:1]), ours_lanczos(maps[:1])

    def errors(got):
        lam = np.asarray(got.lambda2[0, :2]).reshape(-1)
        phi = np.asarray(got.phi_min[0, :2]).reshape(-1)
        return float(np.max(np.abs(lam - want[:, 2]))), float(np.max(np.abs(phi - want[:, 0])))

    lanczos_vs_exact = float(jnp.max(jnp.abs(lanczos_small.lambda2 - exact_small.lambda2)))
    problem = f"[B=8, L=30, H=9, n={N}] float32, 2160 heads"
    peer = {"numpy/scipy loop": lambda: _numpy_loop(host[:1], True)}
    cases = []
    for name, fn, out, extra in (
        ("all features, λ₂ by eigvalsh", ours_all, exact_small, {}),
        (
            f"all features, λ₂ by Lanczos ({LANCZOS_STEPS} steps)",
            ours_lanczos,
            lanczos_small,
            {"max_abs_lambda2_vs_eigvalsh_270_heads": lanczos_vs_exact},
        ),
    ):
        lam_err, phi_err = errors(out)
        case = compare(
            name,
            problem,
            lambda fn=fn: fn(maps),
            peer,
            repeats=1,
            peer_repeats=1,
            compile_s=compile_seconds(fn, maps),
            max_abs_err_lambda2=lam_err,
            max_abs_err_phi=phi_err,
            **extra,
        )
        cases.append(_scaled(case, SHAPE[0]))
    case = compare(
        "without λ₂ (φ, t*/n, G, floor)",
        problem,
        lambda: ours_cheap(maps),
        {"numpy loop": lambda: _numpy_loop(host[:1], False)},
        repeats=2,
        peer_repeats=1,
        compile_s=compile_seconds(ours_cheap, maps),
    )
    cases.append(_scaled(case, SHAPE[0]))
    for case in cases:
        print(case.name, {p: f"{r:.3g}x" for p, r in case.ratios.items()})
    print(write_results("attention_transport", cases).read_text())


if __name__ == "__main__":
    main()
