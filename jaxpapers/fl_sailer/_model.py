"""The invariant VAE of SAILER (spec §2.4) in flax.nnx.

Encoder q_φ(z | x) = N(μ_φ(x), diag σ²_φ(x)) sees the peaks x only (spec P5: the Moyer bound
needs z ⟂ c | x); the decoder p_θ(x | z, c) sees [z, c] with c = [depth, onehot(batch)] and
returns Bernoulli logits. Hidden layers: Linear → LayerNorm (optional) → LeakyReLU(0.2).
SAILER uses BatchNorm; we use LayerNorm (or none): running batch statistics would be averaged
across non-IID clients by FedAvg (spec P8) and complicate vmapping over clients.

Parameters carry ``logical_axes`` metadata: ``peaks`` (input/output peaks), ``hidden``,
``latent``, ``covariates``.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float

__all__ = ["InvariantVAE"]


def _linear(n_in: int, n_out: int, axes: tuple[str, str], rngs: nnx.Rngs) -> nnx.Linear:
    return nnx.Linear(
        n_in, n_out, rngs=rngs,
        kernel_metadata={"logical_axes": axes}, bias_metadata={"logical_axes": (axes[1],)},
    )  # fmt: skip


def _norm(width: int, rngs: nnx.Rngs) -> nnx.LayerNorm:
    axes = {"logical_axes": ("hidden",)}
    return nnx.LayerNorm(width, rngs=rngs, scale_metadata=axes, bias_metadata=axes)


class _MLP(nnx.Module):
    def __init__(self, sizes: Sequence[int], axes: Sequence[str], norm: bool, rngs: nnx.Rngs):
        pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
        names = list(zip(axes[:-1], axes[1:], strict=True))
        self.layers = nnx.List(
            [_linear(a, b, n, rngs) for (a, b), n in zip(pairs, names, strict=True)]
        )
        self.norms = nnx.List([_norm(b, rngs) for _, b in pairs] if norm else [])

    def __call__(self, h: Array) -> Array:
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if len(self.norms):
                h = self.norms[i](h)
            h = jax.nn.leaky_relu(h, 0.2)
        return h


class InvariantVAE(nnx.Module):
    """SAILER's invariant VAE: ``encode(x) -> (μ, log σ²)``, ``decode(z, c) -> logits``.

    Args:
        num_peaks: c, the number of (selected) input peaks.
        num_covariates: q, the size of the decoder covariates c.
        latent_dim: d.
        hidden: encoder widths; the decoder uses them reversed.
        layer_norm: LayerNorm after every hidden layer.
        rngs: parameter initialisation.

    Examples:
        >>> import jax.numpy as jnp
        >>> from flax import nnx
        >>> model = InvariantVAE(20, 4, latent_dim=3, hidden=(8,), rngs=nnx.Rngs(0))
        >>> mu, logvar = model.encode(jnp.zeros((5, 20)))
        >>> model.decode(mu, jnp.zeros((5, 4))).shape
        (5, 20)
    """

    def __init__(
        self,
        num_peaks: int,
        num_covariates: int,
        *,
        latent_dim: int = 10,
        hidden: Sequence[int] = (128,),
        layer_norm: bool = True,
        rngs: nnx.Rngs,
    ):
        hidden = tuple(hidden)
        enc_axes = ["peaks"] + ["hidden"] * len(hidden)
        self.encoder = _MLP((num_peaks, *hidden), enc_axes, layer_norm, rngs)
        self.mean = _linear(hidden[-1], latent_dim, ("hidden", "latent"), rngs)
        self.log_var = _linear(hidden[-1], latent_dim, ("hidden", "latent"), rngs)
        dec_sizes = (latent_dim + num_covariates, *hidden[::-1])
        self.decoder = _MLP(dec_sizes, ["latent"] + ["hidden"] * len(hidden), layer_norm, rngs)
        self.logits = _linear(hidden[0], num_peaks, ("hidden", "peaks"), rngs)

    def encode(self, x: Float[Array, "n c"]) -> tuple[Float[Array, "n d"], Float[Array, "n d"]]:
        """μ_φ(x) and log σ²_φ(x); the encoder never sees the covariates."""
        h = self.encoder(x)
        return self.mean(h), self.log_var(h)

    def decode(self, z: Float[Array, "n d"], cov: Float[Array, "n q"]) -> Float[Array, "n c"]:
        """Bernoulli logits η = f_θ([z, c])."""
        return self.logits(self.decoder(jnp.concatenate([z, cov], axis=-1)))

    def __call__(self, x: Float[Array, "n c"]) -> Float[Array, "n d"]:
        """The embedding μ_φ(x) (SAILER's cell representation)."""
        return self.encode(x)[0]
