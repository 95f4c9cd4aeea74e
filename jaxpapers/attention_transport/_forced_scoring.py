"""Forced scoring: attention of a language model reading a labelled answer, as features.

For each example the prompt is the chat-formatted context + question, followed by the labelled
answer (teacher forcing; nothing is generated) [paper: forced scoring; the rest is proposed, spec
§1.5]. One forward pass gives attention ``[L, H, T, T]``; the rows and columns of the analysed
span (the response by default, or the whole sequence) are cut out and renormalised
(:func:`~jaxpapers.attention_transport.slice_span`), and :func:`head_features` gives φ, t*/n, λ₂
and G per layer and head. A span of fewer than two tokens has no cut: its features are NaN with
``defined = False`` (one-token answers are common in HaluEval-QA), never a stand-in value.

The model enters only through ``attention_fn(tokens int32[B, T], mask bool[B, T]) ->
attn[B, L, H, T, T]``, so the pipeline runs with synthetic attention in tests and with
``jaxpapers.nn`` (SmolLM2-135M) in the reproduction (:func:`smollm2_attention_fn`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp

from jaxpapers import _validate
from jaxpapers._loop import progress
from jaxpapers.attention_transport._features import head_features, slice_span
from jaxpapers.attention_transport._halueval import Example
from jaxpapers.attention_transport._types import HeadFeatures

__all__ = [
    "EncodedBatch",
    "encode_examples",
    "score_examples",
    "smollm2_attention_fn",
    "span_features",
]

AttentionFn = Callable[[jax.Array, jax.Array], jax.Array]


class EncodedBatch(NamedTuple):
    """Right-padded token ids with the analysed response span of each row.

    Attributes:
        tokens: int32 ``[m, T]`` prompt then answer, right-padded.
        mask: bool ``[m, T]``, True on real tokens.
        span_start: int32 ``[m]``, first answer token.
        span_length: int32 ``[m]``, answer tokens kept in ``tokens`` (≤ ``max_length // 2``).
        answer_length: int32 ``[m]``, tokens of the whole answer before any cut: the length an
            LC-AUROC should match on (a cut answer would otherwise look shorter than it is).
        label: bool ``[m]``, True for the hallucinated answer.
        group: int ``[m]``, the item (HaluEval record) of each answer.
    """

    tokens: np.ndarray
    mask: np.ndarray
    span_start: np.ndarray
    span_length: np.ndarray
    answer_length: np.ndarray
    label: np.ndarray
    group: np.ndarray


def _prompt(tokenizer, example: Example) -> str:
    message = f"{example.context}\n\n{example.question}".strip()
    render = getattr(tokenizer, "apply_chat_template", None)
    if render is None:
        return message + "\n"
    return render([{"role": "user", "content": message}], add_generation_prompt=True)


def encode_examples(
    tokenizer, examples: Sequence[Example], max_length: int, pad_id: int = 0
) -> EncodedBatch:
    """Tokenise prompt and answer separately (so the span is exact) and right-pad to ``max_length``.

    When an example is too long, tokens are dropped from the start of the prompt (the context);
    the answer is kept whole, or cut to ``max_length // 2`` tokens if it alone is too long.
    """
    if not examples:
        raise ValueError("examples must be a non-empty sequence of Example, got none")
    _validate.check_integer("max_length", max_length, minimum=4)
    m = len(examples)
    tokens = np.full((m, max_length), pad_id, np.int32)
    mask = np.zeros((m, max_length), bool)
    start = np.zeros(m, np.int32)
    length = np.zeros(m, np.int32)
    whole = np.zeros(m, np.int32)
    for row, example in enumerate(examples):
        answer = tokenizer.encode(example.answer)
        whole[row] = len(answer)
        answer = answer[: max_length // 2]
        prompt = tokenizer.encode(_prompt(tokenizer, example))
        prompt = prompt[max(len(prompt) + len(answer) - max_length, 0) :]
        ids = prompt + answer
        tokens[row, : len(ids)] = ids
        mask[row, : len(ids)] = True
        start[row], length[row] = len(prompt), len(answer)
    label = np.array([e.label for e in examples], bool)
    group = np.array([e.group for e in examples])
    return EncodedBatch(tokens, mask, start, length, whole, label, group)


def span_features(
    attention: jax.Array,
    start: jax.Array,
    length: jax.Array,
    span_size: int,
    lanczos_steps: int | None = None,
) -> HeadFeatures:
    """Head features of the span ``[start, start+length)`` of each example.

    Args:
        attention: ``[B, L, H, T, T]`` attention probabilities.
        start: ``int32[B]`` span of each example (``length`` is clipped to
            ``span_size``; 0 or 1 gives undefined features).
        length: see ``start``.
        span_size: static size the spans are padded to.
        lanczos_steps: None for the dense eigensolver, else Lanczos steps for λ₂.
    """

    def one(attn, s, n):
        span, valid = slice_span(attn, s, jnp.minimum(n, span_size), span_size)
        mask = jnp.broadcast_to(valid, span.shape[:-1])
        return head_features(span, mask, lanczos_steps=lanczos_steps)

    return jax.vmap(one)(attention, start, length)


_span_features = jax.jit(span_features, static_argnums=(3, 4))  # the driver's one compiled step


def score_examples(
    attention_fn: AttentionFn,
    batch: EncodedBatch,
    *,
    span: str = "response",
    span_size: int = 64,
    batch_size: int = 8,
    lanczos_steps: int | None = None,
) -> HeadFeatures:
    """Head features ``[m, L, H]`` of every example, ``batch_size`` forward passes at a time.

    ``span="response"`` analyses the answer tokens; ``"full"`` the whole (unpadded) sequence,
    prompt included (then ``span_size`` should be the padded length ``T``). This is a driver: a
    Python loop over batches with a progress bar, each batch one compiled call.
    """
    _validate.check_choice("span", span, ("response", "full"))
    _validate.check_integer("span_size", span_size, minimum=2)
    _validate.check_integer("batch_size", batch_size, minimum=1)
    m = batch.tokens.shape[0]
    if span == "response":
        start, length = batch.span_start, batch.span_length
    else:
        start, length = np.zeros(m, np.int32), batch.mask.sum(1).astype(np.int32)
    pieces = []
    for first in progress(range(0, m, batch_size), desc=f"forced scoring ({span} span)"):
        rows = slice(first, first + batch_size)
        tokens, mask = batch.tokens[rows], batch.mask[rows]
        short = batch_size - tokens.shape[0]  # pad the last batch: one compiled shape
        pad = ((0, short), (0, 0))
        attention = attention_fn(jnp.asarray(np.pad(tokens, pad)), jnp.asarray(np.pad(mask, pad)))
        out = _span_features(
            attention,
            jnp.asarray(np.pad(start[rows], (0, short))),
            jnp.asarray(np.pad(length[rows], (0, short))),
            span_size,
            lanczos_steps,
        )
        kept = batch_size - short
        pieces.append([np.asarray(x)[:kept] for x in out])
    # host arrays on purpose: the features of many answers are gathered on the host
    parts = [np.concatenate(parts) for parts in zip(*pieces, strict=True)]
    return HeadFeatures(*parts)  # pyright: ignore[reportArgumentType]


def smollm2_attention_fn(model) -> AttentionFn:
    """``attention_fn`` of a ``jaxpapers.nn.Llama``: attention probabilities, jitted once."""
    from flax import nnx

    @nnx.jit
    def attend(module, tokens, mask):
        _, attention = module(tokens, attention_mask=mask, return_attention=True)
        return attention

    return lambda tokens, mask: attend(model, tokens, mask)
