"""Perturbation-based next-token prediction for extrapolating language models.

Reference implementation for Cen, Zhu, Shen & Shi, "Perturbation is All You Need for
Extrapolating Language Models" (arXiv 2605.04344, 2026). Instead of conditioning on the exact
prefix, condition on a perturbed semantic neighbour x~ ~ Q(. | x), at training (objectives O1
:func:`aug_nll` and O2 :func:`marginal_nll`) and at inference (:func:`predict_marginal`). The
paper's full text was not available; see README.md for what is the paper's and what is ours.

Pieces:

* the synthetic synonym-class Markov language: :func:`make_scm`, :func:`sample_scm`,
  :func:`true_next_dist`, :func:`context_windows`, :func:`split_support`;
* kernels ``kernel(key, tokens) -> tokens``: :func:`perturb_synonym`, :func:`perturb_eda`
  (SR/RI/RS/RD at a static shape with a mask), :func:`eda_kernel`, :func:`class_synonyms`;
* objectives and predictors: :func:`aug_nll`, :func:`marginal_nll`, :func:`marginal_log_prob`,
  :func:`predict_marginal`, :func:`predict_exact`, :func:`perturbed_copies`;
* training: :class:`Config`, :func:`init`, :func:`train_step`, :func:`fit`;
* models: spec §2.1's MLP :func:`init_context_mlp`, and a tiny :mod:`jaxpapers.nn` Llama
  :func:`init_context_llama`, :func:`context_llama_config`;
* divergences: :func:`kl_divergence`, :func:`js_divergence`;
"""

from jaxpapers.perturbation_lm._kernels import class_synonyms as class_synonyms
from jaxpapers.perturbation_lm._kernels import eda_kernel as eda_kernel
from jaxpapers.perturbation_lm._kernels import perturb_eda as perturb_eda
from jaxpapers.perturbation_lm._kernels import perturb_synonym as perturb_synonym
from jaxpapers.perturbation_lm._metrics import js_divergence as js_divergence
from jaxpapers.perturbation_lm._metrics import kl_divergence as kl_divergence
from jaxpapers.perturbation_lm._models import ContextMLP as ContextMLP
from jaxpapers.perturbation_lm._models import LastTokenLogits as LastTokenLogits
from jaxpapers.perturbation_lm._models import MLPLogits as MLPLogits
from jaxpapers.perturbation_lm._models import context_llama_config as context_llama_config
from jaxpapers.perturbation_lm._models import init_context_llama as init_context_llama
from jaxpapers.perturbation_lm._models import init_context_mlp as init_context_mlp
from jaxpapers.perturbation_lm._objectives import aug_nll as aug_nll
from jaxpapers.perturbation_lm._objectives import marginal_log_prob as marginal_log_prob
from jaxpapers.perturbation_lm._objectives import marginal_nll as marginal_nll
from jaxpapers.perturbation_lm._objectives import perturbed_copies as perturbed_copies
from jaxpapers.perturbation_lm._objectives import predict_exact as predict_exact
from jaxpapers.perturbation_lm._objectives import predict_marginal as predict_marginal
from jaxpapers.perturbation_lm._scm import context_windows as context_windows
from jaxpapers.perturbation_lm._scm import make_scm as make_scm
from jaxpapers.perturbation_lm._scm import sample_scm as sample_scm
from jaxpapers.perturbation_lm._scm import split_support as split_support
from jaxpapers.perturbation_lm._scm import true_next_dist as true_next_dist
from jaxpapers.perturbation_lm._train import exact_nll as exact_nll
from jaxpapers.perturbation_lm._train import fit as fit
from jaxpapers.perturbation_lm._train import init as init
from jaxpapers.perturbation_lm._train import objective as objective
from jaxpapers.perturbation_lm._train import train_step as train_step
from jaxpapers.perturbation_lm._types import OBJECTIVES as OBJECTIVES
from jaxpapers.perturbation_lm._types import SCM as SCM
from jaxpapers.perturbation_lm._types import Config as Config
from jaxpapers.perturbation_lm._types import EDARates as EDARates
from jaxpapers.perturbation_lm._types import FitResult as FitResult
from jaxpapers.perturbation_lm._types import TrainInfo as TrainInfo
from jaxpapers.perturbation_lm._types import TrainState as TrainState


def citation() -> str:
    """BibTeX of the paper."""
    return """@article{cen2026perturbation,
  title   = {Perturbation is All You Need for Extrapolating Language Models},
  author  = {Cen, Zetai and Zhu, Jin and Shen, Xinwei and Shi, Chengchun},
  journal = {arXiv preprint arXiv:2605.04344},
  year    = {2026}
}"""
