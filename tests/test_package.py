"""The top-level package lists its subpackages, and each one imports."""

import importlib

import jaxpapers
from jaxpapers import _registry


def test_every_listed_subpackage_imports():
    for name in (*jaxpapers.METHODS, *jaxpapers.BUILDING_BLOCKS):
        importlib.import_module(f"jaxpapers.{name}")


def test_every_method_is_reproducible_and_cites_its_paper():
    assert set(jaxpapers.METHODS) == set(_registry.BUILTIN)
    for name in jaxpapers.METHODS:
        bibtex = importlib.import_module(f"jaxpapers.{name}").citation()
        assert bibtex.lstrip().startswith("@") and "2026" in bibtex
