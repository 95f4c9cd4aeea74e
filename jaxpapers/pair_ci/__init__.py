"""PAIR-CI: calibrated conditional-independence testing with incomplete data, and the PC algorithm.

Robinson & Lall (2026), arXiv:2605.04838. A CI test of X ⊥ Y | Z on data with missing values:
proper multiple imputation (all variables, fitted per cross-validation fold, cached per data set),
paired full/null models that share the imputed conditioning set, and a variance that combines
cross-validation and imputation uncertainty (Rubin's rules, Barnard–Rubin df). ``pc`` runs
PC-stable with the tests of each level batched (vmapped and sharded).

Three entry points: :func:`pair_ci_test` runs one test on raw data; :func:`pair_ci_tester`
imputes once and gives :func:`pc` a batched test of both directions; :func:`pair_ci_directed` is
the pure statistic of one direction on cached imputations.

>>> import jax
>>> import jaxpapers.pair_ci as pc
>>> data = pc.simulate_confounder(jax.random.key(0), 400, mechanism="mnar")  # [Y, X, Z, W]
>>> bool(pc.pair_ci_test(jax.random.key(1), data, 1, 0, [2, 3]).pvalue > 0.05)  # X ⊥ Y | Z, W
True
>>> graph = pc.pc(data, pc.pair_ci_tester(jax.random.key(2), data, pc.Config(3, 2)))
>>> graph.skeleton.shape
(4, 4)
"""

from jaxpapers.pair_ci._api import CITest as CITest
from jaxpapers.pair_ci._api import fisher_z_tester as fisher_z_tester
from jaxpapers.pair_ci._api import g_tester as g_tester
from jaxpapers.pair_ci._api import impute_then_tester as impute_then_tester
from jaxpapers.pair_ci._api import pair_ci_test as pair_ci_test
from jaxpapers.pair_ci._api import pair_ci_tester as pair_ci_tester
from jaxpapers.pair_ci._baselines import FisherZResult as FisherZResult
from jaxpapers.pair_ci._baselines import fisher_z_test as fisher_z_test
from jaxpapers.pair_ci._baselines import g_test as g_test
from jaxpapers.pair_ci._bif import BayesNet as BayesNet
from jaxpapers.pair_ci._bif import hailfinder_path as hailfinder_path
from jaxpapers.pair_ci._bif import load_bif as load_bif
from jaxpapers.pair_ci._bif import mnar_first_state as mnar_first_state
from jaxpapers.pair_ci._bif import sample_bayes_net as sample_bayes_net
from jaxpapers.pair_ci._data import mnar_self_masking as mnar_self_masking
from jaxpapers.pair_ci._data import random_dag as random_dag
from jaxpapers.pair_ci._data import simulate_confounder as simulate_confounder
from jaxpapers.pair_ci._data import simulate_sem as simulate_sem
from jaxpapers.pair_ci._graph import StructureDistance as StructureDistance
from jaxpapers.pair_ci._graph import ancestral_subset as ancestral_subset
from jaxpapers.pair_ci._graph import dag_to_cpdag as dag_to_cpdag
from jaxpapers.pair_ci._graph import meek_rules as meek_rules
from jaxpapers.pair_ci._graph import orient_v_structures as orient_v_structures
from jaxpapers.pair_ci._graph import shd as shd
from jaxpapers.pair_ci._impute import impute_chained as impute_chained
from jaxpapers.pair_ci._impute import impute_folds as impute_folds
from jaxpapers.pair_ci._pc import pc as pc
from jaxpapers.pair_ci._sim import calibration_pvalues as calibration_pvalues
from jaxpapers.pair_ci._sim import pc_comparison as pc_comparison
from jaxpapers.pair_ci._sim import rejection_interval as rejection_interval
from jaxpapers.pair_ci._statistic import pair_ci_directed as pair_ci_directed
from jaxpapers.pair_ci._statistic import symmetric_pvalue as symmetric_pvalue
from jaxpapers.pair_ci._types import Config as Config
from jaxpapers.pair_ci._types import ImputationCache as ImputationCache
from jaxpapers.pair_ci._types import PCResult as PCResult
from jaxpapers.pair_ci._types import Result as Result


def citation() -> str:
    """BibTeX of the paper this module implements."""
    return """@article{robinson2026pairci,
  title   = {{PAIR-CI}: Calibrated Conditional Independence Testing for Causal Discovery
             with Incomplete Data},
  author  = {Robinson, Thomas S. and Lall, Ranjit},
  journal = {arXiv preprint arXiv:2605.04838},
  year    = {2026}
}"""
