"""Type aliases shared across jaxpapers."""

from typing import TypeAlias

import jax

PRNGKey: TypeAlias = jax.Array
"""A typed key from ``jax.random.key`` (a scalar array of key dtype)."""
