"""Decoding with the KV cache: greedy = argmax of full forwards, sampling, top-p, eos, errors."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
from flax import nnx

from jaxpapers import nn
from tests.conformance import check_conformance


@pytest.fixture(scope="module")
def model():
    return nn.Llama(nn.LlamaConfig.tiny(max_positions=32), rngs=nnx.Rngs(0), init_std=0.3)


PROMPT_SHAPE, NEW = (2, 5), 6  # every generate call below shares one compilation


def _greedy_without_cache(model, prompt, mask, steps):
    """Greedy decoding by full forward passes over a fixed-length buffer (one compilation)."""
    batch, length = prompt.shape
    seq = np.zeros((batch, length + steps), np.int32)
    full_mask = np.zeros((batch, length + steps), bool)
    seq[:, :length], full_mask[:, :length] = prompt, mask
    for t in range(length, length + steps):
        logits = np.asarray(model(jnp.asarray(seq), attention_mask=jnp.asarray(full_mask)))
        seq[:, t], full_mask[:, t] = logits[:, t - 1].argmax(-1), True  # causal: later slots unused
    return seq


def test_greedy_equals_argmax_of_full_forward_passes(model, key):
    prompt = np.random.default_rng(0).integers(0, 512, PROMPT_SHAPE).astype(np.int32)
    out = nn.generate(model, jnp.asarray(prompt), key, max_new_tokens=NEW)
    assert out.shape == (2, 11) and out.dtype == jnp.int32
    expected = _greedy_without_cache(model, prompt, np.ones(PROMPT_SHAPE, bool), NEW)
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_left_padded_batch_matches_unpadded_decoding(model, key):
    prompt = np.array([[0, 0, 7, 8, 9], [1, 2, 3, 4, 5]], np.int32)
    mask = np.array([[False, False, True, True, True], [True] * 5])
    out = np.asarray(nn.generate(model, jnp.asarray(prompt), key, NEW, attention_mask=mask))
    np.testing.assert_array_equal(out, _greedy_without_cache(model, prompt, mask, NEW))
    # and the padded row continues exactly as the same prompt without padding
    alone = _greedy_without_cache(model, prompt[:1, 2:], mask[:1, 2:], NEW)
    np.testing.assert_array_equal(out[0, 5:], alone[0, 3:])


def test_sampling_depends_on_key_and_tiny_top_p_is_greedy(model, getkey):
    prompt = jnp.zeros(PROMPT_SHAPE, jnp.int32)
    key = getkey()
    a = nn.generate(model, prompt, key, NEW, temperature=1.0)
    b = nn.generate(model, prompt, key, NEW, temperature=1.0)
    c = nn.generate(model, prompt, getkey(), NEW, temperature=1.0)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    nucleus = nn.generate(model, prompt, key, NEW, temperature=1.0, top_p=1e-6)
    greedy = nn.generate(model, prompt, key, NEW)
    np.testing.assert_array_equal(np.asarray(nucleus), np.asarray(greedy))


def test_sample_token_frequencies_follow_softmax(key):
    logits = jnp.log(jnp.asarray([[0.5, 0.3, 0.15, 0.05]], jnp.float32))
    keys = jax.random.split(key, 4000)
    draw = jax.jit(jax.vmap(lambda k, p: nn.sample_token(k, logits, 1.0, p), in_axes=(0, None)))
    freq = np.bincount(np.asarray(draw(keys, 1.0))[:, 0], minlength=4) / 4000
    # binomial standard error sqrt(p(1-p)/n) <= 0.0079; allow 4 standard errors
    np.testing.assert_allclose(freq, [0.5, 0.3, 0.15, 0.05], atol=4 * 0.0079)
    # top_p = 0.7 keeps {0.5, 0.3}: renormalised 0.625 / 0.375
    freq = np.bincount(np.asarray(draw(keys, 0.7))[:, 0], minlength=4) / 4000
    np.testing.assert_allclose(freq, [0.625, 0.375, 0.0, 0.0], atol=4 * 0.0077)


def test_eos_repeats_after_it_appears(model, key):
    prompt = jnp.zeros(PROMPT_SHAPE, jnp.int32)
    free = np.asarray(nn.generate(model, prompt, key, NEW))[0]
    eos = int(free[6])  # the second generated token becomes "eos"
    out = np.asarray(nn.generate(model, prompt, key, NEW, eos_id=eos))[0]
    first = 5 + list(free[5:]).index(eos)
    assert np.all(out[first:] == eos) and np.array_equal(out[:first], free[:first])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(max_new_tokens=0), "max_new_tokens"),
        (dict(max_new_tokens=40), "max_positions=32"),
        (dict(max_new_tokens=2, temperature=-1.0), "temperature"),
        (dict(max_new_tokens=2, top_p=0.0), "top_p"),
        (dict(max_new_tokens=2, attention_mask=np.array([[True, False]])), "pad on the left"),
    ],
)
def test_generate_bad_arguments(model, key, kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.generate(model, jnp.zeros((1, 2), jnp.int32), key, **kwargs)


def test_generate_rejects_ids_outside_the_vocabulary(model, key):
    with pytest.raises(ValueError, match=r"\[0, 512\)"):
        nn.generate(model, jnp.asarray([[3, 600]], jnp.int32), key, 2)


def test_generate_conformance(model, key):
    prompt = jnp.asarray(np.random.default_rng(3).integers(0, 512, PROMPT_SHAPE), jnp.int32)

    def sample(key, prompt):
        return nn.generate(model, prompt, key, NEW, temperature=1.0)

    check_conformance(sample, prompt, key=key)
