"""The LLM pipeline on a tiny random Llama (spec §4 checks 18–19)."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
from flax import nnx

from jaxpapers import fpo, nn
from jaxpapers.fpo._llm_run import init_reward_head, reward_optimizer
from tests.nn import reference as nn_reference

ENV = fpo.LLMEnv(max_new_tokens=12, lora_rank=4, lora_alpha=8.0, policy_lr=1e-3, rm_lr=1e-2)
CONFIG = nn.LlamaConfig.tiny(
    vocab_size=259,
    hidden_size=32,
    intermediate_size=64,
    num_heads=2,
    num_kv_heads=1,
    num_layers=1,
    max_positions=128,
)
EOS = nn.ByteTokenizer.eos_id


@pytest.fixture(scope="module")
def models():
    oracle = nn.Llama(CONFIG, rngs=nnx.Rngs(params=jax.random.key(11)))
    return oracle, fpo.with_lora(jax.random.key(12), oracle, ENV)


@pytest.fixture(scope="module")
def prompt():
    return fpo.encode_prompts(nn.ByteTokenizer(), ["Is glass a liquid?"])  # one unpadded row


@pytest.fixture(scope="module")
def head():
    return {"w": jax.random.normal(jax.random.key(3), (CONFIG.hidden_size,)), "b": jnp.ones(())}


@pytest.fixture(scope="module")
def round_output(models, prompt, head):
    oracle, policy = models
    return fpo.llm_round(
        jax.random.key(7), fpo.Config("myopic", 0.0), ENV, policy, oracle, head, *prompt, eos_id=EOS
    )


TOKENS = np.random.default_rng(0).integers(0, 256, (3, 20)).astype(np.int32)
MASK = np.ones((3, 20), bool)
MASK[1, :5] = False  # left padding
MASK[2, 15:] = False  # after the end of the answer


def test_lora_policy_starts_as_the_oracle(models):
    oracle, policy = models
    u_policy = fpo.oracle_utility(ENV, policy, jnp.asarray(TOKENS), jnp.asarray(MASK))
    u_oracle = fpo.oracle_utility(ENV, oracle, jnp.asarray(TOKENS), jnp.asarray(MASK))
    np.testing.assert_allclose(u_policy, u_oracle, atol=1e-5)
    assert policy.blocks.wq[...] is not oracle.blocks.wq[...]  # copies: train_step donates


def test_round_output(round_output, prompt):
    n = ENV.num_candidates
    assert round_output.sequences.shape == (n + 1, prompt[0].shape[1] + ENV.max_new_tokens)
    np.testing.assert_array_equal(
        round_output.sequences[:, : prompt[0].shape[1]], jnp.repeat(prompt[0], n + 1, axis=0)
    )
    winner = int(round_output.selection.winner)
    assert 0 <= winner < n and bool(round_output.valid[winner])
    assert winner == int(
        jnp.argmax(jnp.where(round_output.valid[:n], round_output.selection.rewards, -jnp.inf))
    )


@pytest.mark.parametrize("mode", ["myopic", "relaxed", "practical"])
def test_check18_penalties_match_a_direct_computation(round_output, head, mode):
    out, n = round_output, ENV.num_candidates
    selection = fpo.score_candidates(
        fpo.Config(mode, 10.0),
        head,
        out.features[:n],
        out.utility[:n],
        out.valid[:n],
        out.features[n],
        out.utility[n],
    )
    h, u = np.asarray(out.features, np.float64), np.asarray(out.utility, np.float64)
    w, b = np.asarray(head["w"], np.float64), float(head["b"])
    r, r_ref = h[:n] @ w + b, h[n] @ w + b
    inner = np.einsum("kd,kd->k", h[:n], h[:n] - h[n])
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    expected = {
        "myopic": np.zeros(n),
        "practical": inner,
        "relaxed": (sigmoid(r - r_ref) - sigmoid(u[:n] - u[n])) * inner,
    }[mode]
    # float32 features: 1e-5 relative (the spec's correction to check 18)
    np.testing.assert_allclose(selection.penalties, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(selection.rewards, r, rtol=1e-5, atol=1e-6)


def test_check18_gamma_zero_modes_pick_the_same_winner(round_output, head):
    out, n = round_output, ENV.num_candidates
    winners = {
        int(
            fpo.score_candidates(
                fpo.Config(mode, 0.0),
                head,
                out.features[:n],
                out.utility[:n],
                out.valid[:n],
                out.features[n],
                out.utility[n],
            ).winner
        )
        for mode in ("myopic", "relaxed", "practical")
    }
    assert winners == {int(out.selection.winner)}


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param("myopic", marks=pytest.mark.slow),
        "relaxed",
        pytest.param("practical", marks=pytest.mark.slow),
    ],
)
def test_check18_one_full_step_under_jit(models, prompt, head, mode):
    oracle, _ = models
    policy = fpo.with_lora(jax.random.key(12), oracle, ENV)
    optimizer = nn.make_optimizer(policy, ENV.policy_lr, max_grad_norm=None)
    rm_state = reward_optimizer(ENV).init(head)
    before = jax.tree.map(jnp.copy, nnx.state(policy, nn.LoRAParam))
    step = nnx.jit(fpo.llm_step, static_argnames=("config", "env", "eos_id"))
    out, new_head, _, rm_loss, loss = step(
        jax.random.key(5),
        fpo.Config(mode, 10.0),
        ENV,
        policy,
        oracle,
        optimizer,
        head,
        rm_state,
        prompt[0],
        eos_id=EOS,
    )
    assert np.isfinite(float(loss)) and np.isfinite(float(rm_loss))
    assert 0 <= int(out.selection.winner) < ENV.num_candidates
    assert not np.allclose(new_head["w"], head["w"])  # the reward head moved
    after = nnx.state(policy, nn.LoRAParam)
    assert any(
        not np.allclose(a, b)
        for a, b in zip(jax.tree.leaves(before), jax.tree.leaves(after), strict=True)
    )


def test_check18_gamma_ten_changes_the_winner_on_a_hand_built_fixture():
    # candidate 0: the highest reward, features far from the reference (large penalty);
    # candidate 1: a lower reward, features equal to the reference (zero penalty)
    reference = jnp.array([1.0, 0.0, 0.0])
    features = jnp.array([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
    phi = {"w": jnp.array([0.5, 0.6, 0.0]), "b": jnp.zeros(())}
    utility, valid = jnp.array([0.0, 1.0, 0.5]), jnp.ones(3, bool)
    winner = {
        (mode, g): int(
            fpo.score_candidates(
                fpo.Config(mode, g), phi, features, utility, valid, reference, jnp.asarray(1.0)
            ).winner
        )
        for mode in ("myopic", "relaxed", "practical")
        for g in (0.0, 10.0)
    }
    assert {winner[(m, 0.0)] for m in ("myopic", "relaxed", "practical")} == {0}
    assert winner[("practical", 10.0)] == 1 and winner[("relaxed", 10.0)] == 1
    assert winner[("myopic", 10.0)] == 0
    none = fpo.score_candidates(
        fpo.Config("myopic", 0.0),
        phi,
        features,
        utility,
        jnp.zeros(3, bool),
        reference,
        jnp.asarray(1.0),
    )
    assert int(none.winner) == -1  # empty candidates never win


def _gguf_tensors(model, tmp_path):
    """The model's weights under llama.cpp names and layout (Q/K rows permuted), float64."""
    from safetensors.numpy import load_file

    nn.save_safetensors(model, tmp_path)
    hf = load_file(str(tmp_path / "model.safetensors"))
    c = model.config
    names = {
        "self_attn.q_proj": "attn_q",
        "self_attn.k_proj": "attn_k",
        "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output",
        "mlp.gate_proj": "ffn_gate",
        "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down",
        "input_layernorm": "attn_norm",
        "post_attention_layernorm": "ffn_norm",
    }
    out = {
        "token_embd.weight": hf["model.embed_tokens.weight"],
        "output_norm.weight": hf["model.norm.weight"],
    }
    for i in range(c.num_layers):
        for theirs, ours in names.items():
            value = hf[f"model.layers.{i}.{theirs}.weight"]
            if ours == "attn_q":
                value = nn_reference.permute_qk(value, c.num_heads)
            elif ours == "attn_k":
                value = nn_reference.permute_qk(value, c.num_kv_heads)
            out[f"blk.{i}.{ours}.weight"] = value
    return {k: np.asarray(v, np.float64) for k, v in out.items()}


