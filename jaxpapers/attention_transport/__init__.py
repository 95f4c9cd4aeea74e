"""Self-attention as transport: Cheeger landscape φ, asymmetry G and length-controlled probes.

Dahlem, Maniloff, Misiura, "Self-Attention as Transport: Limits of Symmetric Spectral
Diagnostics" (2026, arXiv:2605.04893). Every function takes attention maps ``[..., n, n]`` (any
leading layer/head/batch axes) with an optional padding mask ``[..., n]`` and is pure, so it
composes with ``jit`` and ``vmap``.

* Operator: :func:`degree_normalize` (N = D^{-1/2} A D^{-1/2}), :func:`sym_antisym`,
  :func:`asymmetry_coeff` (G).
* Capacity: :func:`prefix_landscape` (φ(t), φ_min, t*/n), :func:`spectral_cheeger` (λ₂, sweep),
  :func:`lambda2_lanczos`,
  oracles :func:`closed_form_uniform`, :func:`closed_form_window`; patterns
  :func:`uniform_causal_attention`, :func:`window_attention`, :func:`with_sink`.
* Features: :func:`head_features`, :func:`summarize_heads`, :func:`feature_vector`,
  :func:`restrict_to_tokens`, :func:`slice_span`.
* Baselines: :func:`sym_eigvals`/:func:`top_k_sym_eigvals` (orientation-blind family),
  :func:`lapeigvals`, :func:`attn_eigvals`, :func:`attn_logdet`.
* Forced scoring and probes: see :mod:`jaxpapers.attention_transport.forced_scoring` and
  :mod:`jaxpapers.attention_transport.halueval`.
"""

from jaxpapers.attention_transport._features import feature_vector as feature_vector
from jaxpapers.attention_transport._features import head_features as head_features
from jaxpapers.attention_transport._features import restrict_to_tokens as restrict_to_tokens
from jaxpapers.attention_transport._features import slice_span as slice_span
from jaxpapers.attention_transport._features import summarize_heads as summarize_heads
from jaxpapers.attention_transport._landscape import closed_form_uniform as closed_form_uniform
from jaxpapers.attention_transport._landscape import closed_form_window as closed_form_window
from jaxpapers.attention_transport._landscape import prefix_landscape as prefix_landscape
from jaxpapers.attention_transport._landscape import (
    uniform_causal_attention as uniform_causal_attention,
)
from jaxpapers.attention_transport._landscape import window_attention as window_attention
from jaxpapers.attention_transport._landscape import with_sink as with_sink
from jaxpapers.attention_transport._operator import asymmetry_coeff as asymmetry_coeff
from jaxpapers.attention_transport._operator import degree_normalize as degree_normalize
from jaxpapers.attention_transport._operator import degrees as degrees
from jaxpapers.attention_transport._operator import sym_antisym as sym_antisym
from jaxpapers.attention_transport._spectral import attn_eigvals as attn_eigvals
from jaxpapers.attention_transport._spectral import attn_logdet as attn_logdet
from jaxpapers.attention_transport._spectral import lambda2_lanczos as lambda2_lanczos
from jaxpapers.attention_transport._spectral import lapeigvals as lapeigvals
from jaxpapers.attention_transport._spectral import spectral_cheeger as spectral_cheeger
from jaxpapers.attention_transport._spectral import sym_eigvals as sym_eigvals
from jaxpapers.attention_transport._spectral import top_k_sym_eigvals as top_k_sym_eigvals
from jaxpapers.attention_transport._types import FLOOR as FLOOR
from jaxpapers.attention_transport._types import HeadFeatures as HeadFeatures
from jaxpapers.attention_transport._types import HeadSummary as HeadSummary
from jaxpapers.attention_transport._types import Landscape as Landscape
from jaxpapers.attention_transport._types import SpectralCheeger as SpectralCheeger


def citation() -> str:
    """BibTeX of the paper this module implements."""
    return """@article{dahlem2026transport,
  title   = {Self-Attention as Transport: Limits of Symmetric Spectral Diagnostics},
  author  = {Dahlem, Markus A. and Maniloff and Misiura},
  journal = {arXiv preprint arXiv:2605.04893},
  year    = {2026}
}"""
