"""jaxpapers: ten 2026 research methods as pure, jit/vmap-able JAX functions.

Import a method's subpackage, e.g. ``import jaxpapers.pair_ci as pc``; the building blocks are
``jaxpapers.nn``, ``jaxpapers.stats``, ``jaxpapers.sparse`` and ``jaxpapers.linalg``. Reproduce
a paper's headline result with ``jaxpapers reproduce NAME``.

Subpackages are not imported here (``import jaxpapers`` stays cheap); import them explicitly.
"""

__version__ = "0.1.0"

METHODS: tuple[str, ...] = (
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
"""The method subpackages, one per paper."""

BUILDING_BLOCKS: tuple[str, ...] = ("linalg", "nn", "sparse", "stats")
"""The building blocks that methods share, public APIs in their own right."""

__all__ = ["BUILDING_BLOCKS", "METHODS", "__version__"]
