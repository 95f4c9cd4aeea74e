"""On-device statistics, written for one replicate and ``vmap``-ed over keys.

Resampling and testing run as one compiled program on whatever devices exist. Each private
module holds one concept:

* bootstrap: chronological block bootstrap and the i.i.d. bootstrap (:func:`block_bootstrap`,
  :func:`iid_bootstrap`, and their index/weight generators);
* AUROC as a Mann–Whitney statistic with exact tie handling, stratified AUROC and the
  length-controlled (length-matched) AUROC of hallucination detection (:func:`auroc`,
  :func:`stratified_auroc`, :func:`matched_auroc`, :func:`lc_auroc`, :func:`length_bins`,
  :class:`StratifiedAUROC`, :class:`MatchedAUROC`);
* Rubin's rules for multiple imputation, with Barnard–Rubin degrees of freedom
  (:func:`rubin_pool`, :func:`barnard_rubin_df`, :func:`student_t_sf`, :class:`RubinResult`);
* cross-fitting with static shapes (:func:`fold_assignment`, :func:`crossfit_predict`);
* K-means: k-means++ seeding and Lloyd iterations, best of restarts vmapped over keys
  (:func:`kmeans`, :func:`kmeans_plus_plus`, :func:`lloyd`, :class:`KMeansFit`);
* L2 logistic regression, binary and multinomial, Newton or MM on plain-XLA solves
  (:func:`logistic_regression`, :func:`logistic_predict`, :class:`LogisticFit`);
* Monte Carlo summaries: :func:`mean_se` and resampling p-values with the (1 + #)/(1 + B)
  floor (:func:`resampling_pvalue`).
"""

from jaxpapers.stats._auroc import MatchedAUROC as MatchedAUROC
from jaxpapers.stats._auroc import StratifiedAUROC as StratifiedAUROC
from jaxpapers.stats._auroc import auroc as auroc
from jaxpapers.stats._auroc import lc_auroc as lc_auroc
from jaxpapers.stats._auroc import length_bins as length_bins
from jaxpapers.stats._auroc import matched_auroc as matched_auroc
from jaxpapers.stats._auroc import stratified_auroc as stratified_auroc
from jaxpapers.stats._bootstrap import BootstrapResult as BootstrapResult
from jaxpapers.stats._bootstrap import block_bootstrap as block_bootstrap
from jaxpapers.stats._bootstrap import block_bootstrap_indices as block_bootstrap_indices
from jaxpapers.stats._bootstrap import block_bootstrap_weights as block_bootstrap_weights
from jaxpapers.stats._bootstrap import iid_bootstrap as iid_bootstrap
from jaxpapers.stats._bootstrap import iid_bootstrap_weights as iid_bootstrap_weights
from jaxpapers.stats._crossfit import crossfit_predict as crossfit_predict
from jaxpapers.stats._crossfit import fold_assignment as fold_assignment
from jaxpapers.stats._kmeans import KMeansFit as KMeansFit
from jaxpapers.stats._kmeans import kmeans as kmeans
from jaxpapers.stats._kmeans import kmeans_plus_plus as kmeans_plus_plus
from jaxpapers.stats._kmeans import lloyd as lloyd
from jaxpapers.stats._logistic import LogisticFit as LogisticFit
from jaxpapers.stats._logistic import logistic_predict as logistic_predict
from jaxpapers.stats._logistic import logistic_regression as logistic_regression
from jaxpapers.stats._rubin import RubinResult as RubinResult
from jaxpapers.stats._rubin import barnard_rubin_df as barnard_rubin_df
from jaxpapers.stats._rubin import rubin_pool as rubin_pool
from jaxpapers.stats._rubin import student_t_sf as student_t_sf
from jaxpapers.stats._summary import MeanSE as MeanSE
from jaxpapers.stats._summary import mean_se as mean_se
from jaxpapers.stats._summary import resampling_pvalue as resampling_pvalue
