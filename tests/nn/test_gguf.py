"""GGUF loading: block decoders, the Q/K permutation, a tiny written file, bad files."""

import numpy as np
import pytest

import jax.numpy as jnp
from flax import nnx

from jaxpapers import nn
from tests.nn import reference

gguf = pytest.importorskip("gguf")
pytest.importorskip("tokenizers")

Q = gguf.GGMLQuantizationType
CONFIG = nn.LlamaConfig.tiny(vocab_size=288, hidden_size=64, intermediate_size=96, rope_theta=1e4)
# tensor name suffix -> type written; covers F32, F16, Q8_0 and Q4_1
TYPES = {
    "token_embd": Q.Q8_0,
    "attn_q": Q.Q4_1,
    "attn_k": Q.Q4_1,
    "attn_v": Q.F16,
    "attn_output": Q.Q8_0,
    "ffn_gate": Q.Q4_1,
    "ffn_up": Q.F16,
    "ffn_down": Q.Q4_1,
}


def _byte_vocab():
    """The 256 byte-level symbols of GPT-2 BPE, then 32 control tokens (no merges)."""
    from tokenizers import pre_tokenizers

    symbols = pre_tokenizers.ByteLevel.alphabet()
    symbols = sorted(symbols, key=lambda s: ord(s))
    tokens = symbols + [f"<|ctl{i}|>" for i in range(32)]
    return tokens, [1] * 256 + [3] * 32


def _gguf_tensors(model):
    """GGUF-named float32 tensors of ``model`` with Q/K rows permuted like llama.cpp."""
    hf = nn._convert.to_hf_tensors(model)
    c = model.config
    out = {"token_embd.weight": hf["model.embed_tokens.weight"]}
    out["output_norm.weight"] = hf["model.norm.weight"]
    names = {v: k for k, v in nn._gguf._LAYER_NAMES.items()}
    for key, value in hf.items():
        if not key.startswith("model.layers."):
            continue
        _, _, i, *rest = key.split(".")
        short = names[".".join(rest[:-1])]
        if short == "attn_q":
            value = reference.permute_qk(value, c.num_heads)
        elif short == "attn_k":
            value = reference.permute_qk(value, c.num_kv_heads)
        out[f"blk.{i}.{short}.weight"] = value
    return out


def _write(path, tensors, *, types=TYPES, arch="llama"):
    writer = gguf.GGUFWriter(str(path), arch)
    c = CONFIG
    writer.add_block_count(c.num_layers)
    writer.add_context_length(c.max_positions)
    writer.add_embedding_length(c.hidden_size)
    writer.add_feed_forward_length(c.intermediate_size)
    writer.add_head_count(c.num_heads)
    writer.add_head_count_kv(c.num_kv_heads)
    writer.add_rope_freq_base(c.rope_theta)
    writer.add_layer_norm_rms_eps(c.rms_norm_eps)
    writer.add_vocab_size(c.vocab_size)
    tokens, token_types = _byte_vocab()
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    writer.add_token_merges([])
    writer.add_bos_token_id(257)
    writer.add_eos_token_id(258)
    stored = {}
    for name, value in tensors.items():
        if value.dtype == np.int32:  # an integer tensor, which no loader should accept
            writer.add_tensor(name, value)
            continue
        kind = types.get(name.split(".")[-2], Q.F32)
        data = gguf.quants.quantize(value, kind)
        writer.add_tensor(name, data, raw_dtype=kind)
        stored[name] = gguf.quants.dequantize(data, kind).astype(np.float64)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return stored


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    model = nn.Llama(CONFIG, rngs=nnx.Rngs(0), init_std=0.2)
    path = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    stored = _write(path, _gguf_tensors(model))
    return path, stored


