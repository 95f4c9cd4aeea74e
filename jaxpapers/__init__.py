"""jaxpapers: ten 2026 research methods as pure, jit/vmap-able JAX functions.

Import a method's subpackage, e.g. ``import jaxpapers.pair_ci as pc``; the building blocks are
``jaxpapers.nn``, ``jaxpapers.stats`` and ``jaxpapers.sparse``. Reproduce a paper's headline
result with ``jaxpapers reproduce NAME``.
"""

__version__ = "0.1.0"

# Subpackages, filled in as methods land. Import them explicitly: `import jaxpapers.<name>`.
__all__: list[str] = []
