"""Binary clustering of gamma-ray bursts through an integrated p-value from many rank tests.

"Confirmation of Binary Clustering in Gamma-Ray Bursts through an Integrated p-value from
Multiple Nonparametric Tests of Hypotheses" (2026; method: Modak, arXiv:2605.20806). A
partition of the bursts into K groups (K-means or a Gaussian mixture) is judged by one rank test
per burst: are its distances to its own cluster smaller than to the others? The n dependent
p-values are integrated into one (Cauchy combination by default), and K is chosen step-wise.
Because the clusters are found on the same data, the uncorrected integrated p-value is tiny
even without groups; :func:`calibrated_pvalue` calibrates it by re-simulating from the best
(K − 1)-group Gaussian fit and re-clustering (spec §3.4, proposed).

* Data: :func:`load_batse` (the 1598 complete BATSE bursts ship with the package),
  :func:`log_features`, :func:`standardise`, :func:`simulate` (the spec's synthetic designs).
* Tests: :func:`point_pvalues` (per-point Mann–Whitney or KS), :func:`integrate` (Cauchy,
  harmonic mean, Bonferroni, Simes, Fisher).
* Clustering: :func:`cluster` (K-means with k-means++ restarts, full-covariance GMM by EM).
* Decisions: :func:`calibrated_pvalue`, :func:`select_k`.

>>> import jax
>>> import jaxpapers.grb_clustering as grb
>>> X = grb.standardise(grb.load_batse().X)
>>> labels = grb.cluster(jax.random.key(0), X, 2).labels
>>> p = grb.point_pvalues(X, labels)
>>> bool(grb.integrate(p).log10_pvalue < -30)
True
"""

from jaxpapers.grb_clustering._calibrate import calibrated_pvalue as calibrated_pvalue
from jaxpapers.grb_clustering._cluster import cluster as cluster
from jaxpapers.grb_clustering._combine import integrate as integrate
from jaxpapers.grb_clustering._data import load_batse as load_batse
from jaxpapers.grb_clustering._data import log_features as log_features
from jaxpapers.grb_clustering._data import simulate as simulate
from jaxpapers.grb_clustering._data import standardise as standardise
from jaxpapers.grb_clustering._pointtest import point_pvalues as point_pvalues
from jaxpapers.grb_clustering._pointtest import point_tests as point_tests
from jaxpapers.grb_clustering._select import select_k as select_k
from jaxpapers.grb_clustering._types import Batse as Batse
from jaxpapers.grb_clustering._types import Calibrated as Calibrated
from jaxpapers.grb_clustering._types import Clustering as Clustering
from jaxpapers.grb_clustering._types import Combined as Combined
from jaxpapers.grb_clustering._types import Config as Config
from jaxpapers.grb_clustering._types import PointTests as PointTests
from jaxpapers.grb_clustering._types import Selection as Selection


def citation() -> str:
    """BibTeX of the method paper this module reconstructs (the GRB paper's own entry is not
    public yet; spec §0)."""
    return """@article{modak2026pvalues,
  title   = {Evaluation of the number of clusters in a data set using p-values from
             Multiple Tests of Hypotheses},
  author  = {Modak, Soumita},
  journal = {arXiv preprint arXiv:2605.20806},
  year    = {2026}
}
@misc{grb2026binary,
  title   = {Confirmation of Binary Clustering in Gamma-Ray Bursts through an Integrated
             p-value from Multiple Nonparametric Tests of Hypotheses},
  year    = {2026},
  note    = {arXiv preprint}
}"""
