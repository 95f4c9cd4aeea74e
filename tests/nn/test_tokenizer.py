"""The byte tokenizer used by tests and tiny models."""

import sys

import pytest

from jaxpapers import nn


def test_byte_tokenizer_round_trip_and_specials():
    tokenizer = nn.ByteTokenizer()
    text = "héllo\tworld 🎉"
    ids = tokenizer.encode(text)
    assert ids == list(text.encode("utf-8")) and max(ids) < 256
    assert tokenizer.decode(ids) == text
    marked = [tokenizer.bos_id, *ids, tokenizer.eos_id]
    assert tokenizer.decode(marked) == f"<bos>{text}<eos>"
    assert tokenizer.decode(marked, skip_special_tokens=True) == text


def test_byte_tokenizer_chat_template():
    tokenizer = nn.ByteTokenizer()
    messages = [{"role": "user", "content": "hi"}]
    assert tokenizer.apply_chat_template(messages) == (
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert tokenizer.apply_chat_template(messages, add_generation_prompt=False) == (
        "<|im_start|>user\nhi<|im_end|>\n"
    )


@pytest.mark.parametrize("generation", [True, False])
def test_plain_chatml_equals_the_jinja_template(generation):
    """The byte tokenizer renders ChatML without Jinja2; it equals the template rendered by it."""
    jinja2 = pytest.importorskip("jinja2.sandbox")
    from jaxpapers.nn._tokenizer import CHATML

    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "two\nlines {{ not a tag }}"},
        {"role": "assistant", "content": ""},
    ]
    env = jinja2.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    rendered = env.from_string(CHATML).render(messages=messages, add_generation_prompt=generation)
    assert nn.ByteTokenizer().apply_chat_template(messages, generation) == rendered


def test_byte_tokenizer_chat_template_needs_no_jinja(monkeypatch):
    monkeypatch.setitem(sys.modules, "jinja2", None)  # import jinja2 now raises ImportError
    monkeypatch.setitem(sys.modules, "jinja2.sandbox", None)
    text = nn.ByteTokenizer().apply_chat_template([{"role": "user", "content": "hi"}])
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_byte_tokenizer_bad_input():
    tokenizer = nn.ByteTokenizer()
    with pytest.raises(TypeError, match="str"):
        tokenizer.encode(b"bytes")
    with pytest.raises(ValueError, match=r"\[0, 259\)"):
        tokenizer.decode([300])
    with pytest.raises(ValueError, match="'role' and 'content'"):
        tokenizer.apply_chat_template([{"content": "no role"}])
