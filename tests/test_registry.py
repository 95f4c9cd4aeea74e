"""The registry finds reproductions by convention and says which names it knows."""

import dataclasses

import pytest

from jaxpapers import _registry
from jaxpapers._registry import Registry, Reproduction, UnknownReproductionError
from tests import toy_experiment


def _entry(name="toy"):
    return dataclasses.replace(Reproduction.from_module(name, toy_experiment), name=name)


def test_register_get_and_list():
    registry = Registry(entries=[_entry("b"), _entry("a")])
    assert registry.names() == ["b", "a"]
    assert registry.get("a").name == "a"
    assert "a" in registry and "c" not in registry and len(registry) == 2
    assert registry.get("a").config("quick") == toy_experiment.Scale.quick()
    assert registry.get("a").config("full") == toy_experiment.Scale.full()
    with pytest.raises(ValueError, match="mode"):
        registry.get("a").config("medium")


def test_from_module_reads_the_convention():
    entry = Reproduction.from_module("toy", toy_experiment)
    assert (entry.title, entry.paper) == ("toy title", "Doe 2026")
    assert [stage.name for stage in entry.stages] == ["draw", "shift"]


def test_a_module_missing_the_convention_is_named():
    with pytest.raises(AttributeError, match="STAGES"):
        Reproduction.from_module("bad", dataclasses)


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
        entry = registry.get(name)
        assert entry.name == name and entry.stages
        entry.config("quick"), entry.config("full")
