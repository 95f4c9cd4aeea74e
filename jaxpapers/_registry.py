"""Name -> reproduction: what ``jaxpapers list`` shows and ``jaxpapers reproduce`` runs.

Each method's ``experiment.py`` defines a module-level ``REPRODUCTION = Reproduction(...)``. The
shipped registry knows only the module names in :data:`BUILTIN`; it imports a method's experiment
module the first time that method is looked up, so ``jaxpapers list`` stays fast and one broken
method cannot break the others. Tests build their own :class:`Registry` with test-only entries.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["BUILTIN", "Registry", "Reproduction", "UnknownReproductionError", "default_registry"]

# Method subpackages whose `experiment.REPRODUCTION` ships in the CLI, in the order listed.
BUILTIN: tuple[str, ...] = ("adam_sgd_tracking", "attention_transport", "pair_ci", "video_pde")


@dataclasses.dataclass(frozen=True)
class Reproduction:
    """How to reproduce one paper's headline result.

    Attributes:
        name: the CLI name, equal to the method's module name (``"pair_ci"``).
        title: one line saying what is reproduced.
        paper: short reference (authors, title, year, arXiv id).
        quick: builds the CPU-minutes configuration used by tests and CI.
        full: builds the paper-scale configuration.
        run: ``run(config, key, workdir) -> Report``.
    """

    name: str
    title: str
    paper: str
    quick: Callable[[], Any]
    full: Callable[[], Any]
    run: Callable[[Any, Any, Path], Any]

    def config(self, mode: str) -> Any:
        if mode not in ("quick", "full"):
            raise ValueError(f"mode must be 'quick' or 'full', got {mode!r}")
        return self.quick() if mode == "quick" else self.full()


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
            entry = module.REPRODUCTION
            if entry.name != name:
                raise ValueError(f"{self._modules[name]}.REPRODUCTION is named {entry.name!r}")
            self._loaded[name] = entry
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)


def default_registry() -> Registry:
    """The registry the ``jaxpapers`` command uses: every method in :data:`BUILTIN`."""
    return Registry(BUILTIN)