def test_check19_oracle_utility_against_an_independent_numpy_forward(models, tmp_path):
    oracle, _ = models
    tensors = _gguf_tensors(oracle, tmp_path)
    tokens, mask = TOKENS, MASK
    ours = np.asarray(fpo.oracle_utility(ENV, oracle, jnp.asarray(tokens), jnp.asarray(mask)))
    for row in range(3):
        ids = tokens[row][mask[row]]
        logits = nn_reference.gguf_forward(
            tensors,
            ids,
            heads=CONFIG.num_heads,
            kv_heads=CONFIG.num_kv_heads,
            eps=CONFIG.rms_norm_eps,
            theta=CONFIG.rope_theta,
        )
        logp = (
            logits
            - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True))
            - logits.max(-1, keepdims=True)
        )
        nll = -np.mean(logp[np.arange(len(ids) - 1), ids[1:]])
        expected = np.clip(-nll + 5.0, -15.0, 5.0)
        assert ours[row] == pytest.approx(expected, rel=1e-4)


def test_utility_is_clipped(models):
    oracle, _ = models
    env = fpo.LLMEnv(utility_offset=0.0, utility_low=-1.0, utility_high=-0.5)
    u = fpo.oracle_utility(env, oracle, jnp.asarray(TOKENS), jnp.asarray(MASK))
    assert np.all(np.asarray(u) == -1.0)  # a random model's NLL (≈ log 259) sits far below


