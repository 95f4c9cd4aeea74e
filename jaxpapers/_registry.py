"""Name -> reproduction: what ``jaxpapers list`` shows and ``jaxpapers reproduce`` runs.

A method's reproduction is found by convention in ``jaxpapers/<name>/experiment.py``: ``TITLE``
(one line saying what is reproduced), ``PAPER`` (authors, title, year), ``Scale`` (a frozen
dataclass with ``quick()`` and ``full()`` constructors) and ``STAGES`` (a tuple of
:class:`jaxpapers._stages.Stage`). Experiments never import this module.

The shipped registry knows only the module names in :data:`BUILTIN`; it imports a method's
experiment module the first time that method is looked up, so ``jaxpapers list`` stays fast and one
broken method cannot break the others. Tests build their own :class:`Registry` with test-only
entries.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from jaxpapers import _stages

__all__ = ["BUILTIN", "Registry", "Reproduction", "UnknownReproductionError", "default_registry"]

# Method subpackages whose experiment ships in the CLI, in the order listed.
BUILTIN: tuple[str, ...] = (
    "adam_sgd_tracking",
    "attention_transport",
    "fl_sailer",
    "fpo",
    "grb_clustering",
    "pair_ci",
    "perturbation_lm",
    "symbolic_regression",
    "transfer_regression",
    "video_pde",
)

MODES = ("quick", "full")


@dataclasses.dataclass(frozen=True)
class Reproduction:
    """How to reproduce one paper's headline result.

    Attributes:
        name: the CLI name, equal to the method's module name (``"pair_ci"``).
        title: one line saying what is reproduced.
        paper: short reference (authors, title, year, arXiv id).
        scale: the experiment's ``Scale`` class (``quick()`` and ``full()`` build instances).
        stages: the experiment's ``STAGES``.
    """

    name: str
    title: str
    paper: str
    scale: Any
    stages: Sequence[_stages.Stage]

    @classmethod
    def from_module(cls, name: str, module: ModuleType) -> Reproduction:
        """Read ``TITLE``, ``PAPER``, ``Scale`` and ``STAGES`` from an experiment module."""
        missing = [a for a in ("TITLE", "PAPER", "Scale", "STAGES") if not hasattr(module, a)]
        if missing:
            raise AttributeError(f"{module.__name__} lacks {', '.join(missing)} (see DESIGN.md)")
        return cls(name, module.TITLE, module.PAPER, module.Scale, tuple(module.STAGES))

    def config(self, mode: str) -> Any:
        """The ``Scale`` of ``mode`` (``"quick"`` or ``"full"``)."""
        if mode not in MODES:
            raise ValueError(f"mode must be 'quick' or 'full', got {mode!r}")
        return getattr(self.scale, mode)()

    def run(self, mode: str, key: Any, workdir: Path, **kwargs: Any):
        """Run every stage at ``mode``'s scale (see :func:`jaxpapers._stages.run`)."""
        scale = self.config(mode)
        return _stages.run(self.name, self.title, self.stages, scale, key, workdir, **kwargs)


class UnknownReproductionError(KeyError):
    """Raised for a name that is not registered; the message lists the known names."""

    def __init__(self, name: str, known: Iterable[str]):
        known = list(known)
        listing = ", ".join(known) if known else "(none registered yet)"
        super().__init__(f"unknown reproduction {name!r}; known reproductions: {listing}")
        self.name, self.known = name, known

    def __str__(self) -> str:
        return str(self.args[0])


class Registry:
    """An ordered mapping from names to :class:`Reproduction`, loaded lazily from modules."""

    def __init__(self, modules: Iterable[str] = (), entries: Iterable[Reproduction] = ()):
        self._modules = {name: f"jaxpapers.{name}.experiment" for name in modules}
        self._loaded: dict[str, Reproduction] = {}
        for entry in entries:
            self.register(entry)

    def register(self, reproduction: Reproduction) -> Reproduction:
        """Add an entry; a name may be registered once."""
        if not isinstance(reproduction, Reproduction):
            raise TypeError(f"expected a Reproduction, got {type(reproduction).__name__}")
        if reproduction.name in self._loaded:
            raise ValueError(f"reproduction {reproduction.name!r} is already registered")
        self._modules.setdefault(reproduction.name, "")
        self._loaded[reproduction.name] = reproduction
        return reproduction

    def names(self) -> list[str]:
        return list(self._modules)

    def get(self, name: str) -> Reproduction:
        if name not in self._modules:
            raise UnknownReproductionError(name, self.names())
        if name not in self._loaded:
            module = importlib.import_module(self._modules[name])
            self._loaded[name] = Reproduction.from_module(name, module)
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)


def default_registry() -> Registry:
    """The registry the ``jaxpapers`` command uses: every method in :data:`BUILTIN`."""
    return Registry(BUILTIN)
