"""The registry finds entries by name and says which names it knows."""

import pytest

from jaxpapers import _registry
from jaxpapers._registry import Registry, Reproduction, UnknownReproductionError


def _entry(name="toy"):
    return Reproduction(
        name,
        "title",
        "paper",
        quick=lambda: "q",
        full=lambda: "f",
        run=lambda config, key, workdir: None,
    )


def test_register_get_and_list():
    registry = Registry(entries=[_entry("b"), _entry("a")])
    assert registry.names() == ["b", "a"]
    assert registry.get("a").name == "a"
    assert "a" in registry and "c" not in registry and len(registry) == 2
    assert registry.get("a").config("quick") == "q"
    assert registry.get("a").config("full") == "f"
    with pytest.raises(ValueError, match="mode"):
        registry.get("a").config("medium")


def test_unknown_name_lists_the_known_ones():
    registry = Registry(entries=[_entry("alpha")])
    with pytest.raises(UnknownReproductionError, match="alpha"):
        registry.get("beta")


def test_a_name_is_registered_once():
    registry = Registry(entries=[_entry()])
    with pytest.raises(ValueError, match="already"):
        registry.register(_entry())
    with pytest.raises(TypeError):
        registry.register("toy")


def test_shipped_registry_holds_only_real_methods():
    registry = _registry.default_registry()
    assert registry.names() == list(_registry.BUILTIN)
    for name in registry.names():
        assert registry.get(name).name == name
