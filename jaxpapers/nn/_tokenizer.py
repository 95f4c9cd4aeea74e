"""Tokenizers: byte-level BPE built from GGUF metadata, and a byte tokenizer for tests.

Both offer ``encode(text) -> list[int]``, ``decode(ids) -> str``,
``apply_chat_template(messages, add_generation_prompt=True) -> str`` and ``bos_id`` /
``eos_id`` / ``pad_id`` (None when absent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jax.typing import ArrayLike

__all__ = ["ByteTokenizer", "Tokenizer"]

# GGUF token types (llama.cpp `llama_token_type`).
_CONTROL, _USER_DEFINED = 3, 4

# The Llama 3 pre-tokenizer pattern (GGUF pre "llama-bpe").
_LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
    r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# A ChatML template for models without one (the byte tokenizer).
CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _chatml(messages: Sequence[dict], add_generation_prompt: bool) -> str:
    """:data:`CHATML` rendered in plain Python: the byte tokenizer needs no Jinja2 (a core
    install has none; Jinja2 comes with the ``models`` extra, for the GGUF templates)."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def _render_chat(template: str, messages: Sequence[dict], add_generation_prompt: bool, **extra):
    """Render a Hugging Face/GGUF chat template (Jinja2, sandboxed like transformers)."""
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not {"role", "content"} <= set(message):
            raise ValueError(
                f"messages[{i}] must be a dict with 'role' and 'content', got {message!r}"
            )
    if template == CHATML and not extra:
        return _chatml(messages, add_generation_prompt)
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(
        messages=list(messages), add_generation_prompt=add_generation_prompt, **extra
    )


def _pre_tokenizer(kind: str):
    from tokenizers import Regex, pre_tokenizers

    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if kind in ("smollm", "starcoder"):  # llama.cpp: digits split off, then the GPT-2 regex
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
    if kind in ("gpt2", "default"):
        return byte_level
    if kind in ("llama-bpe", "llama3"):
        split = pre_tokenizers.Split(Regex(_LLAMA3_PATTERN), behavior="isolated")
        no_regex = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
        return pre_tokenizers.Sequence([split, no_regex])
    raise ValueError(
        f"unsupported GGUF pre-tokenizer {kind!r}; supported: smollm, starcoder, gpt2, "
        "default, llama-bpe"
    )


class Tokenizer:
    """Byte-level BPE tokenizer (``tokenizers`` backend) with the model's special tokens.

    Build it with :meth:`from_gguf_metadata` (what :func:`jaxpapers.nn.load_gguf` does).
    No BOS token is prepended unless the model asks for it (``add_bos``).
    """

    def __init__(
        self,
        backend: Any,
        *,
        bos_id: int | None,
        eos_id: int | None,
        pad_id: int | None = None,
        add_bos: bool = False,
        chat_template: str | None = None,
    ):
        self.backend = backend
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id
        self.add_bos = add_bos
        self.chat_template = chat_template

    @classmethod
    def from_gguf_metadata(cls, meta: dict[str, Any]) -> Tokenizer:
        """From ``tokenizer.ggml.*`` metadata: tokens, merges, token types, special ids."""
        from tokenizers import AddedToken, decoders, models
        from tokenizers import Tokenizer as Backend

        model = meta.get("tokenizer.ggml.model")
        if model != "gpt2":
            raise ValueError(
                f"only byte-level BPE tokenizers (tokenizer.ggml.model 'gpt2') are supported, "
                f"got {model!r}"
            )
        tokens = list(meta["tokenizer.ggml.tokens"])
        merges = [tuple(m.split(" ", 1)) for m in meta.get("tokenizer.ggml.merges", [])]
        vocab = {token: i for i, token in enumerate(tokens)}
        backend = Backend(models.BPE(vocab, merges, fuse_unk=False, ignore_merges=False))
        backend.pre_tokenizer = _pre_tokenizer(meta.get("tokenizer.ggml.pre", "default"))
        backend.decoder = decoders.ByteLevel()
        types = list(meta.get("tokenizer.ggml.token_type", [1] * len(tokens)))
        special = [tokens[i] for i, t in enumerate(types) if t in (_CONTROL, _USER_DEFINED)]
        backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
        return cls(
            backend,
            bos_id=meta.get("tokenizer.ggml.bos_token_id"),
            eos_id=meta.get("tokenizer.ggml.eos_token_id"),
            pad_id=meta.get("tokenizer.ggml.padding_token_id"),
            add_bos=bool(meta.get("tokenizer.ggml.add_bos_token", False)),
            chat_template=meta.get("tokenizer.chat_template"),
        )

    @property
    def vocab_size(self) -> int:
        """Number of token ids, special tokens included."""
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; special-token strings map to their ids."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        ids = self.backend.encode(text, add_special_tokens=False).ids
        return [self.bos_id, *ids] if self.add_bos and self.bos_id is not None else ids

    def decode(self, ids: Sequence[int] | ArrayLike, *, skip_special_tokens: bool = False) -> str:
        """The text of ``ids`` (``decode(encode(t)) == t``)."""
        ids = [int(i) for i in np.asarray(ids).reshape(-1)]
        bad = [i for i in ids if not 0 <= i < self.vocab_size]
        if bad:
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got {bad[:5]}")
        return self.backend.decode(ids, skip_special_tokens=skip_special_tokens)

    def token(self, token_id: int) -> str:
        """The vocabulary string of one id (byte-level symbols, e.g. ``'ĠParis'``)."""
        return self.backend.id_to_token(int(token_id))

    def apply_chat_template(
        self, messages: Sequence[dict], add_generation_prompt: bool = True
    ) -> str:
        """Render a conversation with the model's chat template (ChatML when it has none)."""
        return _render_chat(self.chat_template or CHATML, messages, add_generation_prompt)


class ByteTokenizer:
    """UTF-8 bytes as ids 0-255, plus ``<bos>`` = 256, ``<eos>`` = 257, ``<pad>`` = 258.

    For tests and tiny models (``vocab_size = 259``); chat turns are rendered as ChatML text.
    """

    vocab_size = 259
    bos_id, eos_id, pad_id = 256, 257, 258
    _names = {256: "<bos>", 257: "<eos>", 258: "<pad>"}

    def encode(self, text: str) -> list[int]:
        """The UTF-8 bytes of ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return list(text.encode("utf-8"))

    def decode(self, ids: Sequence[int] | ArrayLike, *, skip_special_tokens: bool = False) -> str:
        """Bytes back to text (invalid UTF-8 replaced); special ids as their names."""
        out, chunk = [], bytearray()
        for i in (int(i) for i in np.asarray(ids).reshape(-1)):
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got {i}")
            if i < 256:
                chunk.append(i)
                continue
            out.append(chunk.decode("utf-8", errors="replace"))
            chunk = bytearray()
            out.append("" if skip_special_tokens else self._names[i])
        out.append(chunk.decode("utf-8", errors="replace"))
        return "".join(out)

    def apply_chat_template(
        self, messages: Sequence[dict], add_generation_prompt: bool = True
    ) -> str:
        """ChatML text (``<|im_start|>role\\ncontent<|im_end|>\\n``), encoded as plain bytes."""
        return _render_chat(CHATML, messages, add_generation_prompt)