def test_features_average_the_answer_tokens_only():
    embedding = jnp.arange(12.0).reshape(6, 2)
    answers = jnp.asarray([[1, 2, 5, 3], [4, 4, 4, 4]])
    content = jnp.asarray([[True, True, False, False], [False, False, False, False]])
    h = fpo.response_features(embedding, answers, content)
    np.testing.assert_allclose(h, [[3.0, 4.0], [0.0, 0.0]])


def test_run_llm_and_evaluation_run(models, prompt):
    oracle, _ = models
    policy = fpo.with_lora(jax.random.key(1), oracle, ENV)
    phi, log = fpo.run_llm(
        jax.random.key(2),
        fpo.Config("myopic", 0.0),
        ENV,
        policy,
        oracle,
        init_reward_head(CONFIG.hidden_size),
        *prompt,
        ENV.accumulation,
        eos_id=EOS,
    )
    assert log.utility.shape == (ENV.accumulation,)
    assert (
        np.isfinite(float(log.policy_loss[-1])) and np.isnan(np.asarray(log.policy_loss[:-1])).all()
    )
    assert not np.allclose(phi["w"], 0.0)
    u = fpo.evaluate_greedy(ENV, policy, oracle, *prompt, eos_id=EOS)
    assert u.shape == (1,) and np.isfinite(np.asarray(u)).all()


def test_bad_llm_settings(own_validation, models, prompt):
    oracle, policy = models
    with pytest.raises(ValueError, match="LLMEnv.top_p must lie in"):
        fpo.LLMEnv(top_p=0.0)
    with pytest.raises(ValueError, match="LLMEnv.utility_low must be < utility_high"):
        fpo.LLMEnv(utility_low=5.0)
    with pytest.raises(ValueError, match="config.mode must be one of"):
        fpo.llm_round(
            jax.random.key(0),
            fpo.Config("exact"),
            ENV,
            policy,
            oracle,
            init_reward_head(CONFIG.hidden_size),
            *prompt,
            eos_id=EOS,
        )
