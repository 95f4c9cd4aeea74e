"""The quick reproduction: the claims expected to pass do, at the default seed and at others."""

import pytest

from tests.helpers import check_reproduction, reproduce

MUST_PASS = [
    "a",
    "D",
    "D_positive",
    "kappa_over",
    "sweep_selects_law",
    "a_rollout",
    "D_rollout",
    "heldout_ratio",
    "a_kappa_scan",
    "D_kappa_scan",
    "pinn",
    "coverage_a",
    "coverage_D",
    "a_mean",
    "D_mean",
    "grid_0",
    "grid_1",
    "grid_2",
    "grid_3",
]
# Reported but not gated: the block / i.i.d. interval-width ratio is measured on ONE video and
# its verdict flips with the seed (1.46 at seed 0, 1.02 at seed 1; README), so it is no
# replication claim yet. The fixed-key test_b14_plume_block_intervals_are_wider_than_iid keeps
# the property under test.
REPORTED = ["block_vs_iid"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return reproduce("video_pde", tmp_path_factory.mktemp("video_pde"))


def test_quick_reproduction_claims_pass(quick):
    code, report = quick
    check_reproduction(code, report, must_pass=MUST_PASS)
    assert {c["id"] for c in report["claims"]} == set(MUST_PASS + REPORTED)
    planted = {c["id"] for c in report["claims"] if c["provenance"] == "planted"}
    assert {"a", "D", "a_rollout", "a_kappa_scan", "coverage_a", "grid_0"} <= planted
    assert all("planted" in c["statement"] for c in report["claims"] if c["id"] in planted)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4, 11])
def test_quick_reproduction_at_other_seeds(seed, tmp_path_factory):
    code, report = reproduce(
        "video_pde", tmp_path_factory.mktemp(f"seed{seed}"), "--seed", str(seed)
    )
    check_reproduction(code, report, must_pass=MUST_PASS)
