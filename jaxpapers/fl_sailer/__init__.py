"""FL-Sailer: federated invariant VAE with leverage-score feature sampling for scATAC-seq.

Zhang, Dai, He & Liu (2026), arXiv:2605.04519. Institutions hold binarised cell × peak
matrices they cannot share. The method (i) scores peaks by leverage of a TF-IDF matrix and keeps
the top 20 % (the paper's "80 % dimensionality reduction"), and (ii) trains SAILER's invariant
VAE (Cao et al. 2021) by federated averaging, with a conditional decoder and a pairwise-KL bound
that pushes the latent to forget depth and batch. Only the abstract of the paper is public:
everything beyond it is reconstructed from SAILER and the leverage / FL literature (see the
module README and the spec).

* preprocessing: :func:`binarize`, :func:`global_peak_stats` (secure sums), :func:`filter_peaks`,
  :func:`tfidf`, :func:`lsi`, :func:`depth_covariate`, :func:`covariates`;
* leverage: :func:`exact_leverage`, :func:`randomized_leverage`, :func:`federated_leverage`
  (L2, summed sketches), :func:`client_average` (L1);
* selection: :func:`top_fraction`, :func:`gumbel_top_k`, :func:`mass_budget`;
* model and training: :class:`InvariantVAE`, :func:`vae_loss`,
  :func:`pairwise_gaussian_kl_mean`, :func:`train`, :func:`federated_train`,
  :func:`stack_clients`, :func:`secure_sum`, :func:`clip_update`;
* data and metrics: :func:`make_scatac`, :func:`read_h5ad`,
  :func:`adjusted_rand_index`, :func:`normalized_mutual_info`, :func:`ilisi`, :func:`batch_asw`.

>>> import jax
>>> import jaxpapers.fl_sailer as fs
>>> data = jax.jit(fs.make_scatac, static_argnums=(1, 2))(jax.random.key(0), 150, 200)
>>> clients = [data.x[data.batch == b] for b in range(3)]
>>> keep = fs.filter_peaks(fs.global_peak_stats(clients))
>>> clients = [x[:, keep] for x in clients]
>>> stats = fs.global_peak_stats(clients)
>>> pooled = fs.federated_leverage(jax.random.key(1), [fs.tfidf(x, stats) for x in clients], 5)
>>> fs.top_fraction(pooled, 0.2).shape == (-(-len(keep) // 5),)
True
"""

from jaxpapers.fl_sailer._federated import CLIENT as CLIENT
from jaxpapers.fl_sailer._federated import communication_bytes as communication_bytes
from jaxpapers.fl_sailer._federated import federated_train as federated_train
from jaxpapers.fl_sailer._federated import stack_clients as stack_clients
from jaxpapers.fl_sailer._io import read_h5ad as read_h5ad
from jaxpapers.fl_sailer._leverage import client_average as client_average
from jaxpapers.fl_sailer._leverage import exact_leverage as exact_leverage
from jaxpapers.fl_sailer._leverage import federated_leverage as federated_leverage
from jaxpapers.fl_sailer._leverage import randomized_leverage as randomized_leverage
from jaxpapers.fl_sailer._loss import LossTerms as LossTerms
from jaxpapers.fl_sailer._loss import kl_weight as kl_weight
from jaxpapers.fl_sailer._loss import moment_kl as moment_kl
from jaxpapers.fl_sailer._loss import pairwise_gaussian_kl_mean as pairwise_gaussian_kl_mean
from jaxpapers.fl_sailer._loss import posterior_moments as posterior_moments
from jaxpapers.fl_sailer._loss import vae_loss as vae_loss
from jaxpapers.fl_sailer._metrics import adjusted_rand_index as adjusted_rand_index
from jaxpapers.fl_sailer._metrics import batch_asw as batch_asw
from jaxpapers.fl_sailer._metrics import ilisi as ilisi
from jaxpapers.fl_sailer._metrics import normalized_mutual_info as normalized_mutual_info
from jaxpapers.fl_sailer._model import InvariantVAE as InvariantVAE
from jaxpapers.fl_sailer._preprocess import binarize as binarize
from jaxpapers.fl_sailer._preprocess import covariates as covariates
from jaxpapers.fl_sailer._preprocess import depth_covariate as depth_covariate
from jaxpapers.fl_sailer._preprocess import filter_peaks as filter_peaks
from jaxpapers.fl_sailer._preprocess import global_peak_stats as global_peak_stats
from jaxpapers.fl_sailer._preprocess import lsi as lsi
from jaxpapers.fl_sailer._preprocess import tfidf as tfidf
from jaxpapers.fl_sailer._secure import clip_update as clip_update
from jaxpapers.fl_sailer._secure import gaussian_noise as gaussian_noise
from jaxpapers.fl_sailer._secure import masked_share as masked_share
from jaxpapers.fl_sailer._secure import secure_sum as secure_sum
from jaxpapers.fl_sailer._select import gumbel_top_k as gumbel_top_k
from jaxpapers.fl_sailer._select import mass_budget as mass_budget
from jaxpapers.fl_sailer._select import top_fraction as top_fraction
from jaxpapers.fl_sailer._synth import REGIMES as REGIMES
from jaxpapers.fl_sailer._synth import make_scatac as make_scatac
from jaxpapers.fl_sailer._train import local_update as local_update
from jaxpapers.fl_sailer._train import train as train
from jaxpapers.fl_sailer._types import ClientData as ClientData
from jaxpapers.fl_sailer._types import Config as Config
from jaxpapers.fl_sailer._types import PeakStats as PeakStats
from jaxpapers.fl_sailer._types import ScATAC as ScATAC
from jaxpapers.fl_sailer._types import TrainResult as TrainResult


def citation() -> str:
    """BibTeX of the paper this module implements (and of SAILER, its invariant VAE)."""
    return """@article{zhang2026flsailer,
  title   = {{FL-Sailer}: Efficient and Privacy-Preserving Federated Learning for Scalable
             Single-Cell Epigenetic Data Analysis via Adaptive Sampling},
  author  = {Zhang, G. and Dai, Y. and He, Y. and Liu, J.},
  journal = {arXiv preprint arXiv:2605.04519},
  year    = {2026}
}
@article{cao2021sailer,
  title   = {{SAILER}: scalable and accurate invariant representation learning for single-cell
             {ATAC}-seq processing and integration},
  author  = {Cao, Yingxin and Fu, Laiyi and Wu, Jie and Peng, Qinke and Nie, Qing and Zhang, Jing
             and Xie, Xiaohui},
  journal = {Bioinformatics},
  volume  = {37},
  pages   = {i317--i326},
  year    = {2021}
}"""
