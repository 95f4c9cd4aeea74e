"""On-device statistics, written for one replicate and ``vmap``-ed over keys.

Resampling and testing run as one compiled program on whatever devices exist. Each private
module holds one concept:

* bootstrap: chronological block bootstrap and the i.i.d. bootstrap (:func:`block_bootstrap`,
  :func:`iid_bootstrap`, and their index/weight generators);
* AUROC as a Mann–Whitney statistic with exact tie handling, stratified AUROC and the
  length-controlled AUROC of hallucination detection (:func:`auroc`, :func:`stratified_auroc`,
  :func:`lc_auroc`, :func:`length_bins`, :class:`StratifiedAUROC`);
* Rubin's rules for multiple imputation, with Barnard–Rubin degrees of freedom
  (:func:`rubin_pool`, :func:`barnard_rubin_df`, :func:`student_t_sf`, :class:`RubinResult`).
"""

from jaxpapers.stats._auroc import StratifiedAUROC as StratifiedAUROC
from jaxpapers.stats._auroc import auroc as auroc
from jaxpapers.stats._auroc import lc_auroc as lc_auroc
from jaxpapers.stats._auroc import length_bins as length_bins
from jaxpapers.stats._auroc import stratified_auroc as stratified_auroc
from jaxpapers.stats._bootstrap import BootstrapResult as BootstrapResult
from jaxpapers.stats._bootstrap import block_bootstrap as block_bootstrap
from jaxpapers.stats._bootstrap import block_bootstrap_indices as block_bootstrap_indices
from jaxpapers.stats._bootstrap import block_bootstrap_weights as block_bootstrap_weights
from jaxpapers.stats._bootstrap import iid_bootstrap as iid_bootstrap
from jaxpapers.stats._bootstrap import iid_bootstrap_weights as iid_bootstrap_weights
from jaxpapers.stats._rubin import RubinResult as RubinResult
from jaxpapers.stats._rubin import barnard_rubin_df as barnard_rubin_df
from jaxpapers.stats._rubin import rubin_pool as rubin_pool
from jaxpapers.stats._rubin import student_t_sf as student_t_sf