def test_unpermute_inverts_the_llama_cpp_permutation():
    w = np.random.default_rng(0).normal(size=(3 * 8, 5))
    permuted = reference.permute_qk(w, num_heads=3)
    # the defining row map: GGUF row h*E + 2i = HF row h*E + i; h*E + 2i + 1 = h*E + i + E/2
    for h in range(3):
        for i in range(4):
            np.testing.assert_array_equal(permuted[h * 8 + 2 * i], w[h * 8 + i])
            np.testing.assert_array_equal(permuted[h * 8 + 2 * i + 1], w[h * 8 + i + 4])
    np.testing.assert_array_equal(nn.unpermute_qk(permuted, num_heads=3), w)


@pytest.mark.parametrize(
    "kind, decoder", [(Q.Q4_1, reference.dequantize_q4_1), (Q.Q8_0, reference.dequantize_q8_0)]
)
def test_block_decoders_match_an_independent_numpy_decoder(kind, decoder):
    w = np.random.default_rng(1).normal(size=(16, 64)).astype(np.float32)
    data = gguf.quants.quantize(w, kind)
    ours = nn._gguf._dequantize(
        type("T", (), {"name": "w", "tensor_type": kind, "data": data, "shape": (64, 16)})
    )
    np.testing.assert_array_equal(ours, decoder(data).reshape(16, 64))
    # quantization error is at most half a step: d/2 for both formats (d <= range/15 or /127)
    assert np.max(np.abs(ours - w)) < 0.5 * (np.ptp(w) / 15 + 1e-6)


def test_tiny_file_matches_a_numpy_forward_on_the_stored_rows(tiny_file):
    path, stored = tiny_file
    config, model, tokenizer = nn.load_gguf(path)
    assert config == CONFIG
    ids = np.random.default_rng(2).integers(0, CONFIG.vocab_size, 24)
    ours = np.asarray(model(jnp.asarray(ids[None], jnp.int32)))[0]
    # independent path: GGUF rows as stored + interleaved RoPE, float64 numpy
    expected = reference.gguf_forward(
        stored, ids, heads=4, kv_heads=2, eps=CONFIG.rms_norm_eps, theta=CONFIG.rope_theta
    )
    np.testing.assert_allclose(ours, expected, atol=2e-5 * np.max(np.abs(expected)))


def test_tiny_file_tokenizer(tiny_file):
    path, _ = tiny_file
    _, _, tokenizer = nn.load_gguf(path)
    text = "Héllo wörld 123 <|ctl3|>"
    ids = tokenizer.encode(text)
    assert 256 + 3 in ids  # the control token is one id
    assert tokenizer.decode(ids) == text
    assert (tokenizer.bos_id, tokenizer.eos_id) == (257, 258)


def test_not_a_gguf_file(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_text("certainly not a model")
    with pytest.raises(ValueError, match="not a GGUF model file"):
        nn.load_gguf(path)
    with pytest.raises(FileNotFoundError, match="no GGUF file"):
        nn.load_gguf(tmp_path / "missing.gguf")


def test_unsupported_tensor_type(tmp_path):
    tensors = _gguf_tensors(nn.Llama(CONFIG, rngs=nnx.Rngs(0)))
    tensors["blk.0.ffn_down.weight"] = np.zeros((64, 96), np.int32)  # written as GGUF I32
    path = tmp_path / "i32.gguf"
    _write(path, tensors)
    with pytest.raises(ValueError, match="'blk.0.ffn_down.weight' has GGUF type I32"):
        nn.load_gguf(path)


def test_wrong_architecture(tmp_path):
    model = nn.Llama(CONFIG, rngs=nnx.Rngs(0))
    path = tmp_path / "gpt2.gguf"
    _write(path, _gguf_tensors(model), arch="gpt2")
    with pytest.raises(ValueError, match="architecture 'llama'"):
        nn.load_gguf(path)


@pytest.mark.parametrize("keep", [0.5, 0.98, 2000])
def test_truncated_file(tmp_path, keep):
    path = tmp_path / "tiny.gguf"
    _write(path, _gguf_tensors(nn.Llama(CONFIG, rngs=nnx.Rngs(0))))
    data = path.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: int(keep * len(data)) if keep < 1 else keep])
    with pytest.raises(ValueError, match="truncated"):
        nn.load_gguf(cut)
