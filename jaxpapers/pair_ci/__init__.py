"""PAIR-CI: calibrated conditional-independence testing with incomplete data, and the PC algorithm.

Robinson & Lall (2026), arXiv:2605.04838. A CI test of X ⊥ Y | Z on data with missing values:
proper multiple imputation (all variables, fitted per cross-validation fold, cached per data set),
paired full/null models that share the imputed conditioning set, and a variance that combines
cross-validation and imputation uncertainty (Rubin's rules, Barnard–Rubin df). ``pc`` runs
PC-stable with the tests of each level batched (vmapped and sharded).

>>> import jaxpapers.pair_ci as pc_
>>> # res = pc_.pair_ci_test(key, data, x, y, cond_set)
>>> # graph = pc_.pc(data, pc_.pair_ci_tester(key, data))
"""

from jaxpapers.pair_ci._api import CITest as CITest
from jaxpapers.pair_ci._api import fisher_z_tester as fisher_z_tester
from jaxpapers.pair_ci._api import g_tester as g_tester
from jaxpapers.pair_ci._api import impute_then_test as impute_then_test
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
from jaxpapers.pair_ci._test import pair_ci_from_cache as pair_ci_from_cache
from jaxpapers.pair_ci._test import symmetric_pvalue as symmetric_pvalue
from jaxpapers.pair_ci._types import Config as Config
from jaxpapers.pair_ci._types import ImputationCache as ImputationCache
from jaxpapers.pair_ci._types import PairCIResult as PairCIResult
from jaxpapers.pair_ci._types import PCResult as PCResult


def citation() -> str:
    """BibTeX of the paper this module implements."""
    return """@article{robinson2026pairci,
  title   = {{PAIR-CI}: Calibrated Conditional Independence Testing for Causal Discovery
             with Incomplete Data},
  author  = {Robinson, Thomas S. and Lall, Ranjit},
  journal = {arXiv preprint arXiv:2605.04838},
  year    = {2026}
}"""
