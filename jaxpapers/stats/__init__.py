"""Statistics building blocks: on-device tests, resampling and pooling, written for ``vmap``.

Public API (explicit re-exports; each module holds one concept):

* Rubin's rules for multiple imputation, with Barnard–Rubin degrees of freedom
  (:func:`rubin_pool`, :func:`barnard_rubin_df`, :func:`student_t_sf`, :class:`RubinResult`).
"""

from jaxpapers.stats._rubin import RubinResult as RubinResult
from jaxpapers.stats._rubin import barnard_rubin_df as barnard_rubin_df
from jaxpapers.stats._rubin import rubin_pool as rubin_pool
from jaxpapers.stats._rubin import student_t_sf as student_t_sf
