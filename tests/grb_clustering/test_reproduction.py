"""The quick reproduction runs and its claims pass; spec B3/B4 on the packaged BATSE table."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import check_reproduction, reproduce

CLAIMS = [
    "batse_log10_pint_k2_kmeans", "batse_pcal_k2_kmeans", "batse_pcal_k3_kmeans",
    "batse_log10_pint_k2_gmm", "batse_pcal_k2_gmm", "batse_pcal_k3_gmm",
    "batse_binary_confirmed", "batse_mwu_vs_scipy", "batse_kmeans_vs_sklearn",
    "unimodal_log10_pint", "unimodal_pcal", "unimodal_k_hat", "null_rejection_rate",
    "null_mean_pcal", "t2_pcal2_floor", "t2_k_hat", "batse_like_pcal2_floor",
    "batse_like_k_hat", "batse_like_gmm_error",
]  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("grb_clustering")
    code, report = reproduce("grb_clustering", out)
    return code, report, np.load(out / "grb_clustering" / "arrays.npz")


def test_quick_reproduction_claims_pass(run):
    code, report, _ = run
    check_reproduction(code, report, must_pass=CLAIMS, optional=["batse_kmeans_vs_sklearn"])
    assert report["meta"]["stages"]["BATSE catalogue"]["source"] == "packaged table"


@pytest.mark.parametrize("algo", ["kmeans", "gmm"])
def test_b3_batse_two_groups(run, algo):
    # spec B3 on the packaged 1598-burst table (B = 19 here, 99 in the slow test):
    # log10 P_int(2) < −100 and no null replicate reaches the observed statistic
    _, report, arrays = run
    assert float(arrays[f"batse_log10_pint_{algo}_k2"]) < -100
    assert float(arrays[f"batse_stat_{algo}_k2"]) > np.max(arrays[f"batse_null_{algo}_k2"])
    B = report["meta"]["stages"]["BATSE catalogue"]["num_null"]
    pcal = {c["id"]: c["measured"] for c in report["claims"]}[f"batse_pcal_k2_{algo}"]
    assert pcal == pytest.approx(1 / (B + 1))


@pytest.mark.parametrize("algo", ["kmeans", "gmm"])
def test_b4_batse_no_third_group(run, algo):
    # spec B4: P_cal(3) > 0.05, so the step-wise rule selects K = 2
    _, report, arrays = run
    B = report["meta"]["stages"]["BATSE catalogue"]["num_null"]
    hits = np.sum(arrays[f"batse_null_{algo}_k3"] >= arrays[f"batse_stat_{algo}_k3"])
    assert (1 + hits) / (B + 1) > 0.05
    assert report["meta"]["stages"]["BATSE catalogue"]["k_hat"][algo] == 2


@pytest.mark.slow
@pytest.mark.parametrize("seed", ["1", "2", "3"])
def test_quick_reproduction_at_other_seeds(tmp_path, seed):
    code, report = reproduce("grb_clustering", tmp_path, "--seed", seed)
    check_reproduction(code, report, must_pass=CLAIMS, optional=["batse_kmeans_vs_sklearn"])
