"""Self-attention as transport: Cheeger landscape φ, asymmetry G and length-controlled probes.

Dahlem, Maniloff, Misiura, "Self-Attention as Transport: Limits of Symmetric Spectral
Diagnostics" (2026, arXiv:2605.04893). Every function on maps takes attention ``[..., n, n]``
(any leading layer/head/batch axes) with an optional padding mask ``[..., n]`` and is pure, so
it composes with ``jit`` and ``vmap``.

* Operator: :func:`degree_normalize` (N = D^{-1/2} A D^{-1/2}), :func:`sym_antisym`,
  :func:`asymmetry_coeff` (G), :func:`degrees`.
* Capacity: :func:`prefix_landscape` (φ(t), φ_min, t*/n), :func:`spectral_cheeger` (λ₂, sweep),
  :func:`lambda2_lanczos`; oracles :func:`closed_form_uniform`, :func:`closed_form_window`;
  patterns :func:`uniform_causal_attention`, :func:`window_attention`, :func:`with_sink`.
* Features: :func:`head_features`, :func:`head_features_from_qk` (blockwise from queries and
  keys, O(n · block) memory), :func:`summarize_heads`, :func:`feature_vector`,
  :func:`restrict_to_tokens`, :func:`slice_span`.
* Baselines: :func:`sym_eigvals`/:func:`top_k_sym_eigvals` (orientation-blind family),
  :func:`lapeigvals`, :func:`attn_eigvals`, :func:`attn_logdet`.
* Forced scoring (spec §1.5): :func:`load_halueval`, :func:`encode_examples`,
  :func:`score_examples` (any ``attention_fn``; :func:`smollm2_attention_fn` for SmolLM2),
  the probe :func:`fit_probe` / :func:`probe_scores`, and the length-controlled judgement
  :func:`length_controlled_auroc` / :func:`evaluate_probe` with the settings in :class:`Config`.
* The polarity toy (spec §3-13): :func:`polarity_benchmark`, :func:`polarity`.
"""

from jaxpapers.attention_transport._blockwise import head_features_from_qk as head_features_from_qk
from jaxpapers.attention_transport._evaluate import evaluate_probe as evaluate_probe
from jaxpapers.attention_transport._evaluate import (
    length_controlled_auroc as length_controlled_auroc,
)
from jaxpapers.attention_transport._features import feature_vector as feature_vector
from jaxpapers.attention_transport._features import head_features as head_features
from jaxpapers.attention_transport._features import restrict_to_tokens as restrict_to_tokens
from jaxpapers.attention_transport._features import slice_span as slice_span
from jaxpapers.attention_transport._features import summarize_heads as summarize_heads
from jaxpapers.attention_transport._forced_scoring import EncodedBatch as EncodedBatch
from jaxpapers.attention_transport._forced_scoring import encode_examples as encode_examples
from jaxpapers.attention_transport._forced_scoring import score_examples as score_examples
from jaxpapers.attention_transport._forced_scoring import (
    smollm2_attention_fn as smollm2_attention_fn,
)
from jaxpapers.attention_transport._forced_scoring import span_features as span_features
from jaxpapers.attention_transport._halueval import Example as Example
from jaxpapers.attention_transport._halueval import halueval_path as halueval_path
from jaxpapers.attention_transport._halueval import load_halueval as load_halueval
from jaxpapers.attention_transport._halueval import word_length as word_length
from jaxpapers.attention_transport._lanczos import lambda2_lanczos as lambda2_lanczos
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
from jaxpapers.attention_transport._probe import fit_probe as fit_probe
from jaxpapers.attention_transport._probe import probe_logit as probe_logit
from jaxpapers.attention_transport._probe import probe_scores as probe_scores
from jaxpapers.attention_transport._spectral import attn_eigvals as attn_eigvals
from jaxpapers.attention_transport._spectral import attn_logdet as attn_logdet
from jaxpapers.attention_transport._spectral import lapeigvals as lapeigvals
from jaxpapers.attention_transport._spectral import spectral_cheeger as spectral_cheeger
from jaxpapers.attention_transport._spectral import sym_eigvals as sym_eigvals
from jaxpapers.attention_transport._spectral import top_k_sym_eigvals as top_k_sym_eigvals
from jaxpapers.attention_transport._synthetic import PolarityBenchmark as PolarityBenchmark
from jaxpapers.attention_transport._synthetic import polarity as polarity
from jaxpapers.attention_transport._synthetic import polarity_benchmark as polarity_benchmark
from jaxpapers.attention_transport._types import FLOOR as FLOOR
from jaxpapers.attention_transport._types import Config as Config
from jaxpapers.attention_transport._types import HeadFeatures as HeadFeatures
from jaxpapers.attention_transport._types import HeadSummary as HeadSummary
from jaxpapers.attention_transport._types import Lanczos as Lanczos
from jaxpapers.attention_transport._types import Landscape as Landscape
from jaxpapers.attention_transport._types import LengthControlled as LengthControlled
from jaxpapers.attention_transport._types import Probe as Probe
from jaxpapers.attention_transport._types import ProbeEvaluation as ProbeEvaluation
from jaxpapers.attention_transport._types import ProbeScores as ProbeScores
from jaxpapers.attention_transport._types import SpectralCheeger as SpectralCheeger


def citation() -> str:
    """BibTeX of the paper this module implements."""
    return """@article{dahlem2026transport,
  title   = {Self-Attention as Transport: Limits of Symmetric Spectral Diagnostics},
  author  = {Dahlem, Markus A. and Maniloff and Misiura},
  journal = {arXiv preprint arXiv:2605.04893},
  year    = {2026}
}"""
