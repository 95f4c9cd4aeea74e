"""The quick reproduction, run as a user would (``jaxpapers reproduce fl_sailer``)."""

import pytest

from tests.helpers import check_reproduction, reproduce

# spec B2, A8, C5, C4, D4, D5, D7 at the quick scale, and the paper's 80 %-reduction claim
MUST_PASS = [
    "lsi_top_ari",
    "lsi_selection_vs_uniform",
    "batch_peaks_l1_vs_pooled",
    "selection_keeps_clustering",
    "selection_vs_uniform_vae",
    "invariance_raises_mixing",
    "central_ari",
    "fedavg_close_to_central",
    "moment_term_raises_mixing",
    "moment_term_keeps_types",
    "communication_saved",
]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    return reproduce("fl_sailer", tmp_path_factory.mktemp("fl_sailer"))


def test_quick_reproduction(quick_run):
    code, report = quick_run
    check_reproduction(code, report, MUST_PASS)
    assert set(report["figures"]) == {"latent_pca", "metrics"}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quick_reproduction_at_other_seeds(tmp_path, seed):
    code, report = reproduce("fl_sailer", tmp_path, "--seed", str(seed))
    check_reproduction(code, report, MUST_PASS)
