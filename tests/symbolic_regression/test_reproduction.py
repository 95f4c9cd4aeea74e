"""The quick reproduction, run as a user runs it: the planted equations are found and their
coefficient errors stay under the spec's derived thresholds."""

import pytest

from tests.helpers import check_reproduction, reproduce

NAME = "symbolic_regression"
PLANTED = ["lorenz_support", "vdp_support"]
DERIVED = [
    "lorenz_coefficients",
    "lorenz_vs_true_terms",
    "vdp_coefficients",
    "vdp_period",
    "vdp_cycle_error",
]
MUST_PASS = PLANTED + DERIVED


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return reproduce(NAME, tmp_path_factory.mktemp("quick"))


def test_named_claims_pass(quick):
    code, report = quick
    check_reproduction(code, report, must_pass=MUST_PASS)
    assert {c["id"] for c in report["claims"]} == set(MUST_PASS)


def test_provenances_are_honest(quick):
    """Support recovery is of equations we simulated (planted); every threshold is ours
    (derived): the paper states no number we could read."""
    _, report = quick
    provenance = {c["id"]: c["provenance"] for c in report["claims"]}
    assert {k for k, v in provenance.items() if v == "planted"} == set(PLANTED)
    assert all(provenance[k] == "derived" for k in DERIVED)


# measured over seeds 0-4 (README): at seed 2 the found Lorenz model errs by 0.93 % against
# 0.59 % for least squares on the true terms, a ratio of 1.57 over the spec's proposed 1.5
KNOWN_FAILURES = {2: {"lorenz_vs_true_terms"}}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_other_seeds(seed, tmp_path):
    """A user's other seeds (other noise draws): the same claims pass, except the measured
    failures the README reports, which must still fail (a change that fixes one shows here)."""
    code, report = reproduce(NAME, tmp_path, "--seed", str(seed))
    known = KNOWN_FAILURES.get(seed, set())
    check_reproduction(code, report, must_pass=[c for c in MUST_PASS if c not in known])
    assert {c["id"] for c in report["claims"] if c["verdict"] == "fail"} == known
