"""The quick reproduction: every claim expected to pass does, at the default seed and others."""

import pytest

from tests.helpers import check_reproduction, reproduce

MUST_PASS = [
    "A1_ift_bandit",
    "A1_reference_standard",
    "A1_reference_steering",
    "A2_effective_reward",
    "A3_ridge_cg",
    "A3_ridge_dense",
    "A4_influence",
    "B9_myopic_policy",
    "B9_myopic_phi",
    "B9_myopic_utility",
    "B10_stackelberg_best_answer",
    "B10_stackelberg_utility",
    "B10_standard_gradient_is_myopic",
    "B11_relaxed",
    "B11_practical_0.05",
    "B11_practical_0.1",
    "B11_practical_0.2",
    "B11_practical_0.5",
    "B_exact",
    "C12_fd_myopic",
    "C12_fd_relaxed",
    "C12_fd_practical",
    "C12_exact_myopic",
    "C12_exact_relaxed",
    "C12_exact_practical",
    "C14_stop_grad_exact",
    "C14_stop_grad_finite_difference",
    "C15_fixed_point",
    "C15_long_run_utility",
    "C15_myopic_ceiling",
    "C16_rlhf_collapse",
    "C16_rlhf_noise",
    "C16_relaxed_holds",
    "C16_relaxed_noise",
    "C_seeds_relaxed_beats_rlhf",
    "D17_myopic_high",
    "D17_relaxed_high",
    "D17_practical_high",
    "D17_relaxed_gap",
    "D17_practical_gap",
    "E20_exact_binomial",
    "E20_relaxed_beats_baseline",
    "E20_practical_not_better",
]
# The paper's reported p-values 0.014, 0.41 and 0.076 match no exact test on its own counts.
NOT_REPRODUCED = [
    "E20_relaxed_vs_baseline_pvalue",
    "E20_practical_vs_baseline_pvalue",
    "E20_relaxed_vs_practical_pvalue",
]
# The tiny stand-in cannot decide the paper's LLM claims; SmolLM2 is the --full run.
STAND_IN = ["F_relaxed_vs_rlhf", "F_practical_vs_rlhf"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return reproduce("fpo", tmp_path_factory.mktemp("fpo"))


def test_quick_reproduction(quick):
    code, report = quick
    check_reproduction(code, report, must_pass=MUST_PASS)
    verdicts = {c["id"]: c["verdict"] for c in report["claims"]}
    assert all(verdicts[c] == "fail" for c in NOT_REPRODUCED)
    assert all(verdicts[c] == "undecided" for c in STAND_IN)
    assert set(verdicts) == set(MUST_PASS) | set(NOT_REPRODUCED) | set(STAND_IN)
    assert {"bandit", "linear_trajectories", "neural_seeds", "llm"} <= set(report["figures"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quick_reproduction_other_seeds(tmp_path, seed):
    code, report = reproduce("fpo", tmp_path, "--seed", str(seed))
    check_reproduction(code, report, must_pass=MUST_PASS)
