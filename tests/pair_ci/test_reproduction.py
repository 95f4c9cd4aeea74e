"""The quick reproduction of pair_ci: the claims expected to pass do (issue 12 item 8).

``shd_gain_hailfinder`` needs the optional ``pgmpy<1.3`` wheel and fails when it runs (the
paper's 44 % is not reproduced; see the module README), so it is listed only as optional.
"""

import pytest

from tests.helpers import check_reproduction, reproduce

MUST_PASS = [
    "naive_fpr_mnar",
    "pair_ci_fpr_mnar",
    "pair_ci_power",
    "c7_extra_edges_10var_lin",
    "c7_fewer_extra_edges_10var_lin",
    "c7_skeleton_shd_10var_lin",  # C7 as the spec writes it: within +10 % of naive, or better
]
OPTIONAL = ["shd_gain_hailfinder"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return reproduce("pair_ci", tmp_path_factory.mktemp("pair_ci"))


def test_quick_reproduction_claims_pass(quick):
    code, report = quick
    check_reproduction(code, report, must_pass=MUST_PASS, optional=OPTIONAL)


def test_every_graph_claim_rests_on_several_graphs_with_a_standard_error(quick):
    _, report = quick
    for claim in report["claims"]:
        if claim["id"].startswith(("c7_", "shd_gain_10")):
            assert claim["uncertainty"] is not None and claim["uncertainty"] > 0, claim
            assert int(claim["note"].split(" graphs")[0].split()[-1]) >= 5, claim["note"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quick_reproduction_at_other_seeds(seed, tmp_path):
    code, report = reproduce("pair_ci", tmp_path, "--seed", str(seed))
    check_reproduction(code, report, must_pass=MUST_PASS, optional=OPTIONAL)
