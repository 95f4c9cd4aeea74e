"""Statistics building blocks: on-device tests, resampling and pooling, written for ``vmap``.

Public API (explicit re-exports; each module holds one concept):

* AUROC as a Mann–Whitney statistic with exact tie handling, stratified AUROC and the
  length-controlled AUROC of hallucination detection (:func:`auroc`, :func:`stratified_auroc`,
  :func:`lc_auroc`, :func:`length_bins`, :class:`StratifiedAUROC`).
"""

from jaxpapers.stats._auroc import StratifiedAUROC as StratifiedAUROC
from jaxpapers.stats._auroc import auroc as auroc
from jaxpapers.stats._auroc import lc_auroc as lc_auroc
from jaxpapers.stats._auroc import length_bins as length_bins
from jaxpapers.stats._auroc import stratified_auroc as stratified_auroc
